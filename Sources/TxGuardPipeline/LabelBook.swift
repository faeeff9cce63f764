import Foundation
import TxGuardContracts

/// A label joined with its transaction: when it may be used (`visibleAtMicros`) and which entities
/// it speaks for.
public struct ResolvedLabel: Sendable, Hashable, Codable {
    /// The labelled transaction.
    public var transactionID: String
    /// Fraud, or confirmed legitimate.
    public var isFraud: Bool
    /// Who made the label.
    public var source: String
    /// When the label was made (µs).
    public var labeledAtMicros: Int64
    /// The transaction's event time (µs).
    public var eventTimeMicros: Int64
    /// From when (event time, µs) the pipeline may use the label: `labeled_at` in `run`, the
    /// transaction's time plus `--label-delay` in `backtest`/`replay`.
    public var visibleAtMicros: Int64
    /// Entity keys (kind → value) of the transaction.
    public var entities: [Label.EntityKind: String]

    /// A resolved label.
    public init(transactionID: String, isFraud: Bool, source: String, labeledAtMicros: Int64, eventTimeMicros: Int64,
                visibleAtMicros: Int64, entities: [Label.EntityKind: String]) {
        self.transactionID = transactionID
        self.isFraud = isFraud
        self.source = source
        self.labeledAtMicros = labeledAtMicros
        self.eventTimeMicros = eventTimeMicros
        self.visibleAtMicros = visibleAtMicros
        self.entities = entities
    }

    /// `label` for transaction `tx`, visible from `visibleAt` (µs). The label's own entity keys win
    /// over the transaction's.
    public init(_ label: Label, transaction tx: Transaction?, visibleAtMicros: Int64) {
        var entities = tx.map(Label.entities(of:)) ?? [:]
        for (k, v) in label.entities { entities[k] = v }
        self.init(transactionID: label.transactionID, isFraud: label.isFraud, source: label.source.rawValue,
                  labeledAtMicros: label.labeledAtMicros, eventTimeMicros: tx?.timestampMicros ?? label.eventTimeMicros ?? label.labeledAtMicros,
                  visibleAtMicros: visibleAtMicros, entities: entities)
    }

    /// The `label.v1` record of this resolved label (entity keys and event time included), as
    /// published on the compacted resolved-labels topic.
    public var label: Label {
        Label(transactionID: transactionID, isFraud: isFraud, source: Label.Source(rawValue: source) ?? .other,
              labeledAtMicros: labeledAtMicros, eventTimeMicros: eventTimeMicros, entities: entities)
    }
}

/// Every label the process knows, by transaction and by entity, queried "as of" an event time: a
/// query at time t sees exactly the labels with `visibleAt ≤ t`, whatever order labels arrived in
/// and whichever partition asks. That makes entity risk a function of the label set and the event
/// time alone — the same at 1 or 16 partitions, in a backtest and in a run — provided the label
/// arrived before the event that could see it was scored (in `run`, labels consumed late are
/// missed by the events scored before they arrived: that is the staleness the design allows).
///
/// A transaction's labels are versions: as of time t, the one in force is the label with the
/// latest `labeled_at` among those visible at t. A chargeback that corrects an analyst's verdict
/// weeks later therefore changes the counts from its own time on, and the analyst's label still
/// counts before it, in a backtest given both labels up front exactly as in a run that read them
/// one after the other. A label older than one already held (it arrived late) is kept as history
/// (`stale`); the same `labeled_at` and verdict again is a `duplicate`. Per entity at most
/// `maxEventsPerEntity` labels are kept (the oldest by event time go first), and labels older than
/// `retentionMicros` before the newest event time queried are pruned.
public final class LabelBook: @unchecked Sendable {
    /// What `insert` did.
    public enum Outcome: String, Sendable {
        case added, corrected, duplicate, stale
    }

    struct Entry {
        var visibleAt: Int64
        var eventTime: Int64
        var isFraud: Bool
        var transactionID: String
        /// When a later version of the transaction's label takes over (`.max` for the latest).
        var supersededAt: Int64 = .max

        func inForce(at time: Int64) -> Bool { visibleAt <= time && time < supersededAt }
    }

    /// A position in one of an entity's two orders: the time of the entry there and the frauds
    /// before it (one array per order, so a search and its count read one buffer).
    struct Mark {
        var time: Int64
        var fraudsBefore: Int32
    }

