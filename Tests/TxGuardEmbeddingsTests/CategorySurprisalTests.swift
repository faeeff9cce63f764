import Foundation
import Testing
@testable import TxGuardEmbeddings

/// The per-account categorical surprisal `acct_surprisal_<field>` against hand-computed values.
@Suite struct CategorySurprisalTests {
    /// Training counts: grocery 3, crypto 1 (N = 4, V = 2): P₀ = 4/7, 2/7, unseen 1/7.
    static let prior = CategoryPrior(field: "merchant_category", counts: ["grocery": 3, "crypto": 1], total: 4)

    static func spec(capacity: Int = 2) -> FeatureSpec {
        var spec = FeatureSpec()
        spec.surprisalPrior = prior
        spec.surprisalCapacity = capacity
        spec.surprisalSettleSeconds = 3600
        spec.surprisalAlpha = 1
        return spec
    }

    static func event(_ seconds: Int64, _ category: String?, account: String = "A") -> FeatureInput {
        FeatureInput(accountID: account, timestampMillis: 1_000_000_000_000 + seconds * 1000, amount: 10, currency: "EUR",
                     merchantCategory: category)
    }

    @Test func priorIsLaplaceSmoothedWithAnUnseenClass() {
        let p = Self.prior
        #expect(abs(p.probability("grocery") - 4.0 / 7) < 1e-15)
        #expect(abs(p.probability("GROCERY") - 4.0 / 7) < 1e-15, "case-insensitive")
        #expect(abs(p.probability("crypto") - 2.0 / 7) < 1e-15)
        #expect(abs(p.probability("shoes") - 1.0 / 7) < 1e-15)
        #expect(abs(p.unseenProbability - 1.0 / 7) < 1e-15)
        let fitted = CategoryPrior.fit(field: "merchant_category", values: ["Grocery", "grocery", nil, "", "GROCERY", "crypto"])
        #expect(fitted == Self.prior)
        // −ln[(k + α·p₀)/(n + α)] by hand: k = 2, n = 5, p₀ = 0.5, α = 2 → −ln(3/7).
        #expect(abs(CategoryPrior.surprisal(accountCount: 2, accountTotal: 5, prior: 0.5, alpha: 2) - -log(3.0 / 7)) < 1e-15)
    }

