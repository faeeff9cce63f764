import CPrefetch

/// Per-account behaviour state for the tabular featurizer, with a bounded footprint: at most
/// `capacity` accounts, least recently active evicted first, and (optionally) accounts idle longer
/// than `idleTTLMillis` of event time evicted as newer events arrive.
///
/// Accounts are keyed by a 64-bit stable hash of the account id (a collision, odds ~n²/2⁶⁵, would
/// merge two accounts). State lives in flat per-field arrays indexed by slot, with a doubly linked
/// recency list, so an event touches a few cache lines and allocates nothing. One store belongs to
/// one partition's task (a value type; `inout` access). `serialized()` / `init(serialized:)`
/// round-trip the state exactly, recency order included.
public struct AccountStore: Sendable, RecencyOrder {
    /// Fixed per-account sizes, set by the featurizer's spec.
    public struct Layout: Sendable, Equatable {
        /// Recent events kept for the velocity windows.
        public var recentCapacity: Int
        /// Distinct values kept per known-value set (merchants, countries, devices).
        public var knownCapacity: Int
        /// Width of the text centroid (0 without text projection).
        public var centroidDimension: Int
        /// Distinct categorical values counted for the surprisal feature (0 without it).
        public var categoryCapacity: Int = 0
        /// Merchants kept by the partition's `MerchantStore` (0 without the merchant burst feature).
        public var merchantCapacity: Int = 0
        /// Recent events kept per merchant (0 without the merchant burst feature).
        public var merchantRecentCapacity: Int = 0
    }

    /// Largest number of accounts held.
    public let capacity: Int
    /// Accounts whose latest event is older than this (event time) are evicted; nil keeps them.
    public let idleTTLMillis: Int64?
    /// Per-account sizes.
    public let layout: Layout
    /// Accounts evicted so far (capacity or TTL).
    public internal(set) var evictions: Int = 0
    /// The partition's per-merchant state (the merchant burst feature), serialised with the accounts.
    public internal(set) var merchants: MerchantStore
    /// The partition's traffic level (scales the burst surprisals' expected counts).
    public internal(set) var traffic = TrafficLevel()

    /// The scalar state of one account, one cache line, so an event's scalar reads and writes are local.
    struct Record: Sendable, RecencySlot {
        static let keyOffset = MemoryLayout<Record>.offset(of: \Record.id)!
        var id: UInt64 = 0
        var lastTimestamp: Int64 = 0
        var firstTimestamp: Int64 = 0
        var mean: Double = 0
        var variance: Double = 0
        var count: UInt32 = 0
        var previous: Int32 = -1     // towards more recent
        var next: Int32 = -1         // towards less recent
        var ringStart: UInt8 = 0     // index of the oldest entry
        var ringCount: UInt8 = 0
        var knownMerchants: UInt8 = 0
        var knownCountries: UInt8 = 0
        var knownDevices: UInt8 = 0
        var categoryEntries: UInt8 = 0
        var categoryTotal: UInt32 = 0  // events with a value of the surprisal field
    }

    var slotOf: SlotIndex
    var records: [Record] = []
    /// Event times in the ring as offsets from the account's latest event time (`Record.lastTimestamp`,
    /// see `setLatest`), 4 bytes instead of 8: an entry older than the latest event by more than
    /// 2³¹ ms (24.8 days) reads as exactly that old, which no window (at most 20 days, checked by
    /// `FeatureSpec`) of an event less than 4.8 days late can tell apart.
    var ringOffsets: [Int32] = []    // slot * R + i
    var ringAmounts: [Float] = []
    var ringCategories: [UInt16] = []  // slot * R + i when categoryCapacity > 0: the value's tag, 0 for none
    var known: [UInt16] = []         // (slot * 3 + set) * K + i, most recent first (16-bit value tags)
    var centroids: [Float] = []      // slot * D + i
    var categoryKeys: [UInt16] = []  // slot * C + i (unordered): the value's 16-bit tag, as in the ring
    var categoryCounts: [UInt16] = []  // halved with the account's total when one reaches 2^16 - 1
    var head: Int32 = -1             // most recently active
    var tail: Int32 = -1             // least recently active
    var freeSlots: [Int32] = []
    /// Detector statistics kept beside the features (the scorer's Z-score moments): `statisticsWidth`
    /// floats and a count per slot, zero for a new account. Not part of `serialized()`: the scorer
    /// snapshots them in their own section.
    public private(set) var statisticsWidth = 0
    @usableFromInline var statistics: [Float] = []          // slot * W + i
    @usableFromInline var statisticsCounts: [UInt32] = []   // slot

