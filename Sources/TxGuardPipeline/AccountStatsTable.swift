import TxGuardDetectors
import TxGuardEmbeddings

/// The detectors' per-account statistics of one partition (the Z-score detector's online means
/// and variances), bounded like the feature store: past `capacity` + 1/8 the least recently seen
/// accounts are dropped down to `capacity`, in a deterministic order (last-seen event time, then
/// key), so the same event sequence always keeps the same accounts.
///
/// Flat, like `AccountStore`: one slot per account in plain arrays (key, last seen, count, and the
/// moments) found through an open-addressing `SlotIndex`; and only the pair of moments the model's
/// baseline reads (`[mean | m2]` or `[ewMean | ewVariance]`, `2 × width` floats), since a model
/// never changes its baseline. A dictionary of `AccountStats` held a heap array of all four per
/// account: about 200 bytes an account against about 90 here, and a snapshot's copy-on-write
/// capture of it retained a million buffers. Snapshots still carry all four moments per account
/// (the pair not held as zeros), so their layout is unchanged.
struct AccountStatsTable: Sendable {
    /// One account's statistics as saved (the JSON of `TXPS1` snapshots).
    struct Entry: Codable {
        var stats: AccountStats
        var lastSeenMillis: Int64
    }

    let capacity: Int
    /// Z-score inputs per account.
    let width: Int
    /// The moments held: the pair this baseline reads.
    let baseline: ZScoreDetector.AccountBaseline
    private var slotOf: SlotIndex
    private var keys: [UInt64] = []
    private var lastSeen: [Int64] = []
    private var counts: [UInt32] = []
    private var moments: [Float] = []   // slot * 2w: the pair

    init(capacity: Int, width: Int, baseline: ZScoreDetector.AccountBaseline) {
        self.capacity = max(1, capacity)
        self.width = width
        self.baseline = baseline
        precondition(self.capacity + self.capacity / 8 < SlotIndex.slotLimit, "account capacity \(capacity) over the slot index's range")
        slotOf = SlotIndex()
    }

    /// Where the held pair starts in the four-moment layout `[mean | m2 | ewMean | ewVariance]`.
    private var pairOffset: Int { baseline == .cumulative ? 0 : 2 * width }

    /// A table holding `entries` (all of width `width` and none keyed 0; the caller checks), in
    /// key order.
    init(capacity: Int, width: Int, baseline: ZScoreDetector.AccountBaseline, entries: [UInt64: Entry]) {
        self.init(capacity: capacity, width: width, baseline: baseline)
        let at = pairOffset
        for key in entries.keys.sorted() {
            let e = entries[key]!
            e.stats.withMoments { m in
                append(key, lastSeen: e.lastSeenMillis, count: e.stats.count, pair: UnsafeBufferPointer(rebasing: m[at..<(at + 2 * width)]))
            }
        }
    }

    var count: Int { keys.count }

    /// The slot of `key`, if held.
    @inline(__always)
    private func slot(of key: UInt64) -> Int32? {
        keys.withUnsafeBufferPointer { slotOf.find(key, keys: SlotKeys($0, keyOffset: 0)) }
    }

    /// Adds `key` (absent) in a new last slot.
    private mutating func append(_ key: UInt64, lastSeen millis: Int64, count n: UInt32, pair: UnsafeBufferPointer<Float>?) {
        keys.append(key)
        keys.withUnsafeBufferPointer { slotOf.insert(key, Int32($0.count - 1), keys: SlotKeys($0, keyOffset: 0)) }
        lastSeen.append(millis)
        counts.append(n)
        if let pair { moments.append(contentsOf: pair) } else { moments.append(contentsOf: repeatElement(0, count: 2 * width)) }
    }

    /// The slot of `key`, added with fresh statistics when absent (pruning when the table is over
    /// its bound; the account's entry is never the one pruned).
    mutating func ensure(_ key: UInt64, at millis: Int64) -> Int {
        if let s = slot(of: key) { return Int(s) }
        append(key, lastSeen: millis, count: 0, pair: nil)
        if keys.count - capacity > capacity / 8 { prune(keeping: key) }
        return Int(slot(of: key)!)
    }

