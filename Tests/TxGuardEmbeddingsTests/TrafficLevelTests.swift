import Foundation
import Testing
import TxGuardTestSupport
@testable import TxGuardEmbeddings

@Suite struct TrafficLevelTests {
    static let minute: Int64 = 60_000
    static let day: Int64 = 86_400_000

    /// Feeds one event every `every` ms from `from` (inclusive) to `to` (exclusive); returns the next time.
    @discardableResult
    static func feed(_ level: inout TrafficLevel, from: Int64, to: Int64, every: Int64) -> Int64 {
        var t = from
        while t < to { level.observe(t); t += every }
        return t
    }

    /// Continuous-time value of an exponentially weighted counter of time constant τ after a rate r₁
    /// for d₁ then r₂ for d₂ (per ms), normalised as `TrafficLevel` does: the closed form the discrete
    /// long-run counter approaches when events are dense relative to τ.
    static func rate(tau: Double, r1: Double, d1: Double, r2: Double, d2: Double) -> Double {
        let c = r2 * tau * -expm1(-d2 / tau) + exp(-d2 / tau) * r1 * tau * -expm1(-d1 / tau)
        return c / (tau * -expm1(-(d1 + d2) / tau))
    }

    /// The factors as the plain loop over the buckets gives them (the day's count summed afresh).
    static func loopFactors(_ l: TrafficLevel, now: Int64) -> TrafficLevel.Factors {
        guard let start = l.start else { return .neutral }
        let elapsed = Double(max(now, l.latest) - start)
        let dt = Double(max(0, now - l.latest))
        let longRate = l.long * exp(-dt / TrafficLevel.longMillis) / (TrafficLevel.longMillis * -expm1(-elapsed / TrafficLevel.longMillis))
        guard longRate > 0 else { return .neutral }
        let current = TrafficLevel.bucket(now)
        func factor(_ spanBuckets: Int64) -> Double {
            let span = Double((spanBuckets - 1) * TrafficLevel.bucketMillis + (now - current * TrafficLevel.bucketMillis))
            guard elapsed >= span, span > 0 else { return 1 }
            var recent = 0.0
            let from = max(current - spanBuckets + 1, l.head - Int64(TrafficLevel.bucketCount) + 1)
            if from <= min(current, l.head) { for b in from...min(current, l.head) { recent += l.buckets[TrafficLevel.slot(b)] } }
            return min(max(recent / span / longRate, TrafficLevel.bounds.lowerBound), TrafficLevel.bounds.upperBound)
        }
        return .init(hour: factor(4), day: factor(Int64(TrafficLevel.bucketCount)))
    }

    /// The day's running count equals the buckets' sum after every event (late ones, gaps of hours
    /// and of days included), so the factors equal the loop's to the bit; and it is rebuilt on reading.
    @Test func theDaysRunningCountEqualsTheBucketsSum() throws {
        var level = TrafficLevel()
        var rng = SplitMix64(seed: 20261205)
        var t: Int64 = 1_700_000_000_000
        var checked = 0
        for i in 0..<40_000 {
            switch Int.random(in: 0..<100, using: &rng) {
            case 0: t += Int64.random(in: 1...3, using: &rng) * Self.day          // a gap of days
            case 1...3: t += Int64.random(in: 1...20, using: &rng) * 15 * Self.minute // a gap of hours
            default: t += Int64.random(in: 0...40_000, using: &rng)
            }
            // One event in ten is late, by up to two days.
            let time = i % 10 == 9 ? t - Int64.random(in: 0...(2 * Self.day), using: &rng) : t
            let now = time + Int64.random(in: 0...(2 * 15 * Self.minute), using: &rng)
            #expect(level.factors(now: now) == Self.loopFactors(level, now: now))
            level.observe(time)
            #expect(level.ringTotal == level.buckets.reduce(0, +))
            if level.factors(now: now).day != 1 { checked += 1 }
        }
        #expect(checked > 10_000)  // the day factor was not just the warm-up's neutral 1
        var w = ByteWriter()
        level.write(to: &w)
        var r = ByteReader(w.bytes)
        let read = try TrafficLevel(reading: &r)
        #expect(read == level)
    }

