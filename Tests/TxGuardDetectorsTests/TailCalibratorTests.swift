import Foundation
import Testing
@testable import TxGuardDetectors

@Suite struct TailCalibratorTests {
    /// Exponential(1) training scores: P(S ≥ s) = e^−s in the body and, extrapolated by the GPD, just
    /// beyond the largest training score.
    @Test func matchesClosedFormOnExponentialScores() throws {
        let cal = try TailCalibrator(scores: TestStream.exponential(rate: 1).sample(20_000, seed: 31))
        for p in [0.9, 0.5, 0.1, 0.03] {
            #expect(abs(cal.upperTail(-log(p)) - p) < 0.01, "p = \(p): \(cal.upperTail(-log(p)))")
        }
        for p in [1e-3, 1e-4] {
            let got = cal.upperTail(-log(p))
            #expect(got > p / 2.5 && got < p * 2.5, "p = \(p): \(got)")
        }
    }

    @Test(arguments: [TestStream.exponential(rate: 1), .pareto(shape: 0.5, scale: 1), .gaussian(mean: 0, sd: 1)])
    func monotoneAndFiniteIncludingUnseenExtremes(stream: TestStream) throws {
        let scores = stream.sample(5_000, seed: 32)
        let cal = try TailCalibrator(scores: scores)
        let top = scores.max() ?? 0
        var grid = stride(from: -10.0, through: top * 1.5 + 10, by: 0.01).map { $0 }
        grid += [top * 10, top * 1e3, 1e6, 1e12]
        var previous = 1.0
        for s in grid {
            let l = cal.logUpperTail(s)
            #expect(l.isFinite && l <= 0)
            #expect(l <= previous, "not monotone at \(s)")
            if s > cal.knots.last! { #expect(l < previous, "not strictly decreasing at \(s)") }
            previous = l
        }
    }

    /// Scores 1 − √U have a bounded tail (P(S > s) = (1 − s)², γ = −½); beyond the endpoint 1 the
    /// exponential continuation still orders every score strictly.
    @Test func boundedTailStaysStrictlyOrdered() throws {
        var rng = SeededGenerator(seed: 33)
        let cal = try TailCalibrator(scores: (0..<20_000).map { _ in 1 - rng.nextUnit().squareRoot() })
        #expect(abs(cal.tail.shape + 0.5) < 0.2, "shape \(cal.tail.shape)")
        let values = [0.99, 1.0, 1.01, 1.5, 2, 10, 1e6].map { cal.logUpperTail($0) }
        for (a, b) in zip(values, values.dropFirst()) { #expect(b < a) }
        #expect(values.allSatisfy { $0.isFinite })
    }

    @Test func rejectsTooFewScores() {
        #expect(throws: DetectorError.self) { try TailCalibrator(scores: [1, 2, 3]) }
    }
}
