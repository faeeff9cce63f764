import Dispatch
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import TxGuardContracts
import TxGuardKafka

/// The monitor: a consumer-group member that turns input records into alerts and dead letters.
///
/// Per batch: consume → process partitions in parallel (each in offset order) → produce outputs
/// → wait for every acknowledgement → store offsets (commit on an interval), or, in exactly-once
/// mode, produce and send the offsets inside one transaction. If outputs are not acknowledged,
/// nothing is stored and they are sent again (progress stalls; nothing is lost). Partition state
/// is snapshotted with the offset it reflects (periodically, on revoke and at shutdown) and
/// restored on assignment, replaying already-acknowledged records without output to catch up.
///
/// On graceful shutdown (SIGTERM/SIGINT through ServiceLifecycle) it stops fetching, finishes the
/// batch in hand, snapshots, commits, leaves the group and flushes the producer.
public final class MonitorService: Service, @unchecked Sendable {
    // Sendable: every mutable part lives in `state` (one lock) or in `health`/`totals`; the Kafka
    // clients are thread-safe; processors are used by one thread at a time (see PartitionWorker).
    public let configuration: MonitorConfiguration
    private let store: (any PartitionStateStore)?
    private let logger: Logger
    private let metrics = ServiceMetrics()
    private let state: Locked<ServiceState>
    /// Health for `/healthz` and `/readyz`.
    public let health = Locked(ServiceHealth())
    /// Running totals, for logs and tests.
    public let totals = Locked(ServiceTotals())
    /// Called after a batch's outputs are acknowledged and its offsets stored (or its transaction
    /// committed): the moment its decisions are final. For benchmarks and embedding applications.
    public let acknowledgedBatches = Locked<(@Sendable (KafkaMessageBatch) -> Void)?>(nil)
    /// Encodes and writes the periodic snapshots (an fsync, or a produce and its acknowledgement,
    /// per partition) off the consume loop, in order: with 64 partitions the writes stopped
    /// decisions for seconds every `snapshotIntervalMs`, and with a million accounts the encoding
    /// took ~30 s a round (docs/PERFORMANCE.md, README "Reliability runs"). The state is captured
    /// on the loop, between batches (copy-on-write values), so each snapshot is exactly what was
    /// acknowledged.
    private let snapshotWriter = DispatchQueue(label: "txguard.snapshot-writer")
    private let snapshotWrites = DispatchGroup()
    private let pendingSnapshotWrites = Locked(0)

    /// Everything the service changes while it runs, behind one lock: the partition lifecycle
    /// (positions, pauses, stalls), the processors, the model in use and the counters.
    struct ServiceState: Sendable {
        var lifecycle: PartitionLifecycle
        var workers: [TopicPartition: PartitionWorker] = [:]
        var factory: any PartitionProcessorFactory
        var pendingFactory: (any PartitionProcessorFactory)?
        var consumer: KafkaConsumer?
        var stopping = false
        /// A failure that must stop the service (a partition that cannot get a processor).
        var fatal: String?
        var swaps = 0
        var rebalances = 0
        /// Actions to perform after the poll that decided them (they need the assignment in effect).
        var afterPoll: [LifecycleAction] = []
    }

    public init(configuration: MonitorConfiguration, processors: any PartitionProcessorFactory,
                stateStore: (any PartitionStateStore)?, logger: Logger) {
        self.configuration = configuration
        self.store = stateStore
        self.logger = logger
        state = Locked(ServiceState(lifecycle: PartitionLifecycle(stallAfterMs: Int64(configuration.stallAfterMs)), factory: processors))
    }

    private var group: String { configuration.consumer.groupID }