    @Test func scriptedHistoryMatchesHandComputedSurprisal() throws {
        let fz = try TabularFeaturizer(spec: Self.spec())
        #expect(fz.featureNames.last == "acct_surprisal_merchant_category")
        #expect(fz.layout.categoryCapacity == 2)
        var store = fz.makeStore(capacity: 10)
        func surprisal(_ e: FeatureInput) throws -> Double { Double(try fz.features(for: e, store: &store).last!) }
        func close(_ a: Double, _ b: Double, _ what: String) { #expect(abs(a - b) < 1e-5, "\(what): \(a) vs \(b)") }
        let pG = 4.0 / 7, pC = 2.0 / 7, pU = 1.0 / 7

        close(try surprisal(Self.event(0, "grocery")), -log(pG), "no history: −ln P₀")
        // 10 s later the first grocery event is not settled yet (within 3600 s): still no history.
        close(try surprisal(Self.event(10, "Grocery")), -log(pG), "unsettled history left out")
        // 2 h later both are settled: k = 2, n = 2.
        close(try surprisal(Self.event(7200, "grocery")), -log((2 + pG) / 3), "settled")
        // New value: k = 0; n = 3 minus the unsettled grocery at 7200 s.
        close(try surprisal(Self.event(7300, "crypto")), -log(pC / 3), "new value")
        // The same new value again within the settling time stays as surprising.
        close(try surprisal(Self.event(7400, "CRYPTO")), -log(pC / 3), "burst stays surprising")
        // A value unseen in training; the table (capacity 2: grocery 3, crypto 2) drops crypto for it.
        close(try surprisal(Self.event(7500, "shoes")), -log(pU / 3), "unseen value")
        // Much later: crypto's count was dropped, so k = 0 against n = 6 settled events.
        close(try surprisal(Self.event(20_000, "crypto")), -log(pC / 7), "dropped count")
        // An absent value gives 0 and is not counted.
        close(try surprisal(Self.event(20_100, nil)), 0, "absent")
        let state = try #require(store.state(forAccount: "A"))
        #expect(state.categoryTotal == 7)
        #expect(state.categoryCounts.map(\.count) == [3, 1], "grocery 3; crypto replaced shoes (least counted)")
        // Another account starts from the prior.
        close(try surprisal(Self.event(20_200, "crypto", account: "B")), -log(pC), "new account")
    }

    @Test func withoutAFittedPriorThereIsNoFeatureAndNoState() throws {
        var spec = Self.spec()
        spec.surprisalPrior = nil
        let fz = try TabularFeaturizer(spec: spec)
        #expect(!fz.featureNames.contains { $0.hasPrefix("acct_surprisal_") })
        #expect(fz.layout.categoryCapacity == 0)
        spec.surprisalPrior = CategoryPrior(field: "channel", counts: [:], total: 0)
        #expect(throws: EmbeddingError.self) { try TabularFeaturizer(spec: spec) }  // prior of another field
    }

    @Test func storeRoundTripsCategoryStateAndReadsVersion1() throws {
        let fz = try TabularFeaturizer(spec: Self.spec(capacity: 3))
        var store = fz.makeStore(capacity: 4)
        var rng = SystemRandomNumberGenerator()
        let categories = ["grocery", "crypto", "shoes", "fuel", "Grocery"]
        for i in 0..<60 {
            _ = try fz.features(for: Self.event(Int64(i) * 900, categories.randomElement(using: &rng),
                                                account: "a\(Int.random(in: 0..<6, using: &rng))"), store: &store)
        }
        let bytes = store.serialized()
        var restored = try AccountStore(serialized: bytes)
        #expect(restored.serialized() == bytes)
        for id in (0..<6).map({ "a\($0)" }) { #expect(restored.state(forAccount: id) == store.state(forAccount: id)) }
        for i in 0..<20 {
            let e = Self.event(60 * 900 + Int64(i) * 600, categories[i % categories.count], account: "a\(i % 7)")
            #expect(try fz.features(for: e, store: &store) == fz.features(for: e, store: &restored))
        }

        // A version-1 store (no category state) still reads, with a layout that counts no categories.
        var w = ByteWriter()
        w.write(UInt32(0x4147_5854)); w.write(UInt32(1))
        w.write(UInt32(2)); w.write(UInt32(1)); w.write(UInt32(0))  // recent, known, centroid
        w.write(UInt64(10)); w.write(Int64(-1)); w.write(UInt64(0)); w.write(UInt64(1))
        w.write(UInt64(77)); w.write(UInt32(3)); w.write(Int64(5000)); w.write(1.5); w.write(0.25)
        w.write(UInt8(1)); w.write(Int64(5000)); w.write(Float(12))
        for _ in 0..<3 { w.write(UInt8(0)) }
        let old = try AccountStore(serialized: w.bytes)
        #expect(old.layout == AccountStore.Layout(recentCapacity: 2, knownCapacity: 1, centroidDimension: 0, categoryCapacity: 0))
        #expect(old.count == 1)
        #expect(old.layout != fz.layout, "a model with the surprisal feature refuses to adopt it")
    }

    /// Category counts are 16-bit: the event that brings one to 2¹⁶ − 1 halves the account's counts
    /// and total (rounding up); every count returned before and after is the closed form's. A store
    /// written with a count past 16 bits (as the 32-bit counts of older versions could be) reads
    /// halved the same way.
    @Test func categoryCountsHalveAtSixteenBits() throws {
        let fz = try TabularFeaturizer(spec: Self.spec(capacity: 3))
        var store = fz.makeStore(capacity: 4)
        let s = store.acquire(AccountStore.key("A"), now: 0).slot
        let a = AccountStore.categoryTag(1), b = AccountStore.categoryTag(2)
        for i in 0..<10 { #expect(store.countCategory(s, b) == (UInt32(i), UInt32(i))) }
        // 65,534 of a: exact counts up to there.
        for i in 0..<65_534 { #expect(store.countCategory(s, a) == (UInt32(i), UInt32(10 + i))) }
        var st = store.state(slot: s)
        #expect(st.categoryCounts == [.init(valueHash: b, count: 10), .init(valueHash: a, count: 65_534)])
        // The next brings a to 2^16 - 1 and the total to 65,545: both halved, rounding up, as is b.
        #expect(store.countCategory(s, a) == (65_534, 65_544))
        st = store.state(slot: s)
        #expect(st.categoryCounts == [.init(valueHash: b, count: 5), .init(valueHash: a, count: 32_768)])
        #expect(st.categoryTotal == 32_773)
        #expect(store.countCategory(s, a) == (32_768, 32_773))
        #expect(store.countCategory(s, b) == (5, 32_774))

        // Serialized counts are 32-bit: one of 200,000 halves twice on reading (to 50,000), with the rest.
        var bytes = store.serialized()
        st = store.state(slot: s)
        let countOfA = try #require(bytes.indices.dropLast(3).last { i in
            bytes[i..<(i + 4)].elementsEqual(withUnsafeBytes(of: UInt32(32_769).littleEndian, Array.init))
        })
        let totalAt = try #require(bytes.indices.dropLast(3).last { i in
            bytes[i..<(i + 4)].elementsEqual(withUnsafeBytes(of: UInt32(32_775).littleEndian, Array.init))
        })
        bytes.replaceSubrange(countOfA..<(countOfA + 4), with: withUnsafeBytes(of: UInt32(200_000).littleEndian, Array.init))
        bytes.replaceSubrange(totalAt..<(totalAt + 4), with: withUnsafeBytes(of: UInt32(200_006).littleEndian, Array.init))
        let read = try AccountStore(serialized: bytes).state(slot: 0)
        #expect(read.categoryCounts == [.init(valueHash: b, count: 2), .init(valueHash: a, count: 50_000)])
        #expect(read.categoryTotal == 50_002)
    }

