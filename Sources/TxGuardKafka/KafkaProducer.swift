import CRdKafka
import Foundation
import Logging
import Synchronization

/// A Kafka producer: keyed records with headers, delivery reports awaited per record or per batch,
/// idempotent by default, and transactions (init/begin/send offsets/commit/abort) for
/// consume-transform-produce exactly-once. A private thread serves delivery reports.
/// `close()` flushes (waits for outstanding deliveries up to a deadline) before destroying.
public final class KafkaProducer: @unchecked Sendable {
    // Sendable: librdkafka's producer API is thread-safe; the poll thread only reads `handle`.
    private let handle: RDHandle
    private let context: ClientContext
    private let running = AtomicFlag(true)
    private let pollerDone = DispatchSemaphore(value: 0)
    public let configuration: KafkaProducerConfiguration
    private let logger: Logger

    public init(configuration: KafkaProducerConfiguration, logger: Logger = Logger(label: "txguard.kafka.producer")) throws(KafkaError) {
        self.configuration = configuration
        self.logger = logger
        let properties = configuration.rdProperties
        let secrets = SensitiveProperty.secrets(in: properties)
        let context = ClientContext(logger: logger, secrets: secrets)
        let conf = try makeRDKafkaConf(properties)
        let unmanaged = Unmanaged.passRetained(context)
        installCommonCallbacks(conf, context: unmanaged)
        rd_kafka_conf_set_dr_msg_cb(conf) { _, msg, _ in
            guard let msg, let opaque = txg_message_opaque(msg) else { return }
            let tracker = Unmanaged<DeliveryTracker>.fromOpaque(opaque).takeRetainedValue()
            let m = msg.pointee
            tracker.record(failed: m.err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                let topic = m.rkt.map { String(cString: rd_kafka_topic_name($0)) } ?? ""
                let error = m.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(m.err, context: "delivery to \(topic)[\(m.partition)]")
                return DeliveryReport(topic: topic, partition: m.partition, offset: error == nil ? m.offset : -1, error: error)
            }
        }
        let rk: OpaquePointer
        do {
            rk = try makeRDKafkaHandle(RD_KAFKA_PRODUCER, conf: conf, secrets: secrets)
        } catch {
            unmanaged.release()
            throw error
        }
        self.context = context
        self.handle = RDHandle(rk) { unmanaged.release() }
        let handle = self.handle
        let running = self.running
        let done = self.pollerDone
        let thread = Thread {
            while running.value { rd_kafka_poll(handle.rk, 50) }
            done.signal()
        }
        thread.name = "txguard.kafka.producer.poll"
        thread.start()
    }

    deinit { close() }

    var rk: OpaquePointer { handle.rk }

    /// A fatal error reported by librdkafka (e.g. the transactional producer was fenced).
    public var fatalError: KafkaError? { context.fatalError.withLock { $0 } }

    /// Enqueues one record; its delivery is reported to `tracker`. When librdkafka's queue is full
    /// this waits (up to `queueFullTimeoutMs`) for room: backpressure, never a dropped record.
    public func send(_ message: OutgoingMessage, tracker: DeliveryTracker? = nil, queueFullTimeoutMs: Int = 60_000) throws(KafkaError) {
        let opaque = tracker.map { t -> UnsafeMutableRawPointer in
            t.expectOne()
            return Unmanaged.passRetained(t).toOpaque()
        }
        var waitedMs = 0
        while true {
            let err = enqueue(message, opaque: opaque)
            if err == RD_KAFKA_RESP_ERR_NO_ERROR { return }
            if err == RD_KAFKA_RESP_ERR__QUEUE_FULL && waitedMs < queueFullTimeoutMs {
                usleep(1000)
                waitedMs += 1
                continue
            }
            if let opaque, let t = tracker {
                Unmanaged<DeliveryTracker>.fromOpaque(opaque).release()
                t.cancelOne()
            }
            throw KafkaError(err, context: "produce to \(message.topic)")
        }
    }

    private func enqueue(_ m: OutgoingMessage, opaque: UnsafeMutableRawPointer?) -> rd_kafka_resp_err_t {
        var hdrs: OpaquePointer? = nil
        if !m.headers.isEmpty {
            hdrs = rd_kafka_headers_new(m.headers.count)
            for h in m.headers {
                h.value.withUnsafeBytes { v in _ = rd_kafka_header_add(hdrs, h.name, -1, v.baseAddress, v.count) }
            }
        }
        let partition = m.partition ?? RD_KAFKA_PARTITION_UA
        let err: rd_kafka_resp_err_t = m.value.withUnsafeBytes { v in
            if let key = m.key {
                return key.withUnsafeBytes { k in
                    txg_produce(rk, m.topic, partition, k.baseAddress, k.count, v.baseAddress, v.count, hdrs, m.timestampMs, opaque)
                }
            }
            return txg_produce(rk, m.topic, partition, nil, 0, v.baseAddress, v.count, hdrs, m.timestampMs, opaque)
        }
        if err != RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs { rd_kafka_headers_destroy(hdrs) }
        return err
    }