    /// Monotonic milliseconds (stall detection must not jump with the wall clock).
    private static func nowMs() -> Int64 { Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000) }

    /// Replaces the processors (a new model) at the next batch boundary: no record is skipped or
    /// processed twice; each partition's new processor takes over what it can of the old state.
    public func replaceProcessors(_ factory: any PartitionProcessorFactory) {
        state.withLock { $0.pendingFactory = factory }
    }

    /// Processor replacements (model reloads) applied so far.
    public var processorSwaps: Int { state.withLock { $0.swaps } }

    /// Rebalance events this member has seen.
    public var rebalanceCount: Int { state.withLock { $0.rebalances } }

    /// Partitions paused because outputs were not acknowledged in time.
    public var pausedPartitions: [TopicPartition] { state.withLock { $0.lifecycle.paused } }

    /// The partition lifecycle as it stands (positions, pauses, stalls), for operators and tests.
    public var lifecycle: PartitionLifecycle { state.withLock { $0.lifecycle } }

    private func swapProcessorsIfRequested() {
        guard let (next, workers) = state.withLock({ s -> (any PartitionProcessorFactory, [PartitionWorker])? in
            guard let next = s.pendingFactory else { return nil }
            s.pendingFactory = nil
            s.factory = next
            s.swaps += 1
            return (next, Array(s.workers.values))
        }) else { return }
        for w in workers {
            do {
                let snapshot = try w.processor.snapshot()
                w.processor = try next.makeProcessor(for: w.partition, replacing: snapshot)
            } catch {
                logger.error("could not carry partition state over to the new model; starting it fresh", metadata: ["partition": "\(w.partition)", "error": "\(error)"])
                if let fresh = try? next.makeProcessor(for: w.partition, snapshot: nil) { w.processor = fresh }
            }
        }
        logger.notice("processors replaced (model reload)", metadata: ["partitions": "\(workers.count)"])
    }

    public func run() async throws {
        var producerConf = configuration.producer
        if configuration.exactlyOnce, producerConf.transactionalID == nil {
            producerConf.transactionalID = MonitorConfiguration.defaultTransactionalID(group: group)
        }
        let producer = try KafkaProducer(configuration: producerConf, logger: logger)
        if configuration.exactlyOnce {
            try producer.initTransactions()
            logger.info("exactly-once mode: transactional producer ready", metadata: ["transactional.id": "\(producerConf.transactionalID ?? "")"])
        }
        let unprepared = producer.prepare(topics: [configuration.alertTopic, configuration.deadLetterTopic])
        if !unprepared.isEmpty {
            logger.warning("output topics not reachable yet; the first outputs will wait for them", metadata: ["topics": "\(unprepared)"])
        }
        let consumer = try KafkaConsumer(
            configuration: configuration.consumer, logger: logger,
            commitOnRevoke: !configuration.exactlyOnce,
            startingOffsets: { [weak self] tps in self?.startPartitions(tps) ?? [] },
            onRebalance: { [weak self] event in self?.rebalanced(event) }
        )
        state.withLock { $0.consumer = consumer }
        try consumer.subscribe(configuration.inputTopics)
        logger.info("monitor started", metadata: [
            "group": "\(group)", "input": "\(configuration.inputTopics)", "alerts": "\(configuration.alertTopic)",
            "dead_letters": "\(configuration.deadLetterTopic)", "exactly_once": "\(configuration.exactlyOnce)",
        ])
        health.withLock { $0.running = true; $0.lastLoop = Date() }

        var failure: Error?
        do {
            try await withGracefulShutdownHandler {
                try await self.loop(consumer: consumer, producer: producer)
            } onGracefulShutdown: {
                self.state.withLock { $0.stopping = true }
            }
        } catch {
            failure = error
        }
        // Shutdown: state and offsets of everything acknowledged, then leave the group.
        logger.info("monitor stopping: snapshotting state and committing offsets")
        snapshotWrites.wait()
        snapshot(state.withLock { $0.lifecycle.snapshots() })
        if !configuration.exactlyOnce {
            do { try consumer.commit() } catch { logger.error("final commit failed", metadata: ["error": "\(error)"]) }
        }
        consumer.close()
        producer.close()
        health.withLock { $0.running = false }
        let t = totals.value
        logger.info("monitor stopped", metadata: ["events": "\(t.events)", "alerts": "\(t.alerts)", "dead_letters": "\(t.deadLetters)"])
        if let failure { throw failure }
    }

    // MARK: - The loop

    private func loop(consumer: KafkaConsumer, producer: KafkaProducer) async throws {
        var lastCommit = Date(), lastSnapshot = Date(), lastLag = Date(), lastProgressCheck = Date()
        var learningStatus: [TopicPartition: String] = [:]
        var lastSuspension = Self.nowMs()
        while !state.withLock({ $0.stopping }) && !Task.isCancelled {
            if let fatal = producer.fatalError ?? consumer.fatalError { throw fatal }
            if let fatal = state.withLock({ $0.fatal }) { throw MonitorError.partition(fatal) }
            let batch = await nextBatch(consumer, lastSuspension: &lastSuspension)
            // After the poll: a batch polled after a replacement was requested is judged by the
            // new processors (the poll itself may wait up to pollTimeoutMs).
            swapProcessorsIfRequested()
            let afterPoll = state.withLock { s -> [LifecycleAction] in defer { s.afterPoll = [] }; return s.afterPoll }
            if !afterPoll.isEmpty { perform(afterPoll, consumer: consumer) }
            health.withLock { $0.lastLoop = Date(); $0.ready = true }
            for e in batch.errors { logger.warning("consumer error", metadata: ["error": "\(e)"]) }
            if !batch.isEmpty {
                try await handle(batch, consumer: consumer, producer: producer)
            }
            // Housekeeping by the wall clock: none of it changes a decision (commits and
            // snapshots record what is done; the stall check only resumes fetching).
            let now = Date()
            if !configuration.exactlyOnce, now.timeIntervalSince(lastCommit) * 1000 >= Double(configuration.commitIntervalMs) {
                do { try consumer.commitAsync() } catch {
                    metrics.commitFailures.increment()
                    logger.warning("commit failed (will retry)", metadata: ["error": "\(error)"])
                }
                lastCommit = now
            }
            if now.timeIntervalSince(lastSnapshot) * 1000 >= Double(configuration.snapshotIntervalMs) {
                // Skipped while the previous round is still being written (a slow store).
                if pendingSnapshotWrites.value == 0 {
                    snapshot(state.withLock { $0.lifecycle.snapshots() }, inBackground: true)
                } else {
                    logger.debug("previous snapshots still being written; skipping this round", metadata: ["pending": "\(pendingSnapshotWrites.value)"])
                }
                lastSnapshot = now
            }
            if now.timeIntervalSince(lastProgressCheck) >= 1 {
                checkProgress(consumer)
                lastProgressCheck = now
            }
            if now.timeIntervalSince(lastLag) >= 5 {
                let (positions, workers) = state.withLock { ($0.lifecycle.positions, $0.workers) }
                for (tp, p) in positions {
                    if let wm = consumer.cachedWatermarks(tp), let next = p.next { metrics.lag(tp, max(0, wm.high - next)) }
                    // Read between batches: no processor is running now.
                    if let w = workers[tp] {
                        metrics.stateAccounts(tp, w.processor.stateAccounts)
                        if let status = w.processor.labelLearningStatus, learningStatus[tp] != status {
                            learningStatus[tp] = status
                            logger.notice("labels", metadata: ["partition": "\(tp)", "status": "\(status)"])
                        }
                    }
                }
                lastLag = now
            }
        }
    }

    /// The next batch. At a steady rate the next fetch response is a few milliseconds away, and
    /// handing the wait to the consumer's thread and back costs two thread wake-ups per batch (a
    /// tenth of the service's CPU at 5,000 events/s). So the loop first waits up to
    /// `inlinePollMs` for records on its own thread, and hands the wait over only when none come
    /// (an idle stream), under exactly-once (whose batches wait to fill), or when it has not let
    /// go of its thread for `inlinePollMaxHoldMs`: it runs on the cooperative pool, which may be a
    /// single thread that other tasks (the label feed, backpressure timers) also need.
    private func nextBatch(_ consumer: KafkaConsumer, lastSuspension: inout Int64) async -> KafkaMessageBatch {
        let now = Self.nowMs()
        var waited = 0
        if !configuration.exactlyOnce && now - lastSuspension < Self.inlinePollMaxHoldMs {
            waited = min(Self.inlinePollMs, configuration.pollTimeoutMs)
            let batch = consumer.pollOnCallersThread(maxMessages: configuration.batchSize, timeoutMs: waited)
            if !batch.isEmpty || !batch.errors.isEmpty { return batch }
        }
        lastSuspension = Self.nowMs()
        // The rest of the poll timeout, so one turn of the loop still waits at most pollTimeoutMs.
        return await consumer.nextBatch(maxMessages: configuration.batchSize, timeoutMs: configuration.pollTimeoutMs - waited,
                                        fillMs: configuration.exactlyOnce ? configuration.transactionIntervalMs : 0)
    }

    /// Longest wait for records on the loop's own thread (see `nextBatch`).
    static let inlinePollMs = 10
    /// Longest the loop keeps its thread without suspending (see `nextBatch`).
    static let inlinePollMaxHoldMs: Int64 = 50

    /// Reports partitions that have records waiting but made no progress for the stall period,
    /// and resumes them.
    private func checkProgress(_ consumer: KafkaConsumer) {
        let actions = state.withLock { $0.lifecycle.checkProgress(nowMs: Self.nowMs()) { consumer.cachedWatermarks($0)?.high } }
        perform(actions, consumer: consumer)
    }

    private func perform(_ actions: [LifecycleAction], consumer: KafkaConsumer) {
        for action in actions {
            switch action {
            case .pause(let tps):
                do {
                    try consumer.pause(tps)
                    logger.warning("outputs not acknowledged in time; input partitions paused until they are", metadata: [
                        "partitions": "\(tps.count)", "after_ms": "\(configuration.pauseAfterMs)",
                    ])
                } catch {
                    logger.error("could not pause input partitions", metadata: ["error": "\(error)"])
                }
            case .resume(let tps):
                let current = Set((try? consumer.assignment()) ?? tps)
                do { try consumer.resume(tps.filter { current.contains($0) }) } catch {
                    logger.error("could not resume input partitions", metadata: ["error": "\(error)"])
                }
            case .snapshot(let tp, let next):
                if let w = state.withLock({ $0.workers[tp] }) { save(w, nextOffset: next) }
            case .reportStalled(let tps):
                logger.warning("partitions make no progress while records are waiting; resuming them", metadata: [
                    "partitions": "\(tps)", "stall_after_ms": "\(configuration.stallAfterMs)",
                ])
            case .storeOffsets(let offsets):
                // Exactly-once commits offsets only inside transactions.
                guard !configuration.exactlyOnce else { break }
                do {
                    try consumer.storeOffsets(offsets)
                    logger.info("work done before a lost commit is committed again", metadata: ["offsets": "\(offsets.map { "\($0.topicPartition)@\($0.offset)" })"])
                } catch {
                    logger.warning("could not store the offsets of work done before a lost commit", metadata: ["error": "\(error)"])
                }
            case .reportRecovered(let tps):
                logger.notice("stalled partitions progress again", metadata: ["partitions": "\(tps)"])
            }
        }
        let (stalled, paused) = state.withLock { ($0.lifecycle.stalledCount, $0.lifecycle.paused.count) }
        metrics.stalledPartitions.record(Double(stalled))
        metrics.pausedPartitions.record(Double(paused))
        health.withLock { $0.stalledPartitions = stalled }
    }

    private func handle(_ batch: KafkaMessageBatch, consumer: KafkaConsumer, producer: KafkaProducer) async throws {
        let started = DispatchTime.now()
        // Group record indices by partition, keeping offset order (the topic name is built once
        // per partition, not per record).
        struct Key: Hashable { var topic: UInt; var partition: Int32 }
        var slots: [Key: Int] = [:]
        var order: [TopicPartition] = []
        var members: [[Int]] = []
        for i in 0..<batch.count {
            let r = batch[i]
            let k = Key(topic: r.topicIdentity, partition: r.partition)
            if let s = slots[k] {
                members[s].append(i)
            } else {
                slots[k] = members.count
                order.append(TopicPartition(r.topic, r.partition))
                members.append([i])
            }
        }
        let (current, lifecycle) = state.withLock { ($0.workers, $0.lifecycle) }
        let jobs: [Job] = zip(order, members).compactMap { tp, indices in
            // Records of a partition this member no longer owns (revoked while they were in
            // flight): its new owner fetches them from the committed offset.
            guard let w = current[tp] else {
                logger.warning("records for a partition this member does not own; left to its owner", metadata: ["partition": "\(tp)"])
                return nil
            }
            return Job(worker: w, indices: indices, emit: indices.map { lifecycle.emits(tp, offset: batch[$0].offset) })
        }
        let processed = await Self.process(batch, jobs, scores: metrics.score)

        var outputs: [OutgoingMessage] = []
        var next: [TopicPartitionOffset] = []
        var tally = BatchTally()
        for (j, job) in jobs.enumerated() {
            for res in processed[j].results where !res.outputs.isEmpty { outputs += res.outputs }
            tally.merge(processed[j].tally)
            if let last = job.indices.last { next.append(TopicPartitionOffset(job.worker.partition, offset: batch[last].offset + 1)) }
        }
        state.withLock { s in for n in next { s.lifecycle.seen(n.topicPartition, through: n.offset) } }
        let counts = tally.totals
        metrics.normal.increment(by: counts.normal)
        metrics.alerts.increment(by: counts.alerts)
        for (reason, n) in tally.deadLetterReasons { metrics.deadLetter(reason, count: n) }
        metrics.amountsRounded.increment(by: tally.amountsRounded)
        if let t = tally.lastThreshold { metrics.threshold.record(t) }
        for (name, score, probability) in tally.detectorSums.means { metrics.detectorMeans(name, score: score, probability: probability) }
        metrics.eventsIn.increment(by: counts.events)

        if configuration.exactlyOnce {
            guard try await commitTransaction(outputs, offsets: next, producer: producer, consumer: consumer) else { return }
        } else {
            try await deliver(outputs, producer: producer, consumer: consumer)
            try consumer.storeOffsets(next)
        }
        let nowMs = Self.nowMs()
        let actions = state.withLock { s in next.flatMap { s.lifecycle.acknowledged($0.topicPartition, next: $0.offset, nowMs: nowMs) } }
        if !actions.isEmpty { perform(actions, consumer: consumer) }
        totals.withLock { $0.add(counts) }
        // Record timestamp (producer's create time) to final decision: outputs acknowledged.
        let wallMs = Int64(Date().timeIntervalSince1970 * 1000)
        for i in 0..<batch.count {
            let ts = batch[i].timestampMs
            if ts > 0, wallMs >= ts { metrics.eventLatency.recordMilliseconds(wallMs - ts) }
        }
        acknowledgedBatches.value?(batch)
        metrics.batchLatency.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds))
    }

    /// One partition's share of a batch: record indices (offset order) and their `emit` flags.
    struct Job: @unchecked Sendable {
        // Sendable: the worker is used by one processing thread at a time (PartitionWorker).
        var worker: PartitionWorker
        var indices: [Int]
        var emit: [Bool]
    }

    /// Runs each partition's records through its processor, partitions in parallel, off the
    /// cooperative pool. The largest jobs start first (threads take iterations in order), so the
    /// small ones fill the gaps at the end instead of one large job running alone on one core.
    /// Each job's decisions are also counted there (`BatchTally`) and its scores recorded, so the
    /// serial part of a batch only merges a few sums.
    ///
    /// A small batch (at most `inlineRecords` records, well under a millisecond of work with hashed
    /// text: the usual batch at a steady rate) is processed right here instead: two thread
    /// hand-offs per batch cost more than its records at a few thousand events per second. That
    /// holds one cooperative thread while it runs (the loop's task waits for it either way); with
    /// MiniLM text a cold cache can make it tens of milliseconds per uncached merchant text.
    /// Nothing that must stay timely runs on that pool: the shutdown watchdog, the signal sources
    /// and the HTTP endpoint have their own threads.
    private static func process(_ batch: KafkaMessageBatch, _ jobs: [Job], scores: Recorder) async -> [(results: [RecordResult], tally: BatchTally)] {
        @Sendable func run(_ job: Job) -> (results: [RecordResult], tally: BatchTally) {
            let results = job.worker.processor.processBatch(job.indices.map { batch[$0] }, emit: job.emit)
            var tally = BatchTally()
            for r in results {
                tally.add(r)
                if let s = r.score { scores.record(s) }
            }
            return (results, tally)
        }
        if batch.count <= inlineRecords { return jobs.map(run) }
        let order = jobs.indices.sorted { jobs[$0].indices.count > jobs[$1].indices.count }
        return await withCheckedContinuation { (cont: CheckedContinuation<[(results: [RecordResult], tally: BatchTally)], Never>) in
            DispatchQueue.global(qos: .userInitiated).async {
                let slots = DisjointSlots<(results: [RecordResult], tally: BatchTally)>(count: jobs.count, initial: ([], BatchTally()))
                DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
                    let j = order[i]
                    slots[j] = run(jobs[j])
                }
                cont.resume(returning: slots.values)
            }
        }
    }

    /// Largest batch processed on the loop's own thread (see `process`).
    static let inlineRecords = 64

    /// Sends outputs and waits until every one is acknowledged; re-sends after failures (a
    /// duplicate alert keeps its `alert_id`), so a batch's offsets are stored only after all of
    /// its outputs are safe. Stops trying only when the service is cancelled.
    ///
    /// Backpressure: when acknowledgements take longer than `pauseAfterMs` (brokers slow or an
    /// output topic unavailable), the input partitions are paused — nothing more is fetched,
    /// `/readyz` reports the stall — and resumed once the outputs are safe.
    private func deliver(_ outputs: [OutgoingMessage], producer: KafkaProducer, consumer: KafkaConsumer) async throws {
        guard !outputs.isEmpty else { return }
        let pauseAfter = configuration.pauseAfterMs
        let pauser = Task { [weak self] in
            try await Task.sleep(for: .milliseconds(pauseAfter))
            guard let self else { return }
            self.perform(self.state.withLock { $0.lifecycle.backpressureBegan() }, consumer: consumer)
            self.health.withLock { $0.stalled = true }
        }
        func finish() async {
            pauser.cancel()
            _ = await pauser.result  // a pause in progress completes before the resume
            let actions = state.withLock { $0.lifecycle.backpressureEnded(nowMs: Self.nowMs()) }
            if !actions.isEmpty {
                perform(actions, consumer: consumer)
                logger.notice("outputs acknowledged; input partitions resumed")
            }
            health.withLock { $0.stalled = false; $0.lastLoop = Date() }
        }
        do { try await sendUntilAcknowledged(outputs, producer: producer) } catch {
            await finish()
            throw error
        }
        await finish()
    }

    private func sendUntilAcknowledged(_ outputs: [OutgoingMessage], producer: KafkaProducer) async throws {
        var attempt = 0
        while true {
            attempt += 1
            let tracker = DeliveryTracker()
            var enqueueError: Error?
            for m in outputs {
                do { try producer.send(m, tracker: tracker) } catch { enqueueError = error; break }
            }
            let failures = await tracker.wait()
            if enqueueError == nil && failures.isEmpty { return }
            metrics.produceFailures.increment(by: max(1, failures.count))
            logger.error("outputs not acknowledged; offsets held, will re-send", metadata: [
                "attempt": "\(attempt)", "failed": "\(failures.count)",
                "error": "\(enqueueError.map { "\($0)" } ?? failures.first.map { "\($0.error!)" } ?? "")",
            ])
            health.withLock { $0.stalled = true }
            try await Task.sleep(for: .milliseconds(configuration.retryBackoffMs))
            let stillPaused = !state.withLock { $0.lifecycle.paused.isEmpty }
            health.withLock { $0.stalled = stillPaused; $0.lastLoop = Date() }
        }
    }

    /// Exactly-once: outputs and input offsets in one transaction. On an abortable failure the
    /// transaction is aborted and the partitions are rewound to their last committed state;
    /// returns false then (nothing of the batch is done).
    private func commitTransaction(_ outputs: [OutgoingMessage], offsets: [TopicPartitionOffset], producer: KafkaProducer,
                                   consumer: KafkaConsumer) async throws -> Bool {
        do {
            try producer.beginTransaction()
            let tracker = DeliveryTracker()
            for m in outputs { try producer.send(m, tracker: tracker) }
            let failures = await tracker.wait()
            if let f = failures.first, let e = f.error { throw e }
            try producer.sendOffsetsToTransaction(offsets, consumer: consumer)
            try producer.commitTransaction()
            metrics.transactionsCommitted.increment()
            return true
        } catch let error as KafkaError {
            if error.isFatal { throw error }
            metrics.transactionsAborted.increment()
            totals.withLock { $0.transactionsAborted += 1 }
            logger.error("transaction failed; aborting and rewinding", metadata: ["error": "\(error)"])
            do { try producer.abortTransaction() } catch {
                if error.isFatal { throw error }
            }
            try rewind(offsets.map(\.topicPartition), consumer: consumer)
            return false
        }
    }

    /// Rebuilds partitions from their snapshots and seeks back, so records after the last
    /// committed offset are processed again from the same state.
    private func rewind(_ partitions: [TopicPartition], consumer: KafkaConsumer) throws {
        let starts = startPartitions(partitions)
        let seekTo = Dictionary(starts.map { ($0.topicPartition, $0.offset) }, uniquingKeysWith: { $1 })
        var seeks: [TopicPartitionOffset] = []
        for tp in partitions {
            if let o = seekTo[tp] { seeks.append(TopicPartitionOffset(tp, offset: o)) }
            else if let c = try consumer.committed([tp]).first, c.offset >= 0 { seeks.append(c) }
            else { seeks.append(TopicPartitionOffset(tp, offset: KafkaOffset.beginning)) }
        }
        try consumer.seek(seeks)
        let nowMs = Self.nowMs()
        state.withLock { s in
            for seek in seeks where seek.offset >= 0 { _ = s.lifecycle.acknowledged(seek.topicPartition, next: seek.offset, nowMs: nowMs) }
        }
    }

    // MARK: - Partition state

    /// Newly assigned (or rewound) partitions: reads the group's committed offsets and the state
    /// store, gives each partition a processor (restored from its snapshot when usable) and a
    /// restart point (`RestartPoint.choose`), and returns where to fetch those that do not start
    /// at their committed offset. Runs inside the rebalance callback.
    private func startPartitions(_ tps: [TopicPartition]) -> [TopicPartitionOffset] {
        let (consumer, factory) = state.withLock { ($0.consumer, $0.factory) }
        var committed: [TopicPartition: Int64] = [:]
        if let consumer {
            do {
                committed = Dictionary(try consumer.committed(tps).map { ($0.topicPartition, $0.offset) }, uniquingKeysWith: { $1 })
            } catch {
                // Snapshots still give a start; without one a partition starts at what the
                // consumer itself fetches (its committed offset), re-sending nothing it should not.
                logger.warning("could not read the group's committed offsets; starting from snapshots", metadata: ["error": "\(error)"])
            }
        }
        var starts: [TopicPartition: RestartPoint] = [:]
        var workers: [TopicPartition: PartitionWorker] = [:]
        for tp in tps {
            var snap: PartitionSnapshot?
            do { snap = try store?.load(group: group, partition: tp) } catch {
                logger.error("partition state snapshot unusable; rebuilding this partition's state", metadata: ["partition": "\(tp)", "error": "\(error)"])
            }
            var processor: (any PartitionProcessor)?
            if let s = snap {
                do { processor = try factory.makeProcessor(for: tp, snapshot: s.state) } catch {
                    logger.error("could not restore partition state; rebuilding it", metadata: ["partition": "\(tp)", "error": "\(error)"])
                    snap = nil
                }
            }
            if processor == nil {
                do { processor = try factory.makeProcessor(for: tp, snapshot: nil) } catch {
                    // Without a processor the partition's records could only be dropped: stop.
                    state.withLock { $0.fatal = "no processor for \(tp): \(error)" }
                    logger.critical("cannot create a processor for an assigned partition", metadata: ["partition": "\(tp)", "error": "\(error)"])
                    continue
                }
            }
            let start = RestartPoint.choose(committed: committed[tp], snapshotOffset: snap?.offset)
            starts[tp] = start
            workers[tp] = PartitionWorker(partition: tp, processor: processor!)
            logger.info("partition assigned", metadata: [
                "partition": "\(tp)", "committed": "\(committed[tp] ?? -1)", "snapshot_offset": "\(snap.map { "\($0.offset)" } ?? "none")",
                "start": "\(start.basis.rawValue)", "replay_without_output": "\(max(0, start.warmUntil - max(0, start.fetchFrom ?? start.warmUntil)))",
            ])
        }
        let nowMs = Self.nowMs()
        state.withLock { s in
            s.afterPoll += s.lifecycle.assigned(starts, nowMs: nowMs)
            s.workers.merge(workers) { $1 }
        }
        return starts.compactMap { tp, start in start.fetchFrom.map { TopicPartitionOffset(tp, offset: $0) } }
    }

    private func rebalanced(_ event: RebalanceEvent) {
        metrics.rebalances.increment()
        state.withLock { $0.rebalances += 1 }
        guard case .revoked(let tps, _, let lost) = event else { return }
        let (actions, workers) = state.withLock { s in
            (s.lifecycle.revoked(tps), Dictionary(uniqueKeysWithValues: tps.compactMap { tp in s.workers.removeValue(forKey: tp).map { (tp, $0) } }))
        }
        // A lost partition may already be another member's: its state is still saved (it is
        // consistent with what this member acknowledged), and the new owner decides whether to use it.
        if lost { logger.warning("partitions lost (session timed out); saving their state anyway", metadata: ["partitions": "\(tps)"]) }
        for case .snapshot(let tp, let next) in actions {
            if let w = workers[tp] { save(w, nextOffset: next) }
        }
    }

    /// Saves the partitions' snapshots; `inBackground`: serialized now, written by the snapshot
    /// writer (the periodic round), otherwise written before returning (shutdown, revocation).
    private func snapshot(_ actions: [LifecycleAction], inBackground: Bool = false) {
        let workers = state.withLock { $0.workers }
        for case .snapshot(let tp, let next) in actions {
            if let w = workers[tp] { save(w, nextOffset: next, inBackground: inBackground) }
        }
    }

    private func save(_ w: PartitionWorker, nextOffset: Int64, inBackground: Bool = false) {
        guard let store, nextOffset >= 0 else { return }
        let (group, logger, tp) = (self.group, self.logger, w.partition)
        let encode: @Sendable () throws -> [UInt8]
        do {
            if inBackground { encode = try w.processor.captureSnapshot() } else {
                let bytes = try w.processor.snapshot()
                encode = { bytes }
            }
        } catch {
            logger.error("partition state snapshot failed", metadata: ["partition": "\(tp)", "error": "\(error)"])
            return
        }
        let write: @Sendable () -> Void = {
            do { try store.save(group: group, partition: tp, snapshot: PartitionSnapshot(offset: nextOffset, state: try encode())) } catch {
                logger.error("partition state snapshot failed", metadata: ["partition": "\(tp)", "error": "\(error)"])
            }
        }
        guard inBackground else {
            // After any background writes of the same partition, so the newest snapshot lands last.
            snapshotWrites.wait()
            write()
            return
        }
        pendingSnapshotWrites.withLock { $0 += 1 }
        let pending = pendingSnapshotWrites
        snapshotWriter.async(group: snapshotWrites) {
            write()
            let left = pending.withLock { $0 -= 1; return $0 }
            if left == 0 { releaseFreedMemory() }
        }
    }
}