    /// One entity's labels, sorted by event time (ties by transaction id), indexed twice with
    /// running fraud counts: by event time and by the time each became visible. A window's counts
    /// are then (labels visible at t) − (labels with event time ≤ t − window), three binary
    /// searches, plus a scan of the labels whose event time is that old but that were not visible
    /// yet at t: none when the window is at least the entity's longest label delay (7 and 30 days
    /// against labels a day late), only the slow chargebacks otherwise. Kept in the `EntityTable`'s
    /// array and used in place there (a copy would retain its arrays).
    struct EntityList {
        /// The entity.
        let kind: Label.EntityKind
        let value: String
        init(kind: Label.EntityKind, value: String) {
            self.kind = kind
            self.value = value
        }

        /// The latest version of each transaction's label.
        var entries: [Entry] = []
        /// Earlier versions in force for a while (corrections are rare: scanned in full).
        var superseded: [Entry] = []
        /// `entries[i].eventTime` and the frauds among `entries[0..<i]` at i; at `entries.count`
        /// a sentinel (time `.max`, all the frauds).
        var byEvent: [Mark] = [Mark(time: .max, fraudsBefore: 0)]
        /// The same for the entries sorted by max(visibleAt, eventTime), the time from which a
        /// label counts (a query never counts an event after its own time).
        var byVisible: [Mark] = [Mark(time: .max, fraudsBefore: 0)]
        /// The longest visibleAt − eventTime of any label ever added (an upper bound after removals).
        var maxDelay: Int64 = 0

        private static func marks(_ items: [(Int64, Bool)]) -> [Mark] {
            var out: [Mark] = []
            out.reserveCapacity(items.count + 1)
            var frauds: Int32 = 0
            for (t, fraud) in items {
                out.append(Mark(time: t, fraudsBefore: frauds))
                if fraud { frauds += 1 }
            }
            out.append(Mark(time: .max, fraudsBefore: frauds))
            return out
        }

        /// Rebuilds both indexes from `entries` (after removals).
        mutating func rebuild() {
            byEvent = Self.marks(entries.map { ($0.eventTime, $0.isFraud) })
            byVisible = Self.marks(entries.map { (max($0.visibleAt, $0.eventTime), $0.isFraud) }.sorted { $0.0 < $1.0 })
        }

        /// Adds `time` at `k` of an index.
        private static func insert(_ time: Int64, fraud: Bool, at k: Int, into index: inout [Mark]) {
            index.insert(Mark(time: time, fraudsBefore: index[k].fraudsBefore), at: k)
            if fraud {
                for j in (k + 1)..<index.count { index[j].fraudsBefore += 1 }
            }
        }

        mutating func insert(_ entry: Entry, capacity: Int) {
            guard entry.supersededAt == .max else {
                superseded.append(entry)
                if superseded.count > capacity, let k = superseded.indices.min(by: { superseded[$0].eventTime < superseded[$1].eventTime }) {
                    superseded.remove(at: k)
                }
                return
            }
            let i = entries.partitioningIndex { ($0.eventTime, $0.transactionID) > (entry.eventTime, entry.transactionID) }
            entries.insert(entry, at: i)
            maxDelay = max(maxDelay, entry.visibleAt - entry.eventTime)
            if entries.count > capacity {
                entries.removeFirst(entries.count - capacity)
                rebuild()
            } else {
                Self.insert(entry.eventTime, fraud: entry.isFraud, at: i, into: &byEvent)
                let v = max(entry.visibleAt, entry.eventTime)
                Self.insert(v, fraud: entry.isFraud, at: byVisible.partitioningIndex { $0.time > v }, into: &byVisible)
            }
        }

        mutating func remove(_ transactionID: String) {
            superseded.removeAll { $0.transactionID == transactionID }
            let before = entries.count
            entries.removeAll { $0.transactionID == transactionID }
            if entries.count != before { rebuild() }
        }

        mutating func dropBefore(_ cutoff: Int64) {
            superseded.removeAll { $0.eventTime <= cutoff }
            let i = entries.partitioningIndex { $0.eventTime > cutoff }
            guard i > 0 else { return }
            entries.removeFirst(i)
            rebuild()
        }

