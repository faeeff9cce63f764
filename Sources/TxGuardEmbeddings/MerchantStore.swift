#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-merchant activity state of one partition's stream, for the merchant burst feature
/// (`merchant_accounts_surprisal`, see `BurstSurprisal`): when each merchant was first seen, how many
/// events it has had, and a ring of its most recent events (time, 32-bit account tag) from which the
/// distinct accounts of the last window are counted.
///
/// Bounded: at most `capacity` merchants, the least recently active one evicted to make room (its
/// history is lost: if it comes back it is a new merchant again), and at most `recentCapacity` recent
/// events per merchant (distinct-account counts are exact while a window holds fewer events than that,
/// and saturate beyond). Merchants are keyed by a 64-bit hash of the case-folded merchant name.
/// A value type owned by one partition's task; `serialized()` / `init(serialized:)` round-trip it
/// exactly, recency order included.
public struct MerchantStore: Sendable, Equatable, RecencyOrder {
    /// Largest number of merchants held (0: the store is disabled).
    public let capacity: Int
    /// Recent events kept per merchant.
    public let recentCapacity: Int
    /// Merchants evicted so far.
    public internal(set) var evictions: Int = 0

    struct Record: Sendable, Equatable, RecencySlot {
        static let keyOffset = MemoryLayout<Record>.offset(of: \Record.id)!
        var id: UInt64 = 0
        var firstSeen: Int64 = 0
        var lastSeen: Int64 = 0
        var events: UInt32 = 0
        var previous: Int32 = -1   // towards more recent
        var next: Int32 = -1       // towards less recent
        var ringStart: UInt8 = 0
        var ringCount: UInt8 = 0
    }

    var slotOf: SlotIndex
    var records: [Record] = []
    var ringTimes: [Int64] = []        // slot * R + i
    var ringAccounts: [UInt32] = []    // slot * R + i, non-zero account tags
    var head: Int32 = -1
    var tail: Int32 = -1
    var freeSlots: [Int32] = []

    /// Creates an empty store (`capacity` 0 disables it).
    public init(capacity: Int, recentCapacity: Int) {
        self.capacity = max(0, capacity)
        self.recentCapacity = max(1, min(255, recentCapacity))
        self.slotOf = SlotIndex()
    }

    /// Merchants currently held.
    public var count: Int { slotOf.count }

    public static func == (a: MerchantStore, b: MerchantStore) -> Bool {
        a.capacity == b.capacity && a.recentCapacity == b.recentCapacity && a.evictions == b.evictions
            && a.orderedStates() == b.orderedStates()
    }

    /// A readable view of one merchant's state.
    public struct State: Sendable, Equatable {
        public var key: UInt64
        public var firstSeenMillis: Int64
        public var lastSeenMillis: Int64
        public var events: UInt32
        /// Recent (time, account tag), oldest first.
        public var recent: [(Int64, UInt32)]

        public static func == (a: State, b: State) -> Bool {
            a.key == b.key && a.firstSeenMillis == b.firstSeenMillis && a.lastSeenMillis == b.lastSeenMillis
                && a.events == b.events && a.recent.map(\.0) == b.recent.map(\.0) && a.recent.map(\.1) == b.recent.map(\.1)
        }
    }

    /// All merchants' states from least to most recently active.
    public func orderedStates() -> [State] {
        var out: [State] = []
        var slot = tail
        while slot >= 0 {
            out.append(state(slot: Int(slot)))
            slot = records[Int(slot)].previous
        }
        return out
    }

    /// The state of the merchant with this key, if held.
    public func state(forKey key: UInt64) -> State? {
        slot(of: key).map { state(slot: Int($0)) }
    }

    func state(slot s: Int) -> State {
        let r = recentCapacity, rec = records[s]
        let recent = (0..<Int(rec.ringCount)).map { i -> (Int64, UInt32) in
            let j = ringIndex(s, i, capacity: r)
            return (ringTimes[j], ringAccounts[j])
        }
        return State(key: rec.id, firstSeenMillis: rec.firstSeen, lastSeenMillis: rec.lastSeen, events: rec.events, recent: recent)
    }

    // MARK: the feature's read-then-update step

    /// What the store knew of a merchant before an event.
    public struct Observation: Sendable, Equatable {
        /// The merchant had no state (never seen, or evicted).
        public var isNew: Bool
        /// Distinct accounts among its events in the window, the current event's account included (≥ 1).
        public var windowAccounts: Int
        /// Events before the window ("settled" history): all its events minus those of the window in the ring.
        public var settledEvents: Int
        /// Time from its first event to the start of the window, in windows (0 when younger than the window).
        public var settledExposure: Double
    }