/// Hands the memory a snapshot round freed back to the system. A round of a million accounts
/// captures and encodes hundreds of megabytes on the writer thread and frees them; glibc keeps freed
/// blocks in that thread's arena (and raises its mmap threshold after each large free), so without a
/// trim the resident size crept up by ~37 MiB a minute in the 30-minute soak although the state did
/// not grow (README, "Reliability runs").
func releaseFreedMemory() {
    _ = mallocTrim?(0)
}

/// Fixes glibc's mmap threshold at `bytes` (default 1 MiB) for the life of the process, so every
/// block at least that large (the per-partition snapshot captures and their encodings, ~12 MB each
/// with a million accounts) gets its own mapping and goes back to the system when freed. glibc
/// otherwise raises the threshold after each large free, up to 32 MiB, and from then on serves
/// those blocks from its arenas; in the 30-minute soak the four arenas then held 1.6 GB for 1.2 GB
/// in use and the resident size crept ~4 MiB a minute with the state flat (docs/reliability).
/// A `MALLOC_MMAP_THRESHOLD_` set in the environment wins. Returns whether the threshold was set.
@discardableResult
public func fixLargeAllocationThreshold(bytes: Int = 1 << 20,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
    guard environment["MALLOC_MMAP_THRESHOLD_"] == nil, let mallopt else { return false }
    let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD in <malloc.h>
    return mallopt(mmapThreshold, Int32(clamping: bytes)) == 1
}

