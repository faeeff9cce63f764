import TxGuardKafka

/// Where a newly assigned partition starts, from what the group committed and what the state
/// store holds for it. Pure arithmetic: the caller has read both.
public struct RestartPoint: Sendable, Equatable {
    /// What the start is based on.
    public enum Basis: String, Sendable {
        /// A state snapshot: fetch from its offset; records before the committed offset rebuild
        /// state without output (their outputs were acknowledged before).
        case snapshot
        /// Committed progress but no usable snapshot: rebuild state from the log start, output
        /// only from the committed offset on.
        case rebuildFromLogStart = "rebuild_from_log_start"
        /// Nothing committed, nothing saved: the group's reset policy decides (earliest).
        case fresh
    }

    public var basis: Basis
    /// Offset to fetch from; nil: wherever the consumer would start anyway (committed offset or
    /// `auto.offset.reset`).
    public var fetchFrom: Int64?
    /// Records below this offset rebuild state only; their outputs are not sent again.
    public var warmUntil: Int64
    /// Set when the snapshot is ahead of the group's committed offset: its records' outputs were
    /// acknowledged (a snapshot is taken only then) but the commit was lost (typically refused
    /// during a rebalance). This offset must be stored and committed again, or the group's
    /// committed offset stays behind for as long as no new record arrives.
    public var uncommittedDone: Int64?

    public init(basis: Basis, fetchFrom: Int64?, warmUntil: Int64, uncommittedDone: Int64? = nil) {
        self.basis = basis
        self.fetchFrom = fetchFrom
        self.warmUntil = warmUntil
        self.uncommittedDone = uncommittedDone
    }

    /// The start for a partition whose committed offset is `committed` (nil or negative: none)
    /// and whose snapshot, if any, reflects everything before `snapshotOffset`.
    public static func choose(committed: Int64?, snapshotOffset: Int64?) -> RestartPoint {
        let c = committed.flatMap { $0 >= 0 ? $0 : nil }
        if let s = snapshotOffset, s >= 0 {
            // A snapshot ahead of the commit was taken after its outputs were acknowledged (the
            // commit had not happened yet): those records are done.
            return RestartPoint(basis: .snapshot, fetchFrom: s, warmUntil: max(c ?? s, s), uncommittedDone: s > (c ?? -1) ? s : nil)
        }
        if let c {
            return RestartPoint(basis: .rebuildFromLogStart, fetchFrom: KafkaOffset.beginning, warmUntil: c)
        }
        return RestartPoint(basis: .fresh, fetchFrom: nil, warmUntil: -1)
    }
}

/// What the service must do after a lifecycle transition. The state machine decides; the caller
/// performs the I/O (swift-kafka-client's consumer state machine is the model).
public enum LifecycleAction: Sendable, Equatable {
    /// Stop fetching these partitions.
    case pause([TopicPartition])
    /// Fetch these partitions again.
    case resume([TopicPartition])
    /// Save this partition's state (with its position) before it is forgotten.
    case snapshot(TopicPartition, nextOffset: Int64)
    /// Store these offsets for the next commit (work done whose commit was lost).
    case storeOffsets([TopicPartitionOffset])
    /// These partitions have records waiting and made no progress for the stall period.
    case reportStalled([TopicPartition])
    /// These partitions progress again.
    case reportRecovered([TopicPartition])
}

/// The position and flow state of every partition this member owns, as one value: assignment,
/// progress, rebuild-without-output ranges, backpressure pauses and stall detection. Every
/// transition is a plain function of its inputs (time is passed in), so it is tested without a
/// broker; `MonitorService` performs the actions it returns.
public struct PartitionLifecycle: Sendable, Equatable {
    /// One owned partition.
    public struct Position: Sendable, Equatable {
        /// Next offset whose outputs are not yet acknowledged (everything before it is done); nil
        /// until its first record is done (fetching from the committed offset or the reset policy).
        public var next: Int64?
        /// Next offset the partition's processor has not seen: ahead of `next` while a batch's
        /// outputs wait for acknowledgement. Its state may be snapshotted only when they agree.
        public var processed: Int64?
        /// Records below this offset rebuild state only.
        public var warmUntil: Int64
        /// When it last progressed (assignment and the end of a pause count), monotonic ms.
        public var lastProgressMs: Int64
        /// Paused because outputs were not acknowledged in time.
        public var pausedForBackpressure = false
        /// Reported stalled and not yet progressed since.
        public var stalled = false
    }

    /// Owned partitions.
    public private(set) var positions: [TopicPartition: Position] = [:]
    /// How long a partition with records waiting may go without progress before it counts as stalled.
    public let stallAfterMs: Int64

    public init(stallAfterMs: Int64 = 30_000) {
        self.stallAfterMs = stallAfterMs
    }

    /// Owned partitions, sorted.
    public var assigned: [TopicPartition] { positions.keys.sorted() }

