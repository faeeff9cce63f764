import Testing
import TxGuardDetectors
@testable import TxGuardPipeline
import TxGuardTestSupport

/// The flat per-partition table of Z-score statistics against the dictionary it replaced, written
/// out here as the reference: the same accounts kept through pruning (past capacity + 1/8, down to
/// capacity, by last-seen time then key, never the account being added), the same moments, and the
/// same snapshot bytes (sorted by key, so the layout of slots never shows). The table keeps only the
/// pair of moments its baseline reads; the reference keeps all four, so the pair is checked against
/// the reference's and the snapshot's other pair is zeros.
@Suite struct AccountStatsTableTests {
    /// The previous implementation's semantics: a dictionary of `AccountStats`.
    struct Reference {
        var entries: [UInt64: AccountStatsTable.Entry] = [:]
        let capacity: Int
        let width: Int

        mutating func ensure(_ key: UInt64, at millis: Int64) {
            guard entries[key] == nil else { return }
            entries[key] = .init(stats: AccountStats(inputCount: width), lastSeenMillis: millis)
            if entries.count - capacity > capacity / 8 {
                let ordered = entries.sorted { ($0.key == key ? 1 : 0, $0.value.lastSeenMillis, $0.key) > ($1.key == key ? 1 : 0, $1.value.lastSeenMillis, $1.key) }
                entries = Dictionary(uniqueKeysWithValues: ordered.prefix(capacity).map { ($0.key, $0.value) })
            }
        }
    }

    @Test(arguments: [ZScoreDetector.AccountBaseline.exponential, .cumulative])
    func keepsWhatTheDictionaryKeptWithTheSameMoments(baseline: ZScoreDetector.AccountBaseline) throws {
        var rng = SplitMix64(seed: 11)
        let width = 3, capacity = 16
        var table = AccountStatsTable(capacity: capacity, width: width, baseline: baseline)
        // The held pair's place in the four-moment layout [mean | m2 | ewMean | ewVariance].
        let held = baseline == .cumulative ? 0..<(2 * width) : (2 * width)..<(4 * width)
        let other = baseline == .cumulative ? (2 * width)..<(4 * width) : 0..<(2 * width)
        var reference = Reference(capacity: capacity, width: width)
        var pruned = 0
        for step in 0..<3_000 {
            let key = UInt64(1 + rng.next() % 60)
            // A little out of order, and now and then very late: a new account whose event is
            // older than every other's must still be kept when its arrival prunes the table.
            let late = rng.next() % 10 == 0 ? Int64(100_000) : 0
            let millis = Int64(step) * 1000 - Int64(rng.next() % 5_000) - late
            let before = table.count
            let slot = table.ensure(key, at: millis)
            reference.ensure(key, at: millis)
            if table.count < before { pruned += 1 }
            table.touch(slot, at: millis)
            reference.entries[key]!.lastSeenMillis = millis
            if rng.next() % 4 != 0 {  // an alert learns nothing
                let x = (0..<width).map { _ in Float(rng.next() % 1000) / 10 }
                x.withUnsafeBufferPointer { xb in
                    table.update(slot) { count, pair in AccountStats.learn(xb, count: &count, pair: pair, baseline: baseline, alpha: 0.1) }
                    // The reference's own copy of the moments, learned by the same update.
                    var c = reference.entries[key]!.stats.count
                    var m = reference.entries[key]!.stats.withMoments { Array($0) }
                    m.withUnsafeMutableBufferPointer { AccountStats.learn(xb, count: &c, moments: $0, alpha: 0.1) }
                    reference.entries[key]!.stats = AccountStats(count: c, moments: m)
                }
            }
            let view = table.withView(slot) { ($0.count, Array($0.moments)) }
            #expect(view.0 == reference.entries[key]!.stats.count)
            #expect(view.1 == reference.entries[key]!.stats.withMoments { Array($0[held]) })
        }
        #expect(pruned > 10, "the stream exercises pruning")
        #expect(table.entries.mapValues(\.lastSeenMillis) == reference.entries.mapValues(\.lastSeenMillis))
        func pairs(_ e: [UInt64: AccountStatsTable.Entry]) -> [UInt64: [Float]] { e.mapValues { $0.stats.withMoments { Array($0[held]) } } }
        #expect(pairs(table.entries) == pairs(reference.entries))
        #expect(table.entries.values.allSatisfy { $0.stats.withMoments { m in m[other].allSatisfy { $0 == 0 } } })
        #expect(table.entries.mapValues(\.stats.count) == reference.entries.mapValues(\.stats.count))

        // Snapshot bytes: decoding gives the same table, which encodes to the same bytes.
        let bytes = table.encoded()
        #expect(bytes.count == 12 + table.count * AccountStatsTable.entrySize(width: width))
        let decoded = try AccountStatsTable.decode(bytes[...], capacity: capacity, width: width, baseline: baseline)
        #expect(decoded.encoded() == bytes)
        #expect(pairs(decoded.entries) == pairs(reference.entries))
        #expect(throws: PipelineError.self) { _ = try AccountStatsTable.decode(bytes[...], capacity: capacity, width: width + 1, baseline: baseline) }
        // A snapshot written with all four moments (as before the table kept one pair: the
        // dictionary's form, written out here) reads into the same table.
        var old: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { old.append(contentsOf: $0) } }
        put(UInt64(reference.entries.count)); put(UInt32(width))
        for key in reference.entries.keys.sorted() {
            let e = reference.entries[key]!
            put(key); put(e.lastSeenMillis); put(e.stats.count)
            e.stats.withMoments { for v in $0 { put(v.bitPattern) } }
        }
        #expect(old != bytes, "the other pair is not zero in the old form")
        #expect(try AccountStatsTable.decode(old[...], capacity: capacity, width: width, baseline: baseline).encoded() == bytes)
        #expect(AccountStatsTable(capacity: capacity, width: width, baseline: baseline, entries: reference.entries).encoded() == bytes)
        // An empty table writes width 0 and reads under any model.
        let empty = AccountStatsTable(capacity: 4, width: width, baseline: baseline).encoded()
        #expect(empty.count == 12)
        #expect(try AccountStatsTable.decode(empty[...], capacity: 4, width: 7, baseline: baseline).count == 0)
        // Key 0 (the index's empty mark) is refused, not stored.
        var zero = AccountStatsTable(capacity: 4, width: 1, baseline: baseline)
        _ = zero.ensure(5, at: 0)
        var zeroBytes = zero.encoded()
        for k in 0..<8 { zeroBytes[12 + k] = 0 }
        #expect(throws: PipelineError.self) { _ = try AccountStatsTable.decode(zeroBytes[...], capacity: 4, width: 1, baseline: baseline) }
    }
}
