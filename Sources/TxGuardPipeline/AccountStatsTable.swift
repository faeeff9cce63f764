import TxGuardDetectors

/// The detectors' per-account statistics of one partition (the Z-score detector's online means
/// and variances), bounded like the feature store: past `capacity` + 1/8 the least recently seen
/// accounts are dropped down to `capacity`, in a deterministic order (last-seen event time, then
/// key), so the same event sequence always keeps the same accounts.
struct AccountStatsTable {
    struct Entry: Codable {
        var stats: AccountStats
        var lastSeenMillis: Int64
    }

    private(set) var entries: [UInt64: Entry]
    let capacity: Int

    init(capacity: Int, entries: [UInt64: Entry] = [:]) {
        self.capacity = max(1, capacity)
        self.entries = entries
    }

    var count: Int { entries.count }

    /// Adds `key` with fresh statistics when absent (pruning when the table is over its bound);
    /// the account's entry is never the one pruned.
    mutating func ensure(_ key: UInt64, at millis: Int64, fresh: () -> AccountStats) {
        guard entries[key] == nil else { return }
        entries[key] = Entry(stats: fresh(), lastSeenMillis: millis)
        if entries.count - capacity > capacity / 8 { prune(keeping: key) }
    }

    /// The statistics of `key` (present after `ensure`).
    subscript(key: UInt64) -> AccountStats? { entries[key]?.stats }

    /// Records that `key` was seen at `millis`.
    mutating func touch(_ key: UInt64, at millis: Int64) {
        entries[key]?.lastSeenMillis = millis
    }

    /// Moves the statistics of `key` out of the table (an empty placeholder stays until `put`), so
    /// the caller can change them uniquely referenced without holding the table's access: a closure
    /// given to `update` that reads other state of the same owner made the compiler copy that state.
    mutating func take(_ key: UInt64) -> AccountStats? {
        guard entries[key] != nil else { return nil }
        var out = AccountStats(inputCount: 0)
        swap(&out, &entries[key]!.stats)
        return out
    }

    /// Puts back statistics moved out by `take`.
    mutating func put(_ key: UInt64, _ stats: AccountStats) {
        entries[key]?.stats = stats
    }

    private mutating func prune(keeping current: UInt64) {
        let ordered = entries.sorted { ($0.key == current ? 1 : 0, $0.value.lastSeenMillis, $0.key) > ($1.key == current ? 1 : 0, $1.value.lastSeenMillis, $1.key) }
        entries = Dictionary(uniqueKeysWithValues: ordered.prefix(capacity).map { ($0.key, $0.value) })
    }
}

extension AccountStatsTable {
    /// The entries in a compact binary form for partition snapshots, sorted by key so the same state
    /// always gives the same bytes. JSON took ~1 s per 35,000 accounts (a million accounts: a
    /// 30 s snapshot round, and a shutdown that overran its deadline); this takes milliseconds.
    ///
    /// Layout (little-endian): entry count u64, width w u32, then per entry: key u64, last seen
    /// (ms) i64, event count u32, and w Float32 each of mean, m2, EW mean, EW variance.
    static func encode(_ entries: [UInt64: Entry]) -> [UInt8] {
        let width = entries.first?.value.stats.width ?? 0
        var out: [UInt8] = []
        out.reserveCapacity(12 + entries.count * entrySize(width: width))
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        put(UInt64(entries.count))
        put(UInt32(width))
        for key in entries.keys.sorted() {
            let e = entries[key]!
            put(key); put(e.lastSeenMillis); put(e.stats.count)
            e.stats.withMoments { m in for v in m { put(v.bitPattern) } }
        }
        return out
    }

    /// Bytes per entry of width `width`.
    static func entrySize(width: Int) -> Int { 20 + 16 * width }

    /// Reads `encode`'s form; every inconsistency is a `PipelineError.badSnapshot`, never a trap.
    static func decode(_ bytes: ArraySlice<UInt8>) throws -> [UInt64: Entry] {
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
        var entries: [UInt64: Entry] = [:]
        entries.reserveCapacity(Int(count))
        for _ in 0..<count {
            let key = try get(UInt64.self)
            let lastSeen = try get(Int64.self)
            let n = try get(UInt32.self)
            var moments = [Float](repeating: 0, count: 4 * width)
            for i in 0..<(4 * width) { moments[i] = Float(bitPattern: try get(UInt32.self)) }
            let stats = AccountStats(count: n, moments: moments)
            guard entries.updateValue(Entry(stats: stats, lastSeenMillis: lastSeen), forKey: key) == nil else {
                throw PipelineError.badSnapshot("account statistics list account key \(key) twice")
            }
        }
        return entries
    }
}
