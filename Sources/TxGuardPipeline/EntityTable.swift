import TxGuardContracts

extension LabelBook {
    /// The label book's entities by kind and key: open addressing over (fingerprint, list) slots,
    /// so a lookup reads one slot (the 64-bit FNV-1a fingerprint and the list side by side) and the
    /// list, which holds the key and is compared in full (two keys with one fingerprint stay apart).
    /// A Swift dictionary keyed by the strings read three arrays and the key's bytes for each
    /// lookup, four to five cache misses per entity per event on a large book.
    struct EntityTable {
        private struct Slot {
            var fingerprint: UInt64 = 0
            var list: EntityList?
        }
        private var slots = [Slot](repeating: Slot(), count: 64)
        private(set) var count = 0

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

        private func slot(for fingerprint: UInt64, _ kind: Label.EntityKind, _ value: String) -> (index: Int, found: Bool) {
            let mask = slots.count - 1
            var i = Self.home(fingerprint, mask: mask)
            // A slot is empty when its fingerprint is 0 (fingerprints are never 0); the list (another
            // cache line) is read only when the fingerprints match.
            while slots[i].fingerprint != 0 {
                if slots[i].fingerprint == fingerprint, let list = slots[i].list, list.kind == kind, list.value == value { return (i, true) }
                i = (i + 1) & mask
            }
            return (i, false)
        }

        /// The entity's list, if it has one.
        func find(_ kind: Label.EntityKind, _ value: String) -> EntityList? {
            let f = Self.fingerprint(kind, value)
            let (i, found) = slot(for: f, kind, value)
            return found ? slots[i].list : nil
        }

        /// The entity's list, created empty if it has none.
        mutating func findOrAdd(_ kind: Label.EntityKind, _ value: String) -> EntityList {
            let f = Self.fingerprint(kind, value)
            let (i, found) = slot(for: f, kind, value)
            if found { return slots[i].list! }
            let list = EntityList(kind: kind, value: value)
            slots[i] = Slot(fingerprint: f, list: list)
            count += 1
            if count * 2 > slots.count { rehash(capacity: slots.count * 2) }
            return list
        }

        /// Removes the lists `drop` says to (it may change them first).
        mutating func removeAll(where drop: (EntityList) -> Bool) {
            var kept: [Slot] = []
            for s in slots where s.fingerprint != 0 { if let l = s.list, !drop(l) { kept.append(s) } }
            count = kept.count
            var capacity = 64
            while kept.count * 2 > capacity { capacity *= 2 }
            place(kept, capacity: capacity)
        }

        private mutating func rehash(capacity: Int) {
            place(slots.filter { $0.fingerprint != 0 }, capacity: capacity)
        }

        private mutating func place(_ items: [Slot], capacity: Int) {
            slots = [Slot](repeating: Slot(), count: capacity)
            let mask = capacity - 1
            for s in items {
                var i = Self.home(s.fingerprint, mask: mask)
                while slots[i].fingerprint != 0 { i = (i + 1) & mask }
                slots[i] = s
            }
        }
    }
}