    /// Known-value sets.
    enum KnownSet: Int { case merchant = 0, country = 1, device = 2 }

    /// Creates an empty store.
    public init(capacity: Int, idleTTLMillis: Int64? = nil, layout: Layout) {
        self.capacity = max(1, capacity)
        self.idleTTLMillis = idleTTLMillis
        self.layout = layout
        precondition(capacity <= SlotIndex.slotLimit, "an account store holds at most \(SlotIndex.slotLimit) accounts")
        self.slotOf = SlotIndex()
        self.merchants = MerchantStore(capacity: layout.merchantCapacity, recentCapacity: layout.merchantRecentCapacity)
    }

    /// Accounts currently held.
    public var count: Int { slotOf.count }

    /// The stable key of an account id.
    public static func key(_ accountID: String) -> UInt64 {
        let h = FeatureHash.hash(accountID, seed: 0xACC0_0000)
        return h == 0 ? 1 : h  // 0 marks an empty SlotIndex entry
    }

    /// A snapshot of one account's state, or nil when the store holds none.
    public func state(forAccount accountID: String) -> AccountState? {
        guard let slot = slot(of: Self.key(accountID)) else { return nil }
        return state(slot: Int(slot))
    }

    func state(slot s: Int) -> AccountState {
        let r = layout.recentCapacity, k = layout.knownCapacity, d = layout.centroidDimension, c = layout.categoryCapacity
        var recent: [AccountState.RecentEvent] = []
        let rec = records[s]
        for i in 0..<Int(rec.ringCount) {
            let j = ringIndex(s, i, capacity: r)
            recent.append(.init(timestampMillis: ringTime(s, j), amount: ringAmounts[j], categoryHash: c > 0 ? ringCategories[j] : 0))
        }
        func set(_ which: Int) -> [UInt16] {
            let base = (s * 3 + which) * k
            return Array(known[base..<(base + Int(knownCount(s, which)))])
        }
        return AccountState(count: rec.count, firstTimestampMillis: rec.firstTimestamp, lastTimestampMillis: rec.lastTimestamp, amountMean: rec.mean,
                            amountVariance: rec.variance, recentEvents: recent, knownMerchants: set(0),
                            knownCountries: set(1), knownDevices: set(2),
                            textCentroid: Array(centroids[(s * d)..<((s + 1) * d)]),
                            categoryTotal: rec.categoryTotal,
                            categoryCounts: (0..<Int(rec.categoryEntries)).map {
                                .init(valueHash: categoryKeys[s * c + $0], count: UInt32(categoryCounts[s * c + $0]))
                            })
    }

    // MARK: slots and recency

    /// The slot of `key`, made most recently active; a new zeroed slot (evicting when full) if absent.
    mutating func acquire(_ key: UInt64, now: Int64) -> (slot: Int, isNew: Bool) {
        evictIdle(now: now)
        return acquireSlot(key)
    }

    /// Evicts accounts whose latest event is older than `now − idleTTLMillis`, least recent first.
    public mutating func evictIdle(now: Int64) {
        guard let ttl = idleTTLMillis else { return }
        while tail >= 0, records[Int(tail)].lastTimestamp < now - ttl {
            evict(tail)
        }
    }