        /// (labelled, frauds) visible at `time` with event time in (time − window, time], for two windows.
        mutating func count(at time: Int64, windows: (Int64, Int64)) -> ((labelled: Int, frauds: Int), (labelled: Int, frauds: Int)) {
            // Visible at t (so event time ≤ t), minus those with event time ≤ t − window that are
            // visible at t: all of them but the ones in (t − maxDelay, t − window] not yet visible.
            var hints = self.hints
            defer { self.hints = hints }
            let maxDelay = self.maxDelay
            return byVisible.withUnsafeBufferPointer { vis in
                byEvent.withUnsafeBufferPointer { ev in
                    let visible = Self.firstIndex(vis, after: time, hint: hints.visible)
                    hints.visible = visible
                    let visibleFrauds = Int(vis[visible].fraudsBefore)
                    func one(_ window: Int64, _ hint: inout Int) -> (labelled: Int, frauds: Int) {
                        let lo = Self.firstIndex(ev, after: time - window, hint: hint)
                        hint = lo
                        var labelled = visible - lo
                        var frauds = visibleFrauds - Int(ev[lo].fraudsBefore)
                        if window < maxDelay {
                            var j = Self.firstIndex(ev, after: time - maxDelay, hint: lo)
                            while j < lo {
                                if max(entries[j].visibleAt, entries[j].eventTime) > time {
                                    labelled += 1
                                    if entries[j].isFraud { frauds += 1 }
                                }
                                j += 1
                            }
                        }
                        if !superseded.isEmpty {
                            for e in superseded where e.eventTime > time - window && e.eventTime <= time && e.inForce(at: time) {
                                labelled += 1
                                if e.isFraud { frauds += 1 }
                            }
                        }
                        return (labelled, frauds)
                    }
                    return (one(windows.0, &hints.first), one(windows.1, &hints.second))
                }
            }
        }

        /// Where the last query's searches ended: queries come in nearly increasing time, so the
        /// next search starts there (most move a few places) instead of bisecting the whole list.
        private var hints = (visible: 0, first: 0, second: 0)

        /// The first index of `marks` whose time is after `t`, searched outward from `hint`
        /// (galloping, then bisection). The last mark is the `.max` sentinel, so it exists.
        static func firstIndex(_ marks: UnsafeBufferPointer<Mark>, after t: Int64, hint: Int) -> Int {
            let n = marks.count
            var lo: Int, hi: Int
            let h = min(max(hint, 0), n - 1)
            if marks[h].time > t {
                hi = h
                var probe = h - 1, step = 1
                while probe >= 0 && marks[probe].time > t {
                    hi = probe
                    step *= 2
                    probe = hi - step
                }
                lo = max(probe + 1, 0)
            } else {
                lo = h + 1
                var probe = lo, step = 1
                while probe < n - 1 && marks[probe].time <= t {
                    lo = probe + 1
                    step *= 2
                    probe = lo + step
                }
                hi = min(probe, n - 1)
            }
            while lo < hi {
                let mid = (lo + hi) / 2
                if marks[mid].time > t { hi = mid } else { lo = mid + 1 }
            }
            return lo
        }
    }

    private let lock = NSLock()
    /// Each transaction's label versions, by `labeled_at`.
    private var byTransaction: [String: [ResolvedLabel]] = [:]
    private var byEntity = EntityTable()
    /// FNV-1a fingerprints of the transactions with a fraud label (any version): most transactions
    /// are not frauds, and a small set answers "not a known fraud" without the big table.
    private var fraudFingerprints: Set<UInt64> = []
    /// Legitimate labels per account (any time), so feedback is looked up only where there are some.
    private var legitimateByAccount: [String: Int] = [:]
    private var newestQuery: Int64 = .min
    private var insertsSincePrune = 0
    /// Labels older than this (by event time) before the newest queried time are forgotten.
    public let retentionMicros: Int64
    /// Most labels kept per entity.
    public let maxEventsPerEntity: Int

    /// An empty book.
    public init(retentionMicros: Int64 = 45 * 86_400_000_000, maxEventsPerEntity: Int = 4096) {
        self.retentionMicros = retentionMicros
        self.maxEventsPerEntity = maxEventsPerEntity
    }

    /// Labels held.
    public var count: Int { lock.withLock { byTransaction.count } }