/// glibc's `mallopt` and `malloc_trim` (not in Swift's Glibc module), looked up once; nil on other
/// C libraries.
private let mallopt = glibcFunction("mallopt", as: (@convention(c) (Int32, Int32) -> Int32).self)
private let mallocTrim = glibcFunction("malloc_trim", as: (@convention(c) (Int) -> Int32).self)

/// A C function of the running process by name, as `type`; nil when it is absent (or off glibc).
private func glibcFunction<F>(_ name: String, as type: F.Type) -> F? {
    #if canImport(Glibc)
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
    return unsafeBitCast(symbol, to: type)
    #else
    return nil
    #endif
}

/// Failures that stop the service.
public enum MonitorError: Error, CustomStringConvertible {
    case partition(String)
    public var description: String {
        switch self {
        case .partition(let m): return "partition processing cannot continue: \(m)"
        }
    }
}

/// A batch's (or one partition job's) decisions, counted for the metrics and totals.
struct BatchTally {
    var totals = ServiceTotals()
    var deadLetterReasons: [String: Int] = [:]
    var amountsRounded = 0
    /// The threshold of the last record that had one (the gauge shows the latest).
    var lastThreshold: Double?
    var detectorSums = DetectorSums()

    mutating func add(_ res: RecordResult) {
        totals.events += 1
        switch res.disposition {
        case .normal: totals.normal += 1
        case .alert: totals.alerts += 1
        case .deadLetter(let reason): totals.deadLetters += 1; deadLetterReasons[reason, default: 0] += 1
        }
        if res.amountRounded { amountsRounded += 1 }
        if let t = res.threshold { lastThreshold = t }
        detectorSums.add(res.detectors)
    }