    /// Starts loading slot `s`'s state in every array at once (cache hints, no effect on results):
    /// the featurizer then reads them one after another without waiting on each miss in turn.
    @inline(__always)
    func prefetch(_ s: Int) {
        @inline(__always) func hint<T>(_ array: [T], _ i: Int) {
            array.withUnsafeBufferPointer { if i < $0.count { txg_prefetch($0.baseAddress! + i) } }
        }
        let r = layout.recentCapacity, k = layout.knownCapacity, c = layout.categoryCapacity
        hint(records, s)
        hint(ringOffsets, s * r)
        hint(ringAmounts, s * r)
        hint(ringCategories, s * r)
        hint(known, s * 3 * k)
        hint(known, (s * 3 + 2) * k)
        hint(centroids, s * layout.centroidDimension)
        hint(categoryKeys, s * c)
        hint(categoryCounts, s * c)
        hint(statistics, s * statisticsWidth)
        hint(statisticsCounts, s)
    }

    mutating func growSlots() {
        let r = layout.recentCapacity, k = layout.knownCapacity, d = layout.centroidDimension
        records.append(Record())
        ringOffsets.append(contentsOf: repeatElement(0, count: r))
        ringAmounts.append(contentsOf: repeatElement(0, count: r))
        if layout.categoryCapacity > 0 { ringCategories.append(contentsOf: repeatElement(0, count: r)) }
        known.append(contentsOf: repeatElement(0, count: 3 * k))
        centroids.append(contentsOf: repeatElement(0, count: d))
        categoryKeys.append(contentsOf: repeatElement(0, count: layout.categoryCapacity))
        categoryCounts.append(contentsOf: repeatElement(0, count: layout.categoryCapacity))
        statistics.append(contentsOf: repeatElement(0, count: statisticsWidth))
        statisticsCounts.append(0)
    }

    mutating func resetSlot(_ s: Int, key: UInt64) {
        records[s] = Record(id: key)
        let d = layout.centroidDimension
        for i in 0..<d { centroids[s * d + i] = 0 }
        let w = statisticsWidth
        for i in 0..<w { statistics[s * w + i] = 0 }
        statisticsCounts[s] = 0
    }

    // MARK: detector statistics

    /// Keeps `width` floats and a count of detector statistics per account from now on, every
    /// account's zero. They live and go with the account's other state: an account evicted (least
    /// recently active past the capacity, or idle past the TTL) starts its statistics again.
    package mutating func resetStatistics(width: Int) {
        statisticsWidth = max(0, width)
        statistics = [Float](repeating: 0, count: records.count * statisticsWidth)
        statisticsCounts = [UInt32](repeating: 0, count: records.count)
    }

    /// The slot of the account with key `key` (`AccountStore.key`), if held.
    package func slot(ofKey key: UInt64) -> Int? { slot(of: key).map(Int.init) }

    /// Calls `body` with slot `s`'s statistics count and floats.
    @inlinable
    package func withStatistics<R>(_ s: Int, _ body: (UInt32, UnsafeBufferPointer<Float>) -> R) -> R {
        let w = statisticsWidth
        return statistics.withUnsafeBufferPointer { body(statisticsCounts[s], UnsafeBufferPointer(rebasing: $0[(s * w)..<((s + 1) * w)])) }
    }

    /// Lets `body` change slot `s`'s statistics count and floats in place.
    @inlinable
    package mutating func updateStatistics(_ s: Int, _ body: (inout UInt32, UnsafeMutableBufferPointer<Float>) -> Void) {
        let w = statisticsWidth
        statistics.withUnsafeMutableBufferPointer { m in
            body(&statisticsCounts[s], UnsafeMutableBufferPointer(rebasing: m[(s * w)..<((s + 1) * w)]))
        }
    }