    /// Partitions currently reported stalled.
    public var stalledCount: Int { positions.values.filter(\.stalled).count }

    /// Partitions paused for backpressure.
    public var paused: [TopicPartition] { positions.filter { $0.value.pausedForBackpressure }.map(\.key).sorted() }

    /// Partitions assigned (or restarted) from the given restart points. Returns the offsets to
    /// store again (perform it once the assignment is in effect: librdkafka stores offsets only
    /// for assigned partitions).
    public mutating func assigned(_ starts: [TopicPartition: RestartPoint], nowMs: Int64) -> [LifecycleAction] {
        var store: [TopicPartitionOffset] = []
        for (tp, start) in starts {
            let next = start.fetchFrom.flatMap { $0 >= 0 ? $0 : nil }
            positions[tp] = Position(next: next, processed: next, warmUntil: start.warmUntil, lastProgressMs: nowMs)
            if let done = start.uncommittedDone { store.append(TopicPartitionOffset(tp, offset: done)) }
        }
        return store.isEmpty ? [] : [.storeOffsets(store.sorted { $0.topicPartition < $1.topicPartition })]
    }

    /// Partitions taken away: each owned one is snapshotted at its position (when its state
    /// matches what was acknowledged), then forgotten.
    public mutating func revoked(_ tps: [TopicPartition]) -> [LifecycleAction] {
        let actions = snapshots(of: tps)
        for tp in tps { positions.removeValue(forKey: tp) }
        return actions
    }

    /// Snapshot actions for the owned partitions among `tps` (all when nil) whose processor state
    /// reflects exactly the acknowledged records. A partition whose last outputs were never
    /// acknowledged keeps its previous snapshot: restored from it, the unacknowledged records are
    /// processed and sent again instead of being skipped.
    public func snapshots(of tps: [TopicPartition]? = nil) -> [LifecycleAction] {
        (tps ?? assigned).sorted().compactMap { tp in
            guard let p = positions[tp], let next = p.next, p.processed == next else { return nil }
            return .snapshot(tp, nextOffset: next)
        }
    }

    /// The processor of `tp` has seen every record before `next` (outputs not yet acknowledged).
    public mutating func seen(_ tp: TopicPartition, through next: Int64) {
        positions[tp]?.processed = next
    }

    /// Whether the record at `offset` of `tp` produces outputs (false while rebuilding state).
    public func emits(_ tp: TopicPartition, offset: Int64) -> Bool {
        offset >= (positions[tp]?.warmUntil ?? -1)
    }

    /// Records of `tp` before `next` were processed and their outputs acknowledged.
    public mutating func acknowledged(_ tp: TopicPartition, next: Int64, nowMs: Int64) -> [LifecycleAction] {
        guard var p = positions[tp] else { return [] }
        let moved = p.next.map { next > $0 } ?? true
        p.next = next
        if p.processed.map({ $0 < next }) ?? true { p.processed = next }
        var actions: [LifecycleAction] = []
        if moved {
            p.lastProgressMs = nowMs
            if p.stalled { p.stalled = false; actions.append(.reportRecovered([tp])) }
        }
        positions[tp] = p
        return actions
    }

    /// Outputs wait too long for acknowledgement: stop fetching every owned partition.
    public mutating func backpressureBegan() -> [LifecycleAction] {
        let tps = positions.filter { !$0.value.pausedForBackpressure }.map(\.key).sorted()
        for tp in tps { positions[tp]?.pausedForBackpressure = true }
        return tps.isEmpty ? [] : [.pause(tps)]
    }

    /// Outputs acknowledged: fetch again what backpressure paused (a pause is not a stall).
    public mutating func backpressureEnded(nowMs: Int64) -> [LifecycleAction] {
        let tps = paused
        for tp in tps {
            positions[tp]?.pausedForBackpressure = false
            positions[tp]?.lastProgressMs = nowMs
        }
        return tps.isEmpty ? [] : [.resume(tps)]
    }

    /// Checks every owned partition that is not paused: one whose high watermark shows records
    /// beyond its position and that made no progress for `stallAfterMs` is reported stalled and
    /// resumed (librdkafka keeps a partition paused across a revoke and re-assignment, the one
    /// known way to strand a partition). `highWatermark` returns nil when unknown.
    public mutating func checkProgress(nowMs: Int64, highWatermark: (TopicPartition) -> Int64?) -> [LifecycleAction] {
        var stalled: [TopicPartition] = []
        for tp in assigned {
            guard let p = positions[tp], !p.pausedForBackpressure, !p.stalled,
                  let high = highWatermark(tp), high > (p.next ?? 0),
                  nowMs - p.lastProgressMs >= stallAfterMs else { continue }
            positions[tp]?.stalled = true
            stalled.append(tp)
        }
        return stalled.isEmpty ? [] : [.reportStalled(stalled), .resume(stalled)]
    }
}
