import CRdKafka
import Dispatch
import Logging
import Synchronization

/// A Kafka consumer: joins a group (`subscribe`) or reads explicit partitions (`assign`), hands out
/// batches of records, and stores/commits offsets only when told to. Blocking librdkafka calls run
/// on the consumer's own dispatch queue, never on Swift's cooperative pool.
///
/// Rebalances are handled inside polling: on revoke the `onRebalance` hook runs first, then (by
/// default) the stored offsets are committed synchronously, and only then is the partition released.
/// `close()` leaves the group the same way. Records live in `KafkaMessageBatch`es, which release
/// them when dropped.
public final class KafkaConsumer: @unchecked Sendable {
    // Sendable: librdkafka's consumer API is thread-safe; polling and close are serialised on `queue`.
    private let handle: RDHandle
    private let context: ClientContext
    private let queue: DispatchQueue
    private let rkqueue: OpaquePointer
    private let closed = Atomic<Bool>(false)
    public let configuration: KafkaConsumerConfiguration
    let logger: Logger

    /// Creates the consumer. `onRebalance` is called on the polling thread before partitions are
    /// assigned or released; `commitOnRevoke` commits stored offsets before a revoke completes;
    /// `startingOffsets`, called for newly assigned partitions, may return where to start some of
    /// them (e.g. a state snapshot's offset); the others start at the committed offset.
    public init(
        configuration: KafkaConsumerConfiguration,
        logger: Logger = Logger(label: "txguard.kafka.consumer"),
        commitOnRevoke: Bool = true,
        startingOffsets: (@Sendable ([TopicPartition]) -> [TopicPartitionOffset])? = nil,
        onRebalance: (@Sendable (RebalanceEvent) -> Void)? = nil
    ) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        let properties = configuration.rdProperties
        let secrets = SensitiveProperty.secrets(in: properties)
        let context = ClientContext(logger: logger, onRebalance: onRebalance, startingOffsets: startingOffsets, commitOnRevoke: commitOnRevoke,
                                    secrets: secrets)
        let conf = try makeRDKafkaConf(properties)
        let unmanaged = Unmanaged.passRetained(context)
        installCommonCallbacks(conf, context: unmanaged)
        rd_kafka_conf_set_rebalance_cb(conf) { rk, err, partitions, opaque in
            guard let rk, let partitions, let ctx = ClientContext.from(opaque) else { return }
            KafkaConsumer.handleRebalance(rk: rk, err: err, partitions: partitions, ctx: ctx)
        }
        let rk: OpaquePointer
        do {
            rk = try makeRDKafkaHandle(RD_KAFKA_CONSUMER, conf: conf, secrets: secrets)
        } catch {
            unmanaged.release()
            throw error
        }
        rd_kafka_poll_set_consumer(rk)
        self.context = context
        self.rkqueue = rd_kafka_queue_get_consumer(rk)
        self.handle = RDHandle(rk) {
            unmanaged.release()
        }
        self.queue = DispatchQueue(label: "txguard.kafka.consumer.poll")
    }

    deinit {
        close()
        rd_kafka_queue_destroy(rkqueue)
    }

    var rk: OpaquePointer { handle.rk }

    // MARK: - Membership

    /// Joins the consumer group and subscribes to `topics`; partitions arrive through rebalances.
    public func subscribe(_ topics: [String]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for t in topics { rd_kafka_topic_partition_list_add(list, t, RD_KAFKA_PARTITION_UA) }
        let err = rd_kafka_subscribe(rk, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "subscribe \(topics)") }
    }

    /// Reads exactly these partitions from these offsets, without joining the group (nothing is
    /// committed unless the caller commits).
    public func assign(_ offsets: [TopicPartitionOffset]) throws(KafkaError) {
        let list = makeRDList(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_assign(rk, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "assign") }
        context.rebalance.withLock { $0.assignment = Set(offsets.map(\.topicPartition)) }
    }

    /// The partitions currently assigned to this consumer.
    public func assignment() throws(KafkaError) -> [TopicPartition] {
        var list: RDPartitionList?
        let err = rd_kafka_assignment(rk, &list)
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "assignment") }
        return readRDList(list).map(\.topicPartition).sorted()
    }

    /// Every rebalance event seen so far (for operators and tests).
    public var rebalanceEvents: [RebalanceEvent] { context.rebalance.withLock { $0.events } }

    /// A fatal error reported by librdkafka, if any (the consumer must then be recreated).
    public var fatalError: KafkaError? { context.fatalError.withLock { $0 } }

    // MARK: - Polling

    /// Waits up to `timeoutMs` for the first record, then takes whatever else is already fetched,
    /// up to `maxMessages`, waiting at most `fillMs` more for the batch to fill (default 0: a batch
    /// never waits to fill; under light traffic that would add the wait to every record's
    /// latency). Serves rebalance callbacks. Prefer `nextBatch` from async code.
    public func poll(maxMessages: Int = 1000, timeoutMs: Int = 100, fillMs: Int = 0) -> KafkaMessageBatch {
        guard !closed.load(ordering: .acquiring) else { return KafkaMessageBatch(messages: [], errors: [], owner: handle) }
        let cap = max(1, maxMessages)
        guard let first = rd_kafka_consume_queue(rkqueue, Int32(timeoutMs)) else {
            return KafkaMessageBatch(messages: [], errors: [], owner: handle)
        }
        var messages: [UnsafeMutablePointer<rd_kafka_message_t>] = []
        var errors: [KafkaError] = []
        func take(_ m: UnsafeMutablePointer<rd_kafka_message_t>) {
            if m.pointee.err == RD_KAFKA_RESP_ERR_NO_ERROR {
                messages.append(m)
            } else {
                let topic = m.pointee.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? "?"
                errors.append(KafkaError(m.pointee.err, context: "\(topic)[\(m.pointee.partition)]"))
                rd_kafka_message_destroy(m)
            }
        }
        take(first)
        // The rest in chunks of at most 1,024 through a small stack buffer: a buffer of `cap`
        // pointers allocated and zeroed per poll cost more than the few records a poll holds at a
        // steady rate (160 KB per poll at the default batch of 20,000). A full chunk means more may
        // be waiting; a short one means the queue ran dry (or the fill time ran out).
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(0, fillMs)) * 1_000_000
        var taken = 1
        withUnsafeTemporaryAllocation(of: UnsafeMutablePointer<rd_kafka_message_t>?.self, capacity: min(1024, cap)) { buf in
            while taken < cap {
                let want = min(buf.count, cap - taken)
                let now = DispatchTime.now().uptimeNanoseconds
                let waitMs = fillMs > 0 && deadline > now ? Int32((deadline - now + 999_999) / 1_000_000) : 0
                let got = rd_kafka_consume_batch_queue(rkqueue, waitMs, buf.baseAddress!, want)
                guard got > 0 else { break }
                for i in 0..<got { if let m = buf[i] { take(m) } }
                taken += got
                if got < want { break }
            }
        }
        return KafkaMessageBatch(messages: messages, errors: errors, owner: handle)
    }

    /// Waits for the next batch on the consumer's own thread (off the cooperative pool).
    public func nextBatch(maxMessages: Int = 1000, timeoutMs: Int = 100, fillMs: Int = 0) async -> KafkaMessageBatch {
        await withCheckedContinuation { (cont: CheckedContinuation<KafkaMessageBatch, Never>) in
            queue.async { cont.resume(returning: self.poll(maxMessages: maxMessages, timeoutMs: timeoutMs, fillMs: fillMs)) }
        }
    }

    /// `poll` on the caller's own thread, blocking it for up to `timeoutMs`, serialised with
    /// `close` as `nextBatch` is. Without `nextBatch`'s two thread hand-offs (to the consumer's
    /// thread and back to the caller's), for a loop that expects records within a few milliseconds
    /// (see `MonitorService`): it blocks a thread of the cooperative pool, so keep the wait short.
    public func pollOnCallersThread(maxMessages: Int = 1000, timeoutMs: Int) -> KafkaMessageBatch {
        queue.sync { poll(maxMessages: maxMessages, timeoutMs: timeoutMs, fillMs: 0) }
    }

    /// Non-empty batches until the consumer is closed or the task is cancelled.
    public func batches(maxMessages: Int = 1000) -> KafkaBatchSequence {
        KafkaBatchSequence(consumer: self, maxMessages: maxMessages)
    }

    // MARK: - Flow control

    /// Stops fetching these partitions. A paused partition that is revoked is resumed before it
    /// goes, so it never comes back paused by an earlier assignment.
    public func pause(_ partitions: [TopicPartition]) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let list = makeRDList(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_pause_partitions(rk, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "pause") }
        context.rebalance.withLock { $0.paused.formUnion(partitions) }
        if let failed = readRDList(list).first(where: { $0.error != nil }), let e = failed.error { throw e }
    }

    /// Fetches these partitions again.
    public func resume(_ partitions: [TopicPartition]) throws(KafkaError) {
        guard !partitions.isEmpty else { return }
        let list = makeRDList(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_resume_partitions(rk, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "resume") }
        context.rebalance.withLock { $0.paused.subtract(partitions) }
        if let failed = readRDList(list).first(where: { $0.error != nil }), let e = failed.error { throw e }
    }

    /// Partitions paused by the application and not resumed since.
    public var pausedPartitions: [TopicPartition] { context.rebalance.withLock { $0.paused.sorted() } }

    /// Moves the fetch position of assigned partitions.
    public func seek(_ offsets: [TopicPartitionOffset], timeoutMs: Int = 10_000) throws(KafkaError) {
        let list = makeRDList(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let error = rd_kafka_seek_partitions(rk, list, Int32(timeoutMs)) {
            throw KafkaError(consuming: error, context: "seek")
        }
        if let failed = readRDList(list).first(where: { $0.error != nil }), let e = failed.error { throw e }
    }

    // MARK: - Offsets

    /// Stores offsets (next offset to read) for the next commit. Call after outputs are acknowledged.
    public func storeOffsets(_ offsets: [TopicPartitionOffset]) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = makeRDList(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_offsets_store(rk, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "offsets_store") }
        if let failed = readRDList(list).first(where: { $0.error != nil }), let e = failed.error { throw e }
    }

    /// Commits `offsets`, or every stored offset when nil, waiting for the broker's answer.
    public func commit(_ offsets: [TopicPartitionOffset]? = nil) throws(KafkaError) {
        try commit(offsets, async: false)
    }

    /// Commits without waiting; failures are logged.
    public func commitAsync(_ offsets: [TopicPartitionOffset]? = nil) throws(KafkaError) {
        try commit(offsets, async: true)
    }

    private func commit(_ offsets: [TopicPartitionOffset]?, async: Bool) throws(KafkaError) {
        let list = offsets.map { makeRDList($0) }
        defer { if let list { rd_kafka_topic_partition_list_destroy(list) } }
        let err = rd_kafka_commit(rk, list, async ? 1 : 0)
        // _NO_OFFSET: nothing stored since the last commit, which is not a failure.
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR || err == RD_KAFKA_RESP_ERR__NO_OFFSET else {
            throw KafkaError(err, context: "commit")
        }
    }

    /// The group's committed offsets for `partitions` (offset -1001 when none).
    public func committed(_ partitions: [TopicPartition], timeoutMs: Int = 10_000) throws(KafkaError) -> [TopicPartitionOffset] {
        let list = makeRDList(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_committed(rk, list, Int32(timeoutMs))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "committed") }
        return readRDList(list)
    }

    /// The next offset this consumer will fetch for each partition.
    public func position(_ partitions: [TopicPartition]) throws(KafkaError) -> [TopicPartitionOffset] {
        let list = makeRDList(partitions)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_position(rk, list)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "position") }
        return readRDList(list)
    }

    /// For each (partition, timestamp in epoch ms), the first offset whose timestamp is at or after
    /// it (the end offset when there is none).
    public func offsetsForTimes(_ query: [TopicPartitionOffset], timeoutMs: Int = 10_000) throws(KafkaError) -> [TopicPartitionOffset] {
        try KafkaConsumer.offsetsForTimes(rk: rk, query, timeoutMs: timeoutMs)
    }

    static func offsetsForTimes(rk: OpaquePointer, _ query: [TopicPartitionOffset], timeoutMs: Int) throws(KafkaError) -> [TopicPartitionOffset] {
        let list = makeRDList(query)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        let err = rd_kafka_offsets_for_times(rk, list, Int32(timeoutMs))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "offsets_for_times") }
        let out = readRDList(list)
        if let failed = out.first(where: { $0.error != nil }), let e = failed.error { throw e }
        return out
    }

    /// Low (first available) and high (next to be written) offsets, asked of the broker.
    public func watermarks(_ tp: TopicPartition, timeoutMs: Int = 10_000) throws(KafkaError) -> (low: Int64, high: Int64) {
        var low: Int64 = 0, high: Int64 = 0
        let err = rd_kafka_query_watermark_offsets(rk, tp.topic, tp.partition, &low, &high, Int32(timeoutMs))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "watermarks \(tp)") }
        return (low, high)
    }

    /// Records between the group's committed offset (or the log start) and the high watermark.
    public func lag(_ partitions: [TopicPartition], timeoutMs: Int = 10_000) throws(KafkaError) -> [TopicPartition: Int64] {
        var out: [TopicPartition: Int64] = [:]
        for c in try committed(partitions, timeoutMs: timeoutMs) {
            let wm = try watermarks(c.topicPartition, timeoutMs: timeoutMs)
            let from = c.offset >= 0 ? c.offset : wm.low
            out[c.topicPartition] = max(0, wm.high - from)
        }
        return out
    }

    /// The group metadata a transactional producer needs for `sendOffsetsToTransaction`.
    func groupMetadata() -> OpaquePointer? { rd_kafka_consumer_group_metadata(rk) }

    // MARK: - Shutdown

    /// Leaves the group (revoke hook and commit of stored offsets run first) and stops fetching.
    /// Safe to call more than once. The handle is destroyed when the last batch is released.
    public func close() {
        guard closed.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return }
        context.closing.withLock { $0 = true }
        queue.sync {
            let err = rd_kafka_consumer_close(rk)
            if err != RD_KAFKA_RESP_ERR_NO_ERROR {
                logger.warning("consumer close reported an error", metadata: ["error": "\(KafkaError(err))"])
            }
        }
    }

    // MARK: - Rebalance callback

    static func handleRebalance(rk: OpaquePointer, err: rd_kafka_resp_err_t, partitions: RDPartitionList, ctx: ClientContext) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        let tps = readRDList(partitions).map(\.topicPartition).sorted()
        switch err {
        case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
            let event = RebalanceEvent.assigned(tps, cooperative: cooperative)
            ctx.logger.info("partitions assigned", metadata: ["partitions": "\(tps)", "cooperative": "\(cooperative)"])
            ctx.onRebalance?(event)
            if let starts = ctx.startingOffsets?(tps), !starts.isEmpty {
                let wanted = Dictionary(starts.map { ($0.topicPartition, $0.offset) }, uniquingKeysWith: { $1 })
                for i in 0..<Int(partitions.pointee.cnt) {
                    let el = partitions.pointee.elems[i]
                    if let o = wanted[TopicPartition(String(cString: el.topic), el.partition)] {
                        partitions.pointee.elems[i].offset = o
                    }
                }
            }
            // A failed assign leaves the group believing this member owns partitions it does not
            // fetch: nothing would ever progress. That is fatal for this consumer (the service
            // stops and its supervisor restarts it), never silent.
            var failure: KafkaError?
            if cooperative {
                if let e = rd_kafka_incremental_assign(rk, partitions) { failure = KafkaError(consuming: e) }
            } else {
                let e = rd_kafka_assign(rk, partitions)
                if e != RD_KAFKA_RESP_ERR_NO_ERROR { failure = KafkaError(e) }
            }
            if let failure, !ctx.closing.withLock({ $0 }) {
                ctx.logger.error("assigning partitions failed; this consumer cannot continue", metadata: ["partitions": "\(tps)", "error": "\(failure)"])
                ctx.fatalError.withLock { $0 = $0 ?? KafkaError(code: failure.code, name: failure.name, message: "assign failed: \(failure.message)", isFatal: true) }
            }
            ctx.rebalance.withLock {
                if !cooperative { $0.assignment = [] }
                $0.assignment.formUnion(tps)
                $0.events.append(event)
                $0.count += 1
            }
        case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
            let lost = rd_kafka_assignment_lost(rk) != 0
            let event = RebalanceEvent.revoked(tps, cooperative: cooperative, lost: lost)
            ctx.logger.info("partitions revoked", metadata: ["partitions": "\(tps)", "lost": "\(lost)"])
            ctx.onRebalance?(event)
            // Resume what the application paused before the partition goes: librdkafka would keep
            // it paused through a later re-assignment, and nothing would fetch it again.
            let pausedHere = ctx.rebalance.withLock { $0.paused.intersection(tps) }
            if !pausedHere.isEmpty {
                let list = makeRDList(Array(pausedHere))
                let rerr = rd_kafka_resume_partitions(rk, list)
                rd_kafka_topic_partition_list_destroy(list)
                if rerr != RD_KAFKA_RESP_ERR_NO_ERROR {
                    ctx.logger.error("resuming paused partitions before their revoke failed", metadata: ["error": "\(KafkaError(rerr))"])
                }
                ctx.rebalance.withLock { $0.paused.subtract(pausedHere) }
            }
            if ctx.commitOnRevoke && !lost {
                let cerr = rd_kafka_commit(rk, nil, 0)
                if cerr != RD_KAFKA_RESP_ERR_NO_ERROR && cerr != RD_KAFKA_RESP_ERR__NO_OFFSET {
                    ctx.logger.error("commit on revoke failed", metadata: ["error": "\(KafkaError(cerr))"])
                }
            }
            if cooperative {
                if let e = rd_kafka_incremental_unassign(rk, partitions) {
                    ctx.logger.error("incremental unassign failed", metadata: ["error": "\(KafkaError(consuming: e))"])
                }
            } else {
                let e = rd_kafka_assign(rk, nil)
                if e != RD_KAFKA_RESP_ERR_NO_ERROR {
                    ctx.logger.error("unassign failed", metadata: ["error": "\(KafkaError(e))"])
                }
            }
            ctx.rebalance.withLock {
                $0.assignment.subtract(tps)
                $0.events.append(event)
                $0.count += 1
            }
        default:
            ctx.logger.error("rebalance error", metadata: ["error": "\(KafkaError(err))"])
            let e = rd_kafka_assign(rk, nil)
            if e != RD_KAFKA_RESP_ERR_NO_ERROR {
                ctx.logger.error("unassign after a rebalance error failed", metadata: ["error": "\(KafkaError(e))"])
            }
        }
    }
}