    /// Adds a label: the transaction's first (`added`), a newer version (`corrected`), an older one
    /// that arrived late (`stale`, kept as history), or one already held (`duplicate`). A second
    /// label with the same `labeled_at` and the other verdict replaces it.
    @discardableResult
    public func insert(_ label: ResolvedLabel) -> Outcome {
        lock.withLock {
            let previous = byTransaction[label.transactionID] ?? []
            var versions = previous
            let outcome: Outcome
            if let k = versions.firstIndex(where: { $0.labeledAtMicros == label.labeledAtMicros }) {
                if versions[k].isFraud == label.isFraud { return .duplicate }
                versions[k] = label
                outcome = .corrected
            } else {
                let k = versions.partitioningIndex { $0.labeledAtMicros > label.labeledAtMicros }
                versions.insert(label, at: k)
                outcome = versions.count == 1 ? .added : k == versions.count - 1 ? .corrected : .stale
            }
            // The transaction's entries, each version in force from its visibility until a later
            // version is visible.
            for v in previous {
                for (k, value) in v.entities {
                    if let i = byEntity.index(k, value) { byEntity.lists[i].remove(label.transactionID) }
                }
            }
            byTransaction[label.transactionID] = versions
            if label.isFraud { fraudFingerprints.insert(Self.fingerprint(label.transactionID)) }
            if !label.isFraud, let a = label.entities[.account] { legitimateByAccount[a, default: 0] += 1 }
            var takeover = Int64.max
            for v in versions.reversed() {
                defer { takeover = min(takeover, v.visibleAtMicros) }
                guard v.visibleAtMicros < takeover else { continue }
                let entry = Entry(visibleAt: v.visibleAtMicros, eventTime: v.eventTimeMicros, isFraud: v.isFraud,
                                  transactionID: v.transactionID, supersededAt: takeover)
                for (k, value) in v.entities {
                    byEntity.lists[byEntity.indexOrAdd(k, value)].insert(entry, capacity: maxEventsPerEntity)
                }
            }
            insertsSincePrune += 1
            if insertsSincePrune >= 50_000 { pruneLocked() }
            return outcome
        }
    }

    /// The verdict of a transaction's label in force at `time` (µs), if one is visible: `label(of:)`
    /// without copying the label.
    public func isFraud(_ transactionID: String, visibleAt time: Int64) -> Bool? {
        lock.withLock {
            guard let versions = byTransaction[transactionID], let k = Self.inForce(versions, at: time) else { return nil }
            return versions[k].isFraud
        }
    }

    /// The version in force at `time` among a transaction's versions (sorted by `labeled_at`):
    /// the latest one visible then.
    private static func inForce(_ versions: [ResolvedLabel], at time: Int64) -> Int? {
        versions.lastIndex { $0.visibleAtMicros <= time }
    }

    /// A transaction id's fingerprint (FNV-1a, 64-bit), as `isKnownFraud` takes it.
    public static func fingerprint(_ transactionID: String) -> UInt64 {
        var id = transactionID
        return id.withUTF8 { FNV1a64.hash($0) }
    }

    /// Whether the label in force at `time` says fraud; `fingerprint` is `fingerprint(transactionID)`.
    public func isKnownFraud(_ transactionID: String, fingerprint: UInt64, at time: Int64) -> Bool {
        lock.withLock { fraudFingerprints.contains(fingerprint) } && isFraud(transactionID, visibleAt: time) == true
    }

    /// The label of a transaction if it is visible at `time` (µs).
    public func label(of transactionID: String, visibleAt time: Int64) -> ResolvedLabel? {
        lock.withLock {
            guard let versions = byTransaction[transactionID], let k = Self.inForce(versions, at: time) else { return nil }
            return versions[k]
        }
    }

    /// Counts of one entity's labels visible at `time` whose transactions happened in (time − window, time].
    public struct Counts: Sendable, Equatable {
        /// Confirmed frauds.
        public var frauds: Int
        /// Labels of either kind.
        public var labelled: Int

        /// Counts.
        public init(frauds: Int, labelled: Int) {
            self.frauds = frauds
            self.labelled = labelled
        }
    }

    /// Counts for entity `kind = value` at event time `time` over `window` (µs).
    public func counts(_ kind: Label.EntityKind, _ value: String, at time: Int64, window: Int64) -> Counts {
        counts(kind, value, at: time, short: window, long: window).short
    }

    /// Counts over a short and a long window with one lookup.
    public func counts(_ kind: Label.EntityKind, _ value: String, at time: Int64, short: Int64, long: Int64) -> (short: Counts, long: Counts) {
        let key = (kind: kind, value: value)
        var result = (short: Counts(frauds: 0, labelled: 0), long: Counts(frauds: 0, labelled: 0))
        withUnsafePointer(to: key) { k in
            withUnsafeMutablePointer(to: &result) { r in
                counts(UnsafeBufferPointer(start: k, count: 1), at: time, short: short, long: long, into: UnsafeMutableBufferPointer(start: r, count: 1))
            }
        }
        return result
    }

