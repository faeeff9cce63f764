import Foundation
import Testing
@testable import TxGuardDetectors

@Suite struct ThresholdTests {
    static let cheapSPOT = SPOTThreshold.Configuration(risk: 1e-3, initialLevel: 0.98, maxPeaks: 500, refitEvery: 200)

    /// SPOT's realized exceedance rate over 10⁶ stationary points is within 30% of q.
    @Test(arguments: [TestStream.exponential(rate: 1), .pareto(shape: 0.4, scale: 1), .gaussian(mean: 5, sd: 2)])
    func spotExceedanceRateMatchesRisk(stream: TestStream) throws {
        var spot = try SPOTThreshold(calibration: stream.sample(20_000, seed: 1), configuration: Self.cheapSPOT)
        var rng = SeededGenerator(seed: 2)
        var alerts = 0
        let n = 1_000_000
        for _ in 0..<n where spot.observe(stream.next(&rng)).isAlert { alerts += 1 }
        let rate = Double(alerts) / Double(n)
        #expect(abs(rate - 1e-3) < 0.3e-3, "\(stream): rate \(rate)")
    }

    @Test func spotQuantileFormulaMatchesPaper() {
        let tail = GeneralizedPareto(shape: 0.25, scale: 2)
        let z = SPOTThreshold.quantile(threshold: 10, tail: tail, risk: 1e-4, n: 100_000, peaks: 2_000)
        #expect(abs(z - (10 + 2 / 0.25 * (pow(1e-4 * 100_000 / 2_000, -0.25) - 1))) < 1e-12)
        let z0 = SPOTThreshold.quantile(threshold: 10, tail: GeneralizedPareto(shape: 0, scale: 2), risk: 1e-4, n: 100_000, peaks: 2_000)
        #expect(abs(z0 - (10 - 2 * log(1e-4 * 100_000 / 2_000))) < 1e-12)
    }

    /// Paper mode: an alert leaves SPOT untouched. Default mode: an alert is a censored peak whose
    /// magnitude is never learned (a huge alert and a barely-alerting score leave identical state).
    @Test func alertsDoNotPoisonSPOT() throws {
        var paper = Self.cheapSPOT
        paper.censorAlerts = false
        var spot = try SPOTThreshold(calibration: TestStream.exponential(rate: 1).sample(5_000, seed: 3), configuration: paper)
        let before = spot
        let decision = spot.observe(1e9)
        #expect(decision.isAlert)
        #expect(spot == before)
        let base = try SPOTThreshold(calibration: TestStream.exponential(rate: 1).sample(5_000, seed: 3), configuration: Self.cheapSPOT)
        var huge = base, small = base
        #expect(huge.observe(1e12).isAlert)
        #expect(small.observe(base.extremeThreshold.nextUp).isAlert)
        #expect(huge == small)
        #expect(huge.peakCount == base.peakCount + 1)
        // decide + learn is observe, and decide alone changes nothing.
        var split = base
        let d = split.decide(1e12)
        #expect(split == base)
        split.learn(1e12)
        #expect(d.isAlert && split == huge)
    }

    /// After a 2σ level shift DSPOT's threshold moves with the level and its alert rate returns to q.
    @Test func dspotTracksLevelShift() throws {
        let config = SPOTThreshold.Configuration(risk: 1e-3, initialLevel: 0.98, maxPeaks: 500, refitEvery: 100)
        let calibration = TestStream.gaussian(mean: 0, sd: 1).sample(20_000, seed: 4)
        var dspot = try DSPOTThreshold(calibration: calibration, depth: 50, configuration: config)
        var rng = SeededGenerator(seed: 5)
        let before = dspot.currentThreshold
        var dspotAlerts = 0
        let steady = 100_000
        for i in 0..<(1_000 + steady) {
            let x = TestStream.gaussian(mean: i < 500 ? 0 : 2, sd: 1).next(&rng)
            let d = dspot.observe(x).isAlert
            if i >= 1_000 && d { dspotAlerts += 1 } // after the transition
        }
        let after = dspot.currentThreshold
        #expect(abs((after - before) - 2) < 0.6, "threshold moved \(after - before)")
        #expect(Double(dspotAlerts) / Double(steady) < 3e-3, "DSPOT alert rate \(Double(dspotAlerts) / Double(steady))")
    }

    /// The P² threshold alerts on the target fraction of a stationary stream (within 10%).
    @Test(arguments: [TestStream.exponential(rate: 2), .pareto(shape: 0.5, scale: 1)])
    func quantileThresholdHitsAlertRate(stream: TestStream) throws {
        var threshold = try QuantileThreshold(alertRate: 0.01, calibration: stream.sample(10_000, seed: 6))
        var rng = SeededGenerator(seed: 7)
        var alerts = 0
        let n = 1_000_000
        for _ in 0..<n where threshold.observe(stream.next(&rng)).isAlert { alerts += 1 }
        let rate = Double(alerts) / Double(n)
        #expect(abs(rate - 0.01) < 0.001, "\(stream): rate \(rate)")
    }

    @Test func segmentsKeepSeparateState() throws {
        let proto = try QuantileThreshold(alertRate: 0.05, calibration: TestStream.exponential(rate: 1).sample(1_000, seed: 8))
        var seg = SegmentedThreshold(prototype: proto, maxSegments: 2)
        var rng = SeededGenerator(seed: 9)
        for _ in 0..<20_000 {
            _ = seg.observe(TestStream.exponential(rate: 1).next(&rng), segment: "grocery")
            _ = seg.observe(10 + TestStream.exponential(rate: 1).next(&rng), segment: "travel")
        }
        #expect(seg.threshold(for: "travel") > seg.threshold(for: "grocery") + 8)
        _ = seg.observe(1, segment: "third")
        #expect(seg.segments.count == 3)
        #expect(seg.segments[SegmentedThreshold<QuantileThreshold>.overflowSegment] != nil)
    }
}

