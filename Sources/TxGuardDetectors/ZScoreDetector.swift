/// Z-score detector over named inputs (amount, velocity, …).
///
/// For an account with at least `minimumHistory` learned events each input is standardized by the
/// account's own mean and standard deviation (exponentially weighted by default, floored by a
/// fraction of the global scale); otherwise by the global robust statistics median and
/// 1.4826·MAD, tracked by P² estimators. The score combines |z| across inputs (root mean square
/// or maximum), clipped at `clip`, and names the input that deviated most.
public struct ZScoreDetector: Sendable, Codable, Equatable {
    /// How per-input deviations combine into one score.
    public enum Combination: String, Sendable, Codable {
        case rootMeanSquare, maximum
        /// Σ −ln pᵢ: each input's z turned into its upper-tail probability under that input's own
        /// distribution of z (calibrated on a replay of the training events, `calibrateInputs`),
        /// then summed (Fisher). A heavy-tailed input (a burst surprisal) no longer drowns a
        /// well-behaved one (the amount) whose large z is rare.
        case calibratedSum
        /// max −ln pᵢ over the inputs, each calibrated as for `calibratedSum` (Tippett): the single
        /// most surprising input decides.
        case calibratedMaximum
    }
    /// Which per-account moments standardize an input.
    public enum AccountBaseline: String, Sendable, Codable { case exponential, cumulative }

    /// Tuning of the Z-score detector.
    public struct Configuration: Sendable, Codable, Equatable {
        /// Names of the inputs, in the order they are passed.
        public var inputNames: [String]
        /// Account events needed before the account's own statistics are used.
        public var minimumHistory: Int = 5
        /// Weight of a new event in the exponentially weighted moments.
        public var alpha: Float = 0.1
        /// Which account moments to use.
        public var baseline: AccountBaseline = .exponential
        /// How |z| values combine.
        public var combination: Combination = .rootMeanSquare
        /// Largest |z| that counts.
        public var clip: Float = 20
        /// Account standard deviation floor, as a fraction of the global robust scale.
        public var scaleFloorFraction: Float = 0.1
        /// Pseudo-events of the population prior an account's moments are shrunk toward: with n
        /// learned events the mean is (n·m + k·median)/(n + k) and the variance likewise toward the
        /// global robust scale², so a z-score reads the same after 5 events as after 500 and moves
        /// smoothly from the population to the account. 0: the account's own moments from
        /// `minimumHistory` events on, the population's before (the first models' rule).
        public var shrinkage: Float = 0
        /// Only deviations above the baseline count (higher amounts, more events are riskier); a
        /// smaller-than-usual amount is not anomalous in itself.
        public var oneSided = false
        /// Weight of each input's surprise in the calibrated combinations (nil: 1 each): a weight of
        /// 2 counts an input as two independent pieces of evidence in the Fisher sum.
        public var inputWeights: [Float]?

        private enum CodingKeys: String, CodingKey {
            case inputNames, minimumHistory, alpha, baseline, combination, clip, scaleFloorFraction, shrinkage, oneSided, inputWeights
        }