/// Non-empty batches from a consumer, until it is closed or the task is cancelled.
public struct KafkaBatchSequence: AsyncSequence, Sendable {
    public typealias Element = KafkaMessageBatch
    let consumer: KafkaConsumer
    let maxMessages: Int

    public struct AsyncIterator: AsyncIteratorProtocol {
        let consumer: KafkaConsumer
        let maxMessages: Int
        public mutating func next() async -> KafkaMessageBatch? {
            while !Task.isCancelled {
                if consumer.isClosed { return nil }
                let batch = await consumer.nextBatch(maxMessages: maxMessages)
                if !batch.isEmpty { return batch }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(consumer: consumer, maxMessages: maxMessages) }
}

extension KafkaConsumer {
    /// True after `close()`.
    public var isClosed: Bool { closed.load(ordering: .acquiring) }
}

extension KafkaConsumer {
    /// Low/high watermarks from librdkafka's cache (updated by fetches; no broker round trip).
    public func cachedWatermarks(_ tp: TopicPartition) -> (low: Int64, high: Int64)? {
        var low: Int64 = 0, high: Int64 = 0
        let err = rd_kafka_get_watermark_offsets(rk, tp.topic, tp.partition, &low, &high)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR, high >= 0 else { return nil }
        return (low, high)
    }
}
