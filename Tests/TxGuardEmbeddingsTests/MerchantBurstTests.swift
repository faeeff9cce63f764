import Foundation
import Testing
import TxGuardTestSupport
@testable import TxGuardEmbeddings

/// The merchant burst feature `merchant_accounts_surprisal` and its `MerchantStore`, against
/// hand-computed values.
@Suite struct MerchantBurstTests {
    static let day: Int64 = 86_400_000
    static let t0: Int64 = 1_000_000_000_000

    @Test func negativeBinomialTailMatchesHandComputedValues() {
        // New merchant, α = 1, μ = 1: a = 1, b = 1, q = ½ — geometric, P(K ≥ k) = 2^−k.
        for k in [1, 2, 3, 10, 40] {
            let s = BurstSurprisal.surprisal(windowCount: k, settledEvents: 0, settledExposure: 0, priorMean: 1, alpha: 1)
            #expect(abs(s - Double(k) * log(2)) < 1e-12, "k = \(k): \(s)")
        }
        // α = 1, μ = 2 (β = ½), n = 3 events over e = 1.5 windows: a = 4, b = 2, q = ⅔.
        // P(K ≥ 2) = 1 − q⁴ − 4q⁴(1 − q) = 131/243 (the lower-sum branch, k ≤ mean + 1 = 3).
        let s2 = BurstSurprisal.surprisal(windowCount: 2, settledEvents: 3, settledExposure: 1.5, priorMean: 2, alpha: 1)
        #expect(abs(s2 - log(243.0 / 131)) < 1e-12)
        // P(K ≥ 6) = 1 − Σ_{j<6} C(j+3, j) q⁴ (1 − q)^j = 835/19683 (the upper-sum branch).
        let s6 = BurstSurprisal.surprisal(windowCount: 6, settledEvents: 3, settledExposure: 1.5, priorMean: 2, alpha: 1)
        #expect(abs(s6 - log(19683.0 / 835)) < 1e-12)
        // No accounts: no surprise; one account at a merchant with a long busy history (≈ 10 a window) is unsurprising.
        #expect(BurstSurprisal.surprisal(windowCount: 0, settledEvents: 0, settledExposure: 0, priorMean: 1, alpha: 1) == 0)
        let busy = BurstSurprisal.surprisal(windowCount: 1, settledEvents: 1000, settledExposure: 100, priorMean: 1, alpha: 1)
        #expect(busy >= 0 && busy < 1e-3)
        // Monotone in k, and a large k far in the tail stays finite.
        let far = BurstSurprisal.surprisal(windowCount: 250, settledEvents: 0, settledExposure: 30, priorMean: 0.5, alpha: 1)
        #expect(far.isFinite && far > 500)
        #expect(s6 > s2)
    }

    @Test func priorIsThePooledRateOfMerchantsThatAppearedLater() {
        // Stream from 0 to 3 d. "A" (first at 0) is in the first window: left out. "b" first at 1 d
        // (2 events, exposed 2 windows), "C" first at 3 d (1 event, at least 1 window): μ = 3/3.
        let events: [(String?, Int64)] = [("A", 0), ("b", Self.day), ("a", Self.day), (nil, Self.day), ("", 2 * Self.day),
                                          ("B", 2 * Self.day), ("C", 3 * Self.day)]
        let p = EventRatePrior.fit(events, windowSeconds: 86_400)
        #expect(p.events == 3 && p.keys == 2)
        #expect(abs(p.exposureWindows - 3) < 1e-12)
        #expect(abs(p.meanRate - 1) < 1e-12)
        // All merchants in the first window: all of them are used ("A" 2 events over 1 window (minimum), "b" 1).
        let early = EventRatePrior.fit([("A", 0), ("b", Self.day / 2), ("a", Self.day / 2)], windowSeconds: 86_400)
        #expect(early.events == 3 && early.keys == 2 && abs(early.exposureWindows - 2) < 1e-12)
        #expect(EventRatePrior(events: 0, keys: 0, exposureWindows: 0).meanRate == 1)
    }

