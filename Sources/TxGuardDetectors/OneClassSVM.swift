#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ν-one-class SVM (Schölkopf et al. 2001) with an RBF kernel, trained exactly by SMO on a seeded
/// sample of the training rows; decision f(x) = Σ αᵢ exp(−γ‖z(x) − svᵢ‖²) − ρ where z standardizes
/// features. Score = −f(x) (higher = more anomalous). Scoring cost is (support vectors × features),
/// with at least ν·sample support vectors; nothing is allocated.
public struct OneClassSVM: Sendable, Codable, Equatable {
    /// Kernel width rule.
    public enum Gamma: Sendable, Codable, Equatable {
        /// sklearn's "scale": 1 / (features × variance of the standardized training sample).
        case scale
        /// A fixed γ.
        case value(Double)
    }

    /// Tuning of the one-class SVM.
    public struct Configuration: Sendable, Codable, Equatable {
        /// ν: upper bound on the training outlier fraction, lower bound on the support-vector
        /// fraction. Default 0.05: about 5% of training events fall outside the learned support.
        public var nu: Double = 0.05
        /// Kernel width.
        public var gamma: Gamma = .scale
        /// Rows used to solve the dual (random without replacement when there are more).
        public var sampleSize: Int = 2000
        /// Standardize features by training mean and standard deviation first.
        public var standardize: Bool = true
        /// SMO stopping tolerance (libsvm's eps; sklearn's `tol`).
        public var tolerance: Double = 1e-3
        /// Seed of the sample.
        public var seed: UInt64 = 0

        /// Defaults: ν = 0.05, γ = "scale", 2000-row sample, standardized features.
        public init(nu: Double = 0.05, gamma: Gamma = .scale, sampleSize: Int = 2000, standardize: Bool = true,
                    tolerance: Double = 1e-3, seed: UInt64 = 0) {
            self.nu = nu
            self.gamma = gamma
            self.sampleSize = sampleSize
            self.standardize = standardize
            self.tolerance = tolerance
            self.seed = seed
        }
    }

    /// Input dimension.
    public let featureCount: Int
    /// Feature means subtracted before the kernel.
    public let featureMeans: [Float]
    /// Squared inverse standard deviations: the kernel's per-feature weights.
    public let featureWeights: [Float]
    /// γ of the kernel in standardized units.
    public let gamma: Double
    /// Support vectors in raw feature units, row-major (count × featureCount).
    public let supportVectors: [Float]
    /// Dual coefficients αᵢ in (0, 1] (libsvm scaling: Σα = ν·sample).
    public let coefficients: [Float]
    /// Offset ρ.
    public let rho: Double
    /// Support vectors times √weight in blocks of eight, feature-major within a block: element
    /// `b * featureCount + f` holds feature f of vectors 8b…8b+7 (derived; what scoring reads).
    /// One SIMD8 lane per support vector, so a block's eight squared distances come out as one
    /// vector, ready for the vectorised exp, with no horizontal sums. Lanes past the last vector
    /// are 0.
    let blockVectors: [SIMD8<Float>]
    /// The dual coefficients in the same blocks (0 in the padding lanes, so they add nothing).
    let blockCoefficients: [SIMD8<Float>]
    /// √weight per feature (derived).
    let rootWeights: [Float]

    private enum CodingKeys: String, CodingKey {
        case featureCount, featureMeans, featureWeights, gamma, supportVectors, coefficients, rho
    }

    /// Number of support vectors.
    public var supportVectorCount: Int { coefficients.count }