    @Test func steadyTrafficIsFactorOneAndWarmUpIsNeutral() {
        var level = TrafficLevel()
        #expect(level.factor(windowSeconds: 86_400, now: 0) == 1)
        let t = Self.feed(&level, from: 0, to: 40 * Self.minute, every: Self.minute)
        // Younger than the span the short windows are measured over (the current 15-minute bucket
        // and the three before it: 55 minutes at minute 40): neutral.
        #expect(level.factor(windowSeconds: 60, now: t) == 1)
        let later = Self.feed(&level, from: t, to: 10 * Self.day, every: Self.minute)
        // A box count is within one event of the rate: 1/60 for an hour at one event a minute.
        for w in [60, 3600, 86_400] {
            #expect(abs(level.factor(windowSeconds: w, now: later) - 1) < 0.035, "window \(w)")
        }
    }

    @Test func aSurgeRaisesTheFactorAsTheClosedFormSays() {
        var level = TrafficLevel()
        let t = Self.feed(&level, from: 0, to: 14 * Self.day, every: Self.minute)
        // Three times the pace for two days.
        let end = Self.feed(&level, from: t, to: t + 2 * Self.day, every: 20_000)
        let d1 = Double(14 * Self.day), d2 = Double(2 * Self.day)
        for w in [86_400, 3600] {
            // The last hour and the last day both lie inside the surge: the box rate is 3 a minute.
            let short = 3.0 / 60_000
            let long = Self.rate(tau: 7 * 86_400_000, r1: 1.0 / 60_000, d1: d1, r2: 3.0 / 60_000, d2: d2)
            let g = level.factor(windowSeconds: w, now: end)
            #expect(abs(g - short / long) / (short / long) < 0.035, "window \(w): \(g) vs \(short / long)")
            #expect(g > 1.8)
        }
        // Silence: 6 h without events → the last hour is empty, and the factor is held at its lower bound.
        #expect(level.factor(windowSeconds: 60, now: end + 6 * 3_600_000) == 1.0 / 20)
    }

    @Test func lateEventsCountWithoutDecayAndTheStateRoundTrips() throws {
        var level = TrafficLevel()
        Self.feed(&level, from: 0, to: 3 * Self.day, every: Self.minute)
        var late = level
        late.observe(Self.minute)  // an event from long ago: counted at the newest time, in no bucket
        #expect(late.latest == level.latest && late.buckets == level.buckets)
        #expect(abs(late.long - level.long - 1) < 1e-9)
        var recent = level
        recent.observe(level.latest - 20 * Self.minute)  // a late event of the last day: its own bucket
        let before: Double = level.buckets.reduce(0, +), after: Double = recent.buckets.reduce(0, +)
        #expect(after == before + 1)

        var w = ByteWriter()
        level.write(to: &w)
        var r = ByteReader(w.bytes)
        #expect(try TrafficLevel(reading: &r) == level)
        var bad = w.bytes
        bad.replaceSubrange(bad.count - 8..<bad.count, with: withUnsafeBytes(of: (-1.0).bitPattern.littleEndian, Array.init))
        var rb = ByteReader(bad)
        #expect(throws: EmbeddingError.self) { try TrafficLevel(reading: &rb) }
    }

    @Test func theFactorScalesTheBurstSurprisal() {
        // a = 1 + 2, b = 1/1 + 3 = 4, g = 2: P(K ≥ 1) = 1 − (4/6)³.
        let s = BurstSurprisal.surprisal(windowCount: 1, settledEvents: 2, settledExposure: 3, priorMean: 1, alpha: 1, trafficFactor: 2)
        #expect(abs(s - -log(1 - pow(4.0 / 6, 3))) < 1e-12)
        // A busier stream makes the same count less surprising.
        #expect(s < BurstSurprisal.surprisal(windowCount: 1, settledEvents: 2, settledExposure: 3, priorMean: 1, alpha: 1))
    }
}