    /// `counts(_:_:at:short:long:)` of several entities of one event under one lock, their table
    /// lookups interleaved (`EntityTable.indices`): what `EntityRisk` asks for every event.
    public func counts(_ keys: UnsafeBufferPointer<(kind: Label.EntityKind, value: String)>, at time: Int64, short: Int64, long: Int64,
                       into out: UnsafeMutableBufferPointer<(short: Counts, long: Counts)>) {
        precondition(out.count >= keys.count, "one result per key")
        lock.withLock {
            if time > newestQuery { newestQuery = time }
            withUnsafeTemporaryAllocation(of: Int.self, capacity: keys.count) { found in
                byEntity.indices(keys, into: found)
                byEntity.lists.withUnsafeMutableBufferPointer { lists in
                    for j in 0..<keys.count {
                        guard found[j] >= 0 else {
                            out[j] = (Counts(frauds: 0, labelled: 0), Counts(frauds: 0, labelled: 0))
                            continue
                        }
                        let (a, b) = lists[found[j]].count(at: time, windows: (short, long))
                        out[j] = (Counts(frauds: a.frauds, labelled: a.labelled), Counts(frauds: b.frauds, labelled: b.labelled))
                    }
                }
            }
        }
    }

    /// Whether the account has any legitimate label (a cheap test before `legitimateLabels`).
    public func hasLegitimateLabels(account: String) -> Bool {
        lock.withLock { legitimateByAccount[account, default: 0] > 0 }
    }

    /// Transactions of entity `kind = value` whose legitimate (false-positive) labels are visible at
    /// `time`, for transactions in (time − window, time].
    public func legitimateLabels(_ kind: Label.EntityKind, _ value: String, at time: Int64, window: Int64) -> [String] {
        lock.withLock {
            guard let k = byEntity.index(kind, value) else { return [] }
            let entity = byEntity.lists[k]
            let list = entity.entries
            let lo = list.partitioningIndex { $0.eventTime > time - window }
            var out: [String] = []
            var i = lo
            while i < list.count, list[i].eventTime <= time {
                if list[i].visibleAt <= time && !list[i].isFraud { out.append(list[i].transactionID) }
                i += 1
            }
            for e in entity.superseded where !e.isFraud && e.eventTime > time - window && e.eventTime <= time && e.inForce(at: time) {
                out.append(e.transactionID)
            }
            return out
        }
    }

    // MARK: - Joining labels with the transactions this process judged (run)

    private var recent: [String: RecentTransaction] = [:]
    private var recentOrder: [String] = []
    private var recentHead = 0
    /// Labels waiting for their transaction, every version (with the delay of a replayed file's label).
    private var pending: [String: [(label: Label, delay: Int64?)]] = [:]
    private var pendingOrder: [String] = []
    /// Whether the pipeline remembers the transactions it judges to join labels with them (`run`,
    /// `replay`); a backtest joins its file's labels up front and leaves this off.
    public var joinsTransactions = false
    /// Transactions remembered for joining labels that do not carry their entity keys.
    public var recentCapacity = 500_000
    /// Labels waiting for their transaction (arrived first, or the transaction is another instance's).
    public var pendingCapacity = 100_000
    /// Pending labels dropped unmatched so far (capacity reached).
    public private(set) var unmatched = 0
    /// Called (outside the lock) with each label this process resolved from its own transactions,
    /// so it can be published for every instance (the resolved-labels topic). Set once, before use.
    public nonisolated(unsafe) var onResolved: (@Sendable (ResolvedLabel) -> Void)?

    struct RecentTransaction {
        var eventTime: Int64
        var entities: [Label.EntityKind: String]
    }

    /// What `resolve` did with a label.
    public enum Resolution: Sendable, Equatable {
        /// Joined (or it carried entity keys and event time) and inserted.
        case inserted(Outcome)
        /// Waiting for its transaction.
        case pending
        /// Refused: made before its transaction happened.
        case beforeTransaction
    }