    /// Fits on training rows.
    public static func fit(_ data: FeatureMatrix, configuration: Configuration = .init()) throws -> OneClassSVM {
        let c = configuration
        guard c.nu > 0, c.nu <= 1 else { throw DetectorError.invalidParameter(name: "nu", value: c.nu) }
        guard c.sampleSize >= 2 else { throw DetectorError.invalidParameter(name: "sampleSize", value: Double(c.sampleSize)) }
        guard data.rowCount >= 2 else { throw DetectorError.notEnoughRows(needed: 2, actual: data.rowCount) }
        try data.validateFinite()
        let d = data.columnCount
        // Sample rows: all of them in order when few enough (matches a plain sklearn fit).
        var rows = Array(0..<data.rowCount)
        if data.rowCount > c.sampleSize {
            var rng = SeededGenerator(seed: c.seed)
            for k in 0..<c.sampleSize {
                rows.swapAt(k, k + rng.nextIndex(below: data.rowCount - k))
            }
            rows = Array(rows[0..<c.sampleSize])
        }
        let l = rows.count
        // Standardization from all training rows.
        var means = [Double](repeating: 0, count: d)
        var variances = [Double](repeating: 0, count: d)
        if c.standardize {
            for r in 0..<data.rowCount { for f in 0..<d { means[f] += Double(data[r, f]) } }
            for f in 0..<d { means[f] /= Double(data.rowCount) }
            for r in 0..<data.rowCount { for f in 0..<d { let v = Double(data[r, f]) - means[f]; variances[f] += v * v } }
            for f in 0..<d { variances[f] /= Double(data.rowCount) }
        }
        let inverseStd: [Double] = (0..<d).map { f in
            guard c.standardize else { return 1 }
            return variances[f] > 1e-24 ? 1 / variances[f].squareRoot() : 1
        }
        var z = [Float](repeating: 0, count: l * d)
        for (k, r) in rows.enumerated() {
            for f in 0..<d { z[k * d + f] = Float((Double(data[r, f]) - means[f]) * inverseStd[f]) }
        }
        let gamma: Double
        switch c.gamma {
        case .value(let g):
            guard g > 0, g.isFinite else { throw DetectorError.invalidParameter(name: "gamma", value: g) }
            gamma = g
        case .scale:
            let n = Double(z.count)
            let m = z.reduce(0.0) { $0 + Double($1) } / n
            let v = z.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / n
            gamma = v > 0 ? 1 / (Double(d) * v) : 1
        }
        // Kernel matrix.
        var q = [Float](repeating: 0, count: l * l)
        z.withUnsafeBufferPointer { zb in
            q.withUnsafeMutableBufferPointer { qb in
                for i in 0..<l {
                    qb[i * l + i] = 1
                    for j in stride(from: i + 1, to: l, by: 1) {
                        var s: Float = 0
                        for f in 0..<d { let t = zb[i * d + f] - zb[j * d + f]; s += t * t }
                        let k = Float(exp(-gamma * Double(s)))
                        qb[i * l + j] = k
                        qb[j * l + i] = k
                    }
                }
            }
        }
        let solution = OneClassSMO.solve(q: q, l: l, nu: c.nu, tolerance: c.tolerance,
                                         maxIterations: max(10_000_000, 100 * l))
        var svs = [Float]()
        var coefficients = [Float]()
        for k in 0..<l where solution.alpha[k] > 0 {
            coefficients.append(Float(solution.alpha[k]))
            for f in 0..<d { svs.append(data[rows[k], f]) }
        }
        return try OneClassSVM(featureCount: d, featureMeans: means.map { Float($0) },
                               featureWeights: inverseStd.map { Float($0 * $0) }, gamma: gamma,
                               supportVectors: svs, coefficients: coefficients, rho: solution.rho)
    }

    /// Assembles a model; validates shapes.
    public init(featureCount: Int, featureMeans: [Float], featureWeights: [Float], gamma: Double,
                supportVectors: [Float], coefficients: [Float], rho: Double) throws {
        guard featureCount > 0, featureMeans.count == featureCount, featureWeights.count == featureCount else {
            throw DetectorError.corruptModel("one-class SVM feature arrays do not match \(featureCount) features")
        }
        guard !coefficients.isEmpty, supportVectors.count == coefficients.count * featureCount else {
            throw DetectorError.corruptModel("one-class SVM has \(supportVectors.count) support values for \(coefficients.count) vectors")
        }
        guard gamma > 0, gamma.isFinite, rho.isFinite else { throw DetectorError.corruptModel("one-class SVM gamma \(gamma) rho \(rho)") }
        self.featureCount = featureCount
        self.featureMeans = featureMeans
        self.featureWeights = featureWeights
        self.gamma = gamma
        self.supportVectors = supportVectors
        self.coefficients = coefficients
        self.rho = rho
        let roots = featureWeights.map { $0.squareRoot() }
        rootWeights = roots
        let blocks = (coefficients.count + 7) / 8
        var vectors = [SIMD8<Float>](repeating: .zero, count: blocks * featureCount)
        var alphas = [SIMD8<Float>](repeating: .zero, count: blocks)
        for k in 0..<coefficients.count {
            alphas[k / 8][k % 8] = coefficients[k]
            for f in 0..<featureCount {
                vectors[(k / 8) * featureCount + f][k % 8] = supportVectors[k * featureCount + f] * roots[f]
            }
        }
        blockVectors = vectors
        blockCoefficients = alphas
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(featureCount: c.decode(Int.self, forKey: .featureCount),
                      featureMeans: c.decode([Float].self, forKey: .featureMeans),
                      featureWeights: c.decode([Float].self, forKey: .featureWeights),
                      gamma: c.decode(Double.self, forKey: .gamma),
                      supportVectors: c.decode([Float].self, forKey: .supportVectors),
                      coefficients: c.decode([Float].self, forKey: .coefficients),
                      rho: c.decode(Double.self, forKey: .rho))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(featureCount, forKey: .featureCount)
        try c.encode(featureMeans, forKey: .featureMeans)
        try c.encode(featureWeights, forKey: .featureWeights)
        try c.encode(gamma, forKey: .gamma)
        try c.encode(supportVectors, forKey: .supportVectors)
        try c.encode(coefficients, forKey: .coefficients)
        try c.encode(rho, forKey: .rho)
    }

