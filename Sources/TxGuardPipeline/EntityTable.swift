import TxGuardContracts

extension LabelBook {
    /// The label book's entities by kind and key: the lists in one array, used in place, and an
    /// open-addressing index of (fingerprint, position) slots, so a lookup reads one slot (the
    /// 64-bit FNV-1a fingerprint) and then the list, whose key is compared in full (two keys with
    /// one fingerprint stay apart). A Swift dictionary keyed by the strings read three arrays and
    /// the key's bytes per lookup, and returned a copy of the list (retaining its arrays).
    struct EntityTable {
        private struct Slot {
            var fingerprint: UInt64 = 0
            var index: Int32 = -1
        }
        private var slots = [Slot](repeating: Slot(), count: 64)
        /// The entities' lists (positions are stable until `removeAll`).
        var lists: [EntityList] = []

        static func fingerprint(_ kind: Label.EntityKind, _ value: String) -> UInt64 {
            let kindSalt: UInt64 = switch kind {
            case .account: 1
            case .card: 2
            case .device: 3
            case .merchant: 4
            case .payee: 5
            }
            let f = LabelBook.fingerprint(value) ^ (kindSalt &* 0x9E37_79B9_7F4A_7C15)
            return f == 0 ? 1 : f
        }

        /// The home slot: the fingerprint's bits mixed, so keys that differ only in high bits spread.
        private static func home(_ fingerprint: UInt64, mask: Int) -> Int {
            Int(truncatingIfNeeded: ((fingerprint ^ (fingerprint >> 32)) &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
        }

        private func slot(for fingerprint: UInt64, _ kind: Label.EntityKind, _ value: String) -> (slot: Int, found: Bool) {
            let mask = slots.count - 1
            var i = Self.home(fingerprint, mask: mask)
            // A slot is empty when its fingerprint is 0 (fingerprints are never 0); the list (another
            // cache line) is read only when the fingerprints match.
            while slots[i].fingerprint != 0 {
                if slots[i].fingerprint == fingerprint {
                    let k = Int(slots[i].index)
                    if lists[k].kind == kind && lists[k].value == value { return (i, true) }
                }
                i = (i + 1) & mask
            }
            return (i, false)
        }

        /// The position of the entity's list in `lists`, if it has one.
        func index(_ kind: Label.EntityKind, _ value: String) -> Int? {
            let (i, found) = slot(for: Self.fingerprint(kind, value), kind, value)
            return found ? Int(slots[i].index) : nil
        }

        /// `index(_:_:)` of several entities at once (-1 in `out` where one has no list). Each step
        /// of the lookups, the slot and then the list with its key, is taken for every entity before
        /// the next, so the entities' cache misses overlap instead of queuing one behind another.
        func indices(_ keys: UnsafeBufferPointer<(kind: Label.EntityKind, value: String)>, into out: UnsafeMutableBufferPointer<Int>) {
            let n = keys.count
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: n) { fingerprints in
                for j in 0..<n { fingerprints[j] = Self.fingerprint(keys[j].kind, keys[j].value) }
                let mask = slots.count - 1
                slots.withUnsafeBufferPointer { s in
                    // The first slot of each probe that is empty or has the entity's fingerprint.
                    for j in 0..<n {
                        let f = fingerprints[j]
                        var i = Self.home(f, mask: mask)
                        while s[i].fingerprint != 0 && s[i].fingerprint != f { i = (i + 1) & mask }
                        out[j] = s[i].fingerprint == 0 ? -1 : Int(s[i].index)
                    }
                }
                lists.withUnsafeBufferPointer { l in
                    // The key itself; another key with the same fingerprint takes the whole probe.
                    for j in 0..<n where out[j] >= 0 {
                        let list = out[j]
                        if l[list].kind != keys[j].kind || l[list].value != keys[j].value {
                            out[j] = index(keys[j].kind, keys[j].value) ?? -1
                        }
                    }
                }
            }
        }

        /// The position of the entity's list, created empty if it has none.
        mutating func indexOrAdd(_ kind: Label.EntityKind, _ value: String) -> Int {
            let f = Self.fingerprint(kind, value)
            let (i, found) = slot(for: f, kind, value)
            if found { return Int(slots[i].index) }
            lists.append(EntityList(kind: kind, value: value))
            slots[i] = Slot(fingerprint: f, index: Int32(lists.count - 1))
            if lists.count * 2 > slots.count { place(capacity: slots.count * 2) }
            return lists.count - 1
        }

        /// Removes the lists `drop` says to (it may change them first).
        mutating func removeAll(where drop: (inout EntityList) -> Bool) {
            var kept: [EntityList] = []
            for k in lists.indices where !drop(&lists[k]) { kept.append(lists[k]) }
            lists = kept
            var capacity = 64
            while lists.count * 2 > capacity { capacity *= 2 }
            place(capacity: capacity)
        }

        /// Rebuilds the slots for `lists` at `capacity` (a power of two).
        private mutating func place(capacity: Int) {
            slots = [Slot](repeating: Slot(), count: capacity)
            let mask = capacity - 1
            for (k, list) in lists.enumerated() {
                let f = Self.fingerprint(list.kind, list.value)
                var i = Self.home(f, mask: mask)
                while slots[i].fingerprint != 0 { i = (i + 1) & mask }
                slots[i] = Slot(fingerprint: f, index: Int32(k))
            }
        }
    }
}