    /// Every held account's key, latest event time, statistics count and floats (`statisticsWidth`
    /// each, concatenated), least recently active first.
    package func capturedStatistics() -> (keys: [UInt64], lastSeen: [Int64], counts: [UInt32], values: [Float]) {
        var keys: [UInt64] = [], lastSeen: [Int64] = [], counts: [UInt32] = [], values: [Float] = []
        keys.reserveCapacity(count); lastSeen.reserveCapacity(count); counts.reserveCapacity(count)
        values.reserveCapacity(count * statisticsWidth)
        let w = statisticsWidth
        var slot = tail
        while slot >= 0 {
            let s = Int(slot)
            keys.append(records[s].id); lastSeen.append(records[s].lastTimestamp); counts.append(statisticsCounts[s])
            values.append(contentsOf: statistics[(s * w)..<((s + 1) * w)])
            slot = records[s].previous
        }
        return (keys, lastSeen, counts, values)
    }


    // MARK: per-account updates used by the featurizer

    /// The event time of ring entry `j` (an index from `ringIndex`) of slot `s`.
    @inline(__always)
    func ringTime(_ s: Int, _ j: Int) -> Int64 { records[s].lastTimestamp &+ Int64(ringOffsets[j]) }

    /// Sets the slot's latest event time, keeping its ring's times: the offsets move by the
    /// difference, saturating at 2³¹ ms back.
    mutating func setLatest(_ s: Int, _ millis: Int64) {
        let shift = millis &- records[s].lastTimestamp
        records[s].lastTimestamp = millis
        guard shift != 0 else { return }
        let r = layout.recentCapacity
        for j in (s * r)..<((s + 1) * r) { ringOffsets[j] = Self.offset(Int64(ringOffsets[j]) &- shift) }
    }

    /// `delta` as a ring offset, saturated to the Int32 range.
    @inline(__always)
    static func offset(_ delta: Int64) -> Int32 { Int32(clamping: delta) }

    /// Appends an event to the slot's ring, dropping the oldest when full (`time` is kept relative
    /// to the slot's latest event time, so set that first).
    mutating func pushRecent(_ s: Int, time: Int64, amount: Float, category: UInt16 = 0) {
        let j = nextRingIndex(s, capacity: layout.recentCapacity)
        ringOffsets[j] = Self.offset(time &- records[s].lastTimestamp); ringAmounts[j] = amount
        if layout.categoryCapacity > 0 { ringCategories[j] = category }
    }

    /// The 16-bit tag a known-value set keeps for a value's 64-bit hash (`knownTag`: its low 16
    /// bits), and the tag the category counts and the ring keep (`categoryTag`, never 0: 0 marks
    /// "no value" in the ring). A tag is a fingerprint, as in a cuckoo filter: a value the account
    /// has not seen is taken for one of its K known values with odds of at most K/2¹⁶ (1.2·10⁻⁴
    /// for the default 8), and a new category value shares a counted value's tag with odds of at
    /// most 16/2¹⁶. The sets, the counts' keys and the ring hold 2 bytes a value instead of 4:
    /// 112 bytes an account (issue 14).
    @inline(__always)
    public static func knownTag(_ hash: UInt64) -> UInt16 { UInt16(truncatingIfNeeded: hash) }

    /// See `knownTag`.
    @inline(__always)
    public static func categoryTag(_ hash: UInt64) -> UInt16 { max(1, UInt16(truncatingIfNeeded: hash)) }

    /// A category tag (or 0, "no value") of an older, wider form, as `categoryTag` gives it now.
    static func foldedCategoryTag(_ wide: UInt64) -> UInt16 { wide == 0 ? 0 : categoryTag(wide) }

    /// Whether `value` is in the set; then moves it (or inserts it) to the front, dropping the last when full.
    mutating func noteKnown(_ s: Int, _ set: KnownSet, _ value: UInt16) -> Bool {
        let k = layout.knownCapacity
        let base = (s * 3 + set.rawValue) * k
        let c = Int(knownCount(s, set.rawValue))
        var found = -1
        for i in 0..<c where known[base + i] == value { found = i; break }
        let shiftFrom = found >= 0 ? found : min(c, k - 1)
        var i = shiftFrom
        while i > 0 { known[base + i] = known[base + i - 1]; i -= 1 }
        known[base] = value
        if found < 0 && c < k { setKnownCount(s, set.rawValue, UInt8(c + 1)) }
        return found >= 0
    }

