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

    /// Updates the statistics of `key` in place (no copy of their arrays).
    mutating func update(_ key: UInt64, _ body: (inout AccountStats) -> Void) {
        guard entries[key] != nil else { return }
        body(&entries[key]!.stats)
    }

    private mutating func prune(keeping current: UInt64) {
        let ordered = entries.sorted { ($0.key == current ? 1 : 0, $0.value.lastSeenMillis, $0.key) > ($1.key == current ? 1 : 0, $1.value.lastSeenMillis, $1.key) }
        entries = Dictionary(uniqueKeysWithValues: ordered.prefix(capacity).map { ($0.key, $0.value) })
    }
}
