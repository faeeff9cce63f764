/// The fitted detector ensemble the pipeline scores events with: Isolation Forest, one-class SVM,
/// Z-score detector, one tail calibrator per detector and the combiner. A `Codable` value (the model
/// file wraps it); scoring is read-only and allocation-free, learning per account is separate so
/// that alerted events are never learned.
public struct ScoringModel: Sendable, Codable, Equatable {
    /// How a model is fitted.
    public struct Configuration: Sendable, Codable, Equatable {
        /// Isolation Forest settings (its seed is derived from the model seed).
        public var isolationForest = IsolationForestConfiguration()
        /// One-class SVM settings (its seed is derived from the model seed).
        public var oneClassSVM = OneClassSVM.Configuration()
        /// Z-score settings except input names (given to `fit`).
        public var minimumHistory = 5
        /// Exponential weight of the per-account moments.
        public var zScoreAlpha: Float = 0.1
        /// Combination of |z| across inputs.
        public var zScoreCombination: ZScoreDetector.Combination = .rootMeanSquare
        /// Pseudo-events of shrinkage toward the population (`ZScoreDetector.Configuration.shrinkage`).
        public var zScoreShrinkage: Float = 0
        /// Which account moments standardize the Z-score inputs.
        public var zScoreBaseline: ZScoreDetector.AccountBaseline = .exponential
        /// Only upward deviations count (`ZScoreDetector.Configuration.oneSided`).
        public var zScoreOneSided = false
        /// Weight of each Z-score input by name in the calibrated combinations (absent: 1).
        public var zScoreInputWeights: [String: Float] = [:]
        /// Ensemble rule and weights.
        public var combiner: EnsembleCombiner
        /// Tail level of the calibrators.
        public var calibrationTailLevel = 0.98
        /// Most training rows scored to fit the calibrators.
        public var calibrationRows = 20_000
        /// Floors of features as the Isolation Forest and the one-class SVM see them, each a quantile
        /// of that feature's training values (name → quantile in 0...1): below it every value reads as
        /// the quantile. The Z-score detector reads the features unchanged.
        public var detectorFloorQuantiles: [String: Double] = [:]
        /// Ceilings of features as the Isolation Forest and the one-class SVM see them, each a
        /// quantile of that feature's training values (name → quantile in 0...1): above it every value
        /// reads as the quantile (for a feature that grows with the stream's age, such as an account's
        /// event count, so that later events are not out of the detectors' training range).
        public var detectorCeilingQuantiles: [String: Double] = [:]

        /// Defaults throughout; Fisher combination with equal weights.
        public init() {
            // Equal positive weights are always valid.
            combiner = (try? EnsembleCombiner()) ?? EnsembleCombiner.unchecked
        }
    }

    /// Feature names, in vector order.
    public let featureNames: [String]
    /// Feature indices fed to the Z-score detector.
    public let zScoreInputIndices: [Int]
    /// Seed everything was fitted with.
    public let seed: UInt64
    /// Fitted Isolation Forest.
    public let isolationForest: IsolationForest
    /// Fitted one-class SVM.
    public let oneClassSVM: OneClassSVM
    /// Z-score detector (global robust statistics included).
    public private(set) var zScore: ZScoreDetector
    /// Calibrator per detector.
    public private(set) var calibrators: DetectorCalibrators
    /// Combination rule (may be changed after fitting).
    public var combiner: EnsembleCombiner
    /// Per feature, the least value the Isolation Forest and the one-class SVM see (the lowest finite
    /// Float where none: JSON has no −∞);
    /// nil when no feature has a floor (`Configuration.detectorFloorQuantiles`).
    public let detectorFloors: [Float]?
    /// Per feature, the greatest value the Isolation Forest and the one-class SVM see (the greatest
    /// finite Float where none); nil when no feature has a ceiling
    /// (`Configuration.detectorCeilingQuantiles`).
    public let detectorCeilings: [Float]?