    /// Reads the merchant's state as of `now` for a window of `windowMillis` (events e with
    /// `now − window < e.time ≤ now`), then records this event (time `now`, `account` tag).
    public mutating func observe(_ key: UInt64, account: UInt32, now: Int64, windowMillis: Int64) -> Observation {
        precondition(capacity > 0, "merchant store is disabled")
        let (s, isNew) = acquireSlot(key)
        let r = recentCapacity, rec = records[s]
        let from = now - windowMillis
        let tag = max(1, account)
        var inWindow = 0, distinct = 1  // the current event's account
        // The distinct accounts in an open-addressing set at most half full (linear in the ring,
        // where comparing each with every one seen before was quadratic). Tags are at least 1 (a
        // restored ring holding a 0 is refused), so 0 marks an empty place.
        let size = Self.distinctTableSize(recentCapacity: r), mask = size - 1
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: size) { table in
            table.initialize(repeating: 0)
            @inline(__always) func insert(_ a: UInt32) -> Bool {
                var h = Int(truncatingIfNeeded: (a &* 0x9E37_79B1) >> 16) & mask
                while table[h] != 0 {
                    if table[h] == a { return false }
                    h = (h &+ 1) & mask
                }
                table[h] = a
                return true
            }
            _ = insert(tag)
            for i in 0..<Int(rec.ringCount) {
                let j = ringIndex(s, i, capacity: r)
                let t = ringTimes[j]
                guard t > from && t <= now else { continue }
                inWindow += 1
                if insert(ringAccounts[j]) { distinct += 1 }
            }
        }
        let settled = isNew ? 0 : max(0, Int(rec.events) - inWindow)
        let exposure = isNew ? 0 : Double(max(0, from - rec.firstSeen)) / Double(windowMillis)
        // Update.
        if isNew { records[s].firstSeen = now; records[s].lastSeen = now } else { records[s].lastSeen = max(rec.lastSeen, now) }
        if rec.events < .max { records[s].events = rec.events + 1 }
        pushRecent(s, time: now, account: tag)
        return Observation(isNew: isNew, windowAccounts: distinct, settledEvents: settled, settledExposure: exposure)
    }

    /// Places in `observe`'s set of distinct accounts: a power of two at least twice the ring
    /// plus the current event, so the set is at most half full.
    static func distinctTableSize(recentCapacity r: Int) -> Int {
        var size = 4
        while size < 2 * (r + 1) { size <<= 1 }
        return size
    }

    // MARK: slots and recency

    mutating func growSlots() {
        records.append(Record())
        ringTimes.append(contentsOf: repeatElement(0, count: recentCapacity))
        ringAccounts.append(contentsOf: repeatElement(0, count: recentCapacity))
    }

    mutating func resetSlot(_ s: Int, key: UInt64) { records[s] = Record(id: key) }

    private mutating func pushRecent(_ s: Int, time: Int64, account: UInt32) {
        let j = nextRingIndex(s, capacity: recentCapacity)
        ringTimes[j] = time
        ringAccounts[j] = account
    }

    // MARK: serialization

    private static let magic: UInt32 = 0x4D47_5854  // "TXGM" little-endian
    private static let version: UInt32 = 1

    /// The whole store, little-endian (merchants from least to most recently active).
    public func serialized() -> [UInt8] {
        var w = ByteWriter()
        w.write(Self.magic); w.write(Self.version)
        w.write(UInt64(capacity)); w.write(UInt32(recentCapacity)); w.write(UInt64(evictions)); w.write(UInt64(count))
        for st in orderedStates() {
            w.write(st.key); w.write(st.firstSeenMillis); w.write(st.lastSeenMillis); w.write(st.events)
            w.write(UInt8(st.recent.count))
            for (t, a) in st.recent { w.write(t); w.write(a) }
        }
        return w.bytes
    }

    /// Restores a store written by `serialized()`; throws `EmbeddingError.corruptState` on bad input.
    public init(serialized bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        try self.init(reading: &r)
        guard r.offset == bytes.count else { throw EmbeddingError.corruptState(reason: "\(bytes.count - r.offset) trailing bytes") }
    }

    init(reading r: inout ByteReader) throws {
        guard try r.read(UInt32.self) == Self.magic else { throw EmbeddingError.corruptState(reason: "not a merchant store (bad magic)") }
        let version = try r.read(UInt32.self)
        guard version == Self.version else { throw EmbeddingError.corruptState(reason: "unsupported merchant store version \(version)") }
        let capacity = try r.read(UInt64.self)
        let recent = try r.read(UInt32.self)
        let evictions = try r.read(UInt64.self)
        let n = try r.read(UInt64.self)
        guard capacity <= UInt64(SlotIndex.slotLimit), (1...255).contains(recent), n <= capacity else {
            throw EmbeddingError.corruptState(reason: "\(n) merchants for capacity \(capacity), ring \(recent)")
        }
        // Compared as UInt64: a count above Int.max must be refused, not converted (found by fuzzing).
        guard evictions <= UInt64(Int.max) else { throw EmbeddingError.corruptState(reason: "merchant eviction count \(evictions) out of range") }
        self.init(capacity: Int(capacity), recentCapacity: Int(recent))
        self.evictions = Int(evictions)
        for _ in 0..<n {
            let key = try r.read(UInt64.self)
            guard key != 0, slot(of: key) == nil else { throw EmbeddingError.corruptState(reason: "merchant key \(key) is 0 or appears twice") }
            let (s, _) = acquireSlot(key)
            records[s].firstSeen = try r.read(Int64.self)
            records[s].lastSeen = try r.read(Int64.self)
            records[s].events = try r.read(UInt32.self)
            let c = Int(try r.read(UInt8.self))
            guard c <= recentCapacity else { throw EmbeddingError.corruptState(reason: "\(c) recent merchant events") }
            for _ in 0..<c {
                let t = try r.read(Int64.self), a = try r.read(UInt32.self)
                // `observe` writes tags of at least 1 (and its distinct count relies on it).
                guard a != 0 else { throw EmbeddingError.corruptState(reason: "merchant \(key): a recent event with account tag 0") }
                pushRecent(s, time: t, account: a)
            }
        }
    }
}