    @Test func storeCountsDistinctAccountsInTheWindowAndSettledHistory() {
        var m = MerchantStore(capacity: 4, recentCapacity: 4)
        let w: Int64 = 10_000
        var o = m.observe(7, account: 1, now: 0, windowMillis: w)
        #expect(o == .init(isNew: true, windowAccounts: 1, settledEvents: 0, settledExposure: 0))
        o = m.observe(7, account: 2, now: 5000, windowMillis: w)
        #expect(o == .init(isNew: false, windowAccounts: 2, settledEvents: 0, settledExposure: 0))
        o = m.observe(7, account: 1, now: 6000, windowMillis: w)
        #expect(o == .init(isNew: false, windowAccounts: 2, settledEvents: 0, settledExposure: 0), "account 1 again is not distinct")
        // 25 s: the window (15 s, 25 s] is empty; 3 settled events over (15 − 0)/10 = 1.5 windows.
        o = m.observe(7, account: 3, now: 25_000, windowMillis: w)
        #expect(o == .init(isNew: false, windowAccounts: 1, settledEvents: 3, settledExposure: 1.5))
        // 25 s's event is exactly one window old at 35 s, so outside the window (25 s, 35 s].
        o = m.observe(7, account: 4, now: 35_000, windowMillis: w)
        #expect(o == .init(isNew: false, windowAccounts: 1, settledEvents: 4, settledExposure: 2.5))
        #expect(m.state(forKey: 7)?.events == 5)
        #expect(m.state(forKey: 7)?.firstSeenMillis == 0)
    }

    /// The distinct accounts of a merchant's window against a plain model (a list of every event
    /// with a set of the in-window accounts), over seeded streams with few and many accounts,
    /// late events, ring sizes of 1 to 255 and windows shorter and longer than the ring's span.
    @Test func distinctAccountsInTheWindowEqualAPlainCount() {
        var rng = SplitMix64(seed: 14)
        var checked = 0
        for ring in [1, 2, 7, 32, 255] {
            for accounts in [3, 40, 5_000] {
                var m = MerchantStore(capacity: 3, recentCapacity: ring)
                var history: [UInt64: [(time: Int64, account: UInt32)]] = [:]
                var now = Self.t0
                for _ in 0..<1_500 {
                    let key = UInt64(Int.random(in: 1...3, using: &rng))
                    now += Int64.random(in: -2_000...60_000, using: &rng)  // sometimes late
                    let account = UInt32.random(in: 0..<UInt32(accounts), using: &rng)
                    let window = Int64([60_000, 600_000, 86_400_000].randomElement(using: &rng)!)
                    let o = m.observe(key, account: account, now: now, windowMillis: window)
                    // The ring keeps the merchant's last `ring` events; the window counts those with
                    // now − window < time ≤ now, plus this event's account.
                    let kept = (history[key] ?? []).suffix(ring)
                    var distinct = Set(kept.filter { $0.time > now - window && $0.time <= now }.map(\.account))
                    distinct.insert(max(1, account))
                    #expect(o.windowAccounts == distinct.count, "ring \(ring), accounts \(accounts): \(o.windowAccounts) vs \(distinct.count)")
                    history[key, default: []].append((now, max(1, account)))
                    checked += 1
                }
            }
        }
        #expect(checked == 22_500)
        #expect(MerchantStore.distinctTableSize(recentCapacity: 32) == 128 && MerchantStore.distinctTableSize(recentCapacity: 255) == 512)
    }

    /// `observe` never writes an account tag of 0 (its distinct count uses 0 as "empty"), so a
    /// snapshot whose ring holds one is corrupt and refused.
    @Test func aRestoredRingWithAZeroAccountTagIsRefused() throws {
        var m = MerchantStore(capacity: 2, recentCapacity: 4)
        _ = m.observe(9, account: 5, now: Self.t0, windowMillis: 60_000)
        let bytes = m.serialized()
        #expect(try MerchantStore(serialized: bytes) == m)
        // magic, version, capacity (u64), ring (u32), evictions (u64), count (u64); then the
        // merchant: key (u64), first and last seen (i64), events (u32), ring count (u8), then
        // (time i64, account u32) per recent event.
        let account = 4 + 4 + 8 + 4 + 8 + 8 + 8 + 8 + 8 + 4 + 1 + 8
        #expect(Array(bytes[account..<(account + 4)]) == [5, 0, 0, 0])
        var zero = bytes
        for k in 0..<4 { zero[account + k] = 0 }
        #expect(throws: EmbeddingError.self) { try MerchantStore(serialized: zero) }
    }

    @Test func ringSaturatesAndLeastRecentMerchantIsEvicted() {
        var m = MerchantStore(capacity: 2, recentCapacity: 2)
        for (i, a) in [UInt32(1), 2, 3].enumerated() { _ = m.observe(1, account: a, now: Int64(i), windowMillis: 1000) }
        // Only the last 2 events are remembered: 2 distinct + this one; the forgotten one counts as settled.
        let o = m.observe(1, account: 9, now: 3, windowMillis: 1000)
        #expect(o.windowAccounts == 3 && o.settledEvents == 1)
        _ = m.observe(2, account: 1, now: 4, windowMillis: 1000)
        _ = m.observe(1, account: 1, now: 5, windowMillis: 1000)   // 1 is now the most recent
        _ = m.observe(3, account: 1, now: 6, windowMillis: 1000)   // evicts 2
        #expect(m.count == 2 && m.evictions == 1)
        #expect(m.state(forKey: 2) == nil && m.state(forKey: 1) != nil)
        #expect(m.observe(2, account: 1, now: 7, windowMillis: 1000).isNew, "an evicted merchant starts over")
    }

