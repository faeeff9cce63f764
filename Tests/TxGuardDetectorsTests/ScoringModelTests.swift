import Foundation
import Testing
@testable import TxGuardDetectors

@Suite struct ScoringModelTests {
    static let names = ["amount", "velocity", "hour_sin", "hour_cos", "f4", "f5", "f6", "f7"]

    static func row(_ rng: inout SeededGenerator, anomalous: Bool = false) -> [Float] {
        var x = (0..<8).map { _ in Float(rng.nextGaussian()) }
        x[0] = Float(50 + 10 * rng.nextGaussian())
        if anomalous { x[0] = 400; x[5] = 6 }
        return x
    }

    static let model: ScoringModel = {
        var rng = SeededGenerator(seed: 61)
        let rows = (0..<3_000).map { _ in row(&rng) }
        var config = ScoringModel.Configuration()
        config.oneClassSVM.sampleSize = 600
        return try! ScoringModel.fit(training: FeatureMatrix(rows: rows), featureNames: names,
                                     zScoreInputs: ["amount", "velocity"], seed: 7, configuration: config)
    }()

    @Test func anomaliesOutscoreNormalEvents() throws {
        var rng = SeededGenerator(seed: 62)
        var scores = [Double](), labels = [Bool]()
        let stats = Self.model.newAccountStats()
        for i in 0..<1_000 {
            let anomalous = i % 20 == 0
            let s = try Self.model.score(Self.row(&rng, anomalous: anomalous), accountStats: stats)
            #expect(s.combined.isFinite)
            scores.append(s.combined)
            labels.append(anomalous)
        }
        #expect(try #require(rocAUC(scores: scores, labels: labels)) > 0.99)
    }

    @Test func combinerRulesFollowTheirFormulas() throws {
        let logs = DetectorTriple(isolationForest: log(0.01), oneClassSVM: log(0.5), zScore: log(0.2))
        let fisher = try EnsembleCombiner(method: .fisher, weights: [2, 1, 1]).combine(logTails: logs)
        #expect(abs(fisher.score - (-2 * log(0.01) - log(0.5) - log(0.2))) < 1e-12)
        #expect(abs(fisher.contributions.isolationForest - (-2 * log(0.01))) < 1e-12)
        let maximum = try EnsembleCombiner(method: .maximum).combine(logTails: logs)
        #expect(abs(maximum.score - (-log(0.01))) < 1e-12)
        let mean = try EnsembleCombiner(method: .weightedMean, weights: [1, 1, 2]).combine(logTails: logs)
        #expect(abs(mean.score - (-log((0.01 + 0.5 + 2 * 0.2) / 4))) < 1e-12)
        #expect(throws: DetectorError.self) { try EnsembleCombiner(weights: [1, 1]) }
        #expect(throws: DetectorError.self) { try EnsembleCombiner(weights: [0, 0, 0]) }
    }

    @Test func scoringIsReadOnlyAndLearningMovesAccountBaseline() throws {
        let model = Self.model
        var stats = model.newAccountStats()
        var rng = SeededGenerator(seed: 63)
        for _ in 0..<20 {
            let x = Self.row(&rng)
            x.withUnsafeBufferPointer { model.learn($0, accountStats: &stats) }
        }
        let before = stats
        _ = try model.score(Self.row(&rng, anomalous: true), accountStats: stats)
        #expect(stats == before)
        #expect(stats.count == 20)
        let spike = try model.score(Self.row(&rng, anomalous: true), accountStats: stats)
        #expect(spike.zScore.usedAccountBaseline)
        #expect(model.zScore.configuration.inputNames[spike.zScore.topInput] == "amount")
    }

