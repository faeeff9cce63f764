import Dispatch
import Foundation
import Logging
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
    // Sendable: mutable state lives in `Locked` boxes; the Kafka clients are thread-safe.
    public let configuration: MonitorConfiguration
    private let factoryBox: Locked<any PartitionProcessorFactory>
    private let pendingFactory = Locked<(any PartitionProcessorFactory)?>(nil)
    private var factory: any PartitionProcessorFactory { factoryBox.value }
    private let store: (any PartitionStateStore)?
    private let logger: Logger
    private let metrics = ServiceMetrics()
    private let workers = Locked<[TopicPartition: PartitionWorker]>([:])
    private let consumerBox = Locked<KafkaConsumer?>(nil)
    private let stopping = Locked(false)
    /// Health for `/healthz` and `/readyz`.
    public let health = Locked(ServiceHealth())
    /// Running totals, for logs and tests.
    public let totals = Locked(ServiceTotals())

    public init(configuration: MonitorConfiguration, processors: any PartitionProcessorFactory,
                stateStore: (any PartitionStateStore)?, logger: Logger) {
        self.configuration = configuration
        self.factoryBox = Locked(processors)
        self.store = stateStore
        self.logger = logger
    }

    private var group: String { configuration.consumer.groupID }

    /// Replaces the processors (a new model) at the next batch boundary: no record is skipped or
    /// processed twice; each partition's new processor takes over what it can of the old state.
    public func replaceProcessors(_ factory: any PartitionProcessorFactory) {
        pendingFactory.value = factory
    }

    private func swapProcessorsIfRequested() {
        guard let next = pendingFactory.withLock({ p -> (any PartitionProcessorFactory)? in defer { p = nil }; return p }) else { return }
        factoryBox.value = next
        for w in workers.value.values {
            do {
                let state = try w.processor.snapshot()
                w.processor = try next.makeProcessor(for: w.partition, replacing: state)
            } catch {
                logger.error("could not carry partition state over to the new model; starting it fresh", metadata: ["partition": "\(w.partition)", "error": "\(error)"])
                if let fresh = try? next.makeProcessor(for: w.partition, snapshot: nil) { w.processor = fresh }
            }
        }
        swaps.withLock { $0 += 1 }
        logger.notice("processors replaced (model reload)", metadata: ["partitions": "\(workers.value.count)"])
    }

    /// Called after a batch's outputs are acknowledged and its offsets stored (or its transaction
    /// committed): the moment its decisions are final. For benchmarks and embedding applications.
    public let acknowledgedBatches = Locked<(@Sendable (KafkaMessageBatch) -> Void)?>(nil)

    /// Processor replacements (model reloads) applied so far.
    public var processorSwaps: Int { swaps.value }
    private let swaps = Locked(0)

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
            startingOffsets: { [weak self] tps in self?.assign(tps) ?? [] },
            onRebalance: { [weak self] event in self?.rebalanced(event) }
        )
        consumerBox.value = consumer
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
                self.stopping.value = true
            }
        } catch {
            failure = error
        }
        // Shutdown: state and offsets of everything acknowledged, then leave the group.
        logger.info("monitor stopping: snapshotting state and committing offsets")
        snapshotAll()
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
        var lastCommit = Date(), lastSnapshot = Date(), lastLag = Date()
        while !stopping.value && !Task.isCancelled {
            if let fatal = producer.fatalError ?? consumer.fatalError { throw fatal }
            let batch = await consumer.nextBatch(maxMessages: configuration.batchSize, timeoutMs: configuration.pollTimeoutMs,
                                                 fillMs: configuration.exactlyOnce ? configuration.transactionIntervalMs : 0)
            // After the poll: a batch polled after a replacement was requested is judged by the
            // new processors (the poll itself may wait up to pollTimeoutMs).
            swapProcessorsIfRequested()
            health.withLock { $0.lastLoop = Date(); $0.ready = true }
            for e in batch.errors { logger.warning("consumer error", metadata: ["error": "\(e)"]) }
            if !batch.isEmpty {
                try await handle(batch, consumer: consumer, producer: producer)
            }
            let now = Date()
            if !configuration.exactlyOnce, now.timeIntervalSince(lastCommit) * 1000 >= Double(configuration.commitIntervalMs) {
                do { try consumer.commitAsync() } catch {
                    metrics.commitFailures.increment()
                    logger.warning("commit failed (will retry)", metadata: ["error": "\(error)"])
                }
                lastCommit = now
            }
            if now.timeIntervalSince(lastSnapshot) * 1000 >= Double(configuration.snapshotIntervalMs) {
                snapshotAll()
                lastSnapshot = now
            }
            if now.timeIntervalSince(lastLag) >= 5 {
                for w in workers.value.values {
                    if let wm = consumer.cachedWatermarks(w.partition) { metrics.lag(w.partition, max(0, wm.high - w.nextOffset)) }
                }
                lastLag = now
            }
        }
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
        let current = workers.value
        let jobs: [(PartitionWorker, [Int])] = zip(order, members).compactMap { tp, indices in
            guard let w = current[tp] else {
                logger.warning("records for a partition this member does not own; ignored", metadata: ["partition": "\(tp)"])
                return nil
            }
            return (w, indices)
        }
        let results = await Self.process(batch, jobs)

        var outputs: [OutgoingMessage] = []
        var next: [TopicPartitionOffset] = []
        var counts = ServiceTotals()
        var detectorSums = DetectorSums()
        for (j, (worker, _)) in jobs.enumerated() {
            for res in results[j] {
                outputs += res.outputs
                switch res.disposition {
                case .normal: counts.normal += 1; metrics.normal.increment()
                case .alert: counts.alerts += 1; metrics.alerts.increment()
                case .deadLetter(let reason): counts.deadLetters += 1; metrics.deadLetter(reason)
                }
                if let s = res.score { metrics.score.record(s) }
                if let t = res.threshold { metrics.threshold.record(t) }
                detectorSums.add(res.detectors)
            }
            next.append(TopicPartitionOffset(worker.partition, offset: worker.nextOffset))
        }
        for (name, score, probability) in detectorSums.means { metrics.detectorMeans(name, score: score, probability: probability) }
        counts.events = results.reduce(0) { $0 + $1.count }
        metrics.eventsIn.increment(by: counts.events)

        if configuration.exactlyOnce {
            try await commitTransaction(outputs, offsets: next, producer: producer, consumer: consumer, jobs: jobs.map { $0.0 })
        } else {
            try await deliver(outputs, producer: producer, consumer: consumer)
            try consumer.storeOffsets(next)
        }
        totals.withLock { $0.add(counts) }
        // Record timestamp (producer's create time) to final decision: outputs acknowledged.
        let nowMs = Int64(Date().timeIntervalSince1970 * 1000)
        for i in 0..<batch.count {
            let ts = batch[i].timestampMs
            if ts > 0, nowMs >= ts { metrics.eventLatency.recordMilliseconds(nowMs - ts) }
        }
        acknowledgedBatches.value?(batch)
        metrics.batchLatency.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds))
    }

    /// Runs each partition's records through its processor, partitions in parallel, off the
    /// cooperative pool.
    private static func process(_ batch: KafkaMessageBatch, _ jobs: [(PartitionWorker, [Int])]) async -> [[RecordResult]] {
        await withCheckedContinuation { (cont: CheckedContinuation<[[RecordResult]], Never>) in
            DispatchQueue.global(qos: .userInitiated).async {
                let slots = DisjointSlots<[RecordResult]>(count: jobs.count, initial: [])
                do {
                    DispatchQueue.concurrentPerform(iterations: jobs.count) { j in
                        let (worker, indices) = jobs[j]
                        let records = indices.map { batch[$0] }
                        let rs = worker.processor.processBatch(records, emit: records.map { $0.offset >= worker.warmUntil })
                        if let last = records.last { worker.nextOffset = last.offset + 1 }
                        slots[j] = rs
                    }
                }
                cont.resume(returning: slots.values)
            }
        }
    }

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
            self?.pauseInputs(consumer)
        }
        func finish() async {
            pauser.cancel()
            _ = await pauser.result  // a pause in progress completes before the resume
            resumeInputs(consumer)
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
            let stillPaused = !paused.value.isEmpty
            health.withLock { $0.stalled = stillPaused; $0.lastLoop = Date() }
        }
    }

    /// Partitions paused because outputs were not acknowledged in time.
    public var pausedPartitions: [TopicPartition] { paused.value }
    private let paused = Locked<[TopicPartition]>([])

    private func pauseInputs(_ consumer: KafkaConsumer) {
        guard let tps = try? consumer.assignment(), !tps.isEmpty else { return }
        do {
            try consumer.pause(tps)
            paused.value = tps
            metrics.pausedPartitions.record(Double(tps.count))
            health.withLock { $0.stalled = true }
            logger.warning("outputs not acknowledged in time; input partitions paused until they are", metadata: [
                "partitions": "\(tps.count)", "after_ms": "\(configuration.pauseAfterMs)",
            ])
        } catch {
            logger.error("could not pause input partitions", metadata: ["error": "\(error)"])
        }
    }

    private func resumeInputs(_ consumer: KafkaConsumer) {
        let tps = paused.withLock { p -> [TopicPartition] in defer { p = [] }; return p }
        guard !tps.isEmpty else { return }
        // Only partitions still assigned (a rebalance may have moved some meanwhile).
        let current = Set((try? consumer.assignment()) ?? [])
        do { try consumer.resume(tps.filter { current.contains($0) }) } catch {
            logger.error("could not resume input partitions", metadata: ["error": "\(error)"])
        }
        metrics.pausedPartitions.record(0)
        health.withLock { $0.stalled = false; $0.lastLoop = Date() }
        logger.notice("outputs acknowledged; input partitions resumed", metadata: ["partitions": "\(tps.count)"])
    }

    /// Exactly-once: outputs and input offsets in one transaction. On an abortable failure the
    /// transaction is aborted and the partitions are rewound to their last committed state.
    private func commitTransaction(_ outputs: [OutgoingMessage], offsets: [TopicPartitionOffset], producer: KafkaProducer,
                                   consumer: KafkaConsumer, jobs: [PartitionWorker]) async throws {
        do {
            try producer.beginTransaction()
            let tracker = DeliveryTracker()
            for m in outputs { try producer.send(m, tracker: tracker) }
            let failures = await tracker.wait()
            if let f = failures.first, let e = f.error { throw e }
            try producer.sendOffsetsToTransaction(offsets, consumer: consumer)
            try producer.commitTransaction()
            metrics.transactionsCommitted.increment()
        } catch let error as KafkaError {
            if error.isFatal { throw error }
            metrics.transactionsAborted.increment()
            totals.withLock { $0.transactionsAborted += 1 }
            logger.error("transaction failed; aborting and rewinding", metadata: ["error": "\(error)"])
            do { try producer.abortTransaction() } catch {
                if error.isFatal { throw error }
            }
            try rewind(jobs.map(\.partition), consumer: consumer)
        }
    }

    /// Rebuilds partitions from their snapshots and seeks back, so records after the last
    /// committed offset are processed again from the same state.
    private func rewind(_ partitions: [TopicPartition], consumer: KafkaConsumer) throws {
        let starts = assign(partitions)
        let seekTo = Dictionary(starts.map { ($0.topicPartition, $0.offset) }, uniquingKeysWith: { $1 })
        var seeks: [TopicPartitionOffset] = []
        for tp in partitions {
            if let o = seekTo[tp] { seeks.append(TopicPartitionOffset(tp, offset: o)) }
            else if let c = try consumer.committed([tp]).first, c.offset >= 0 { seeks.append(c) }
            else { seeks.append(TopicPartitionOffset(tp, offset: KafkaOffset.beginning)) }
        }
        try consumer.seek(seeks)
        let workerMap = workers.value
        for s in seeks { workerMap[s.topicPartition]?.nextOffset = s.offset }
    }

    // MARK: - Partition state

    /// Creates processors for newly assigned partitions (restoring snapshots) and returns where
    /// to start those whose snapshot is behind the committed offset.
    private func assign(_ tps: [TopicPartition]) -> [TopicPartitionOffset] {
        let committed: [TopicPartition: Int64]
        if let consumer = consumerBox.value, let list = try? consumer.committed(tps) {
            committed = Dictionary(list.map { ($0.topicPartition, $0.offset) }, uniquingKeysWith: { $1 })
        } else {
            committed = [:]
        }
        var starts: [TopicPartitionOffset] = []
        for tp in tps {
            var snap: PartitionSnapshot?
            do { snap = try store?.load(group: group, partition: tp) } catch {
                logger.error("partition state snapshot unusable; starting this partition with fresh state", metadata: ["partition": "\(tp)", "error": "\(error)"])
            }
            let c = committed[tp] ?? -1
            let processor: any PartitionProcessor
            do {
                processor = try factory.makeProcessor(for: tp, snapshot: snap?.state)
            } catch {
                logger.error("could not restore partition state; starting fresh", metadata: ["partition": "\(tp)", "error": "\(error)"])
                snap = nil
                guard let fresh = try? factory.makeProcessor(for: tp, snapshot: nil) else { continue }
                processor = fresh
            }
            var start = c
            var warmUntil = c
            if let s = snap {
                start = s.offset
                warmUntil = max(c, s.offset)
                starts.append(TopicPartitionOffset(tp, offset: s.offset))
            } else if c >= 0 {
                // Committed progress but no snapshot (first crash before one was written, or a lost
                // state directory): rebuild the state from the start of the log without output.
                start = KafkaOffset.beginning
                starts.append(TopicPartitionOffset(tp, offset: KafkaOffset.beginning))
            }
            workers.withLock { $0[tp] = PartitionWorker(partition: tp, processor: processor, nextOffset: start, warmUntil: warmUntil) }
            logger.info("partition assigned", metadata: [
                "partition": "\(tp)", "committed": "\(c)", "snapshot_offset": "\(snap.map { "\($0.offset)" } ?? "none")",
                "replay_without_output": "\(max(0, c - (snap?.offset ?? c)))",
            ])
        }
        return starts
    }

    /// Rebalance events this member has seen.
    public var rebalanceCount: Int { rebalances.value }
    private let rebalances = Locked(0)

    private func rebalanced(_ event: RebalanceEvent) {
        metrics.rebalances.increment()
        rebalances.withLock { $0 += 1 }
        if case .revoked(let tps, _, _) = event {
            for tp in tps {
                guard let w = workers.withLock({ $0.removeValue(forKey: tp) }) else { continue }
                save(w)
            }
        }
    }

    private func snapshotAll() {
        for w in workers.value.values { save(w) }
    }

    private func save(_ w: PartitionWorker) {
        guard let store, w.nextOffset >= 0 else { return }
        do {
            let state = try w.processor.snapshot()
            try store.save(group: group, partition: w.partition, snapshot: PartitionSnapshot(offset: w.nextOffset, state: state))
        } catch {
            logger.error("partition state snapshot failed", metadata: ["partition": "\(w.partition)", "error": "\(error)"])
        }
    }
}

/// Sums of each detector's scores over a batch (a handful of detectors: linear search).
struct DetectorSums {
    private var names: [String] = []
    private var scores: [Double] = []
    private var probabilities: [Double] = []
    private var counts: [Int] = []
    mutating func add(_ ds: [DetectorScore]) {
        for d in ds {
            guard d.score.isFinite, d.probability.isFinite else { continue }
            if let i = names.firstIndex(of: d.name) {
                scores[i] += d.score; probabilities[i] += d.probability; counts[i] += 1
            } else {
                names.append(d.name); scores.append(d.score); probabilities.append(d.probability); counts.append(1)
            }
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