    static func spec() -> FeatureSpec {
        var spec = FeatureSpec()
        spec.surprisalPrior = nil
        spec.merchantRatePrior = EventRatePrior(events: 2, keys: 1, exposureWindows: 1)  // μ = 2 per window
        spec.merchantWindowSeconds = 3600
        spec.merchantCapacity = 3
        spec.merchantRecentCapacity = 4
        return spec
    }

    static func event(_ seconds: Int64, merchant: String?, account: String) -> FeatureInput {
        FeatureInput(accountID: account, timestampMillis: t0 + seconds * 1000, amount: 10, currency: "EUR", merchantName: merchant)
    }

    @Test func featurizerEmitsTheBurstSurprisal() throws {
        let fz = try TabularFeaturizer(spec: Self.spec())
        #expect(fz.featureNames.last == "merchant_accounts_surprisal")
        #expect(fz.layout.merchantCapacity == 3 && fz.layout.merchantRecentCapacity == 4)
        var store = fz.makeStore(capacity: 10)
        func burst(_ e: FeatureInput) throws -> Double { Double(try fz.features(for: e, store: &store).last!) }
        // New merchant, μ = 2, α = 1: a = 1, b = ½, q = ⅓ — P(K ≥ k) = (⅔)^k.
        #expect(abs(try burst(Self.event(0, merchant: "Shop", account: "a")) - -log(2.0 / 3)) < 1e-6)
        #expect(abs(try burst(Self.event(60, merchant: "SHOP", account: "b")) - -2 * log(2.0 / 3)) < 1e-6, "case-insensitive")
        #expect(abs(try burst(Self.event(120, merchant: "shop", account: "a")) - -2 * log(2.0 / 3)) < 1e-6, "a repeat account")
        #expect(abs(try burst(Self.event(180, merchant: "shop", account: "c")) - -3 * log(2.0 / 3)) < 1e-6)
        #expect(try burst(Self.event(240, merchant: nil, account: "c")) == 0)
        // At 2 h: 4 settled events over (2 h − 1 h − 0)/1 h = 1 window → a = 5, b = 1.5; with the
        // stream's traffic factor g (quiet since the first minutes, so g < 1; `TrafficLevelTests`),
        // q = b/(b + g) and one account: P(K ≥ 1) = 1 − q⁵.
        let g = store.traffic.factor(windowSeconds: 3600, now: Self.t0 + 7_200_000)
        #expect(g < 1)
        let later = try burst(Self.event(7200, merchant: "shop", account: "d"))
        #expect(abs(later - -log(1 - pow(1.5 / (1.5 + g), 5))) < 1e-5, "\(later)")
    }

    @Test func merchantStoreSurvivesTheAccountStoreSnapshot() throws {
        let fz = try TabularFeaturizer(spec: Self.spec())
        var store = fz.makeStore(capacity: 10)
        var rng = SystemRandomNumberGenerator()
        for i in 0..<200 {
            _ = try fz.features(for: Self.event(Int64(i) * 97, merchant: "m\(Int.random(in: 0..<5, using: &rng))",
                                                account: "a\(Int.random(in: 0..<8, using: &rng))"), store: &store)
        }
        #expect(store.merchants.count == 3 && store.merchants.evictions > 0)
        let bytes = store.serialized()
        var restored = try AccountStore(serialized: bytes)
        #expect(restored.serialized() == bytes)
        #expect(restored.merchants == store.merchants)
        #expect(restored.layout == fz.layout)
        for i in 0..<50 {
            let e = Self.event(200 * 97 + Int64(i) * 300, merchant: "m\(i % 6)", account: "a\(i % 9)")
            #expect(try fz.features(for: e, store: &store) == fz.features(for: e, store: &restored))
        }
        #expect(restored.merchants == store.merchants)
        // A corrupted merchant section is refused.
        var bad = bytes
        bad[bad.count - 1] ^= 0xFF
        bad.append(0)
        #expect(throws: EmbeddingError.self) { try AccountStore(serialized: bad) }
    }

