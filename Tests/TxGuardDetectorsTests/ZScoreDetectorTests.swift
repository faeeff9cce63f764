import Foundation
import Testing
@testable import TxGuardDetectors

@Suite struct ZScoreDetectorTests {
    static func detector(combination: ZScoreDetector.Combination = .rootMeanSquare) throws -> ZScoreDetector {
        var rng = SeededGenerator(seed: 41)
        var values = [Float]()
        for _ in 0..<20_000 {
            values.append(Float(100 + 10 * rng.nextGaussian()))
            values.append(Float(3 + rng.nextGaussian()))
        }
        return try ZScoreDetector(configuration: .init(inputNames: ["amount", "velocity"], combination: combination),
                                  training: FeatureMatrix(rowCount: 20_000, columnCount: 2, values: values))
    }

    /// Calibrated sum with input weights: the score is Σ wᵢ·(−ln pᵢ), each pᵢ the input's own
    /// calibrated tail (checked against the calibrators directly), and an unweighted detector on
    /// the same data gives Σ (−ln pᵢ). Bad weights are refused.
    @Test func inputWeightsScaleEachInputsSurprise() throws {
        var rng = SeededGenerator(seed: 43)
        var values = [Float]()
        for _ in 0..<5_000 { values.append(Float(100 + 10 * rng.nextGaussian())); values.append(Float(3 + rng.nextGaussian())) }
        let training = try FeatureMatrix(rowCount: 5_000, columnCount: 2, values: values)
        let zs = (0..<2).map { i in (0..<5_000).map { r in Double(values[2 * r + i] - (i == 0 ? 100 : 3)) / (i == 0 ? 10 : 1) } }
        func fitted(_ w: [Float]?) throws -> ZScoreDetector {
            var d = try ZScoreDetector(configuration: .init(inputNames: ["amount", "velocity"], combination: .calibratedSum, inputWeights: w),
                                       training: training)
            try d.calibrateInputs(zs)
            return d
        }
        let plain = try fitted(nil), weighted = try fitted([2, 1])
        let state = plain.newAccountStats()
        let x: [Float] = [135, 4.5]
        let p = try plain.score(x, state: state), w = try weighted.score(x, state: state)
        let z0 = plain.clippedZ(0, x[0], state: state), z1 = plain.clippedZ(1, x[1], state: state)
        let s0 = -plain.inputCalibrators![0].logUpperTail(Double(z0)), s1 = -plain.inputCalibrators![1].logUpperTail(Double(z1))
        #expect(s0 > 5 && s1 > 1)
        #expect(abs(p.score - (s0 + s1)) < 1e-9)
        #expect(abs(w.score - (2 * s0 + s1)) < 1e-9)
        #expect(w.topInput == 0)
        #expect(throws: DetectorError.self) {
            try ZScoreDetector(configuration: .init(inputNames: ["amount", "velocity"], inputWeights: [1]), training: training)
        }
        #expect(throws: DetectorError.self) {
            try ZScoreDetector(configuration: .init(inputNames: ["amount", "velocity"], inputWeights: [1, -1]), training: training)
        }
    }

    @Test func globalRobustStatisticsMatchDistribution() throws {
        let z = try Self.detector()
        #expect(abs(z.median(0) - 100) < 0.5)
        #expect(abs(z.robustScale(0) - 10) < 0.5)
        #expect(abs(z.robustScale(1) - 1) < 0.05)
    }

    @Test func welfordMatchesTwoPassAndEWMomentsBehave() throws {
        let z = try Self.detector()
        var state = z.newAccountStats()
        var rng = SeededGenerator(seed: 42)
        var xs = [Double]()
        for _ in 0..<1_000 {
            let x = [Float(50 + 5 * rng.nextGaussian()), Float(2)]
            xs.append(Double(x[0]))
            x.withUnsafeBufferPointer { z.update($0, state: &state) }
        }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(xs.count - 1)
        #expect(abs(Double(state.mean[0]) - mean) < 1e-3)
        #expect(abs(Double(state.variance(0)) - variance) < 1e-2 * variance)
        #expect(state.ewVariance[1] == 0)  // constant input
        #expect(state.count == 1_000)
        // Alternating ±1: exponentially weighted mean ≈ 0, variance ≈ 1.
        var alt = z.newAccountStats()
        for i in 0..<2_000 {
            let x: [Float] = [i.isMultiple(of: 2) ? 1 : -1, 0]
            x.withUnsafeBufferPointer { z.update($0, state: &alt) }
        }
        #expect(abs(alt.ewMean[0]) < 0.06)
        #expect(abs(alt.ewVariance[0] - 1) < 0.06)
    }

    /// An amount spike for an account with a steady history is scored high and explained by amount.
    @Test func amountSpikeIsExplainedByAmount() throws {
        let z = try Self.detector()
        var state = z.newAccountStats()
        var rng = SeededGenerator(seed: 43)
        for _ in 0..<30 {
            let x = [Float(40 + 3 * rng.nextGaussian()), Float(3 + rng.nextGaussian())]
            x.withUnsafeBufferPointer { z.update($0, state: &state) }
        }
        let normal = try z.score([41, 3], state: state)
        let spike = try z.score([400, 3], state: state)
        #expect(spike.usedAccountBaseline)
        #expect(spike.topInput == 0)
        #expect(spike.score > 5 * normal.score)
        #expect(z.reasons([400, 3], state: state).first?.featureName == "amount")
        // Without history the global baseline (median 100, scale 10) speaks instead: 400 is 30σ → clipped.
        let fresh = try z.score([400, 3], state: z.newAccountStats())
        #expect(!fresh.usedAccountBaseline)
        #expect(abs(fresh.topZ - 20) < 1e-6)
    }

    /// A mostly-zero input has MAD 0: the global standard deviation takes over, so ordinary
    /// non-zero values are not scored as infinitely deviant.
    @Test func zeroMADFallsBackToStandardDeviation() throws {
        var values = [Float]()
        for i in 0..<10_000 { values.append(i % 10 == 0 ? 1 : 0) }
        let z = try ZScoreDetector(configuration: .init(inputNames: ["new_merchant"]),
                                   training: FeatureMatrix(rowCount: 10_000, columnCount: 1, values: values))
        #expect(abs(z.robustScale(0) - 0.3) < 0.01)  // std of Bernoulli(0.1)
        #expect(abs(try z.score([1], state: z.newAccountStats()).score - 1 / 0.3) < 0.05)
    }

    @Test func combinationRules() throws {
        let rms = try Self.detector(combination: .rootMeanSquare)
        let mx = try Self.detector(combination: .maximum)
        let x: [Float] = [130, 5]
        let z0 = rms.zScore(0, 130, state: rms.newAccountStats()), z1 = rms.zScore(1, 5, state: rms.newAccountStats())
        let rmsScore = try rms.score(x, state: rms.newAccountStats()).score
        let maxScore = try mx.score(x, state: mx.newAccountStats()).score
        #expect(abs(rmsScore - Double(((z0 * z0 + z1 * z1) / 2).squareRoot())) < 1e-5)
        #expect(abs(maxScore - Double(max(abs(z0), abs(z1)))) < 1e-5)
        #expect(throws: DetectorError.self) { try rms.score([1], state: rms.newAccountStats()) }
    }
}
