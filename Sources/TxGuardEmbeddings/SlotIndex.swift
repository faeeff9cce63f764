/// Open-addressing hash table from 64-bit account keys to store slots: linear probing over one
/// array of (key, slot) pairs, so a lookup usually touches one cache line (Swift's `Dictionary`
/// touches its bitmap, key and value arrays separately). Key 0 marks an empty entry, so callers
/// never insert 0; deletion shifts later entries back (no tombstones).
package struct SlotIndex: Sendable {
    struct Entry: Sendable {
        var key: UInt64
        var slot: Int32
    }

    private(set) var entries: [Entry]
    package private(set) var count = 0
    private var mask: Int

    /// A table that grows (doubling, load factor at most 1/2) as keys arrive, so a store sized
    /// for a million accounts costs memory only for the accounts it holds.
    package init(capacity: Int) {
        entries = [Entry](repeating: Entry(key: 0, slot: -1), count: 16)
        mask = 15
    }

    private mutating func grow() {
        let old = entries
        entries = [Entry](repeating: Entry(key: 0, slot: -1), count: old.count * 2)
        mask = entries.count - 1
        count = 0
        for e in old where e.key != 0 { set(e.key, e.slot) }
    }

    @inline(__always)
    package subscript(key: UInt64) -> Int32? {
        var i = Int(truncatingIfNeeded: key) & mask
        while true {
            let e = entries[i]
            if e.key == key { return e.slot }
            if e.key == 0 { return nil }
            i = (i + 1) & mask
        }
    }

    /// Inserts or replaces.
    package mutating func set(_ key: UInt64, _ slot: Int32) {
        if 2 * (count + 1) > entries.count { grow() }
        var i = Int(truncatingIfNeeded: key) & mask
        while entries[i].key != 0 && entries[i].key != key { i = (i + 1) & mask }
        if entries[i].key == 0 { count += 1 }
        entries[i] = Entry(key: key, slot: slot)
    }

    /// Removes `key` if present, moving later entries of its probe run back into the gap.
    package mutating func remove(_ key: UInt64) {
        var i = Int(truncatingIfNeeded: key) & mask
        while entries[i].key != key {
            if entries[i].key == 0 { return }
            i = (i + 1) & mask
        }
        count -= 1
        var gap = i
        var j = (i + 1) & mask
        while entries[j].key != 0 {
            let home = Int(truncatingIfNeeded: entries[j].key) & mask
            // Move j into the gap unless its home lies cyclically in (gap, j].
            let distanceToJ = (j - home) & mask
            let distanceToGap = (gap - home) & mask
            if distanceToGap < distanceToJ {
                entries[gap] = entries[j]
                gap = j
            }
            j = (j + 1) & mask
        }
        entries[gap] = Entry(key: 0, slot: -1)
    }
}
