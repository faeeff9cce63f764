import TxGuardDetectors
import TxGuardEmbeddings

/// The detectors' per-account statistics of one partition (the Z-score detector's online means
/// and variances) as a snapshot holds them. While the scorer runs they live in the account store,
/// beside each account's features (`AccountStore.withStatistics`): one lookup an event, and no key,
/// time or index of their own. This table is what a snapshot captures from the store, encodes
/// (off the consume loop), decodes and installs into a restored store.
///
/// It holds only the pair of moments the model's baseline reads (`[mean | m2]` or
/// `[ewMean | ewVariance]`, `2 × width` floats an account), since a model never changes its
/// baseline. Snapshots still carry all four moments per account (the pair not held as zeros), so
/// their layout is unchanged.
struct AccountStatsTable: Sendable {
    /// One account's statistics as saved (the JSON of `TXPS1` snapshots).
    struct Entry: Codable {
        var stats: AccountStats
        var lastSeenMillis: Int64
    }

    /// Z-score inputs per account.
    let width: Int
    /// The moments held: the pair this baseline reads.
    let baseline: ZScoreDetector.AccountBaseline
    private var keys: [UInt64] = []
    private var lastSeen: [Int64] = []
    private var counts: [UInt32] = []
    private var moments: [Float] = []   // entry * 2w: the pair

    init(width: Int, baseline: ZScoreDetector.AccountBaseline) {
        self.width = width
        self.baseline = baseline
    }

    /// Where the held pair starts in the four-moment layout `[mean | m2 | ewMean | ewVariance]`.
    private var pairOffset: Int { Self.pairOffset(baseline, width: width) }

    /// Where `baseline`'s pair starts in the four-moment layout of `width` inputs.
    private static func pairOffset(_ baseline: ZScoreDetector.AccountBaseline, width: Int) -> Int {
        baseline == .cumulative ? 0 : 2 * width
    }

    /// A table holding `entries` (all of width `width` and none keyed 0; the caller checks), in
    /// key order.
    init(width: Int, baseline: ZScoreDetector.AccountBaseline, entries: [UInt64: Entry]) {
        self.init(width: width, baseline: baseline)
        let at = pairOffset
        for key in entries.keys.sorted() {
            let e = entries[key]!
            e.stats.withMoments { m in
                append(key, lastSeen: e.lastSeenMillis, count: e.stats.count, pair: UnsafeBufferPointer(rebasing: m[at..<(at + 2 * width)]))
            }
        }
    }

    /// The statistics `store` holds for every account (its statistics being this baseline's pair
    /// of `width` inputs), each account's last-seen time its latest event's.
    init(capturing store: AccountStore, width: Int, baseline: ZScoreDetector.AccountBaseline) {
        precondition(store.statisticsWidth == 2 * width, "the store keeps \(store.statisticsWidth) floats of statistics, not \(2 * width)")
        self.init(width: width, baseline: baseline)
        (keys, lastSeen, counts, moments) = store.capturedStatistics()
    }

    var count: Int { keys.count }

    private mutating func append(_ key: UInt64, lastSeen millis: Int64, count n: UInt32, pair: UnsafeBufferPointer<Float>) {
        keys.append(key)
        lastSeen.append(millis)
        counts.append(n)
        moments.append(contentsOf: pair)
    }

    /// Puts every entry whose account `store` holds into its statistics (which must be this
    /// table's width, freshly zeroed); returns how many. An entry without its account (a snapshot
    /// written before the statistics lived in the store kept them for up to 1/8 more accounts than
    /// the store) is dropped: that account's statistics start again if it comes back.
    func install(into store: inout AccountStore) -> Int {
        precondition(store.statisticsWidth == 2 * width, "the store keeps \(store.statisticsWidth) floats of statistics, not \(2 * width)")
        let w2 = 2 * width
        var installed = 0
        for e in keys.indices {
            guard let s = store.slot(ofKey: keys[e]) else { continue }
            store.updateStatistics(s) { count, pair in
                count = counts[e]
                for i in 0..<w2 { pair[i] = moments[e * w2 + i] }
            }
            installed += 1
        }
        return installed
    }

    /// Statistics of `count` events whose held pair is `pair`, as a value with the pair not held
    /// as zeros (for alert explanations and snapshots' four-moment form).
    static func stats(count: UInt32, pair: UnsafeBufferPointer<Float>, baseline: ZScoreDetector.AccountBaseline) -> AccountStats {
        let w2 = pair.count
        var all = [Float](repeating: 0, count: 2 * w2)
        let at = pairOffset(baseline, width: w2 / 2)
        for i in 0..<w2 { all[at + i] = pair[i] }
        return AccountStats(count: count, moments: all)
    }