@Suite struct GeneralizedParetoTests {
    @Test(arguments: [(0.3, 2.0), (-0.2, 1.0), (0.0, 1.5), (0.8, 0.5)])
    func grimshawRecoversParameters(shape: Double, scale: Double) throws {
        let ys: [Double] = shape == 0
            ? TestStream.exponential(rate: 1 / scale).sample(50_000, seed: 11)
            : TestStream.pareto(shape: shape, scale: scale).sample(50_000, seed: 11)
        let fit = try #require(GeneralizedPareto.fit(excesses: ys))
        #expect(abs(fit.shape - shape) < 0.03, "shape \(fit.shape) vs \(shape)")
        #expect(abs(fit.scale - scale) < 0.04 * scale, "scale \(fit.scale) vs \(scale)")
        // The MLE beats (or ties) the truth in likelihood, as a maximizer must.
        #expect(GeneralizedPareto.logLikelihood(ys, shape: fit.shape, scale: fit.scale)
                >= GeneralizedPareto.logLikelihood(ys, shape: shape, scale: scale) - 1e-6)
    }

    @Test func momentsFallbackIsConsistent() throws {
        let ys = TestStream.pareto(shape: 0.1, scale: 1).sample(100_000, seed: 12)
        let m = try #require(GeneralizedPareto.fitMoments(ys))
        #expect(abs(m.shape - 0.1) < 0.05)
        #expect(abs(m.scale - 1) < 0.05)
        #expect(GeneralizedPareto.fit(excesses: [1]) == nil)
    }

    /// The blocked Σ ln(1 + x·yᵢ) the fits use agrees with the term-by-term sum (rounding only), near
    /// the pole of the left search, far right, with terms outside the blocked range, and refuses
    /// values outside the support.
    @Test func blockedLogSumMatchesTermByTerm() throws {
        var rng = SeededGenerator(seed: 31)
        let ys = (0..<1_003).map { _ in -log(rng.nextOpenUnit()) * 3 } + [0, 1e-12]
        let ymax = try #require(ys.max())
        let xs = [-(1 / ymax) * (1 - 1e-9), -0.5 / ymax, -1e-6, 0, 1e-6, 0.7, 1e6, 1e33, 1e60]
        for x in xs {
            let plain = ys.reduce(0.0) { $0 + log(1 + x * $1) }
            let blocked = try #require(GeneralizedPareto.sumLog1p(x, ys))
            #expect(abs(blocked - plain) <= 1e-12 * max(1, abs(plain)), "x \(x): \(blocked) vs \(plain)")
        }
        #expect(GeneralizedPareto.sumLog1p(-2 / ymax, ys) == nil)
        #expect(GeneralizedPareto.sumLog1p(1, [1, .nan]) == nil)
        #expect(GeneralizedPareto.sumLog1p(1, []) == 0)
    }

    @Test func survivalAndQuantileAreInverse() {
        for g in [GeneralizedPareto(shape: 0.3, scale: 2), GeneralizedPareto(shape: 0, scale: 2), GeneralizedPareto(shape: -0.3, scale: 2)] {
            for s in [0.5, 1e-2, 1e-5] {
                #expect(abs(g.logSurvival(g.quantile(survival: s)) - log(s)) < 1e-9)
            }
        }
    }
}

@Suite struct P2QuantileTests {
    @Test(arguments: [0.5, 0.9, 0.99])
    func matchesExactQuantileOnSkewedData(p: Double) throws {
        var rng = SeededGenerator(seed: 13)
        let xs = (0..<100_000).map { _ in exp(rng.nextGaussian()) } // log-normal
        var est = try P2Quantile(probability: p)
        for x in xs { est.observe(x) }
        let exact = exactQuantile(xs, p)
        let got = try #require(est.estimate)
        #expect(abs(got - exact) / exact < 0.02, "p=\(p): \(got) vs \(exact)")
    }

    @Test func fewObservationsUseOrderStatistics() throws {
        var est = try P2Quantile(probability: 0.5)
        #expect(est.estimate == nil)
        for x in [5.0, 1, 3] { est.observe(x) }
        #expect(est.estimate == 3)
        #expect(throws: DetectorError.self) { try P2Quantile(probability: 1) }
    }
}

@Suite struct CensoredFitTests {
    /// Exponential(σ = 2) excesses censored at 3: the censored MLE recovers σ; the naive fit on the
    /// values below 3 does not.
    @Test func censoredFitRecoversScale() throws {
        let ys = TestStream.exponential(rate: 0.5).sample(50_000, seed: 21)
        let exact = ys.filter { $0 <= 3 }
        let censored = [Double](repeating: 3, count: ys.count - exact.count)
        let fit = try #require(GeneralizedPareto.fit(excesses: exact, censoredAt: censored))
        #expect(abs(fit.shape) < 0.05, "shape \(fit.shape)")
        #expect(abs(fit.scale - 2) < 0.1, "scale \(fit.scale)")
        let naive = try #require(GeneralizedPareto.fit(excesses: exact))
        #expect(naive.shape < -0.3)
    }
}
