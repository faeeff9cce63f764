import CRdKafka
import Logging

/// Topic administration on a real cluster through librdkafka's Admin API (the mock cluster has
/// no CreateTopics; use `MockCluster.createTopic` there).
public final class KafkaAdmin: @unchecked Sendable {
    // Sendable: librdkafka handles are thread-safe; `handle` is immutable.
    private let handle: RDHandle

    public init(client: KafkaClientConfiguration, logger: Logger = Logger(label: "txguard.kafka.admin")) throws(KafkaError) {
        let properties = client.rdProperties + client.properties.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let secrets = SensitiveProperty.secrets(in: properties)
        let conf = try makeRDKafkaConf(properties)
        let context = Unmanaged.passRetained(ClientContext(logger: logger, secrets: secrets))
        installCommonCallbacks(conf, context: context)
        do {
            handle = RDHandle(try makeRDKafkaHandle(RD_KAFKA_PRODUCER, conf: conf, secrets: secrets)) { context.release() }
        } catch {
            context.release()
            throw error
        }
    }

    /// A topic to create. `config` holds topic-level settings such as `cleanup.policy=compact`.
    public struct NewTopic: Sendable {
        public var name: String
        public var partitions: Int
        public var replicationFactor: Int
        public var config: [String: String]
        public init(name: String, partitions: Int, replicationFactor: Int = 3, config: [String: String] = [:]) {
            self.name = name
            self.partitions = partitions
            self.replicationFactor = replicationFactor
            self.config = config
        }
    }

    /// Creates topics; a topic that already exists is not an error when `ignoreExisting`.
    public func createTopics(_ topics: [NewTopic], ignoreExisting: Bool = true, timeoutMs: Int = 30_000) throws(KafkaError) {
        let rk = handle.rk
        var errbuf = [CChar](repeating: 0, count: 512)
        var newTopics: [OpaquePointer?] = []
        defer { for t in newTopics { rd_kafka_NewTopic_destroy(t) } }
        for t in topics {
            guard let nt = rd_kafka_NewTopic_new(t.name, Int32(t.partitions), Int32(t.replicationFactor), &errbuf, errbuf.count) else {
                throw .binding("topic \(t.name): \(decodeCString(errbuf))")
            }
            newTopics.append(nt)
            for (k, v) in t.config.sorted(by: { $0.key < $1.key }) {
                let err = rd_kafka_NewTopic_set_config(nt, k, v)
                guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "topic \(t.name) config \(k)") }
            }
        }
        let queue = rd_kafka_queue_new(rk)
        defer { rd_kafka_queue_destroy(queue) }
        let options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS)
        defer { rd_kafka_AdminOptions_destroy(options) }
        _ = rd_kafka_AdminOptions_set_operation_timeout(options, Int32(timeoutMs), &errbuf, errbuf.count)
        newTopics.withUnsafeMutableBufferPointer { buf in
            rd_kafka_CreateTopics(rk, buf.baseAddress, buf.count, options, queue)
        }
        guard let event = rd_kafka_queue_poll(queue, Int32(timeoutMs + 5000)) else {
            throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, context: "create topics")
        }
        defer { rd_kafka_event_destroy(event) }
        let err = rd_kafka_event_error(event)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw KafkaError(err, context: "create topics: \(String(cString: rd_kafka_event_error_string(event)))")
        }
        guard let result = rd_kafka_event_CreateTopics_result(event) else { throw .binding("create topics: no result") }
        var count = 0
        guard let results = rd_kafka_CreateTopics_result_topics(result, &count) else { return }
        for i in 0..<count {
            let r = results[i]
            let terr = rd_kafka_topic_result_error(r)
            if terr == RD_KAFKA_RESP_ERR_NO_ERROR || (ignoreExisting && terr == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) { continue }
            let msg = rd_kafka_topic_result_error_string(r).map { String(cString: $0) } ?? ""
            throw KafkaError(terr, context: "create topic \(String(cString: rd_kafka_topic_result_name(r))): \(msg)")
        }
    }

    /// Partition count of each topic (from cluster metadata), nil for a topic that does not exist.
    public func partitionCount(_ topic: String, timeoutMs: Int = 10_000) throws(KafkaError) -> Int? {
        try TxGuardKafka.partitionCount(rk: handle.rk, topic: topic, timeoutMs: timeoutMs)
    }
}

/// Reads a topic's partition count from metadata (without auto-creating it).
func partitionCount(rk: OpaquePointer, topic: String, timeoutMs: Int) throws(KafkaError) -> Int? {
    var meta: UnsafePointer<rd_kafka_metadata>?
    let err = rd_kafka_metadata(rk, 1, nil, &meta, Int32(timeoutMs))
    guard err == RD_KAFKA_RESP_ERR_NO_ERROR, let meta else { throw KafkaError(err, context: "metadata") }
    defer { rd_kafka_metadata_destroy(meta) }
    for i in 0..<Int(meta.pointee.topic_cnt) {
        let t = meta.pointee.topics[i]
        if String(cString: t.topic) == topic {
            return t.err == RD_KAFKA_RESP_ERR_NO_ERROR ? Int(t.partition_cnt) : nil
        }
    }
    return nil
}

extension KafkaConsumer {
    /// Partition count of `topic` from cluster metadata, nil if it does not exist.
    public func partitionCount(_ topic: String, timeoutMs: Int = 10_000) throws(KafkaError) -> Int? {
        try TxGuardKafka.partitionCount(rk: rk, topic: topic, timeoutMs: timeoutMs)
    }
}