    /// Adds `o`, counted after this one.
    mutating func merge(_ o: BatchTally) {
        totals.add(o.totals)
        deadLetterReasons.merge(o.deadLetterReasons, uniquingKeysWith: +)
        amountsRounded += o.amountsRounded
        if let t = o.lastThreshold { lastThreshold = t }
        detectorSums.merge(o.detectorSums)
    }
}

/// Sums of each detector's scores over a batch (a handful of detectors: linear search).
struct DetectorSums {
    private var names: [String] = []
    private var scores: [Double] = []
    private var probabilities: [Double] = []
    private var counts: [Int] = []
    mutating func add(_ ds: [DetectorScore]) {
        for d in ds where d.score.isFinite && d.probability.isFinite {
            accumulate(d.name, score: d.score, probability: d.probability, count: 1)
        }
    }
    mutating func merge(_ o: DetectorSums) {
        for k in o.names.indices { accumulate(o.names[k], score: o.scores[k], probability: o.probabilities[k], count: o.counts[k]) }
    }
    private mutating func accumulate(_ name: String, score: Double, probability: Double, count: Int) {
        if let i = names.firstIndex(of: name) {
            scores[i] += score; probabilities[i] += probability; counts[i] += count
        } else {
            names.append(name); scores.append(score); probabilities.append(probability); counts.append(count)
        }
    }
    var means: [(String, Double, Double)] {
        names.indices.map { (names[$0], scores[$0] / Double(counts[$0]), probabilities[$0] / Double(counts[$0])) }
    }
}

