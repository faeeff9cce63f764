/// Open-addressing hash table from 64-bit keys to store slots: linear probing over one array of
/// 4-byte entries, each a slot number (24 bits) under an 8-bit fingerprint of its key. The keys
/// themselves stay where the store already keeps them (its records), read through `SlotKeys` only
/// when a fingerprint matches: the index costs 4 bytes an entry instead of the 16 of a (key, slot)
/// pair, about 8 bytes an account at a load factor between 1/4 and 1/2, and a lookup usually
/// touches one cache line of the index and then the record it was going to read anyway.
/// Deletion shifts later entries back (no tombstones).
///
/// Every operation but the insertion of a new key takes the store's keys: `keys[s]` must be the
/// key held in every slot `s` the index holds (the slot being inserted need not hold its key yet).
package struct SlotIndex: Sendable {
    /// Slots an index can hold: 0 ..< 2^24 − 1 (the all-ones entry marks an empty place).
    package static let slotLimit = (1 << 24) - 1
    private static let empty: UInt32 = .max
    private static let slotMask: UInt32 = 0xFF_FFFF

    private(set) var entries: [UInt32]
    package private(set) var count = 0
    private var mask: Int

    /// A table that grows (doubling, load factor at most 1/2) as keys arrive, so a store sized
    /// for a million accounts costs memory only for the accounts it holds.
    package init() {
        entries = [UInt32](repeating: Self.empty, count: 16)
        mask = 15
    }

    /// The top byte of an entry: bits 56–63 of the key (the home place uses the low bits).
    @inline(__always)
    private static func fingerprint(_ key: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: key >> 56) << 24 }

    /// The place of `key`'s entry, or nil.
    @inline(__always)
    private func place(_ key: UInt64, _ keys: SlotKeys) -> Int? {
        let print = Self.fingerprint(key)
        var i = Int(truncatingIfNeeded: key) & mask
        while true {
            let e = entries[i]
            if e == Self.empty { return nil }
            if e & ~Self.slotMask == print, keys[Int32(bitPattern: e & Self.slotMask)] == key { return i }
            i = (i + 1) & mask
        }
    }

    /// The slot of `key`, or nil.
    @inline(__always)
    package func find(_ key: UInt64, keys: SlotKeys) -> Int32? {
        place(key, keys).map { Int32(bitPattern: entries[$0] & Self.slotMask) }
    }

    /// Adds `key` at `slot`; `key` must not be in the index (callers look it up first).
    package mutating func insert(_ key: UInt64, _ slot: Int32, keys: SlotKeys) {
        precondition(slot >= 0 && Int(slot) < Self.slotLimit, "slot \(slot) out of a slot index's range")
        if 2 * (count + 1) > entries.count { grow(keys) }
        var i = Int(truncatingIfNeeded: key) & mask
        while entries[i] != Self.empty { i = (i + 1) & mask }
        entries[i] = Self.fingerprint(key) | UInt32(slot)
        count += 1
    }

    private mutating func grow(_ keys: SlotKeys) {
        let old = entries
        entries = [UInt32](repeating: Self.empty, count: old.count * 2)
        mask = entries.count - 1
        for e in old where e != Self.empty {
            var i = Int(truncatingIfNeeded: keys[Int32(bitPattern: e & Self.slotMask)]) & mask
            while entries[i] != Self.empty { i = (i + 1) & mask }
            entries[i] = e
        }
    }

    /// Removes `key` if present, moving later entries of its probe run back into the gap.
    package mutating func remove(_ key: UInt64, keys: SlotKeys) {
        guard let i = place(key, keys) else { return }
        count -= 1
        var gap = i
        var j = (i + 1) & mask
        while entries[j] != Self.empty {
            let home = Int(truncatingIfNeeded: keys[Int32(bitPattern: entries[j] & Self.slotMask)]) & mask
            // Move j into the gap unless its home lies cyclically in (gap, j].
            let distanceToJ = (j - home) & mask
            let distanceToGap = (gap - home) & mask
            if distanceToGap < distanceToJ {
                entries[gap] = entries[j]
                gap = j
            }
            j = (j + 1) & mask
        }
        entries[gap] = Self.empty
    }
}

/// Where a store keeps the key of each slot: a 64-bit key at `offset` in each `stride`-byte element
/// of its slot array (the caller keeps that array alive and unchanged while the index reads it).
package struct SlotKeys {
    let base: UnsafeRawPointer?
    let stride: Int

    /// The keys of `elements`, each `Element`'s key at byte `offset`.
    package init<Element>(_ elements: UnsafeBufferPointer<Element>, keyOffset offset: Int) {
        base = elements.baseAddress.map { UnsafeRawPointer($0) + offset }
        stride = MemoryLayout<Element>.stride
    }

    @inline(__always)
    subscript(slot: Int32) -> UInt64 {
        base.unsafelyUnwrapped.loadUnaligned(fromByteOffset: Int(slot) * stride, as: UInt64.self)
    }
}