    /// The account's count of `value` and its total count, before this event; then counts `value`.
    /// When all `categoryCapacity` entries are taken, a new value replaces the least counted entry
    /// (the first of equals), starting at 1. Counts are 16-bit: when one reaches 2¹⁶ − 1, the
    /// account's counts and total are halved (rounding up), which keeps their ratios and makes the
    /// oldest events weigh less from then on; before that (65,534 events of one value) the counts are
    /// exact.
    mutating func countCategory(_ s: Int, _ value: UInt16) -> (count: UInt32, total: UInt32) {
        let c = layout.categoryCapacity
        let total = records[s].categoryTotal
        records[s].categoryTotal = total == .max ? total : total + 1
        guard c > 0 else { return (0, total) }
        let base = s * c, n = Int(records[s].categoryEntries)
        var least = 0
        for i in 0..<n {
            if categoryKeys[base + i] == value {
                let k = categoryCounts[base + i]
                categoryCounts[base + i] = k + 1
                if k + 1 == .max { halveCategoryCounts(s) }
                return (UInt32(k), total)
            }
            if categoryCounts[base + i] < categoryCounts[base + least] { least = i }
        }
        let slot = n < c ? n : least
        if n < c { records[s].categoryEntries = UInt8(n + 1) }
        categoryKeys[base + slot] = value
        categoryCounts[base + slot] = 1
        return (0, total)
    }

    /// Halves slot `s`'s category counts and total, rounding up (an entry counted once stays).
    private mutating func halveCategoryCounts(_ s: Int) {
        let base = s * layout.categoryCapacity
        for i in base..<(base + Int(records[s].categoryEntries)) { categoryCounts[i] = Self.halvedUp(categoryCounts[i]) }
        records[s].categoryTotal = Self.halvedUp(records[s].categoryTotal)
    }

    /// Half of `n`, rounded up: the category counts' halving (a count of 1 stays 1).
    @inline(__always)
    static func halvedUp<T: BinaryInteger>(_ n: T) -> T { n / 2 + n % 2 }

    @inline(__always)
    func knownCount(_ s: Int, _ set: Int) -> UInt8 {
        switch set {
        case 0: return records[s].knownMerchants
        case 1: return records[s].knownCountries
        default: return records[s].knownDevices
        }
    }

    @inline(__always)
    mutating func setKnownCount(_ s: Int, _ set: Int, _ v: UInt8) {
        switch set {
        case 0: records[s].knownMerchants = v
        case 1: records[s].knownCountries = v
        default: records[s].knownDevices = v
        }
    }

    // MARK: serialization

    private static let magic: UInt32 = 0x4147_5854  // "TXGA" little-endian
    // 2 added the surprisal category counts, 3 the merchant store, 4 each account's first event time
    // and the traffic level, 5 keeps known values and category keys as 32-bit tags, 6 keeps them
    // and the ring's categories as 16-bit tags; 1 to 5 are still read (an account's first event
    // time then reads as its latest; wider tags and 64-bit hashes are folded to the tags the
    // featurizer now computes, values that then share a tag merged).
    private static let version: UInt32 = 6

