import Foundation
import Testing
@testable import TxGuardDetectors

@Suite struct OneClassSVMTests {
    /// Shuttle standardized with population statistics of all 10k rows, as the fixture script does.
    static let standardized: FeatureMatrix = {
        let m = Shuttle.shared.features
        var means = [Double](repeating: 0, count: 9), vars = [Double](repeating: 0, count: 9)
        for r in 0..<m.rowCount { for f in 0..<9 { means[f] += Double(m[r, f]) } }
        for f in 0..<9 { means[f] /= Double(m.rowCount) }
        for r in 0..<m.rowCount { for f in 0..<9 { let d = Double(m[r, f]) - means[f]; vars[f] += d * d } }
        var values = [Float]()
        for r in 0..<m.rowCount {
            for f in 0..<9 { values.append(Float((Double(m[r, f]) - means[f]) / (vars[f] / Double(m.rowCount)).squareRoot())) }
        }
        return try! FeatureMatrix(rowCount: m.rowCount, columnCount: 9, values: values)
    }()

    static let fitted: OneClassSVM = {
        let ref = Reference.shared.ocsvm_shuttle
        let train = standardized.selecting(rows: Array(0..<ref.n_train))
        return try! OneClassSVM.fit(train, configuration: .init(nu: ref.nu, sampleSize: ref.n_train, standardize: false))
    }()

    @Test func gammaScaleRhoAndSupportMatchScikitLearn() {
        let ref = Reference.shared.ocsvm_shuttle
        let svm = Self.fitted
        #expect(abs(svm.gamma - ref.gamma) < 1e-6 * ref.gamma)
        #expect(abs(svm.supportVectorCount - ref.n_support) <= 3, "\(svm.supportVectorCount) vs \(ref.n_support)")
        #expect(abs(svm.rho - ref.rho) < 1e-3 * abs(ref.rho), "rho \(svm.rho) vs \(ref.rho)")
        #expect(svm.supportVectorCount >= Int(ref.nu * Double(ref.n_train)))
    }

    /// The kernel's vectorised exp against libm's, over the RBF kernel's whole argument range.
    @Test func vectorisedExpMatchesLibm() {
        var worst: Float = 0
        var worstAt: Float = 0
        var x: Float = -87
        while x <= 88 {
            let v = SIMD8<Float>((0..<8).map { x + Float($0) * 0.0137 })
            let e = KernelMath.exp(v)
            for lane in 0..<8 where v[lane] <= 88 {
                let ref = Foundation.exp(Double(v[lane]))
                let rel = Float(abs(Double(e[lane]) - ref) / ref)
                if rel > worst { worst = rel; worstAt = v[lane] }
            }
            x += 0.11
        }
        #expect(worst < 2 * Float.ulpOfOne, "worst relative error \(worst) at x = \(worstAt)")
        #expect(KernelMath.exp(SIMD8(repeating: 0)) == SIMD8(repeating: 1))
        let far = KernelMath.exp(SIMD8(repeating: -1_000))
        #expect(far[0] >= 0 && far[0] < 1e-37, "exp(-1000) = \(far[0])")
        // Out of range, infinite and NaN lanes: exp's own clamp (two selects) does what the
        // stdlib's clamped(lowerBound:upperBound:) does, lane for lane.
        let odd = SIMD8<Float>(-.infinity, -88, -87, 88, 88.5, 1_000, .infinity, .nan)
        let viaStdlib = KernelMath.exp(odd.clamped(lowerBound: SIMD8(repeating: -87), upperBound: SIMD8(repeating: 88)))
        let direct = KernelMath.exp(odd)
        for lane in 0..<8 {
            #expect(direct[lane].bitPattern == viaStdlib[lane].bitPattern || (direct[lane].isNaN && viaStdlib[lane].isNaN),
                    "lane \(lane): exp(\(odd[lane])) = \(direct[lane]), via clamped \(viaStdlib[lane])")
        }
        #expect(direct[5] == KernelMath.exp(SIMD8(repeating: 88))[0] && direct[5].isFinite)
    }

    @Test func decisionValuesMatchScikitLearn() {
        let ref = Reference.shared.ocsvm_shuttle
        let svm = Self.fitted
        var maxDiff = 0.0
        for (r, expected) in ref.decision_first200.enumerated() {
            let f = Self.standardized.withRow(r) { svm.decisionFunction($0) }
            maxDiff = max(maxDiff, abs(f - expected))
        }
        // Same dual, same working-set rule and stopping tolerance as libsvm: values agree closely.
        #expect(maxDiff < 1e-3, "max |f − sklearn| = \(maxDiff)")
    }

    /// The blocked kernel sum (four blocks of eight support vectors at a time, then one at a time)
    /// against the formula in plain Double, for support-vector counts that fill 1 to 11 blocks.
    @Test func blockedKernelSumMatchesTheFormula() throws {
        var rng = SeededGenerator(seed: 11)
        let d = 7
        for count in [1, 8, 9, 31, 32, 33, 40, 57, 88] {
            let weights = (0..<d).map { _ in Float(0.2 + rng.nextUnit()) }
            let svs = (0..<(count * d)).map { _ in Float(rng.nextUnit() * 4 - 2) }
            let alphas = (0..<count).map { _ in Float(rng.nextUnit()) / Float(count) }
            let gamma = 0.3, rho = 0.01
            let svm = try OneClassSVM(featureCount: d, featureMeans: [Float](repeating: 0, count: d), featureWeights: weights,
                                      gamma: gamma, supportVectors: svs, coefficients: alphas, rho: rho)
            for _ in 0..<20 {
                let x = (0..<d).map { _ in Float(rng.nextUnit() * 4 - 2) }
                var want = -rho
                for k in 0..<count {
                    var s = 0.0
                    for f in 0..<d {
                        let t = Double(x[f]) - Double(svs[k * d + f])
                        s += Double(weights[f]) * t * t
                    }
                    want += Double(alphas[k]) * Foundation.exp(-gamma * s)
                }
                let got = x.withUnsafeBufferPointer { svm.decisionFunction($0) }
                #expect(abs(got - want) < 1e-5, "\(count) support vectors: \(got) against \(want)")
            }
        }
    }

    @Test func shuttleAUCMatchesScikitLearn() throws {
        let ref = Reference.shared.ocsvm_shuttle
        let svm = Self.fitted
        let m = Self.standardized
        var scores = [Double]()
        for r in 0..<m.rowCount { scores.append(m.withRow(r) { svm.score($0) }) }
        let auc = try #require(rocAUC(scores: scores, labels: Shuttle.shared.labels))
        #expect(abs(auc - ref.auc) < 0.02, "AUC \(auc) vs sklearn \(ref.auc)")
    }

    /// Internal standardization + sampling path: same AUC band on raw features.
    @Test func rawFeaturesWithBuiltInStandardizationAndSampling() throws {
        let raw = Shuttle.shared.features
        let svm = try OneClassSVM.fit(raw, configuration: .init(sampleSize: 1500, seed: 3))
        var scores = [Double]()
        for r in 0..<raw.rowCount { scores.append(raw.withRow(r) { svm.score($0) }) }
        let auc = try #require(rocAUC(scores: scores, labels: Shuttle.shared.labels))
        #expect(auc > Reference.shared.ocsvm_shuttle.auc - 0.05, "AUC \(auc)")
        #expect(throws: DetectorError.self) { try OneClassSVM.fit(raw, configuration: .init(nu: 0)) }
    }
}
