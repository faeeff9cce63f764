import Testing
import TxGuardDetectors
@testable import TxGuardEmbeddings
@testable import TxGuardPipeline
import TxGuardTestSupport

/// The Z-score's per-account statistics live in the account store, beside the features: checked
/// against a dictionary reference written out here (statistics that start at zero for a new
/// account, learn in place, and go with the account when the store evicts it, least recently
/// active first), then through the snapshot form (`AccountStatsTable`): captured from the store,
/// encoded sorted by key, decoded, installed into a restored store. The store keeps only the pair of
/// moments the baseline reads; the reference keeps all four, so the pair is checked against the
/// reference's and the snapshot's other pair is zeros.
@Suite struct AccountStatsTableTests {
    /// The reference: a dictionary of `AccountStats` and the accounts' recency.
    struct Reference {
        var entries: [UInt64: AccountStatsTable.Entry] = [:]
        var recency: [UInt64] = []   // least recently active first
        let capacity: Int
        let width: Int

        mutating func see(_ key: UInt64, at millis: Int64) {
            if let i = recency.firstIndex(of: key) {
                recency.remove(at: i)
            } else {
                if recency.count == capacity { entries[recency.removeFirst()] = nil }
                entries[key] = .init(stats: AccountStats(inputCount: width), lastSeenMillis: millis)
            }
            recency.append(key)
            entries[key]!.lastSeenMillis = max(entries[key]!.lastSeenMillis, millis)
        }
    }

    @Test(arguments: [ZScoreDetector.AccountBaseline.exponential, .cumulative])
    func statisticsLiveAndGoWithTheAccount(baseline: ZScoreDetector.AccountBaseline) throws {
        var rng = SplitMix64(seed: 11)
        let width = 3, capacity = 16
        let featurizer = try TabularFeaturizer(spec: FeatureSpec())
        var store = featurizer.makeStore(capacity: capacity)
        store.resetStatistics(width: 2 * width)
        // The held pair's place in the four-moment layout [mean | m2 | ewMean | ewVariance].
        let held = baseline == .cumulative ? 0..<(2 * width) : (2 * width)..<(4 * width)
        let other = baseline == .cumulative ? (2 * width)..<(4 * width) : 0..<(2 * width)
        var reference = Reference(capacity: capacity, width: width)
        for step in 0..<3_000 {
            let account = "acct-\(1 + rng.next() % 40)"
            let key = AccountStore.key(account)
            // A little out of order.
            let millis = 1_700_000_000_000 + Int64(step) * 1000 - Int64(rng.next() % 5_000)
            _ = try featurizer.features(for: FeatureInput(accountID: account, timestampMillis: millis, amount: 10, currency: "EUR"),
                                        store: &store)
            reference.see(key, at: millis)
            let slot = try #require(store.slot(ofKey: key))
            if rng.next() % 4 != 0 {  // an alert learns nothing
                let x = (0..<width).map { _ in Float(rng.next() % 1000) / 10 }
                x.withUnsafeBufferPointer { xb in
                    store.updateStatistics(slot) { count, pair in AccountStats.learn(xb, count: &count, pair: pair, baseline: baseline, alpha: 0.1) }
                    // The reference's own copy of the moments, learned by the same update.
                    var c = reference.entries[key]!.stats.count
                    var m = reference.entries[key]!.stats.withMoments { Array($0) }
                    m.withUnsafeMutableBufferPointer { AccountStats.learn(xb, count: &c, moments: $0, alpha: 0.1) }
                    reference.entries[key]!.stats = AccountStats(count: c, moments: m)
                }
            }
            let view = store.withStatistics(slot) { ($0, Array($1)) }
            #expect(view.0 == reference.entries[key]!.stats.count)
            #expect(view.1 == reference.entries[key]!.stats.withMoments { Array($0[held]) })
        }
        #expect(store.evictions > 100, "the stream exercises eviction")

        // The snapshot form: captured from the store, the reference's accounts, times and pairs.
        let table = AccountStatsTable(capturing: store, width: width, baseline: baseline)
        func pairs(_ e: [UInt64: AccountStatsTable.Entry]) -> [UInt64: [Float]] { e.mapValues { $0.stats.withMoments { Array($0[held]) } } }
        #expect(table.entries.mapValues(\.lastSeenMillis) == reference.entries.mapValues(\.lastSeenMillis))
        #expect(pairs(table.entries) == pairs(reference.entries))
        #expect(table.entries.values.allSatisfy { $0.stats.withMoments { m in m[other].allSatisfy { $0 == 0 } } })
        #expect(table.entries.mapValues(\.stats.count) == reference.entries.mapValues(\.stats.count))

        // Bytes: decoding gives the same entries, which encode to the same bytes.
        let bytes = table.encoded()
        #expect(bytes.count == 12 + table.count * AccountStatsTable.entrySize(width: width))
        let decoded = try AccountStatsTable.decode(bytes[...], width: width, baseline: baseline)
        #expect(decoded.encoded() == bytes)
        #expect(pairs(decoded.entries) == pairs(reference.entries))
        #expect(throws: PipelineError.self) { _ = try AccountStatsTable.decode(bytes[...], width: width + 1, baseline: baseline) }

        // Installed into the store restored from its bytes: the same statistics for every account.
        var restored = try AccountStore(serialized: store.serialized())
        restored.resetStatistics(width: 2 * width)
        #expect(decoded.install(into: &restored) == reference.entries.count)
        #expect(AccountStatsTable(capturing: restored, width: width, baseline: baseline).encoded() == bytes)
        // An entry whose account the store does not hold is dropped (its statistics start again).
        var fewer = featurizer.makeStore(capacity: capacity)
        fewer.resetStatistics(width: 2 * width)
        let kept = reference.recency.suffix(5)
        for (i, key) in kept.enumerated() {
            let account = try #require((1...40).map { "acct-\($0)" }.first { AccountStore.key($0) == key })
            _ = try featurizer.features(for: FeatureInput(accountID: account, timestampMillis: Int64(i), amount: 1, currency: "EUR"), store: &fewer)
        }
        #expect(decoded.install(into: &fewer) == 5)
        #expect(pairs(AccountStatsTable(capturing: fewer, width: width, baseline: baseline).entries)
                == pairs(reference.entries.filter { kept.contains($0.key) }))