    /// The whole store in a compact little-endian binary form (accounts from least to most recent).
    public func serialized() -> [UInt8] {
        var w = ByteWriter()
        w.write(Self.magic); w.write(Self.version)
        w.write(UInt32(layout.recentCapacity)); w.write(UInt32(layout.knownCapacity)); w.write(UInt32(layout.centroidDimension))
        w.write(UInt32(layout.categoryCapacity))
        w.write(UInt32(layout.merchantCapacity)); w.write(UInt32(layout.merchantRecentCapacity))
        w.write(UInt64(capacity)); w.write(idleTTLMillis ?? -1); w.write(UInt64(evictions)); w.write(UInt64(count))
        traffic.write(to: &w)
        var slot = tail
        while slot >= 0 {
            let s = Int(slot)
            let st = state(slot: s)
            w.write(records[s].id); w.write(st.count); w.write(st.lastTimestampMillis); w.write(st.firstTimestampMillis)
            w.write(st.amountMean); w.write(st.amountVariance)
            w.write(UInt8(st.recentEvents.count))
            for e in st.recentEvents {
                w.write(e.timestampMillis); w.write(e.amount)
                if layout.categoryCapacity > 0 { w.write(e.categoryHash) }
            }
            for set in [st.knownMerchants, st.knownCountries, st.knownDevices] {
                w.write(UInt8(set.count))
                for v in set { w.write(v) }  // UInt16 tags
            }
            for v in st.textCentroid { w.write(v) }
            w.write(st.categoryTotal); w.write(UInt8(st.categoryCounts.count))
            for e in st.categoryCounts { w.write(e.valueHash); w.write(e.count) }
            slot = records[s].previous
        }
        w.bytes += merchants.serialized()
        return w.bytes
    }