    /// Fits every detector and calibrator on training rows. `zScoreInputs` names the features the
    /// Z-score detector watches (e.g. amount, velocity).
    public static func fit(training: FeatureMatrix, featureNames: [String], zScoreInputs: [String], seed: UInt64,
                           configuration: Configuration = .init()) throws -> ScoringModel {
        guard featureNames.count == training.columnCount else {
            throw DetectorError.featureNameCount(expected: training.columnCount, actual: featureNames.count)
        }
        guard training.rowCount >= 50 else { throw DetectorError.notEnoughRows(needed: 50, actual: training.rowCount) }
        try training.validateFinite()
        var zIndices = [Int]()
        for name in zScoreInputs {
            guard let i = featureNames.firstIndex(of: name) else { throw DetectorError.unknownFeature(name) }
            zIndices.append(i)
        }
        guard !zIndices.isEmpty else { throw DetectorError.invalidParameter(name: "zScoreInputs", value: 0) }
        let floors = try boundsFromQuantiles(training: training, featureNames: featureNames,
                                             quantiles: configuration.detectorFloorQuantiles,
                                             none: -.greatestFiniteMagnitude, label: "detectorFloorQuantiles")
        let ceilings = try boundsFromQuantiles(training: training, featureNames: featureNames,
                                               quantiles: configuration.detectorCeilingQuantiles,
                                               none: .greatestFiniteMagnitude, label: "detectorCeilingQuantiles")
        let raw = training
        let training = raw.clamped(DetectorBounds(floors: floors, ceilings: ceilings, featureCount: featureNames.count))
        var rng = SeededGenerator(seed: seed)
        var ifConfig = configuration.isolationForest
        ifConfig.seed = rng.next()
        var svmConfig = configuration.oneClassSVM
        svmConfig.seed = rng.next()
        let forest = try IsolationForest.fit(training, configuration: ifConfig)
        let svm = try OneClassSVM.fit(training, configuration: svmConfig)
        var zValues = [Float]()
        zValues.reserveCapacity(training.rowCount * zIndices.count)
        for r in 0..<raw.rowCount { for i in zIndices { zValues.append(raw[r, i]) } }
        let zTraining = try FeatureMatrix(rowCount: training.rowCount, columnCount: zIndices.count, values: zValues)
        let zDetector = try ZScoreDetector(
            configuration: .init(inputNames: zIndices.map { featureNames[$0] }, minimumHistory: configuration.minimumHistory,
                                 alpha: configuration.zScoreAlpha, baseline: configuration.zScoreBaseline,
                                 combination: configuration.zScoreCombination, shrinkage: configuration.zScoreShrinkage,
                                 oneSided: configuration.zScoreOneSided,
                                 inputWeights: configuration.zScoreInputWeights.isEmpty ? nil
                                    : zIndices.map { configuration.zScoreInputWeights[featureNames[$0]] ?? 1 }),
            training: zTraining)
        // Calibration sample: a seeded subset of training rows; Z-scores as for accounts without history.
        let count = min(training.rowCount, configuration.calibrationRows)
        var order = Array(0..<training.rowCount)
        for k in 0..<count { order.swapAt(k, k + rng.nextIndex(below: training.rowCount - k)) }
        var ifScores = [Double](), svmScores = [Double](), zScores = [Double]()
        let empty = zDetector.newAccountStats()
        for r in order[0..<count] {
            training.withRow(r) { x in
                ifScores.append(forest.score(x))
                svmScores.append(svm.score(x))
            }
            zTraining.withRow(r) { z in zScores.append(zDetector.score(z, state: empty).score) }
        }
        let level = configuration.calibrationTailLevel
        let calibrators = DetectorCalibrators(
            isolationForest: try TailCalibrator(scores: ifScores, tailLevel: level),
            oneClassSVM: try TailCalibrator(scores: svmScores, tailLevel: level),
            zScore: try TailCalibrator(scores: zScores, tailLevel: level))
        return ScoringModel(featureNames: featureNames, zScoreInputIndices: zIndices, seed: seed,
                            isolationForest: forest, oneClassSVM: svm, zScore: zDetector,
                            calibrators: calibrators, combiner: configuration.combiner, detectorFloors: floors,
                            detectorCeilings: ceilings)
    }

    /// The floors or ceilings `quantiles` asks for, from the training values, `none` for the other
    /// features (nil when it asks for none).
    static func boundsFromQuantiles(training: FeatureMatrix, featureNames: [String], quantiles: [String: Double],
                                    none: Float, label: String) throws -> [Float]? {
        guard !quantiles.isEmpty else { return nil }
        var bounds = [Float](repeating: none, count: featureNames.count)
        for (name, q) in quantiles.sorted(by: { $0.key < $1.key }) {
            guard let i = featureNames.firstIndex(of: name) else { throw DetectorError.unknownFeature(name) }
            guard q >= 0, q <= 1 else { throw DetectorError.invalidParameter(name: "\(label)[\(name)]", value: q) }
            let column = (0..<training.rowCount).map { training[$0, i] }.sorted()
            bounds[i] = column[min(column.count - 1, Int((q * Double(column.count)).rounded(.down)))]
        }
        return bounds
    }

    private enum CodingKeys: String, CodingKey {
        case featureNames, zScoreInputIndices, seed, isolationForest, oneClassSVM, zScore, calibrators, combiner, detectorFloors,
             detectorCeilings
    }