    /// Eviction counts above Int.max in a snapshot (account or merchant store) are refused, not
    /// converted: the conversion trapped (`Not enough bits`), found by the snapshot fuzzer
    /// (fuzz/corpus/snapshot/crash-eviction-count-above-int-max.snap).
    @Test func evictionCountsAboveIntMaxAreRefused() throws {
        let fz = try TabularFeaturizer(spec: Self.spec())
        var store = fz.makeStore(capacity: 10)
        for i in 0..<50 { _ = try fz.features(for: Self.event(Int64(i) * 97, merchant: "m\(i % 4)", account: "a\(i % 12)"), store: &store) }
        let bytes = store.serialized()
        _ = try AccountStore(serialized: bytes)
        // Account store: magic, version, six u32 layout fields, capacity, ttl, then evictions.
        var badAccounts = bytes
        for k in 0..<8 { badAccounts[48 + k] = 0xFF }
        #expect(throws: EmbeddingError.self) { try AccountStore(serialized: badAccounts) }
        // Merchant store ("TXGM"): magic, version, capacity (u64), ring (u32), then evictions.
        let m = try #require((0..<(bytes.count - 4)).last { Array(bytes[$0..<($0 + 4)]) == Array("TXGM".utf8) })
        var badMerchants = bytes
        for k in 0..<8 { badMerchants[m + 20 + k] = 0xFF }
        #expect(throws: EmbeddingError.self) { try AccountStore(serialized: badMerchants) }
        badMerchants[m + 27] = 0x7F  // Int.max: representable, so accepted
        _ = try AccountStore(serialized: badMerchants)
    }

    /// `acct_burst_<w>s` on a scripted account, against the closed forms of the negative binomial
    /// tail: P(K ≥ 1) = 1 − qᵃ, with a = α + settled events, b = α/μ_w + exposure, q = b/(b + g), g the
    /// stream's traffic factor before the event (1 while the stream is young; `TrafficLevelTests`).
    @Test func accountBurstMatchesTheClosedForm() throws {
        var spec = FeatureSpec()
        spec.surprisalPrior = nil
        spec.windowSeconds = [60, 86_400]
        spec.accountRatePrior = EventRatePrior(events: 2, keys: 1, exposureWindows: 1)  // μ = 2 per day
        let fz = try TabularFeaturizer(spec: spec)
        #expect(fz.featureNames.contains("acct_burst_60s") && !fz.featureNames.contains("acct_count_60s"))
        var store = fz.makeStore(capacity: 10)
        func run(_ seconds: Int64) throws -> (Double, Double) {
            let f = try fz.features(for: Self.event(seconds, merchant: "m", account: "acct"), store: &store)
            return (Double(f[fz.featureNames.firstIndex(of: "acct_burst_60s")!]),
                    Double(f[fz.featureNames.firstIndex(of: "acct_burst_86400s")!]))
        }
        func tail(a: Double, b: Double, g: Double = 1) -> Double { -log(1 - pow(b / (b + g), a)) }
        let day = 86_400.0
        // First event: nothing earlier in any window.
        #expect(try run(0) == (0, 0))
        // 30 s later: one earlier event in both windows, no settled history (the account is younger
        // than either window): a = 1; μ₆₀ = 2·60/86400 → b = 720; μ_day = 2 → b = ½.
        let (m1, d1) = try run(30)
        #expect(abs(m1 - tail(a: 1, b: 720)) < 1e-4 && abs(m1 - log(721)) < 1e-4, "\(m1)")
        #expect(abs(d1 - log(1.5)) < 1e-5, "\(d1)")
        // Two days on: nothing in either window.
        #expect(try run(2 * 86_400) == (0, 0))
        // 10 s later: one earlier event in each window; two settled events; exposure from the first
        // event to the window's start: (2 days + 10 s − 60 s)/60 s and (1 day + 10 s)/1 day.
        let now = Self.t0 + (2 * 86_400 + 10) * 1000
        let g60 = store.traffic.factor(windowSeconds: 60, now: now), gDay = store.traffic.factor(windowSeconds: 86_400, now: now)
        let (m2, d2) = try run(2 * 86_400 + 10)
        let e60 = (2 * day + 10 - 60) / 60, eDay = (day + 10) / day
        #expect(abs(m2 - tail(a: 3, b: 720 + e60, g: g60)) < 1e-4, "\(m2)")
        #expect(abs(d2 - tail(a: 3, b: 0.5 + eDay, g: gDay)) < 1e-5, "\(d2)")
        // The same two events 10 s apart on a busy account (an event every 10 minutes for two days)
        // are less surprising than on this quiet one.
        var busy = 0.0
        var busyStore = fz.makeStore(capacity: 10)
        for i in 0...288 {
            let f = try fz.features(for: Self.event(Int64(i) * 600 + (i == 288 ? -590 : 0), merchant: "m", account: "busy"), store: &busyStore)
            busy = Double(f[fz.featureNames.firstIndex(of: "acct_burst_60s")!])
        }
        #expect(busy > 0 && busy < m2, "busy \(busy) vs quiet \(m2)")
        // The first event time survives a snapshot.
        let restored = try AccountStore(serialized: store.serialized())
        #expect(restored.state(forAccount: "acct")?.firstTimestampMillis == Self.t0)
    }
}