/// The burst surprisal: how unlikely it is that a key (a merchant, an account) has this many events
/// within one window, given how long it has been seen and how busy it was before.
///
/// Gamma–Poisson model. A key's events arrive at an unknown rate λ per window with a Gamma(α, β)
/// prior, β = α/μ, μ the mean rate per key fitted at training (`EventRatePrior`) and α the
/// prior's shape (1: an exponential prior, the maximum-entropy choice for a positive rate of known
/// mean). Its settled history — n events before the current window over an exposure of e windows
/// since it was first seen — gives the posterior Gamma(α + n, β + e), and the number K of events in a
/// window is then negative binomial: `P(K = j) = C(j + a − 1, j) q^a (1 − q)^j` with a = α + n,
/// q = b/(b + 1), b = β + e. The surprisal is `−ln P(K ≥ k)`.
///
/// - `merchant_accounts_surprisal`: k the distinct accounts of the merchant's window (the current
///   event's included). Events upper-bound distinct accounts, so measuring the history in events can
///   only lower the surprisal (conservative). A merchant never seen before is judged by the prior
///   alone: a new merchant that charges many accounts at once stands out; an established busy
///   merchant does not.
/// - `acct_burst_<w>s`: k the account's earlier events in the last w seconds (0 → 0). The velocity of
///   an account measured against its own rate, so a busy account's ordinary pace is not an anomaly
///   and a quiet account's burst is.
public enum BurstSurprisal {
    /// −ln P(K ≥ k) for K ~ NegativeBinomial(a, q) as above; 0 for k ≤ 0.
    ///
    /// `trafficFactor` g scales the expected count of the window for the whole stream's current pace
    /// (`TrafficLevel`): K ~ Poisson(g·λ), so q = b/(b + g).
    public static func surprisal(windowCount k: Int, settledEvents n: Int, settledExposure e: Double,
                                 priorMean mu: Double, alpha: Double, trafficFactor g: Double = 1) -> Double {
        guard k > 0 else { return 0 }
        let a = alpha + Double(max(0, n))
        let b = alpha / mu + max(0, e)
        let q = b / (b + g)
        return -logUpperTail(k, shape: a, q: q)
    }

