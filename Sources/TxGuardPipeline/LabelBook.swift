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

    struct EntityKey: Hashable {
        var kind: Label.EntityKind
        var value: String
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

    /// One entity's labels, sorted by event time (ties by transaction id), with running counts so
    /// a window's counts cost two binary searches plus a scan of only the labels recent enough that
    /// they might not be visible yet (event time within the entity's longest label delay).
    struct EntityList {
        /// The latest version of each transaction's label.
        var entries: [Entry] = []
        /// Earlier versions in force for a while (corrections are rare: scanned in full).
        var superseded: [Entry] = []
        /// Labels and frauds among `entries[0..<i]`, at index i.
        var cumulativeLabelled: [Int32] = [0]
        var cumulativeFrauds: [Int32] = [0]
        /// The longest visibleAt − eventTime of any label ever added (an upper bound after removals).
        var maxDelay: Int64 = 0

        mutating func rebuild(from start: Int) {
            let n = entries.count
            if cumulativeLabelled.count != n + 1 {
                cumulativeLabelled = Array(cumulativeLabelled.prefix(start + 1)) + [Int32](repeating: 0, count: max(0, n - start))
                cumulativeFrauds = Array(cumulativeFrauds.prefix(start + 1)) + [Int32](repeating: 0, count: max(0, n - start))
            }
            for j in start..<n {
                cumulativeLabelled[j + 1] = cumulativeLabelled[j] + 1
                cumulativeFrauds[j + 1] = cumulativeFrauds[j] + (entries[j].isFraud ? 1 : 0)
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
                cumulativeLabelled = [0]
                cumulativeFrauds = [0]
                rebuild(from: 0)
            } else {
                rebuild(from: i)
            }
        }

        mutating func remove(_ transactionID: String) {
            superseded.removeAll { $0.transactionID == transactionID }
            entries.removeAll { $0.transactionID == transactionID }
            cumulativeLabelled = [0]
            cumulativeFrauds = [0]
            rebuild(from: 0)
        }

        mutating func dropBefore(_ cutoff: Int64) {
            superseded.removeAll { $0.eventTime <= cutoff }
            let i = entries.partitioningIndex { $0.eventTime > cutoff }
            guard i > 0 else { return }
            entries.removeFirst(i)
            cumulativeLabelled = [0]
            cumulativeFrauds = [0]
            rebuild(from: 0)
        }

        /// (labelled, frauds) visible at `time` with event time in (time − window, time].
        func count(at time: Int64, window: Int64) -> (labelled: Int, frauds: Int) {
            let lo = entries.partitioningIndex { $0.eventTime > time - window }
            let hi = entries.partitioningIndex { $0.eventTime > time }
            guard lo < hi else { return (0, 0) }
            // Before `split` every label is visible: eventTime ≤ time − maxDelay ⇒ visibleAt ≤ time.
            let split = min(hi, max(lo, entries.partitioningIndex { $0.eventTime > time - maxDelay }))
            var labelled = Int(cumulativeLabelled[split] - cumulativeLabelled[lo])
            var frauds = Int(cumulativeFrauds[split] - cumulativeFrauds[lo])
            var j = split
            while j < hi {
                if entries[j].visibleAt <= time {
                    labelled += 1
                    if entries[j].isFraud { frauds += 1 }
                }
                j += 1
            }
            for e in superseded where e.eventTime > time - window && e.eventTime <= time && e.inForce(at: time) {
                labelled += 1
                if e.isFraud { frauds += 1 }
            }
            return (labelled, frauds)
        }
    }

    private let lock = NSLock()
    /// Each transaction's label versions, by `labeled_at`.
    private var byTransaction: [String: [ResolvedLabel]] = [:]
    private var byEntity: [EntityKey: EntityList] = [:]
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
                for (k, value) in v.entities { byEntity[EntityKey(kind: k, value: value)]?.remove(label.transactionID) }
            }
            byTransaction[label.transactionID] = versions
            if !label.isFraud, let a = label.entities[.account] { legitimateByAccount[a, default: 0] += 1 }
            var takeover = Int64.max
            for v in versions.reversed() {
                defer { takeover = min(takeover, v.visibleAtMicros) }
                guard v.visibleAtMicros < takeover else { continue }
                let entry = Entry(visibleAt: v.visibleAtMicros, eventTime: v.eventTimeMicros, isFraud: v.isFraud,
                                  transactionID: v.transactionID, supersededAt: takeover)
                for (k, value) in v.entities {
                    byEntity[EntityKey(kind: k, value: value), default: EntityList()].insert(entry, capacity: maxEventsPerEntity)
                }
            }
            insertsSincePrune += 1
            if insertsSincePrune >= 50_000 { pruneLocked() }
            return outcome
        }
    }

    /// The label of a transaction if it is visible at `time` (µs).
    public func label(of transactionID: String, visibleAt time: Int64) -> ResolvedLabel? {
        lock.withLock {
            byTransaction[transactionID]?.last { $0.visibleAtMicros <= time }
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
        lock.withLock {
            if time > newestQuery { newestQuery = time }
            guard let list = byEntity[EntityKey(kind: kind, value: value)] else { return Counts(frauds: 0, labelled: 0) }
            let c = list.count(at: time, window: window)
            return Counts(frauds: c.frauds, labelled: c.labelled)
        }
    }

    /// Counts over a short and a long window with one lookup.
    public func counts(_ kind: Label.EntityKind, _ value: String, at time: Int64, short: Int64, long: Int64) -> (short: Counts, long: Counts) {
        lock.withLock {
            if time > newestQuery { newestQuery = time }
            guard let list = byEntity[EntityKey(kind: kind, value: value)] else { return (Counts(frauds: 0, labelled: 0), Counts(frauds: 0, labelled: 0)) }
            let a = list.count(at: time, window: short), b = list.count(at: time, window: long)
            return (Counts(frauds: a.frauds, labelled: a.labelled), Counts(frauds: b.frauds, labelled: b.labelled))
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
            guard let entity = byEntity[EntityKey(kind: kind, value: value)] else { return [] }
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
        for k in Array(byEntity.keys) {
            byEntity[k]!.dropBefore(cutoff)
            if byEntity[k]!.entries.isEmpty && byEntity[k]!.superseded.isEmpty { byEntity[k] = nil }
        }
        byTransaction = byTransaction.filter { $0.value.contains { $0.eventTimeMicros > cutoff || $0.visibleAtMicros > newestQuery } }
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