    /// Folding wider tags to 16 bits can make two of an account's values one: the known sets keep
    /// the more recent place once, the category counts add up (a hand-written version-5 store).
    @Test func foldedTagsThatCollideMerge() throws {
        var w = ByteWriter()
        w.write(UInt32(0x4147_5854)); w.write(UInt32(5))
        for v in [2, 3, 0, 4, 0, 1] { w.write(UInt32(v)) }  // recent, known, centroid, categories, merchants, merchant ring
        w.write(UInt64(10)); w.write(Int64(-1)); w.write(UInt64(0)); w.write(UInt64(1))
        TrafficLevel().write(to: &w)
        w.write(UInt64(77)); w.write(UInt32(6)); w.write(Int64(5000)); w.write(Int64(1000)); w.write(1.5); w.write(0.25)
        w.write(UInt8(1)); w.write(Int64(5000)); w.write(Float(12)); w.write(UInt32(0x0003_0007))
        w.write(UInt8(3)); for v: UInt32 in [0x0001_1234, 0x0002_1234, 0x0000_5555] { w.write(v) }  // merchants
        w.write(UInt8(1)); w.write(UInt32(0xABCD_0042))                                             // countries
        w.write(UInt8(0))                                                                            // devices
        w.write(UInt32(6)); w.write(UInt8(3))
        for (k, n): (UInt32, UInt32) in [(0x0001_0007, 3), (0x0000_0009, 1), (0x0002_0007, 2)] { w.write(k); w.write(n) }
        w.bytes += MerchantStore(capacity: 0, recentCapacity: 1).serialized()
        let store = try AccountStore(serialized: w.bytes)
        let st = try #require(store.state(slot: 0) as AccountState?)
        #expect(st.knownMerchants == [0x1234, 0x5555])
        #expect(st.knownCountries == [0x0042])
        #expect(st.knownDevices == [])
        #expect(st.categoryCounts == [.init(valueHash: 7, count: 5), .init(valueHash: 9, count: 1)])
        #expect(st.recentEvents.map(\.categoryHash) == [7])
    }