    /// Sends one record and waits for the broker's acknowledgement.
    public func send(_ message: OutgoingMessage) async throws -> DeliveryReport {
        let tracker = DeliveryTracker(keepReports: true)
        try send(message, tracker: tracker)
        let reports = await tracker.wait()
        guard let r = reports.first else { throw KafkaError.binding("no delivery report") }
        if let e = r.error { throw e }
        return r
    }

    /// Sends records and waits until all are acknowledged; returns every report in delivery order
    /// (per partition this is the send order). Throws the first failure after all have settled.
    public func sendBatch(_ messages: [OutgoingMessage], keepReports: Bool = true) async throws -> [DeliveryReport] {
        let tracker = DeliveryTracker(keepReports: keepReports)
        var enqueueError: Error?
        for m in messages {
            do { try send(m, tracker: tracker) } catch { enqueueError = error; break }
        }
        let reports = await tracker.wait()
        if let enqueueError { throw enqueueError }
        if let failed = reports.first(where: { $0.error != nil }), let e = failed.error { throw e }
        return reports
    }

    /// Waits up to `timeoutMs` for every outstanding record to be delivered or fail.
    /// Looks up `topics` (leaders, partition counts) and connects to their brokers now, so the
    /// first records sent to them do not wait for that. Returns the topics whose metadata could
    /// not be read (the first send will try again).
    @discardableResult
    public func prepare(topics: [String], timeoutMs: Int = 5_000) -> [String] {
        var failed: [String] = []
        for topic in topics {
            guard let rkt = rd_kafka_topic_new(rk, topic, nil) else { failed.append(topic); continue }
            defer { rd_kafka_topic_destroy(rkt) }
            var meta: UnsafePointer<rd_kafka_metadata>?
            let err = rd_kafka_metadata(rk, 0, rkt, &meta, Int32(timeoutMs))
            if let meta { rd_kafka_metadata_destroy(meta) }
            if err != RD_KAFKA_RESP_ERR_NO_ERROR { failed.append(topic) }
        }
        return failed
    }

    public func flush(timeoutMs: Int = 30_000) throws(KafkaError) {
        let err = rd_kafka_flush(rk, Int32(timeoutMs))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "flush (\(rd_kafka_outq_len(rk)) records still queued)") }
    }

    /// Records handed to librdkafka and not yet reported.
    public var outstanding: Int { Int(rd_kafka_outq_len(rk)) }

    // MARK: - Transactions (librdkafka examples/transactions.c)

    /// Registers the transactional id with the coordinator, fencing older producers with the same id.
    public func initTransactions(timeoutMs: Int = 30_000) throws(KafkaError) {
        if let e = rd_kafka_init_transactions(rk, Int32(timeoutMs)) { throw KafkaError(consuming: e, context: "init_transactions") }
    }

    public func beginTransaction() throws(KafkaError) {
        if let e = rd_kafka_begin_transaction(rk) { throw KafkaError(consuming: e, context: "begin_transaction") }
    }

    /// Adds the consumer's input offsets (next offsets to read) to the current transaction, so they
    /// are committed if and only if the transaction's records are.
    public func sendOffsetsToTransaction(_ offsets: [TopicPartitionOffset], consumer: KafkaConsumer, timeoutMs: Int = 30_000) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        guard let meta = consumer.groupMetadata() else { throw .binding("consumer has no group metadata") }
        defer { rd_kafka_consumer_group_metadata_destroy(meta) }
        let list = makeRDList(offsets)
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let e = rd_kafka_send_offsets_to_transaction(rk, list, meta, Int32(timeoutMs)) {
            throw KafkaError(consuming: e, context: "send_offsets_to_transaction")
        }
    }

    /// Flushes and commits the current transaction.
    public func commitTransaction(timeoutMs: Int = 30_000) throws(KafkaError) {
        if let e = rd_kafka_commit_transaction(rk, Int32(timeoutMs)) { throw KafkaError(consuming: e, context: "commit_transaction") }
    }

    /// Aborts the current transaction: its records are never visible to read_committed consumers
    /// and its offsets are not committed.
    public func abortTransaction(timeoutMs: Int = 30_000) throws(KafkaError) {
        if let e = rd_kafka_abort_transaction(rk, Int32(timeoutMs)) { throw KafkaError(consuming: e, context: "abort_transaction") }
    }

    // MARK: - Shutdown

    /// Flushes outstanding records (up to `flushTimeoutMs`) and stops the poll thread. Idempotent.
    public func close(flushTimeoutMs: Int = 10_000) {
        guard running.value else { return }
        let err = rd_kafka_flush(rk, Int32(flushTimeoutMs))
        if err != RD_KAFKA_RESP_ERR_NO_ERROR {
            logger.error("records still undelivered at close", metadata: ["count": "\(rd_kafka_outq_len(rk))"])
        }
        running.value = false
        pollerDone.wait()
    }
}

/// A shareable atomic boolean (an `Atomic` cannot be captured by a thread's closure).
final class AtomicFlag: Sendable {
    private let storage: Atomic<Bool>
    init(_ value: Bool) { storage = Atomic(value) }
    var value: Bool {
        get { storage.load(ordering: .acquiring) }
        set { storage.store(newValue, ordering: .releasing) }
    }
}
