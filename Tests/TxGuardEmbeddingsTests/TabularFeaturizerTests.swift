import Foundation
import Testing
@testable import TxGuardEmbeddings
import TxGuardTestSupport

@Suite struct TabularFeaturizerTests {
    /// 1970-01-05T00:00:00Z, a Monday.
    static let monday: Int64 = 4 * 86_400_000

    static func spec() -> FeatureSpec {
        var spec = FeatureSpec()
        spec.recentEventCapacity = 4
        spec.knownValueCapacity = 2
        spec.ewmaAlpha = 0.5
        spec.amountStdFloor = 0.1
        return spec
    }

    static func event(_ t: Int64, _ amount: Double, merchant: String? = nil, country: String? = nil,
                      device: String? = nil, account: String = "A") -> FeatureInput {
        FeatureInput(accountID: account, timestampMillis: monday + t, amount: amount, currency: "EUR",
                     merchantName: merchant, country: country, deviceID: device)
    }

    struct Named {
        let names: [String]
        let values: [Float]
        subscript(_ name: String) -> Double {
            guard let i = names.firstIndex(of: name) else { return .nan }
            return Double(values[i])
        }
    }

    @Test func scriptedHistoryMatchesHandComputedValues() throws {
        let fz = try TabularFeaturizer(spec: Self.spec())
        var store = fz.makeStore(capacity: 10)
        func run(_ e: FeatureInput) throws -> Named { Named(names: fz.featureNames, values: try fz.features(for: e, store: &store)) }
        func close(_ a: Double, _ b: Double, _ what: String) { #expect(abs(a - b) < 1e-4, "\(what): \(a) vs \(b)") }
        let x1 = log1p(100.0), x3 = log1p(1000.0), x4 = log1p(10.0), x5 = log1p(5.0)

        // e1: first event of the account.
        let f1 = try run(Self.event(0, 100, merchant: "M1", country: "US"))
        close(f1["amount_log1p"], x1, "amount")
        close(f1["acct_first_seen"], 1, "first"); close(f1["acct_history_log1p"], 0, "history")
        close(f1["acct_since_last_log1p_s"], 0, "since"); close(f1["acct_count_86400s"], 0, "24h")
        close(f1["acct_amount_z"], 0, "z"); close(f1["acct_new_merchant"], 1, "new merchant")
        close(f1["acct_new_country"], 1, "new country"); close(f1["acct_new_device"], 0, "absent device")
        close(f1["hour_sin"], 0, "hour sin"); close(f1["hour_cos"], 1, "hour cos")
        close(f1["dow_sin"], 0, "dow sin"); close(f1["dow_cos"], 1, "dow cos")

        // e2: exactly 60 s later — the 60 s window excludes an event exactly 60 s old.
        let f2 = try run(Self.event(60_000, 100, merchant: "m1", country: "us"))
        close(f2["acct_first_seen"], 0, "first"); close(f2["acct_history_log1p"], log1p(1), "history")
        close(f2["acct_since_last_log1p_s"], log1p(60), "since")
        close(f2["acct_count_60s"], 0, "60s edge"); close(f2["acct_count_3600s"], 1, "1h")
        close(f2["acct_sum_log1p_3600s"], log1p(100), "1h sum")
        close(f2["acct_amount_z"], 0, "z"); close(f2["acct_new_merchant"], 0, "case-insensitive merchant")
        close(f2["acct_new_country"], 0, "known country")

        // e3: 59.999 s after e2 — inside the 60 s window.
        let f3 = try run(Self.event(119_999, 1000, merchant: "M2", country: "FR"))
        close(f3["acct_count_60s"], 1, "60s inside"); close(f3["acct_sum_log1p_60s"], log1p(100), "60s sum")
        close(f3["acct_count_3600s"], 2, "1h"); close(f3["acct_sum_log1p_3600s"], log1p(200), "1h sum")
        close(f3["acct_amount_z"], (x3 - x1) / 0.1, "z against zero variance uses the floor")
        close(f3["acct_new_merchant"], 1, "M2 new"); close(f3["acct_new_country"], 1, "FR new")
        let m3 = x1 + 0.5 * (x3 - x1), v3 = 0.5 * (0 + 0.5 * (x3 - x1) * (x3 - x1))
        let s3 = try #require(store.state(forAccount: "A"))
        close(s3.amountMean, m3, "EW mean"); close(s3.amountVariance, v3, "EW variance")

        // e4: exactly 1 h after e1 — e1 leaves the 1 h window; M1 still known (sets hold 2); DE new.
        let f4 = try run(Self.event(3_600_000, 10, merchant: "M1", country: "DE"))
        close(f4["acct_count_60s"], 0, "60s"); close(f4["acct_count_3600s"], 2, "1h edge")
        close(f4["acct_sum_log1p_3600s"], log1p(1100), "1h sum"); close(f4["acct_count_86400s"], 3, "24h")
        close(f4["acct_sum_log1p_86400s"], log1p(1200), "24h sum")
        close(f4["acct_amount_z"], (x4 - m3) / (v3 + 0.01).squareRoot(), "z")
        close(f4["acct_new_merchant"], 0, "M1 known"); close(f4["acct_new_country"], 1, "DE new")
        let m4 = m3 + 0.5 * (x4 - m3), v4 = 0.5 * (v3 + 0.5 * (x4 - m3) * (x4 - m3))

        // e5: US was pushed out of the 2-entry country set by FR and DE: new again.
        let f5 = try run(Self.event(3_700_000, 5, merchant: "M3", country: "US", device: "D1"))
        close(f5["acct_new_country"], 1, "US forgotten"); close(f5["acct_new_merchant"], 1, "M3 new")
        close(f5["acct_new_device"], 1, "D1 new"); close(f5["acct_count_86400s"], 4, "24h")
        close(f5["acct_amount_z"], (x5 - m4) / (v4 + 0.01).squareRoot(), "z")

        // e6: five earlier events in 24 h, but the ring holds 4: the count saturates (documented).
        let f6 = try run(Self.event(3_800_000, 5, merchant: "M1", country: "US", device: "d1"))
        close(f6["acct_count_86400s"], 4, "24h saturated at ring capacity")
        close(f6["acct_new_merchant"], 0, "M1 still known: the merchant set is [M3, M1]")
        close(f6["acct_new_device"], 0, "device known")
        let s6 = try #require(store.state(forAccount: "A"))
        #expect(s6.count == 6)
        #expect(s6.recentEvents.map(\.timestampMillis) == [119_999, 3_600_000, 3_700_000, 3_800_000].map { Self.monday + $0 })
        #expect(s6.knownMerchants.count == 2 && s6.knownCountries.count == 2 && s6.knownDevices.count == 1)
    }

    @Test func cyclicTimeWithUTCOffsetAndWeekday() throws {
        let fz = try TabularFeaturizer(spec: FeatureSpec())
        var store = fz.makeStore(capacity: 4)
        // Sunday 1970-01-11 23:00 UTC, at UTC+02:00 → Monday 01:00 local.
        var e = FeatureInput(accountID: "B", timestampMillis: 10 * 86_400_000 + 23 * 3_600_000, amount: 1, currency: "EUR")
        e.utcOffsetMinutes = 120
        let f = Named(names: fz.featureNames, values: try fz.features(for: e, store: &store))
        #expect(abs(f["hour_sin"] - sin(2 * .pi / 24)) < 1e-6)
        #expect(abs(f["hour_cos"] - cos(2 * .pi / 24)) < 1e-6)
        #expect(abs(f["dow_sin"]) < 1e-6 && abs(f["dow_cos"] - 1) < 1e-6)
        // Before the epoch: 1969-12-31 18:00 UTC is a Wednesday (weekday 2), hour 18.
        let before = FeatureInput(accountID: "C", timestampMillis: -6 * 3_600_000, amount: 1, currency: "EUR")
        let g = Named(names: fz.featureNames, values: try fz.features(for: before, store: &store))
        #expect(abs(g["dow_sin"] - sin(2 * .pi * 2 / 7)) < 1e-6)
        #expect(abs(g["hour_cos"] - cos(2 * .pi * 18 / 24)) < 1e-6)
    }

    @Test func categoricalNumericAndCurrencyFeatures() throws {
        var spec = FeatureSpec()
        spec.categoricalFields = ["country", "segment"]
        spec.hashBuckets = 3
        spec.numericFields = [.init(name: "balance", log1p: true), .init(name: "age", defaultValue: -1)]
        spec.currencyRates = ["EUR": 1, "USD": 0.5]
        spec.amountScaling = RobustScaling(median: 1, interQuartileRange: 2)
        let fz = try TabularFeaturizer(spec: spec)
        var store = fz.makeStore(capacity: 4)
        let e = FeatureInput(accountID: "A", timestampMillis: 0, amount: 200, currency: "USD", country: "DE",
                             numeric: ["balance": -99], categorical: ["segment": "retail"])
        let values = try fz.features(for: e, store: &store)
        let f = Named(names: fz.featureNames, values: values)
        #expect(values.count == fz.featureNames.count)
        #expect(abs(f["amount_log1p"] - log1p(100)) < 1e-5)
        #expect(abs(f["amount_robust"] - (log1p(100) - 1) / 2) < 1e-5)
        #expect(f["currency_rate_unknown"] == 0)
        #expect(abs(f["num_balance"] + log(100)) < 1e-5)
        #expect(f["num_age"] == -1)
        for field in ["country", "segment"] {
            let hashed = (0..<3).map { f["\(field)_h\($0)"] }
            #expect(hashed.filter { $0 != 0 }.count == 1 && hashed.allSatisfy { abs($0) <= 1 })
        }
        let unknown = FeatureInput(accountID: "A", timestampMillis: 1, amount: 5, currency: "JPY")
        let u = Named(names: fz.featureNames, values: try fz.features(for: unknown, store: &store))
        #expect(u["currency_rate_unknown"] == 1)
        #expect((0..<3).allSatisfy { u["country_h\($0)"] == 0 })  // absent value: zeros
        // Same value, same bucket, in another account and another store.
        var other = fz.makeStore(capacity: 4)
        let again = Named(names: fz.featureNames, values: try fz.features(for: FeatureInput(accountID: "Z", timestampMillis: 0, amount: 1, currency: "EUR", country: "de"), store: &other))
        #expect((0..<3).map { again["country_h\($0)"] } == (0..<3).map { f["country_h\($0)"] })
    }

    @Test func textNoveltyAndProjection() throws {
        var spec = FeatureSpec()
        spec.textProjection = PCAProjection(mean: [0, 0, 0], components: [[1, 0, 0], [0, 1, 0]], explainedVariance: [2, 1])
        spec.ewmaAlpha = 0.5
        let fz = try TabularFeaturizer(spec: spec)
        var store = fz.makeStore(capacity: 4)
        let e = FeatureInput(accountID: "A", timestampMillis: 0, amount: 1, currency: "EUR")
        let f1 = Named(names: fz.featureNames, values: try fz.features(for: e, textEmbedding: [1, 0, 5], store: &store))
        #expect(f1["text_novelty"] == 0 && f1["text_pca_0"] == 1 && f1["text_pca_1"] == 0)
        let f2 = Named(names: fz.featureNames, values: try fz.features(for: e, textEmbedding: [0, 1, 0], store: &store))
        #expect(abs(f2["text_novelty"] - 1) < 1e-6)  // orthogonal to the centroid (1, 0)
        // centroid is now (0.5, 0.5): a (1, 1) text has novelty 0
        let f3 = Named(names: fz.featureNames, values: try fz.features(for: e, textEmbedding: [2, 2, 0], store: &store))
        #expect(abs(f3["text_novelty"]) < 1e-6)
        #expect(throws: EmbeddingError.self) { try fz.features(for: e, textEmbedding: [1, 2], store: &store) }
    }

    @Test func storeSerializationRoundTripsExactly() throws {
        var spec = Self.spec()
        spec.textProjection = PCAProjection(mean: [0, 0], components: [[0.6, 0.8]], explainedVariance: [1])
        let fz = try TabularFeaturizer(spec: spec)
        var store = fz.makeStore(capacity: 5, idleTTLSeconds: 86_400)
        var rng = SystemRandomNumberGenerator()
        var events: [FeatureInput] = []
        for i in 0..<40 {
            events.append(FeatureInput(accountID: "acct\(Int.random(in: 0..<8, using: &rng))", timestampMillis: Int64(i) * 7_919_000,
                                       amount: Double.random(in: 1...500, using: &rng), currency: "EUR",
                                       merchantName: "m\(Int.random(in: 0..<4, using: &rng))", country: ["US", "DE", "FR"].randomElement(using: &rng),
                                       deviceID: "d\(i % 3)"))
        }
        for e in events { _ = try fz.features(for: e, textEmbedding: [Float(e.amount), 1], store: &store) }
        let bytes = store.serialized()
        var restored = try AccountStore(serialized: bytes)
        #expect(restored.serialized() == bytes)
        #expect(restored.count == store.count && restored.evictions == store.evictions)
        for id in (0..<8).map({ "acct\($0)" }) { #expect(restored.state(forAccount: id) == store.state(forAccount: id)) }
        // The next events featurize identically, evictions included.
        for i in 0..<20 {
            let e = FeatureInput(accountID: "acct\(i % 9)", timestampMillis: 40 * 7_919_000 + Int64(i) * 1000, amount: Double(i + 1),
                                 currency: "EUR", merchantName: "m\(i % 5)", country: "US")
            #expect(try fz.features(for: e, textEmbedding: [1, 2], store: &store) == fz.features(for: e, textEmbedding: [1, 2], store: &restored))
        }
        #expect(restored.serialized() == store.serialized())
        var corrupt = bytes
        corrupt.removeLast()
        #expect(throws: EmbeddingError.self) { try AccountStore(serialized: corrupt) }
        #expect(throws: EmbeddingError.self) { try AccountStore(serialized: [1, 2, 3]) }
    }

    @Test func evictionBoundsTheStore() throws {
        let fz = try TabularFeaturizer(spec: FeatureSpec())
        var store = fz.makeStore(capacity: 3)
        for (i, id) in ["a", "b", "c", "a", "d"].enumerated() {
            _ = try fz.features(for: FeatureInput(accountID: id, timestampMillis: Int64(i), amount: 1, currency: "EUR"), store: &store)
        }
        // "b" was least recently active when "d" arrived.
        #expect(store.count == 3 && store.evictions == 1)
        #expect(store.state(forAccount: "b") == nil)
        #expect(store.state(forAccount: "a")?.count == 2)
        for i in 0..<1000 {
            _ = try fz.features(for: FeatureInput(accountID: "x\(i)", timestampMillis: 10 + Int64(i), amount: 1, currency: "EUR"), store: &store)
        }
        #expect(store.count == 3 && store.records.count == 3)  // slots never grow past capacity

        var ttlStore = fz.makeStore(capacity: 100, idleTTLSeconds: 60)
        _ = try fz.features(for: FeatureInput(accountID: "old", timestampMillis: 0, amount: 1, currency: "EUR"), store: &ttlStore)
        _ = try fz.features(for: FeatureInput(accountID: "mid", timestampMillis: 30_000, amount: 1, currency: "EUR"), store: &ttlStore)
        _ = try fz.features(for: FeatureInput(accountID: "new", timestampMillis: 60_000, amount: 1, currency: "EUR"), store: &ttlStore)
        #expect(ttlStore.state(forAccount: "old") != nil)  // exactly 60 s idle: kept
        _ = try fz.features(for: FeatureInput(accountID: "new", timestampMillis: 60_001, amount: 1, currency: "EUR"), store: &ttlStore)
        #expect(ttlStore.state(forAccount: "old") == nil && ttlStore.state(forAccount: "mid") != nil)
        #expect(ttlStore.count == 2)
    }

    @Test func specIsCodableAndValidated() throws {
        var spec = Self.spec()
        spec.numericFields = [.init(name: "risk", log1p: true)]
        spec.categoricalFields.append("mcc_group")
        let data = try JSONEncoder().encode(spec)
        let decoded = try JSONDecoder().decode(FeatureSpec.self, from: data)
        #expect(decoded == spec)
        #expect(try TabularFeaturizer(spec: decoded).featureNames == spec.featureNames)
        #expect(spec.featureNames.contains("mcc_group_h3") && spec.featureNames.contains("num_risk"))
        var bad = spec
        bad.hashBuckets = 0
        #expect(throws: EmbeddingError.self) { try TabularFeaturizer(spec: bad) }
        let fz = try TabularFeaturizer(spec: spec)
        var mismatched = AccountStore(capacity: 2, layout: .init(recentCapacity: 9, knownCapacity: 2, centroidDimension: 0))
        #expect(throws: EmbeddingError.self) { try fz.features(for: Self.event(0, 1), store: &mismatched) }
    }

    /// The ring keeps event times as 32-bit offsets from the account's latest event. Against a
    /// plain ring of absolute times (written here): the window counts and sums are the same for
    /// every event of a stream with gaps up to 40 days and events up to 4 days late, windows up to
    /// the 20-day limit included; an entry more than 2³¹ ms older than the latest event reads as
    /// exactly that old. Windows past the limit are refused.
    @Test func ringOffsetsReadEveryWindowLikeAbsoluteTimes() throws {
        var spec = Self.spec()
        spec.recentEventCapacity = 6
        let day: Int64 = 86_400_000
        spec.windowSeconds = [60, 3600, 86_400, FeatureSpec.longestRingWindowSeconds]
        let fz = try TabularFeaturizer(spec: spec)
        var store = fz.makeStore(capacity: 8)
        var rng = SplitMix64(seed: 3)
        var reference: [String: [(time: Int64, amount: Double)]] = [:]
        var latest: [String: Int64] = [:]
        var clock: Int64 = 1_700_000_000_000
        var lateChecked = 0, saturatedSeen = 0
        for i in 0..<3_000 {
            let account = "a\(rng.next() % 5)"
            // Mostly minutes apart, sometimes days, now and then a gap of up to 40 days.
            switch rng.next() % 50 {
            case 0: clock += Int64(rng.next() % UInt64(40 * day))
            case 1...5: clock += Int64(rng.next() % UInt64(3 * day))
            default: clock += Int64(rng.next() % 600_000)
            }
            // One event in ten arrives up to 4 days late.
            let late = rng.next() % 10 == 0 ? Int64(rng.next() % UInt64(4 * day)) : 0
            let t = clock - late
            let amount = Double(1 + rng.next() % 500)
            let e = FeatureInput(accountID: account, timestampMillis: t, amount: amount, currency: "EUR")
            let f = Named(names: fz.featureNames, values: try fz.features(for: e, store: &store))
            let ring = reference[account, default: []]
            for w in spec.windowSeconds {
                let from = t - Int64(w) * 1000
                let inWindow = ring.filter { $0.time > from && $0.time <= t }
                #expect(f["acct_count_\(w)s"] == Double(inWindow.count), "event \(i), window \(w) s")
                let sum = inWindow.reduce(0.0) { $0 + $1.amount }
                #expect(abs(f["acct_sum_log1p_\(w)s"] - log1p(sum)) <= 1e-5 * max(1, log1p(sum)), "event \(i), window \(w) s")
            }
            if late > 0 { lateChecked += 1 }
            reference[account] = Array((ring + [(t, amount)]).suffix(spec.recentEventCapacity))
            latest[account] = max(latest[account] ?? t, t)
            // What the store reads back: exact, or exactly 2³¹ ms before the latest event.
            let state = try #require(store.state(forAccount: account))
            #expect(state.lastTimestampMillis == latest[account])
            for (stored, true_) in zip(state.recentEvents.map(\.timestampMillis), reference[account]!.map(\.time)) {
                let floor = latest[account]! - (1 << 31)
                #expect(stored == max(true_, floor))
                if true_ < floor { saturatedSeen += 1 }
            }
        }
        #expect(lateChecked > 100 && saturatedSeen > 10, "the stream exercises late events and saturated entries")

        spec.windowSeconds = [60, FeatureSpec.longestRingWindowSeconds + 1]
        #expect(throws: EmbeddingError.self) { try TabularFeaturizer(spec: spec) }
        spec.windowSeconds = [60]
        spec.surprisalSettleSeconds = FeatureSpec.longestRingWindowSeconds + 1
        #expect(throws: EmbeddingError.self) { try TabularFeaturizer(spec: spec) }
    }
}