        // A snapshot written with all four moments (as before the statistics kept one pair: the
        // dictionary's form, written out here) reads into the same entries.
        var old: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { old.append(contentsOf: $0) } }
        put(UInt64(reference.entries.count)); put(UInt32(width))
        for key in reference.entries.keys.sorted() {
            let e = reference.entries[key]!
            put(key); put(e.lastSeenMillis); put(e.stats.count)
            e.stats.withMoments { for v in $0 { put(v.bitPattern) } }
        }
        #expect(old != bytes, "the other pair is not zero in the old form")
        #expect(try AccountStatsTable.decode(old[...], width: width, baseline: baseline).encoded() == bytes)
        #expect(AccountStatsTable(width: width, baseline: baseline, entries: reference.entries).encoded() == bytes)
        // An empty table writes width 0 and reads under any model.
        let empty = AccountStatsTable(width: width, baseline: baseline).encoded()
        #expect(empty.count == 12)
        #expect(try AccountStatsTable.decode(empty[...], width: 7, baseline: baseline).count == 0)
        // Key 0 is refused, and so is a key listed twice.
        var zeroBytes = bytes
        for k in 0..<8 { zeroBytes[12 + k] = 0 }
        #expect(throws: PipelineError.self) { _ = try AccountStatsTable.decode(zeroBytes[...], width: width, baseline: baseline) }
        var twice = bytes
        let size = AccountStatsTable.entrySize(width: width)
        twice.replaceSubrange((12 + size)..<(12 + size + 8), with: bytes[12..<20])
        #expect(throws: PipelineError.self) { _ = try AccountStatsTable.decode(twice[...], width: width, baseline: baseline) }
    }
}
