import Synchronization

/// A bounded, thread-safe least-recently-used map from normalised text to its embedding.
///
/// One `Mutex` guards a dictionary into fixed slot arrays threaded by a doubly linked recency list,
/// so a hit is a hash, a lookup and four index writes (no allocation); inserting beyond `capacity`
/// evicts the least recently used entry.
public final class EmbeddingCache: Sendable {
    /// Largest number of entries kept.
    public let capacity: Int
    private let state: Mutex<LRUState>

    /// Creates an empty cache holding at most `capacity` (≥ 1) entries.
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        self.state = Mutex(LRUState(capacity: max(1, capacity)))
    }

    /// The cached vector for `key`, marking it most recently used.
    public func value(forKey key: String) -> [Float]? {
        state.withLock { $0.get(key) }
    }

    /// Stores `value` under `key`, evicting the least recently used entry when full.
    public func insert(_ value: [Float], forKey key: String) {
        state.withLock { $0.put(key, value) }
    }

    /// Number of entries currently held.
    public var count: Int { state.withLock { $0.index.count } }

    /// Hits and misses counted since creation.
    public var statistics: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }
}

/// The LRU's storage; only ever touched under the cache's mutex.
struct LRUState: ~Copyable {
    var index: [String: Int] = [:]
    var keys: [String] = []
    var values: [[Float]] = []
    var previous: [Int] = []
    var next: [Int] = []
    var head = -1  // most recently used
    var tail = -1  // least recently used
    var hits = 0
    var misses = 0
    let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        index.reserveCapacity(min(capacity, 1 << 16))
    }

    mutating func get(_ key: String) -> [Float]? {
        guard let slot = index[key] else { misses += 1; return nil }
        hits += 1
        moveToFront(slot)
        return values[slot]
    }

    mutating func put(_ key: String, _ value: [Float]) {
        if let slot = index[key] {
            values[slot] = value
            moveToFront(slot)
            return
        }
        let slot: Int
        if keys.count < capacity {
            slot = keys.count
            keys.append(key)
            values.append(value)
            previous.append(-1)
            next.append(-1)
        } else {
            slot = tail
            unlink(slot)
            index[keys[slot]] = nil
            keys[slot] = key
            values[slot] = value
        }
        index[key] = slot
        pushFront(slot)
    }

    private mutating func moveToFront(_ slot: Int) {
        guard slot != head else { return }
        unlink(slot)
        pushFront(slot)
    }

    private mutating func unlink(_ slot: Int) {
        let p = previous[slot], n = next[slot]
        if p >= 0 { next[p] = n } else { head = n }
        if n >= 0 { previous[n] = p } else { tail = p }
        previous[slot] = -1
        next[slot] = -1
    }

    private mutating func pushFront(_ slot: Int) {
        previous[slot] = -1
        next[slot] = head
        if head >= 0 { previous[head] = slot }
        head = slot
        if tail < 0 { tail = slot }
    }
}