    /// ln P(K ≥ k), K ~ NegativeBinomial(shape a, success probability q), computed in log space.
    public static func logUpperTail(_ k: Int, shape a: Double, q: Double) -> Double {
        guard k > 0 else { return 0 }
        let logQ = log(q), log1mQ = log1p(-q)
        func logPMF(_ j: Int) -> Double {
            lgamma(a + Double(j)) - lgamma(a) - lgamma(Double(j) + 1) + a * logQ + Double(j) * log1mQ
        }
        let mean = a * (1 - q) / q
        if Double(k) <= mean + 1, let lower = logOneMinusLowerSum(k, a: a, q: q, logPMFBelow: logPMF(k - 1)) {
            return lower
        }
        // Upper tail: P(k)·(1 + P(k+1)/P(k) + …); beyond the mean the ratios are < 1 and decrease.
        var rel = 1.0, sum = 1.0
        var j = k
        for _ in 0..<1_000_000 {
            rel *= (a + Double(j)) * (1 - q) / (Double(j) + 1)  // P(j+1)/P(j)
            sum += rel
            j += 1
            if rel < 1e-17 * sum && Double(j) > mean { break }
        }
        return logPMF(k) + log(sum)
    }

    /// ln(1 − P(K < k)) from the terms below k, relative to P(k − 1); nil when P(K < k) is too close
    /// to 1 for the difference to be accurate.
    private static func logOneMinusLowerSum(_ k: Int, a: Double, q: Double, logPMFBelow: Double) -> Double? {
        // 1 − P(K < k): sum P(k−1), P(k−2), … relative to P(k−1).
        var rel = 1.0, sum = 1.0
        var j = k - 1
        while j > 0 {
            rel *= Double(j) / ((a + Double(j) - 1) * (1 - q))  // P(j−1)/P(j)
            sum += rel
            j -= 1
        }
        let logCDF = logPMFBelow + log(sum)
        return logCDF < log(0.99) ? log1p(-exp(logCDF)) : nil
    }
}

/// The prior mean μ of `BurstSurprisal`: the pooled rate of events per key (merchant, account) per
/// window of the keys that appeared new in the training stream — those first seen at least one window
/// after the first training event (in the first window every key is new to the stream, busy ones
/// included; later arrivals are what a warmed scorer meets as new keys) —
/// `events / Σ_m max(1, (t_end − first_m)/window)`, each such key exposed from its first training
/// event to the last one, at least one window. Without any late arrival, all keys are used.
/// Fitted at training.
public struct EventRatePrior: Codable, Sendable, Equatable {
    /// Training events of the keys used.
    public var events: Int
    /// Keys used.
    public var keys: Int
    /// Σ exposure, in windows.
    public var exposureWindows: Double

    public init(events: Int, keys: Int, exposureWindows: Double) {
        self.events = events
        self.keys = keys
        self.exposureWindows = exposureWindows
    }

    /// μ, events per key per window (1 without training data).
    public var meanRate: Double { events > 0 && exposureWindows > 0 ? Double(events) / exposureWindows : 1 }

    /// Fits the prior from (merchant name, event time millis) pairs.
    public static func fit(_ events: some Sequence<(String?, Int64)>, windowSeconds: Int) -> EventRatePrior {
        fit(keyed: events.lazy.map { (name, t) in (name.flatMap { $0.isEmpty ? nil : BurstSurprisal.merchantKey($0) }, t) },
            windowSeconds: windowSeconds)
    }

    /// Fits the prior from (key, event time millis) pairs; nil keys are skipped.
    public static func fit(keyed events: some Sequence<(UInt64?, Int64)>, windowSeconds: Int) -> EventRatePrior {
        var first: [UInt64: (time: Int64, events: Int)] = [:]
        var start = Int64.max, end = Int64.min
        for (key, t) in events {
            guard let k = key else { continue }
            start = min(start, t); end = max(end, t)
            if let f = first[k] { first[k] = (min(f.time, t), f.events + 1) } else { first[k] = (t, 1) }
        }
        let w = Double(windowSeconds) * 1000
        var chosen = first.values.filter { Double($0.time - start) >= w }
        if chosen.isEmpty { chosen = Array(first.values) }
        // Summed in a defined order: a dictionary's order changes with the process's hash seed, and
        // a floating-point sum in that order made each training run's model differ in the last bits.
        chosen.sort { ($0.time, $0.events) < ($1.time, $1.events) }
        let exposure = chosen.reduce(0.0) { $0 + max(1, Double(end - $1.time) / w) }
        return EventRatePrior(events: chosen.reduce(0) { $0 + $1.events }, keys: chosen.count, exposureWindows: exposure)
    }
}

extension BurstSurprisal {
    /// The store key of a merchant name (case-folded ASCII, never 0).
    public static func merchantKey(_ merchantName: String) -> UInt64 {
        let h = TabularFeaturizer.caseInsensitiveHash(merchantName, seed: 0x4D45_5243)
        return h == 0 ? 1 : h
    }
}