    /// Remembers a judged transaction so a later label can be joined with it; resolves a label that
    /// was waiting for it.
    public func remember(_ tx: Transaction) {
        let resolved: [ResolvedLabel] = lock.withLock {
            let r = RecentTransaction(eventTime: tx.timestampMicros, entities: Label.entities(of: tx))
            if recent.updateValue(r, forKey: tx.transactionID) == nil {
                if recentOrder.count < recentCapacity {
                    recentOrder.append(tx.transactionID)
                } else {
                    recent[recentOrder[recentHead]] = nil
                    recentOrder[recentHead] = tx.transactionID
                    recentHead = (recentHead + 1) % recentCapacity
                }
            }
            guard let waiting = pending.removeValue(forKey: tx.transactionID) else { return [] }
            return waiting.compactMap { label, delay in
                if let delay {
                    var r = ResolvedLabel(label, transaction: tx, visibleAtMicros: tx.timestampMicros + delay)
                    if label.labeledAtMicros == 0 { r.labeledAtMicros = r.visibleAtMicros }
                    return r
                }
                guard label.labeledAtMicros >= tx.timestampMicros else { return nil }
                return ResolvedLabel(label, transaction: tx, visibleAtMicros: label.labeledAtMicros)
            }
        }
        for r in resolved {
            insert(r)
            onResolved?(r)
        }
    }

    /// Keeps `label` until its transaction is judged (an identical label only once).
    private func addPendingLocked(_ label: Label, delay: Int64?) {
        var waiting = pending[label.transactionID] ?? []
        if waiting.isEmpty { pendingOrder.append(label.transactionID) }
        guard !waiting.contains(where: { $0.label.labeledAtMicros == label.labeledAtMicros && $0.label.isFraud == label.isFraud }) else { return }
        waiting.append((label, delay))
        pending[label.transactionID] = waiting
    }

    /// A label from the labels topic, visible from its `labeled_at`: inserted when it carries its
    /// transaction's entity keys and event time or this process judged the transaction (then
    /// `onResolved` publishes it), otherwise kept pending until the transaction comes.
    public func resolve(_ label: Label) -> Resolution {
        enum Step { case direct(ResolvedLabel), joined(ResolvedLabel), pending, before }
        let step: Step = lock.withLock {
            if let r = recent[label.transactionID] {
                if label.labeledAtMicros < r.eventTime { return .before }
                var e = r.entities
                for (k, v) in label.entities { e[k] = v }
                return .joined(ResolvedLabel(transactionID: label.transactionID, isFraud: label.isFraud, source: label.source.rawValue,
                                             labeledAtMicros: label.labeledAtMicros, eventTimeMicros: r.eventTime,
                                             visibleAtMicros: label.labeledAtMicros, entities: e))
            }
            // The label's own event time and entity keys (`ResolvedLabel.init` reads both).
            if label.eventTimeMicros != nil, !label.entities.isEmpty {
                return .direct(ResolvedLabel(label, transaction: nil, visibleAtMicros: label.labeledAtMicros))
            }
            addPendingLocked(label, delay: nil)
            if pendingOrder.count > 2 * pendingCapacity { pendingOrder = pendingOrder.filter { pending[$0] != nil } }
            while pending.count > pendingCapacity, !pendingOrder.isEmpty {
                let oldest = pendingOrder.removeFirst()
                if pending.removeValue(forKey: oldest) != nil { unmatched += 1 }
            }
            return .pending
        }
        switch step {
        case .before: return .beforeTransaction
        case .pending: return .pending
        case .direct(let r): return .inserted(insert(r))
        case .joined(let r):
            let outcome = insert(r)
            if outcome != .duplicate { onResolved?(r) }
            return .inserted(outcome)
        }
    }

    /// A label (of a replayed file) that becomes visible `delay` after its transaction, once the
    /// transaction is judged (`remember`). Of several labels for the same transaction, all visible
    /// then, the one with the latest `labeled_at` is in force.
    public func addPending(_ label: Label, delayMicros: Int64) {
        lock.withLock { addPendingLocked(label, delay: delayMicros) }
    }

    private func pruneLocked() {
        insertsSincePrune = 0
        guard newestQuery > .min else { return }
        let cutoff = newestQuery - retentionMicros
        byEntity.removeAll { (list: inout EntityList) in
            list.dropBefore(cutoff)
            return list.entries.isEmpty && list.superseded.isEmpty
        }
        byTransaction = byTransaction.filter { $0.value.contains { $0.eventTimeMicros > cutoff || $0.visibleAtMicros > newestQuery } }
        fraudFingerprints = Set(byTransaction.compactMap { $0.value.contains(where: \.isFraud) ? Self.fingerprint($0.key) : nil })
    }
}

extension Array {
    /// The first index whose element satisfies `belongs` (the elements must be partitioned: all
    /// false, then all true); `count` when none does.
    func partitioningIndex(where belongs: (Element) -> Bool) -> Int {
        var lo = 0, hi = count
        while lo < hi {
            let mid = (lo + hi) / 2
            if belongs(self[mid]) { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }
}