    /// Every account's statistics (tests).
    var entries: [UInt64: Entry] {
        var out: [UInt64: Entry] = [:]
        out.reserveCapacity(keys.count)
        let w2 = 2 * width
        moments.withUnsafeBufferPointer { m in
            for e in keys.indices {
                out[keys[e]] = Entry(stats: Self.stats(count: counts[e], pair: UnsafeBufferPointer(rebasing: m[(e * w2)..<((e + 1) * w2)]), baseline: baseline),
                                     lastSeenMillis: lastSeen[e])
            }
        }
        return out
    }
}

extension AccountStatsTable {
    /// The entries in a compact binary form for partition snapshots, sorted by key so the same state
    /// always gives the same bytes. JSON took ~1 s per 35,000 accounts (a million accounts: a
    /// 30 s snapshot round, and a shutdown that overran its deadline); this takes milliseconds.
    ///
    /// Layout (little-endian): entry count u64, width w u32, then per entry: key u64, last seen
    /// (ms) i64, event count u32, and w Float32 each of mean, m2, EW mean, EW variance.
    func encoded() -> [UInt8] {
        // An empty table writes width 0, as the dictionary form did.
        let width = keys.isEmpty ? 0 : self.width
        var out: [UInt8] = []
        out.reserveCapacity(12 + keys.count * Self.entrySize(width: width))
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt64(keys.count))
        put(UInt32(width))
        let w2 = 2 * width
        let zeros = [Float](repeating: 0, count: w2)
        for s in keys.indices.sorted(by: { keys[$0] < keys[$1] }) {
            put(keys[s]); put(lastSeen[s]); put(counts[s])
            let pair = moments[(s * w2)..<((s + 1) * w2)]
            for v in baseline == .cumulative ? pair : zeros[...] { put(v.bitPattern) }
            for v in baseline == .cumulative ? zeros[...] : pair { put(v.bitPattern) }
        }
        return out
    }

    /// Bytes per entry of width `width`.
    static func entrySize(width: Int) -> Int { 20 + 16 * width }

    /// Reads `encoded()`'s form for a model whose Z-score has `width`
    /// inputs and reads `baseline`'s moments (the other pair is not kept); every inconsistency (a width other than the model's included) is a
    /// `PipelineError.badSnapshot`, never a trap.
    static func decode(_ bytes: ArraySlice<UInt8>, width expected: Int,
                       baseline: ZScoreDetector.AccountBaseline) throws -> AccountStatsTable {
        var at = bytes.startIndex
        func get<T: FixedWidthInteger>(_: T.Type) throws -> T {
            let size = MemoryLayout<T>.size
            guard bytes.endIndex - at >= size else { throw PipelineError.badSnapshot("account statistics truncated") }
            var v: T = 0
            for i in 0..<size { v |= T(truncatingIfNeeded: bytes[at + i]) << (8 * i) }
            at += size
            return v
        }
        let count = try get(UInt64.self)
        let width = Int(try get(UInt32.self))
        guard width <= 4096 else { throw PipelineError.badSnapshot("account statistics of width \(width)") }
        let size = entrySize(width: width)
        guard count == UInt64(bytes.endIndex - at) / UInt64(size), UInt64(bytes.endIndex - at) % UInt64(size) == 0 else {
            throw PipelineError.badSnapshot("account statistics: \(count) entries of \(size) bytes do not fill \(bytes.endIndex - at) bytes")
        }
        guard count == 0 || width == expected else {
            throw PipelineError.badSnapshot("account statistics of width \(width), the model has \(expected)")
        }
        var table = AccountStatsTable(width: expected, baseline: baseline)
        var seen = Set<UInt64>()
        seen.reserveCapacity(Int(count))
        let pairAt = table.pairOffset
        var m = [Float](repeating: 0, count: 4 * width)
        for _ in 0..<count {
            let key = try get(UInt64.self)
            let lastSeen = try get(Int64.self)
            let n = try get(UInt32.self)
            for i in 0..<(4 * width) { m[i] = Float(bitPattern: try get(UInt32.self)) }
            guard key != 0 else { throw PipelineError.badSnapshot("account statistics list account key 0") }
            guard seen.insert(key).inserted else {
                throw PipelineError.badSnapshot("account statistics list account key \(key) twice")
            }
            m.withUnsafeBufferPointer { table.append(key, lastSeen: lastSeen, count: n, pair: UnsafeBufferPointer(rebasing: $0[pairAt..<(pairAt + 2 * width)])) }
        }
        return table
    }
}