/// Liveness and readiness, as served on `/healthz` and `/readyz`.
public struct ServiceHealth: Sendable {
    public var running = false
    public var ready = false
    public var stalled = false
    public var lastLoop = Date.distantPast
    /// Assigned partitions with records waiting and no progress for the stall period.
    public var stalledPartitions = 0
    /// Alive: the loop turned within the last 30 s (a stall waiting for acknowledgements counts as alive).
    public var isAlive: Bool { running && Date().timeIntervalSince(lastLoop) < 30 }
}

/// Running totals of decisions.
public struct ServiceTotals: Sendable, Equatable {
    public var events = 0
    public var normal = 0
    public var alerts = 0
    public var deadLetters = 0
    /// Exactly-once transactions aborted (and rewound).
    public var transactionsAborted = 0
    mutating func add(_ o: ServiceTotals) {
        events += o.events
        normal += o.normal
        alerts += o.alerts
        deadLetters += o.deadLetters
    }
}

/// Fixed slots written by parallel iterations, each to its own index only.
final class DisjointSlots<T>: @unchecked Sendable {
    // Sendable: every index is written by exactly one iteration of `concurrentPerform`, and read
    // only after it has returned.
    private let base: UnsafeMutablePointer<T>
    let count: Int
    init(count: Int, initial: T) {
        self.count = count
        base = .allocate(capacity: max(count, 1))
        base.initialize(repeating: initial, count: count)
    }
    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }
    subscript(i: Int) -> T {
        get { base[i] }
        set { base[i] = newValue }
    }
    var values: [T] { Array(UnsafeBufferPointer(start: base, count: count)) }
}