    /// Version 6 keeps known values, category keys and the ring's categories as 16-bit tags. A
    /// version-5 store (32-bit tags) or version-4 store (64-bit hashes for the known values and
    /// the category keys), whose low 16 bits are the tags, reads into the same state: the same
    /// bytes once written again, and the same features for the next events. The old bytes are
    /// written here from the store's own state, with random upper bits standing in for the old
    /// tags' and hashes'.
    @Test(arguments: [UInt32(4), 5])
    func olderStoreWithWiderTagsReadsIntoTheSameState(version: UInt32) throws {
        let fz = try TabularFeaturizer(spec: Self.spec(capacity: 3))
        var store = fz.makeStore(capacity: 6)
        var rng = SystemRandomNumberGenerator()
        let categories = ["grocery", "crypto", "shoes", "fuel"]
        func event(_ i: Int, account: String) -> FeatureInput {
            FeatureInput(accountID: account, timestampMillis: 1_000_000_000_000 + Int64(i) * 700_000, amount: Double(i % 13 + 1),
                         currency: "EUR", merchantName: "m\(i % 11)", merchantCategory: categories[i % 4],
                         country: ["US", "DE", "FR"][i % 3], deviceID: "d\(i % 5)")
        }
        for i in 0..<80 { _ = try fz.features(for: event(i, account: "a\(Int.random(in: 0..<5, using: &rng))"), store: &store) }
        let current = store.serialized()
        #expect(current[4] == 6)

        let layout = store.layout
        var w = ByteWriter()
        w.write(UInt32(0x4147_5854)); w.write(version)
        for v in [layout.recentCapacity, layout.knownCapacity, layout.centroidDimension, layout.categoryCapacity,
                  layout.merchantCapacity, layout.merchantRecentCapacity] { w.write(UInt32(v)) }
        w.write(UInt64(store.capacity)); w.write(store.idleTTLMillis ?? -1); w.write(UInt64(store.evictions)); w.write(UInt64(store.count))
        store.traffic.write(to: &w)
        func widened32(_ tag: UInt16) -> UInt32 { UInt32(tag) | UInt32(UInt16.random(in: 0...UInt16.max, using: &rng)) << 16 }
        func widenedKey(_ tag: UInt16) {
            let wide = widened32(tag)
            if version >= 5 { w.write(wide) } else { w.write(UInt64(wide) | UInt64(UInt32.random(in: 0...UInt32.max, using: &rng)) << 32) }
        }
        var slot = store.tail
        var categoryKeysSeen = 0
        while slot >= 0 {
            let st = store.state(slot: Int(slot))
            w.write(store.records[Int(slot)].id); w.write(st.count); w.write(st.lastTimestampMillis); w.write(st.firstTimestampMillis)
            w.write(st.amountMean); w.write(st.amountVariance)
            w.write(UInt8(st.recentEvents.count))
            for e in st.recentEvents {
                w.write(e.timestampMillis); w.write(e.amount)
                w.write(e.categoryHash == 0 ? UInt32(0) : widened32(e.categoryHash))  // 32-bit in both
            }
            for set in [st.knownMerchants, st.knownCountries, st.knownDevices] {
                w.write(UInt8(set.count))
                for v in set { widenedKey(v) }
            }
            for v in st.textCentroid { w.write(v) }
            w.write(st.categoryTotal); w.write(UInt8(st.categoryCounts.count))
            for e in st.categoryCounts { widenedKey(e.valueHash); w.write(e.count); categoryKeysSeen += 1 }
            slot = store.records[Int(slot)].previous
        }
        w.bytes += store.merchants.serialized()
        #expect(categoryKeysSeen > 0 && w.bytes.count > current.count, "the old form is wider")

        var restored = try AccountStore(serialized: w.bytes)
        #expect(restored.serialized() == current)
        for i in 80..<120 {
            let e = event(i, account: "a\(i % 7)")
            #expect(try fz.features(for: e, store: &store) == fz.features(for: e, store: &restored))
        }
    }
}