        /// Decodes a configuration; models written before `shrinkage`/`oneSided` existed keep the old rule.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            inputNames = try c.decode([String].self, forKey: .inputNames)
            minimumHistory = try c.decode(Int.self, forKey: .minimumHistory)
            alpha = try c.decode(Float.self, forKey: .alpha)
            baseline = try c.decode(AccountBaseline.self, forKey: .baseline)
            combination = try c.decode(Combination.self, forKey: .combination)
            clip = try c.decode(Float.self, forKey: .clip)
            scaleFloorFraction = try c.decode(Float.self, forKey: .scaleFloorFraction)
            shrinkage = try c.decodeIfPresent(Float.self, forKey: .shrinkage) ?? 0
            oneSided = try c.decodeIfPresent(Bool.self, forKey: .oneSided) ?? false
            inputWeights = try c.decodeIfPresent([Float].self, forKey: .inputWeights)
            if let w = inputWeights, w.count != inputNames.count || !w.allSatisfy({ $0.isFinite && $0 >= 0 }) {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "Z-score input weights do not match the inputs"))
            }
        }

        /// Inputs by name; other settings default.
        public init(inputNames: [String], minimumHistory: Int = 5, alpha: Float = 0.1,
                    baseline: AccountBaseline = .exponential, combination: Combination = .rootMeanSquare,
                    clip: Float = 20, scaleFloorFraction: Float = 0.1, shrinkage: Float = 0, oneSided: Bool = false,
                    inputWeights: [Float]? = nil) {
            self.inputWeights = inputWeights
            self.shrinkage = shrinkage
            self.oneSided = oneSided
            self.inputNames = inputNames
            self.minimumHistory = minimumHistory
            self.alpha = alpha
            self.baseline = baseline
            self.combination = combination
            self.clip = clip
            self.scaleFloorFraction = scaleFloorFraction
        }
    }

    /// The configuration in force.
    public let configuration: Configuration
    private var medians: [P2Quantile]
    private var absoluteDeviations: [P2Quantile]
    /// Global Welford moments: the scale fallback when an input's MAD is 0 (e.g. mostly-zero inputs).
    private var global: AccountStats
    /// `median(i)` and `robustScale(i)` as plain numbers, refreshed whenever the global statistics
    /// change: scoring reads them per input per event, and reading them from the P² estimators
    /// meant copying (retaining and releasing) four arrays each time. Derived, not encoded.
    @usableFromInline var medianCache: [Float] = []
    @usableFromInline var scaleCache: [Float] = []

    /// Per-input calibrators of z (for `.calibratedSum`), fitted by `calibrateInputs`.
    public private(set) var inputCalibrators: [TailCalibrator]?

    private enum CodingKeys: String, CodingKey { case configuration, medians, absoluteDeviations, global, inputCalibrators }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        configuration = try c.decode(Configuration.self, forKey: .configuration)
        medians = try c.decode([P2Quantile].self, forKey: .medians)
        absoluteDeviations = try c.decode([P2Quantile].self, forKey: .absoluteDeviations)
        global = try c.decode(AccountStats.self, forKey: .global)
        inputCalibrators = try c.decodeIfPresent([TailCalibrator].self, forKey: .inputCalibrators)
        guard inputCalibrators == nil || inputCalibrators!.count == configuration.inputNames.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "Z-score input calibrators do not match the inputs"))
        }
        guard medians.count == configuration.inputNames.count, absoluteDeviations.count == medians.count,
              global.width == medians.count else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "Z-score statistics do not match the inputs"))
        }
        refreshCache()
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(medians, forKey: .medians)
        try c.encode(absoluteDeviations, forKey: .absoluteDeviations)
        try c.encode(global, forKey: .global)
        try c.encodeIfPresent(inputCalibrators, forKey: .inputCalibrators)
    }

    /// Fits one calibrator per input from that input's z values (`values[i]`), e.g. over a replay
    /// of the training events where accounts build up history.
    public mutating func calibrateInputs(_ values: [[Double]], tailLevel: Double = 0.98) throws {
        guard values.count == inputCount else { throw DetectorError.dimensionMismatch(expected: inputCount, actual: values.count) }
        inputCalibrators = try values.map { try TailCalibrator(scores: $0, tailLevel: tailLevel) }
    }

    private mutating func refreshCache() {
        medianCache = (0..<medians.count).map { computedMedian($0) }
        scaleCache = (0..<medians.count).map { computedRobustScale($0) }
    }

    /// Number of inputs.
    public var inputCount: Int { configuration.inputNames.count }

    /// Fits the global robust statistics on training rows of inputs (columns in `inputNames` order).
    public init(configuration: Configuration, training: FeatureMatrix) throws {
        guard training.columnCount == configuration.inputNames.count else {
            throw DetectorError.featureNameCount(expected: training.columnCount, actual: configuration.inputNames.count)
        }
        guard configuration.alpha > 0, configuration.alpha <= 1 else {
            throw DetectorError.invalidParameter(name: "alpha", value: Double(configuration.alpha))
        }
        guard configuration.clip > 0 else { throw DetectorError.invalidParameter(name: "clip", value: Double(configuration.clip)) }
        if let w = configuration.inputWeights {
            guard w.count == configuration.inputNames.count else {
                throw DetectorError.featureNameCount(expected: configuration.inputNames.count, actual: w.count)
            }
            if let bad = w.first(where: { !($0.isFinite && $0 >= 0) }) {
                throw DetectorError.invalidParameter(name: "inputWeights", value: Double(bad))
            }
        }
        guard training.rowCount >= 5 else { throw DetectorError.notEnoughRows(needed: 5, actual: training.rowCount) }
        try training.validateFinite()
        self.configuration = configuration
        medians = try (0..<training.columnCount).map { _ in try P2Quantile(probability: 0.5) }
        absoluteDeviations = medians
        global = AccountStats(inputCount: training.columnCount)
        for r in 0..<training.rowCount {
            training.withRow(r) { observeGlobal($0) }
        }
        refreshCache()
    }

    /// Global median of input i.
    @inlinable
    public func median(_ i: Int) -> Float { medianCache[i] }

    /// Global robust scale 1.4826·MAD of input i; the global standard deviation when the MAD is 0;
    /// never zero.
    @inlinable
    public func robustScale(_ i: Int) -> Float { scaleCache[i] }

    private func computedMedian(_ i: Int) -> Float { Float(medians[i].estimate ?? 0) }

    private func computedRobustScale(_ i: Int) -> Float {
        let mad = Float(absoluteDeviations[i].estimate ?? 0) * 1.4826
        let floor = 1e-6 * max(1, abs(computedMedian(i)))
        if mad > floor { return mad }
        return max(global.variance(i).squareRoot(), floor)
    }

    /// Fresh per-account state.
    public func newAccountStats() -> AccountStats { AccountStats(inputCount: inputCount) }

    /// z of input i for value v under the account state (account moments when history suffices).
    @inlinable
    public func zScore(_ i: Int, _ v: Float, state: AccountMomentsView) -> Float {
        let global = robustScale(i)
        let k = configuration.shrinkage
        if k > 0 {
            let (m, variance): (Float, Float) = configuration.baseline == .exponential
                ? (state.ewMean(i), state.ewVariance(i)) : (state.mean(i), state.variance(i))
            let n = Float(state.count)
            let w = n / (n + k)
            let mean = w * m + (1 - w) * median(i)
            let spread = (w * variance + (1 - w) * global * global).squareRoot()
            let z = (v - mean) / max(spread, configuration.scaleFloorFraction * global)
            return configuration.oneSided ? max(z, 0) : z
        }
        if Int(state.count) >= configuration.minimumHistory {
            let (m, variance): (Float, Float) = configuration.baseline == .exponential
                ? (state.ewMean(i), state.ewVariance(i)) : (state.mean(i), state.variance(i))
            let floor = configuration.scaleFloorFraction * global
            let z = (v - m) / max(variance.squareRoot(), floor)
            return configuration.oneSided ? max(z, 0) : z
        }
        let z = (v - median(i)) / global
        return configuration.oneSided ? max(z, 0) : z
    }

    /// z of input i for value v under `state` (see the view form).
    public func zScore(_ i: Int, _ v: Float, state: AccountStats) -> Float {
        state.withView { zScore(i, v, state: $0) }
    }

    /// Scores one event without changing any state; no allocation.
    public func score(_ inputs: UnsafeBufferPointer<Float>, state: AccountStats) -> ZScoreResult {
        state.withView { view in score(state: view) { inputs[$0] } }
    }

    /// Scores the inputs found at `indices` of a whole feature vector under statistics held
    /// anywhere (a slot of a flat table); no copy, no allocation.
    public func score(_ features: UnsafeBufferPointer<Float>, at indices: [Int], state: AccountMomentsView) -> ZScoreResult {
        score(state: state) { features[indices[$0]] }
    }

    /// Input `i`'s z for value `v`, made finite and clipped at ±`clip`: what every combination reads.
    @inlinable
    public func clippedZ(_ i: Int, _ v: Float, state: AccountMomentsView) -> Float {
        let z = zScore(i, v, state: state)
        return z.isFinite ? max(-configuration.clip, min(configuration.clip, z)) : configuration.clip
    }

    /// `clippedZ` under an `AccountStats`.
    public func clippedZ(_ i: Int, _ v: Float, state: AccountStats) -> Float {
        state.withView { clippedZ(i, v, state: $0) }
    }

    /// Whether the score sums or maximises per-input surprises (and the calibrators are fitted).
    public var usesInputSurprise: Bool {
        (configuration.combination == .calibratedSum || configuration.combination == .calibratedMaximum) && inputCalibrators != nil
    }

    /// −ln p of input `i`'s clipped z under that input's calibrator (`calibrateInputs`), times the
    /// input's weight (`Configuration.inputWeights`): its share of the calibrated combinations.
    @inlinable
    public func inputSurprise(_ i: Int, clippedZ z: Float) -> Double {
        let surprise = -(inputCalibrators?[i].logUpperTail(Double(z)) ?? 0)
        guard let w = configuration.inputWeights else { return surprise }
        return Double(w[i]) * surprise
    }

    @inline(__always)
    private func score(state: AccountMomentsView, input: (Int) -> Float) -> ZScoreResult {
        var sumSquares: Float = 0
        var top = 0
        var topZ: Float = 0
        if usesInputSurprise {
            var sum = 0.0, topSurprise = -1.0
            for i in 0..<inputCount {
                let z = clippedZ(i, input(i), state: state)
                let surprise = inputSurprise(i, clippedZ: z)
                sum += surprise
                if surprise > topSurprise { topSurprise = surprise; topZ = z; top = i }
            }
            return ZScoreResult(score: configuration.combination == .calibratedSum ? sum : topSurprise, topInput: top, topZ: topZ, usedAccountBaseline: Int(state.count) >= configuration.minimumHistory)
        }
        for i in 0..<inputCount {
            let z = clippedZ(i, input(i), state: state)
            sumSquares += z * z
            if abs(z) > abs(topZ) { topZ = z; top = i }
        }
        let combined: Float = configuration.combination == .maximum
            ? abs(topZ) : (sumSquares / Float(max(inputCount, 1))).squareRoot()
        return ZScoreResult(score: Double(combined), topInput: top, topZ: topZ,
                            usedAccountBaseline: Int(state.count) >= configuration.minimumHistory)
    }

    /// Array convenience for `score(_:state:)`.
    public func score(_ inputs: [Float], state: AccountStats) throws -> ZScoreResult {
        guard inputs.count == inputCount else { throw DetectorError.dimensionMismatch(expected: inputCount, actual: inputs.count) }
        return inputs.withUnsafeBufferPointer { score($0, state: state) }
    }

    /// Learns a (non-alerted) event into the account state.
    public func update(_ inputs: UnsafeBufferPointer<Float>, state: inout AccountStats) {
        guard state.width == inputCount else { state = newAccountStats(); return }
        state.learn(inputs, alpha: configuration.alpha)
    }

    /// Learns the inputs found at `indices` of a whole feature vector into the account state.
    public func update(_ features: UnsafeBufferPointer<Float>, at indices: [Int], state: inout AccountStats) {
        Self.gathering(features, at: indices) { update($0, state: &state) }
    }

    /// Calls `body` with the values of `features` at `indices`, in a temporary buffer.
    @inline(__always)
    private static func gathering(_ features: UnsafeBufferPointer<Float>, at indices: [Int], _ body: (UnsafeBufferPointer<Float>) -> Void) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: indices.count) { buf in
            for (k, i) in indices.enumerated() { buf[k] = features[i] }
            body(UnsafeBufferPointer(buf))
        }
    }

    /// Learns the inputs found at `indices` of a whole feature vector into the pair of moments this
    /// detector's baseline reads, held elsewhere (`pair` must be `2 × inputCount` floats).
    public func update(_ features: UnsafeBufferPointer<Float>, at indices: [Int], count: inout UInt32, pair: UnsafeMutableBufferPointer<Float>) {
        precondition(pair.count == 2 * inputCount, "account moments of another width")
        // Read before the closure: capturing `self` copied the detector (retaining its arrays) per event.
        let baseline = configuration.baseline, alpha = configuration.alpha
        Self.gathering(features, at: indices) {
            AccountStats.learn($0, count: &count, pair: pair, baseline: baseline, alpha: alpha)
        }
    }

    /// Learns a (non-alerted) event into the global robust statistics.
    public mutating func updateGlobal(_ inputs: UnsafeBufferPointer<Float>) {
        observeGlobal(inputs)
        refreshCache()
    }

    private mutating func observeGlobal(_ inputs: UnsafeBufferPointer<Float>) {
        if (0..<inputCount).allSatisfy({ inputs[$0].isFinite }) { global.learn(inputs, alpha: 1) }
        for i in 0..<inputCount {
            let v = Double(inputs[i])
            guard v.isFinite else { continue }
            let m = medians[i].estimate ?? v
            medians[i].observe(v)
            absoluteDeviations[i].observe(abs(v - m))
        }
    }

    /// Per-input deviations, largest |z| first, for explanations.
    public func reasons(_ inputs: [Float], state: AccountStats, limit: Int = 3) -> [Reason] {
        state.withView { reasons(inputs, state: $0, limit: limit) }
    }

    /// Per-input deviations under statistics held anywhere, largest |z| first.
    public func reasons(_ inputs: [Float], state: AccountMomentsView, limit: Int = 3) -> [Reason] {
        var out = [Reason]()
        for i in 0..<min(inputCount, inputs.count) {
            let z = zScore(i, inputs[i], state: state)
            out.append(Reason(featureName: configuration.inputNames[i], value: inputs[i],
                              contribution: abs(z.isFinite ? z : configuration.clip), detector: .zScore))
        }
        return Array(out.sorted { $0.contribution > $1.contribution }.prefix(limit))
    }
}

/// Outcome of the Z-score detector for one event.
public struct ZScoreResult: Sendable, Equatable {
    /// Combined deviation (higher = more anomalous).
    public let score: Double
    /// Index of the input with the largest |z|.
    public let topInput: Int
    /// Its signed z.
    public let topZ: Float
    /// True when the account's own statistics were used.
    public let usedAccountBaseline: Bool
}