    /// sklearn's `decision_function`: Σ αᵢ K(x, svᵢ) − ρ (positive inside the support).
    /// Eight √weight-scaled support vectors per step (`blockVectors`); the scaled x lives on the stack.
    public func decisionFunction(_ x: UnsafeBufferPointer<Float>) -> Double {
        precondition(x.count >= featureCount, "feature vector too short")
        let fc = featureCount
        let g = Float(gamma)
        guard !coefficients.isEmpty else { return -rho }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: fc) { xs in
            rootWeights.withUnsafeBufferPointer { w in
                for f in 0..<fc { xs[f] = x[f] * w[f] }
            }
            return blockVectors.withUnsafeBufferPointer { sv in
                blockCoefficients.withUnsafeBufferPointer { a in
                    // Eight support vectors at a time: their squared distances in one vector, then
                    // one vectorised exp (a scalar expf per support vector was 40% of the SVM's
                    // time; a horizontal sum per vector another fifth).
                    // Four blocks walk the features together: four independent sums instead of one
                    // chain of dependent adds, each still summed in feature order (same result).
                    var total = SIMD8<Float>.zero
                    var b = 0
                    while b + 4 <= a.count {
                        let base = b &* fc
                        var acc0 = SIMD8<Float>.zero, acc1 = SIMD8<Float>.zero
                        var acc2 = SIMD8<Float>.zero, acc3 = SIMD8<Float>.zero
                        for f in 0..<fc {
                            let xf = SIMD8<Float>(repeating: xs[f])
                            let t0 = xf - sv[base &+ f]
                            let t1 = xf - sv[base &+ fc &+ f]
                            let t2 = xf - sv[base &+ 2 &* fc &+ f]
                            let t3 = xf - sv[base &+ 3 &* fc &+ f]
                            acc0 += t0 * t0
                            acc1 += t1 * t1
                            acc2 += t2 * t2
                            acc3 += t3 * t3
                        }
                        total += a[b] * KernelMath.exp(-g * acc0)
                        total += a[b &+ 1] * KernelMath.exp(-g * acc1)
                        total += a[b &+ 2] * KernelMath.exp(-g * acc2)
                        total += a[b &+ 3] * KernelMath.exp(-g * acc3)
                        b &+= 4
                    }
                    while b < a.count {
                        let base = b &* fc
                        var acc = SIMD8<Float>.zero
                        for f in 0..<fc {
                            let t = SIMD8<Float>(repeating: xs[f]) - sv[base &+ f]
                            acc += t * t
                        }
                        total += a[b] * KernelMath.exp(-g * acc)
                        b &+= 1
                    }
                    return Double(total.sum()) - rho
                }
            }
        }
    }

    /// Anomaly score −f(x).
    public func score(_ x: UnsafeBufferPointer<Float>) -> Double { -decisionFunction(x) }

    /// Array convenience for `score(_:)`.
    public func score(_ x: [Float]) throws -> Double {
        guard x.count == featureCount else { throw DetectorError.dimensionMismatch(expected: featureCount, actual: x.count) }
        return x.withUnsafeBufferPointer { score($0) }
    }

    /// Gradient × input attribution per feature. The gradient of −ln Σαᵢ K(x, svᵢ) is
    /// 2γ W (x − c) with c the kernel-weighted mean of the support vectors (computed in log space, so
    /// it stays defined far from all of them); the contribution of feature f is that gradient times
    /// (x − c)_f, i.e. 2γ w_f (x_f − c_f)² ≥ 0: how much feature f's distance from the support drives the score.
    public func attribution(_ x: UnsafeBufferPointer<Float>) -> [Float] {
        let d = featureCount
        var logWeights = [Double](repeating: 0, count: coefficients.count)
        for k in 0..<coefficients.count {
            var s = 0.0
            for f in 0..<d {
                let t = Double(x[f] - supportVectors[k * d + f])
                s += Double(featureWeights[f]) * t * t
            }
            logWeights[k] = log(Double(coefficients[k])) - gamma * s
        }
        let top = logWeights.max() ?? 0
        var center = [Double](repeating: 0, count: d)
        var norm = 0.0
        for k in 0..<coefficients.count {
            let w = exp(logWeights[k] - top)
            norm += w
            for f in 0..<d { center[f] += w * Double(supportVectors[k * d + f]) }
        }
        return (0..<d).map { f in
            let diff = Double(x[f]) - center[f] / norm
            return Float(2 * gamma * Double(featureWeights[f]) * diff * diff)
        }
    }
}