    /// Restores a store written by `serialized()`; throws `EmbeddingError.corruptState` on bad input.
    public init(serialized bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        guard try r.read(UInt32.self) == Self.magic else { throw EmbeddingError.corruptState(reason: "not an account store (bad magic)") }
        let version = try r.read(UInt32.self)
        guard (1...Self.version).contains(version) else {
            throw EmbeddingError.corruptState(reason: "unsupported account store version \(version)")
        }
        let layout = Layout(recentCapacity: Int(try r.read(UInt32.self)), knownCapacity: Int(try r.read(UInt32.self)),
                            centroidDimension: Int(try r.read(UInt32.self)),
                            categoryCapacity: version >= 2 ? Int(try r.read(UInt32.self)) : 0,
                            merchantCapacity: version >= 3 ? Int(try r.read(UInt32.self)) : 0,
                            merchantRecentCapacity: version >= 3 ? Int(try r.read(UInt32.self)) : 0)
        guard (1...255).contains(layout.recentCapacity), (1...255).contains(layout.knownCapacity),
              (0...4096).contains(layout.centroidDimension), (0...255).contains(layout.categoryCapacity),
              (0...(1 << 30)).contains(layout.merchantCapacity), (0...255).contains(layout.merchantRecentCapacity) else {
            throw EmbeddingError.corruptState(reason: "implausible layout \(layout)")
        }
        let capacity = try r.read(UInt64.self)
        let ttl = try r.read(Int64.self)
        let evictions = try r.read(UInt64.self)
        let n = try r.read(UInt64.self)
        guard capacity >= 1, capacity <= UInt64(SlotIndex.slotLimit), n <= capacity else {
            throw EmbeddingError.corruptState(reason: "\(n) accounts for capacity \(capacity)")
        }
        // Compared as UInt64: a count above Int.max must be refused, not converted (found by fuzzing).
        guard evictions <= UInt64(Int.max) else { throw EmbeddingError.corruptState(reason: "eviction count \(evictions) out of range") }
        self.init(capacity: Int(capacity), idleTTLMillis: ttl < 0 ? nil : ttl, layout: layout)
        self.evictions = Int(evictions)
        if version >= 4 { traffic = try TrafficLevel(reading: &r) }
        for _ in 0..<n {
            let key = try r.read(UInt64.self)
            guard key != 0, slot(of: key) == nil else { throw EmbeddingError.corruptState(reason: "account key \(key) is 0 or appears twice") }
            let slot = Int32(records.count)
            growSlots()
            let s = Int(slot)
            records[s].id = key
            records[s].count = try r.read(UInt32.self)
            records[s].lastTimestamp = try r.read(Int64.self)
            records[s].firstTimestamp = version >= 4 ? try r.read(Int64.self) : records[s].lastTimestamp
            records[s].mean = try r.readDouble()
            records[s].variance = try r.readDouble()
            let recent = Int(try r.read(UInt8.self))
            guard recent <= layout.recentCapacity else { throw EmbeddingError.corruptState(reason: "\(recent) recent events") }
            for _ in 0..<recent {
                let time = try r.read(Int64.self), amount = try r.readFloat()
                var category: UInt16 = 0
                if layout.categoryCapacity > 0 {
                    // Before version 6 a 32-bit tag (0 for none): its low 16 bits, as `categoryTag` folds a hash.
                    category = version >= 6 ? try r.read(UInt16.self) : Self.foldedCategoryTag(UInt64(try r.read(UInt32.self)))
                }
                pushRecent(s, time: time, amount: amount, category: category)
            }
            for set in 0..<3 {
                let c = Int(try r.read(UInt8.self))
                guard c <= layout.knownCapacity else { throw EmbeddingError.corruptState(reason: "\(c) known values") }
                // Older versions kept wider tags (v5: 32 bits, v4: the 64-bit hash): folded to 16 bits,
                // two values that now share a tag keep the more recent place.
                var kept = 0
                let base = (s * 3 + set) * layout.knownCapacity
                for _ in 0..<c {
                    let tag = version >= 6 ? try r.read(UInt16.self)
                        : Self.knownTag(version >= 5 ? UInt64(try r.read(UInt32.self)) : try r.read(UInt64.self))
                    if !known[base..<(base + kept)].contains(tag) { known[base + kept] = tag; kept += 1 }
                }
                setKnownCount(s, set, UInt8(kept))
            }
            for i in 0..<layout.centroidDimension { centroids[s * layout.centroidDimension + i] = try r.readFloat() }
            if version >= 2 {
                records[s].categoryTotal = try r.read(UInt32.self)
                let c = Int(try r.read(UInt8.self))
                guard c <= layout.categoryCapacity else { throw EmbeddingError.corruptState(reason: "\(c) category counts") }
                // Wider tags of older versions folded as above; counts of values that now share a tag
                // add up. Counts are written 32-bit: older stores' counts past 16 bits are halved, with
                // the total, as counting them now would have.
                var kept = 0
                let base = s * layout.categoryCapacity
                var counts = [UInt64](repeating: 0, count: c)
                for _ in 0..<c {
                    let tag = version >= 6 ? try r.read(UInt16.self)
                        : Self.categoryTag(version >= 5 ? UInt64(try r.read(UInt32.self)) : try r.read(UInt64.self))
                    let n = UInt64(try r.read(UInt32.self))
                    if let i = categoryKeys[base..<(base + kept)].firstIndex(of: tag) {
                        counts[i - base] += n
                    } else {
                        categoryKeys[base + kept] = tag; counts[kept] = n; kept += 1
                    }
                }
                var total = UInt64(records[s].categoryTotal)
                while counts.contains(where: { $0 >= UInt64(UInt16.max) }) {
                    for i in counts.indices { counts[i] = Self.halvedUp(counts[i]) }
                    total = Self.halvedUp(total)
                }
                for i in 0..<kept { categoryCounts[base + i] = UInt16(counts[i]) }
                records[s].categoryTotal = UInt32(total)
                records[s].categoryEntries = UInt8(kept)
            }
            index(key, at: slot)
            pushFront(slot)
        }
        if version >= 3 {
            let m = try MerchantStore(reading: &r)
            guard m.capacity == layout.merchantCapacity, layout.merchantCapacity == 0 || m.recentCapacity == layout.merchantRecentCapacity else {
                throw EmbeddingError.corruptState(reason: "merchant store \(m.capacity)×\(m.recentCapacity) does not match the layout \(layout)")
            }
            merchants = m
        }
        guard r.offset == bytes.count else {
            throw EmbeddingError.corruptState(reason: "\(bytes.count - r.offset) trailing bytes")
        }
    }
}
