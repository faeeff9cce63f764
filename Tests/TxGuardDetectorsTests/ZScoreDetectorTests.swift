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
