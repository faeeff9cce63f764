/// A bounded table of keyed slots chained from most to least recently active: an intrusive doubly
/// linked list over slot indices whose links live in the store's records (-1 = none).
/// Shared by the account and merchant stores: a new key takes a free slot, a new slot while below
/// `capacity`, or else the least recently active one (evicted).
protocol RecencyOrder {
    associatedtype Slot: RecencySlot
    var records: [Slot] { get set }
    var capacity: Int { get }
    var slotOf: SlotIndex { get set }
    var freeSlots: [Int32] { get set }
    var evictions: Int { get set }
    /// Most recently active slot.
    var head: Int32 { get set }
    /// Least recently active slot.
    var tail: Int32 { get set }
    /// Appends one slot's storage (its record and anything kept beside it).
    mutating func growSlots()
    /// Gives slot `s` to `key`, zeroed.
    mutating func resetSlot(_ s: Int, key: UInt64)
}

/// A store record: its key, its links in the recency order, and the position of its ring of
/// recent events (kept beside the records, `ringCapacity` entries per slot).
protocol RecencySlot {
    /// The slot's key (read by the `SlotIndex` in place: `keyOffset` is where it lies in a record).
    var id: UInt64 { get }
    static var keyOffset: Int { get }
    var previous: Int32 { get set }
    var next: Int32 { get set }
    var ringCount: UInt8 { get set }
    var ringStart: UInt8 { get set }
}

extension RecencyOrder {
    /// The slot holding `key`, if any.
    func slot(of key: UInt64) -> Int32? {
        records.withUnsafeBufferPointer { slotOf.find(key, keys: SlotKeys($0, keyOffset: Slot.keyOffset)) }
    }

    /// The slot of `key`, made most recently active; a new zeroed slot if absent.
    mutating func acquireSlot(_ key: UInt64) -> (slot: Int, isNew: Bool) {
        if let slot = slot(of: key) {
            moveToFront(slot)
            return (Int(slot), false)
        }
        if freeSlots.isEmpty {
            if records.count < capacity {
                freeSlots.append(Int32(records.count))
                growSlots()
            } else {
                evict(tail)
            }
        }
        let slot = freeSlots.removeLast()
        resetSlot(Int(slot), key: key)
        index(key, at: slot)
        pushFront(slot)
        return (Int(slot), true)
    }

    /// Frees `slot` (its key forgotten).
    mutating func evict(_ slot: Int32) {
        unlink(slot)
        let key = records[Int(slot)].id
        records.withUnsafeBufferPointer { slotOf.remove(key, keys: SlotKeys($0, keyOffset: Slot.keyOffset)) }
        freeSlots.append(slot)
        evictions += 1
    }

    /// Adds `key`, absent from the index, at `slot`.
    mutating func index(_ key: UInt64, at slot: Int32) {
        records.withUnsafeBufferPointer { slotOf.insert(key, slot, keys: SlotKeys($0, keyOffset: Slot.keyOffset)) }
    }

    mutating func moveToFront(_ slot: Int32) {
        guard slot != head else { return }
        unlink(slot)
        pushFront(slot)
    }

    mutating func unlink(_ slot: Int32) {
        let s = Int(slot)
        let p = records[s].previous, n = records[s].next
        if p >= 0 { records[Int(p)].next = n } else { head = n }
        if n >= 0 { records[Int(n)].previous = p } else { tail = p }
        records[s].previous = -1
        records[s].next = -1
    }

    mutating func pushFront(_ slot: Int32) {
        let s = Int(slot)
        records[s].previous = -1
        records[s].next = head
        if head >= 0 { records[Int(head)].previous = slot }
        head = slot
        if tail < 0 { tail = slot }
    }

    /// Index (in the per-slot ring storage, `r` entries per slot) of slot `s`'s `i`-th recent event,
    /// oldest first.
    @inline(__always)
    func ringIndex(_ s: Int, _ i: Int, capacity r: Int) -> Int {
        s * r + (Int(records[s].ringStart) + i) % r
    }

    /// Index (in the per-slot ring storage) where slot `s`'s next recent event goes: the next free
    /// place, or the oldest entry once the ring of `r` entries is full.
    mutating func nextRingIndex(_ s: Int, capacity r: Int) -> Int {
        let c = Int(records[s].ringCount), start = Int(records[s].ringStart)
        if c < r {
            records[s].ringCount = UInt8(c + 1)
            return s * r + (start + c) % r
        }
        records[s].ringStart = UInt8((start + 1) % r)
        return s * r + start
    }
}