    /// Calls `body` with a view of the statistics in `slot`.
    @inline(__always)
    func withView<R>(_ slot: Int, _ body: (AccountMomentsView) -> R) -> R {
        let w2 = 2 * width
        return moments.withUnsafeBufferPointer { m in
            body(AccountMomentsView(count: counts[slot], pair: UnsafeBufferPointer(rebasing: m[(slot * w2)..<((slot + 1) * w2)]),
                                    baseline: baseline))
        }
    }

    /// The statistics in `slot` as a value, the pair not held as zeros (for alert explanations:
    /// one copy per alert; the Z-score reads only its baseline's pair).
    func stats(_ slot: Int) -> AccountStats {
        let w2 = 2 * width
        var all = [Float](repeating: 0, count: 4 * width)
        all.replaceSubrange(pairOffset..<(pairOffset + w2), with: moments[(slot * w2)..<((slot + 1) * w2)])
        return AccountStats(count: counts[slot], moments: all)
    }

    /// Records that the account in `slot` was seen at `millis`.
    mutating func touch(_ slot: Int, at millis: Int64) { lastSeen[slot] = millis }

    /// Lets `body` change the count and the held pair of moments in `slot` in place.
    @inline(__always)
    mutating func update(_ slot: Int, _ body: (inout UInt32, UnsafeMutableBufferPointer<Float>) -> Void) {
        let w2 = 2 * width
        moments.withUnsafeMutableBufferPointer { m in
            body(&counts[slot], UnsafeMutableBufferPointer(rebasing: m[(slot * w2)..<((slot + 1) * w2)]))
        }
    }

    /// Every account's statistics (tests).
    var entries: [UInt64: Entry] {
        var out: [UInt64: Entry] = [:]
        out.reserveCapacity(keys.count)
        for s in keys.indices { out[keys[s]] = Entry(stats: stats(s), lastSeenMillis: lastSeen[s]) }
        return out
    }

    private mutating func prune(keeping current: UInt64) {
        let ordered = keys.indices.sorted { a, b in
            (keys[a] == current ? 1 : 0, lastSeen[a], keys[a]) > (keys[b] == current ? 1 : 0, lastSeen[b], keys[b])
        }
        var kept = AccountStatsTable(capacity: capacity, width: width, baseline: baseline)
        let w2 = 2 * width
        moments.withUnsafeBufferPointer { m in
            for s in ordered.prefix(capacity) {
                kept.append(keys[s], lastSeen: lastSeen[s], count: counts[s],
                            pair: UnsafeBufferPointer(rebasing: m[(s * w2)..<((s + 1) * w2)]))
            }
        }
        self = kept
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

    /// Reads `encoded()`'s form into a table of `capacity` for a model whose Z-score has `width`
    /// inputs and reads `baseline`'s moments (the other pair is not kept); every inconsistency (a width other than the model's included) is a
    /// `PipelineError.badSnapshot`, never a trap.
    static func decode(_ bytes: ArraySlice<UInt8>, capacity: Int, width expected: Int,
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
        var table = AccountStatsTable(capacity: capacity, width: expected, baseline: baseline)
        let pairAt = table.pairOffset
        var m = [Float](repeating: 0, count: 4 * width)
        for _ in 0..<count {
            let key = try get(UInt64.self)
            let lastSeen = try get(Int64.self)
            let n = try get(UInt32.self)
            for i in 0..<(4 * width) { m[i] = Float(bitPattern: try get(UInt32.self)) }
            guard key != 0 else { throw PipelineError.badSnapshot("account statistics list account key 0") }
            guard table.slot(of: key) == nil else {
                throw PipelineError.badSnapshot("account statistics list account key \(key) twice")
            }
            m.withUnsafeBufferPointer { table.append(key, lastSeen: lastSeen, count: n, pair: UnsafeBufferPointer(rebasing: $0[pairAt..<(pairAt + 2 * width)])) }
        }
        return table
    }
}