    /// Decodes a saved model and checks that its parts agree on the features: each detector was
    /// validated on its own, but a Z-score input index past the feature vector (or a detector fitted
    /// on another width) would read outside it at the first event (found by the model-file fuzzer).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let names = try c.decode([String].self, forKey: .featureNames)
        let indices = try c.decode([Int].self, forKey: .zScoreInputIndices)
        let forest = try c.decode(IsolationForest.self, forKey: .isolationForest)
        let svm = try c.decode(OneClassSVM.self, forKey: .oneClassSVM)
        let z = try c.decode(ZScoreDetector.self, forKey: .zScore)
        func corrupt(_ why: String) -> DecodingError { .dataCorrupted(.init(codingPath: c.codingPath, debugDescription: why)) }
        guard forest.featureCount == names.count else {
            throw corrupt("the isolation forest has \(forest.featureCount) features, the model \(names.count)")
        }
        guard svm.featureCount == names.count else {
            throw corrupt("the one-class SVM has \(svm.featureCount) features, the model \(names.count)")
        }
        guard indices.count == z.inputCount, !indices.isEmpty else {
            throw corrupt("\(indices.count) Z-score input indices for \(z.inputCount) Z-score inputs")
        }
        if let bad = indices.first(where: { $0 < 0 || $0 >= names.count }) {
            throw corrupt("Z-score input index \(bad) is outside the \(names.count) features")
        }
        let floors = try c.decodeIfPresent([Float].self, forKey: .detectorFloors)
        if let floors, floors.count != names.count || floors.contains(where: { !$0.isFinite }) {
            throw corrupt("\(floors.count) detector floors for \(names.count) features, or a floor that is not finite")
        }
        let ceilings = try c.decodeIfPresent([Float].self, forKey: .detectorCeilings)
        if let ceilings, ceilings.count != names.count || ceilings.contains(where: { !$0.isFinite }) {
            throw corrupt("\(ceilings.count) detector ceilings for \(names.count) features, or a ceiling that is not finite")
        }
        self.init(featureNames: names, zScoreInputIndices: indices, seed: try c.decode(UInt64.self, forKey: .seed),
                  isolationForest: forest, oneClassSVM: svm, zScore: z,
                  calibrators: try c.decode(DetectorCalibrators.self, forKey: .calibrators),
                  combiner: try c.decode(EnsembleCombiner.self, forKey: .combiner), detectorFloors: floors,
                  detectorCeilings: ceilings)
    }

    init(featureNames: [String], zScoreInputIndices: [Int], seed: UInt64, isolationForest: IsolationForest,
                 oneClassSVM: OneClassSVM, zScore: ZScoreDetector, calibrators: DetectorCalibrators,
                 combiner: EnsembleCombiner, detectorFloors: [Float]?, detectorCeilings: [Float]?) {
        self.detectorFloors = detectorFloors
        self.detectorCeilings = detectorCeilings
        detectorBounds = DetectorBounds(floors: detectorFloors, ceilings: detectorCeilings, featureCount: featureNames.count)
        self.featureNames = featureNames
        self.zScoreInputIndices = zScoreInputIndices
        self.seed = seed
        self.isolationForest = isolationForest
        self.oneClassSVM = oneClassSVM
        self.zScore = zScore
        self.calibrators = calibrators
        self.combiner = combiner
    }

    /// Floors and ceilings together, as `withDetectorView` applies them (no bounded feature when
    /// the model has neither).
    let detectorBounds: DetectorBounds

    /// Floors and ceilings padded to the full feature width (no bound is ∓greatestFiniteMagnitude),
    /// with the features that have either, so a view clamps only those (none, and no arrays, when
    /// the model has neither).
    struct DetectorBounds: Sendable, Equatable {
        let floors: [Float]
        let ceilings: [Float]
        let boundedIndices: [Int]

        init(floors: [Float]?, ceilings: [Float]?, featureCount n: Int) {
            if floors == nil, ceilings == nil {
                (self.floors, self.ceilings, boundedIndices) = ([], [], [])
                return
            }
            let lo = floors ?? [Float](repeating: -.greatestFiniteMagnitude, count: n)
            let hi = ceilings ?? [Float](repeating: .greatestFiniteMagnitude, count: n)
            precondition(lo.count == n && hi.count == n, "one floor and one ceiling per feature")
            self.floors = lo
            self.ceilings = hi
            boundedIndices = (0..<n).filter { lo[$0] > -.greatestFiniteMagnitude || hi[$0] < .greatestFiniteMagnitude }
        }

        /// `v` raised to feature j's floor and lowered to its ceiling.
        @inline(__always) func clamp(_ v: Float, _ j: Int) -> Float { min(max(v, floors[j]), ceilings[j]) }

        /// Calls `body` with `x` as the bounded detectors see it: `x` itself when no feature is
        /// bounded, else a copy on the stack with the bounded features clamped.
        @inline(__always)
        func withView<R>(_ x: UnsafeBufferPointer<Float>, _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
            if boundedIndices.isEmpty { return body(x) }
            return withUnsafeTemporaryAllocation(of: Float.self, capacity: floors.count) { buf in
                write(x, clampedInto: buf)
                return body(UnsafeBufferPointer(buf))
            }
        }

        /// Copies the first `buf.count` values of `x` into `buf`, the bounded ones clamped.
        @inline(__always) func write(_ x: UnsafeBufferPointer<Float>, clampedInto buf: UnsafeMutableBufferPointer<Float>) {
            buf.baseAddress!.initialize(from: x.baseAddress!, count: buf.count)
            for k in 0..<boundedIndices.count {
                let j = boundedIndices[k]
                buf[j] = clamp(x[j], j)
            }
        }
    }

    /// Feature count expected by `score`.
    public var featureCount: Int { featureNames.count }

    /// A fresh per-account state for this model's Z-score inputs.
    public func newAccountStats() -> AccountStats { zScore.newAccountStats() }

    /// Scores one event (x has `featureCount` values). Reads `accountStats` but does not change it.
    public func score(_ x: UnsafeBufferPointer<Float>, accountStats: AccountStats) -> EnsembleScore {
        accountStats.withView { score(x, moments: $0) }
    }

    /// Scores one event under account statistics held anywhere (a slot of a flat table).
    public func score(_ x: UnsafeBufferPointer<Float>, moments: AccountMomentsView) -> EnsembleScore {
        precondition(x.count >= featureCount, "feature vector too short")
        let (forestScore, svmScore) = Self.detectorScores(isolationForest, oneClassSVM, detectorBounds, x)
        let z = zScore.score(x, at: zScoreInputIndices, state: moments)
        let raw = DetectorTriple(isolationForest: forestScore, oneClassSVM: svmScore, zScore: z.score)
        let logs = DetectorTriple(
            isolationForest: calibrators.isolationForest.logUpperTail(forestScore),
            oneClassSVM: calibrators.oneClassSVM.logUpperTail(svmScore),
            zScore: calibrators.zScore.logUpperTail(z.score))
        let (combined, contributions) = combiner.combine(logTails: logs)
        return EnsembleScore(raw: raw, logTailProbabilities: logs, combined: combined,
                             contributions: contributions, zScore: z)
    }

    /// The Isolation Forest's and the one-class SVM's raw scores of `x` as they see it (clamped to
    /// `bounds`). Static, its parts borrowed, and not through `DetectorBounds.withView`: a closure
    /// that captured `self` copied the whole model per event (a retain and a release of each of its
    /// arrays, about 5% of the scorer's time), and one passed to `withView` copied the forest and
    /// the SVM (1.4%); only the standard library's temporary allocation inlines without a copy.
    @inline(__always)
    static func detectorScores(_ forest: borrowing IsolationForest, _ svm: borrowing OneClassSVM, _ bounds: borrowing DetectorBounds,
                               _ x: UnsafeBufferPointer<Float>) -> (Double, Double) {
        if bounds.boundedIndices.isEmpty { return (forest.score(x), svm.score(x)) }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: bounds.floors.count) { buf in
            bounds.write(x, clampedInto: buf)
            let view = UnsafeBufferPointer(buf)
            return (forest.score(view), svm.score(view))
        }
    }

    /// Calls `body` with `x` as the Isolation Forest and the one-class SVM see it: `x` itself, or a
    /// copy on the stack, clamped to `detectorFloors` and `detectorCeilings`, when the model has either.
    func withDetectorView<R>(_ x: [Float], _ body: (UnsafeBufferPointer<Float>) -> R) -> R {
        x.withUnsafeBufferPointer { detectorBounds.withView($0, body) }
    }

    /// Array convenience for `score(_:accountStats:)`.
    public func score(_ x: [Float], accountStats: AccountStats) throws -> EnsembleScore {
        guard x.count == featureCount else { throw DetectorError.dimensionMismatch(expected: featureCount, actual: x.count) }
        return x.withUnsafeBufferPointer { score($0, accountStats: accountStats) }
    }

    /// Learns a non-alerted event into the account's Z-score statistics.
    public func learn(_ x: UnsafeBufferPointer<Float>, accountStats: inout AccountStats) {
        zScore.update(x, at: zScoreInputIndices, state: &accountStats)
    }

    /// Learns a non-alerted event into account statistics held elsewhere: `count`, and the pair of
    /// moments the Z-score's baseline reads (`2 × width` floats, see `AccountMomentsView`).
    public func learn(_ x: UnsafeBufferPointer<Float>, count: inout UInt32, pair: UnsafeMutableBufferPointer<Float>) {
        zScore.update(x, at: zScoreInputIndices, count: &count, pair: pair)
    }

    /// Learns a non-alerted event into the global robust Z-score statistics (model-wide state).
    public mutating func learnGlobal(_ x: UnsafeBufferPointer<Float>) {
        let indices = zScoreInputIndices
        withUnsafeTemporaryAllocation(of: Float.self, capacity: indices.count) { buf in
            for (k, i) in indices.enumerated() { buf[k] = x[i] }
            zScore.updateGlobal(UnsafeBufferPointer(buf))
        }
    }

    /// Fits the Z-score detector's per-input calibrators (`ZScoreDetector.calibrateInputs`).
    public mutating func calibrateZScoreInputs(_ values: [[Double]]) throws {
        try zScore.calibrateInputs(values)
    }

    /// Refits one detector's calibrator from observed raw scores, e.g. Z-scores of a replay where
    /// accounts had history (the fitted Z-score calibrator only saw history-less, global z-scores).
    public mutating func recalibrate(_ kind: DetectorKind, rawScores: [Double], tailLevel: Double = 0.98) throws {
        let calibrator = try TailCalibrator(scores: rawScores, tailLevel: tailLevel)
        switch kind {
        case .isolationForest: calibrators.isolationForest = calibrator
        case .oneClassSVM: calibrators.oneClassSVM = calibrator
        case .zScore: calibrators.zScore = calibrator
        }
    }

    /// Top reasons across detectors, ranked: each detector's per-feature contributions as shares of
    /// that detector's total, scaled by its contribution to the ensemble score.
    public func reasons(_ x: [Float], accountStats: AccountStats, limit: Int = 5) throws -> [Reason] {
        guard x.count == featureCount else { throw DetectorError.dimensionMismatch(expected: featureCount, actual: x.count) }
        let score = try self.score(x, accountStats: accountStats)
        var out = [Reason]()
        func add(_ values: [Float], names: [String], inputs: [Float], source: DetectorKind, weight: Double) {
            let positive = values.map { max($0, 0) }
            let total = positive.reduce(0, +)
            guard total > 0, weight > 0 else { return }
            for (i, v) in positive.enumerated() where v > 0 {
                out.append(Reason(featureName: names[i], value: inputs[i],
                                  contribution: Float(Double(v / total) * weight), detector: source))
            }
        }
        withDetectorView(x) { xb in
            add(isolationForest.attribution(xb), names: featureNames, inputs: x, source: .isolationForest,
                weight: score.contributions.isolationForest)
            add(oneClassSVM.attribution(xb), names: featureNames, inputs: x, source: .oneClassSVM,
                weight: score.contributions.oneClassSVM)
        }
        let zInputs = zScoreInputIndices.map { x[$0] }
        // Each input's share as the score counts it: its surprise (−ln p) under the calibrated
        // combinations, |z| otherwise.
        let zs: [Float] = zInputs.indices.map { i in
            let z = zScore.clippedZ(i, zInputs[i], state: accountStats)
            return zScore.usesInputSurprise ? Float(zScore.inputSurprise(i, clippedZ: z)) : abs(z)
        }
        add(zs, names: zScore.configuration.inputNames, inputs: zInputs, source: .zScore, weight: score.contributions.zScore)
        return Array(out.sorted { $0.contribution > $1.contribution }.prefix(limit))
    }
}

extension EnsembleCombiner {
    /// Equal-weight Fisher combiner without validation (the arguments are valid constants).
    static var unchecked: EnsembleCombiner {
        EnsembleCombiner(uncheckedMethod: .fisher, weights: [1, 1, 1])
    }

    init(uncheckedMethod: Method, weights: [Double]) {
        self.method = uncheckedMethod
        self.weights = weights
    }
}

/// One tail calibrator per detector.
public struct DetectorCalibrators: Sendable, Codable, Equatable {
    /// Calibrates Isolation Forest scores.
    public var isolationForest: TailCalibrator
    /// Calibrates one-class SVM scores.
    public var oneClassSVM: TailCalibrator
    /// Calibrates Z-score detector scores.
    public var zScore: TailCalibrator
}