    /// The same data and seed give the same bytes; encoding survives a round trip bit for bit and
    /// the decoded model scores identically.
    @Test func encodingIsDeterministic() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let a = try encoder.encode(Self.model)
        var rng = SeededGenerator(seed: 61)
        let rows = (0..<3_000).map { _ in Self.row(&rng) }
        var config = ScoringModel.Configuration()
        config.oneClassSVM.sampleSize = 600
        let refit = try Self.fit(rows, config)
        #expect(try encoder.encode(refit) == a)
        let decoded = try JSONDecoder().decode(ScoringModel.self, from: a)
        #expect(decoded == Self.model)
        #expect(try encoder.encode(decoded) == a)
        var q = SeededGenerator(seed: 64)
        for _ in 0..<50 {
            let x = Self.row(&q, anomalous: q.nextUnit() < 0.3)
            let s1 = try Self.model.score(x, accountStats: Self.model.newAccountStats())
            let s2 = try decoded.score(x, accountStats: decoded.newAccountStats())
            #expect(s1 == s2)
        }
        // Thresholds and account state are Codable too.
        let spot = try SPOTThreshold(calibration: TestStream.exponential(rate: 1).sample(2_000, seed: 65))
        #expect(try JSONDecoder().decode(SPOTThreshold.self, from: encoder.encode(spot)) == spot)
        let dspot = try DSPOTThreshold(calibration: TestStream.exponential(rate: 1).sample(2_000, seed: 66))
        #expect(try JSONDecoder().decode(DSPOTThreshold.self, from: encoder.encode(dspot)) == dspot)
        let stats = Self.model.newAccountStats()
        #expect(try JSONDecoder().decode(AccountStats.self, from: encoder.encode(stats)) == stats)
    }

    /// A saved model whose parts disagree on the features is refused at decoding (the model-file
    /// fuzzer's reproducer: a Z-score input index past the feature vector read outside it).
    @Test func modelsWhosePartsDisagreeAreRefused() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let good = try JSONSerialization.jsonObject(with: encoder.encode(Self.model)) as! [String: Any]
        func decode(_ edit: (inout [String: Any]) -> Void) -> String? {
            var o = good
            edit(&o)
            do {
                _ = try JSONDecoder().decode(ScoringModel.self, from: JSONSerialization.data(withJSONObject: o))
                return nil
            } catch { return "\(error)" }
        }
        #expect(decode { _ in } == nil, "the unedited model decodes")
        let outside = try #require(decode { $0["zScoreInputIndices"] = [0, 8] })
        #expect(outside.contains("Z-score input index 8 is outside the 8 features"), "\(outside)")
        #expect(try #require(decode { $0["zScoreInputIndices"] = [-1, 1] }).contains("index -1"))
        #expect(try #require(decode { $0["zScoreInputIndices"] = [0] }).contains("1 Z-score input indices for 2"))
        #expect(try #require(decode { $0["featureNames"] = Self.names + ["extra"] }).contains("the isolation forest has 8 features, the model 9"))
        let narrow = try #require(decode { o in
            var z = o["zScore"] as! [String: Any]
            var g = z["global"] as! [String: Any]
            for k in ["mean", "m2", "ewMean", "ewVariance"] { g[k] = [Float(0)] }
            z["global"] = g
            o["zScore"] = z
        })
        #expect(narrow.contains("Z-score statistics do not match the inputs"), "\(narrow)")
        let ragged = try #require(decode { o in
            var z = o["zScore"] as! [String: Any]
            var g = z["global"] as! [String: Any]
            g["m2"] = [Float(0)]
            z["global"] = g
            o["zScore"] = z
        })
        #expect(ragged.contains("arrays of different lengths"), "\(ragged)")
    }

    /// A model of `rows` under `configuration`, as the round-trip, floor and ceiling tests fit it: Z-score on the
    /// amount and the velocity, seed 7.
    static func fit(_ rows: [[Float]], _ configuration: ScoringModel.Configuration) throws -> ScoringModel {
        try ScoringModel.fit(training: FeatureMatrix(rows: rows), featureNames: names, zScoreInputs: ["amount", "velocity"],
                             seed: 7, configuration: configuration)
    }

    /// A floor hides values below a training quantile from the Isolation Forest and the SVM (fitted,
    /// scored and refitted on floored rows) while the Z-score reads them as they are.
    @Test func detectorFloorsHideSmallValuesFromTheForestAndTheSVMOnly() throws {
        var rng = SeededGenerator(seed: 61)
        let rows = (0..<3_000).map { _ in Self.row(&rng) }
        var config = ScoringModel.Configuration()
        config.oneClassSVM.sampleSize = 600
        config.detectorFloorQuantiles = ["amount": 0.25]
        let floored = try Self.fit(rows, config)
        // The floor: the 750th smallest of 3,000 training amounts (index ⌊0.25·3000⌋).
        let floor = rows.map { $0[0] }.sorted()[750]
        let floors = try #require(floored.detectorFloors)
        #expect(floors[0] == floor)
        #expect(floors.dropFirst().allSatisfy { $0 == -.greatestFiniteMagnitude })
        // The forest and the SVM are those of rows floored by hand; the Z-score is the unfloored model's.
        var plain = config
        plain.detectorFloorQuantiles = [:]
        let byHand = try Self.fit(rows.map { r in [max(r[0], floor)] + r.dropFirst() }, plain)
        #expect(floored.isolationForest == byHand.isolationForest)
        #expect(floored.oneClassSVM == byHand.oneClassSVM)
        #expect(floored.calibrators.isolationForest == byHand.calibrators.isolationForest)
        #expect(floored.zScore == Self.model.zScore)
        #expect(byHand.detectorFloors == nil)
        // Scoring: any amount below the floor reads as the floor to the forest and the SVM, not to the Z-score.
        var x: [Float] = [floor - 30, 0.5, 0, 1, 0, 0, 0, 0]
        let low = try floored.score(x, accountStats: floored.newAccountStats())
        x[0] = floor
        let atFloor = try floored.score(x, accountStats: floored.newAccountStats())
        #expect(low.raw.isolationForest == atFloor.raw.isolationForest)
        #expect(low.raw.oneClassSVM == atFloor.raw.oneClassSVM)
        #expect(try low.raw.oneClassSVM == byHand.oneClassSVM.score(x))
        #expect(low.raw.zScore != atFloor.raw.zScore)
        // Saved and loaded, and kept by an online refit (which floors its rows too).
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try JSONDecoder().decode(ScoringModel.self, from: encoder.encode(floored)) == floored)
        #expect(!String(decoding: try encoder.encode(Self.model), as: UTF8.self).contains("detectorFloors"))
        let recent = try FeatureMatrix(rows: Array(rows.suffix(500)))
        let refit = try floored.refittingForestAndSVM(training: recent, seed: 9)
        let refitByHand = try byHand.refittingForestAndSVM(training: FeatureMatrix(rows: recent.values.chunked(8).map { r in [max(r[0], floor)] + r.dropFirst() }), seed: 9)
        #expect(refit.detectorFloors == floors)
        #expect(refit.isolationForest == refitByHand.isolationForest)
        // A floor list of another width is refused.
        var o = try JSONSerialization.jsonObject(with: encoder.encode(floored)) as! [String: Any]
        o["detectorFloors"] = [Float(0)]
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ScoringModel.self, from: JSONSerialization.data(withJSONObject: o)) }
        #expect(throws: DetectorError.unknownFeature("nope")) {
            var c = config
            c.detectorFloorQuantiles = ["nope": 0.5]
            _ = try ScoringModel.fit(training: FeatureMatrix(rows: rows), featureNames: Self.names, zScoreInputs: ["amount"], seed: 7, configuration: c)
        }
    }

    /// A feature that grows with the stream's age (an account's event count) is capped for the forest
    /// and the SVM at a quantile of its training values, together with the amount's floor.
    @Test func detectorCeilingsCapLargeValuesForTheForestAndTheSVMOnly() throws {
        var rng = SeededGenerator(seed: 62)
        let rows = (0..<3_000).map { _ in Self.row(&rng) }
        var config = ScoringModel.Configuration()
        config.oneClassSVM.sampleSize = 600
        config.detectorFloorQuantiles = ["amount": 0.25]
        config.detectorCeilingQuantiles = ["velocity": 0.5]
        let bounded = try Self.fit(rows, config)
        // The ceiling: the 1,500th smallest of 3,000 training values (index ⌊0.5·3000⌋); the floor as before.
        let floor = rows.map { $0[0] }.sorted()[750]
        let ceiling = rows.map { $0[1] }.sorted()[1_500]
        let ceilings = try #require(bounded.detectorCeilings)
        #expect(ceilings[1] == ceiling)
        #expect(ceilings.enumerated().allSatisfy { $0.offset == 1 || $0.element == .greatestFiniteMagnitude })
        #expect(bounded.detectorFloors?[0] == floor)
        // The forest and the SVM are those of rows clamped by hand; the Z-score is the unclamped model's.
        var plain = config
        plain.detectorFloorQuantiles = [:]
        plain.detectorCeilingQuantiles = [:]
        func byHand(_ r: [Float]) -> [Float] { [max(r[0], floor), min(r[1], ceiling)] + r.dropFirst(2) }
        let handModel = try Self.fit(rows.map(byHand), plain)
        #expect(bounded.isolationForest == handModel.isolationForest)
        #expect(bounded.oneClassSVM == handModel.oneClassSVM)
        #expect(bounded.calibrators.oneClassSVM == handModel.calibrators.oneClassSVM)
        let raw = try Self.fit(rows, plain)
        #expect(bounded.zScore == raw.zScore)
        #expect(handModel.zScore != raw.zScore)
        // Scoring: a value far above the ceiling reads as the ceiling to the forest and the SVM only.
        var x: [Float] = [60, ceiling + 40, 0, 1, 0, 0, 0, 0]
        let high = try bounded.score(x, accountStats: bounded.newAccountStats())
        #expect(try high.raw.oneClassSVM == handModel.oneClassSVM.score(byHand(x)))
        x[1] = ceiling
        let atCeiling = try bounded.score(x, accountStats: bounded.newAccountStats())
        #expect(high.raw.isolationForest == atCeiling.raw.isolationForest)
        #expect(high.raw.oneClassSVM == atCeiling.raw.oneClassSVM)
        #expect(high.raw.zScore != atCeiling.raw.zScore)
        // Without the ceiling the SVM sees the value as it is (so the equalities above can fail).
        let unbounded = try Self.fit(rows, { var c = config; c.detectorCeilingQuantiles = [:]; return c }())
        x[1] = ceiling + 40
        #expect(try unbounded.score(x, accountStats: unbounded.newAccountStats()).raw.oneClassSVM != high.raw.oneClassSVM)
        // Saved and loaded, kept by an online refit; a model with floors only has no ceilings.
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        #expect(try JSONDecoder().decode(ScoringModel.self, from: encoder.encode(bounded)) == bounded)
        #expect(unbounded.detectorCeilings == nil)
        #expect(!String(decoding: try encoder.encode(unbounded), as: UTF8.self).contains("detectorCeilings"))
        let recent = try FeatureMatrix(rows: Array(rows.suffix(500)))
        let refit = try bounded.refittingForestAndSVM(training: recent, seed: 9)
        let refitByHand = try handModel.refittingForestAndSVM(training: FeatureMatrix(rows: rows.suffix(500).map(byHand)), seed: 9)
        #expect(refit.detectorCeilings == ceilings)
        #expect(refit.oneClassSVM == refitByHand.oneClassSVM)
        // A ceiling list of another width, or one that is not finite, is refused.
        var o = try JSONSerialization.jsonObject(with: encoder.encode(bounded)) as! [String: Any]
        o["detectorCeilings"] = [Float(0)]
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(ScoringModel.self, from: JSONSerialization.data(withJSONObject: o)) }
        #expect(throws: DetectorError.self) {
            var c = config
            c.detectorCeilingQuantiles = ["velocity": 1.5]
            _ = try ScoringModel.fit(training: FeatureMatrix(rows: rows), featureNames: Self.names, zScoreInputs: ["amount"], seed: 7, configuration: c)
        }
    }

    @Test func recalibrationReplacesOneCalibrator() throws {
        var model = Self.model
        let x: [Float] = [90, 0, 0, 0, 0, 0, 0, 0]
        let before = try model.score(x, accountStats: model.newAccountStats())
        try model.recalibrate(.zScore, rawScores: TestStream.exponential(rate: 1).sample(2_000, seed: 67))
        let after = try model.score(x, accountStats: model.newAccountStats())
        #expect(after.raw == before.raw)
        #expect(after.logTailProbabilities.isolationForest == before.logTailProbabilities.isolationForest)
        let expected = model.calibrators.zScore.logUpperTail(before.raw.zScore)
        #expect(after.logTailProbabilities.zScore == expected)
        #expect(after.logTailProbabilities.zScore != before.logTailProbabilities.zScore)
    }

    @Test func everythingIsSendable() {
        func requireSendable<T: Sendable>(_: T.Type) {}
        requireSendable(ScoringModel.self)
        requireSendable(SPOTThreshold.self)
        requireSendable(DSPOTThreshold.self)
        requireSendable(QuantileThreshold.self)
        requireSendable(SegmentedThreshold<SPOTThreshold>.self)
        requireSendable(AccountStats.self)
        requireSendable(EnsembleScore.self)
    }

    @Test func fitRejectsBadInput() throws {
        let m = try FeatureMatrix(rowCount: 60, columnCount: 2, values: (0..<120).map { Float($0) })
        #expect(throws: DetectorError.featureNameCount(expected: 2, actual: 1)) {
            try ScoringModel.fit(training: m, featureNames: ["a"], zScoreInputs: ["a"], seed: 1)
        }
        #expect(throws: DetectorError.unknownFeature("z")) {
            try ScoringModel.fit(training: m, featureNames: ["a", "b"], zScoreInputs: ["z"], seed: 1)
        }
        var bad = (0..<120).map { Float($0) }
        bad[7] = .nan
        let nanMatrix = try FeatureMatrix(rowCount: 60, columnCount: 2, values: bad)
        #expect(throws: DetectorError.nonFiniteValue(row: 3, column: 1)) {
            try ScoringModel.fit(training: nanMatrix, featureNames: ["a", "b"], zScoreInputs: ["a"], seed: 1)
        }
        #expect(throws: DetectorError.raggedRow(row: 1, expected: 2, actual: 1)) { try FeatureMatrix(rows: [[1, 2], [3]]) }
    }
}

private extension Array where Element == Float {
    /// Consecutive slices of `n` values, as arrays.
    func chunked(_ n: Int) -> [[Float]] { stride(from: 0, to: count, by: n).map { Array(self[$0..<Swift.min($0 + n, count)]) } }
}
