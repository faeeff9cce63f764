import CRdKafka
import Logging

/// librdkafka's built-in mock Kafka cluster (rdkafka_mock.h), serving real Kafka protocol on
/// 127.0.0.1. It backs `txguard broker`, the demo and the integration tests. Limits of the
/// librdkafka 2.0.2 mock: no CreateTopics (use `createTopic`), only roughly the last 4–5 MB of a
/// partition are kept, aborted transactional records still reach read_committed consumers, and offsets
/// committed inside transactions (TxnOffsetCommit) are accepted but never stored.
/// Destroyed (all brokers stopped) on deinit.
public final class MockCluster: @unchecked Sendable {
    // Sendable: the mock API posts operations to the cluster's own thread and is thread-safe.
    private let rk: OpaquePointer
    private let cluster: OpaquePointer
    public let brokerCount: Int
    /// Whether `defaultPartitions` could be applied to auto-created topics (see `init`).
    public let defaultPartitionsApplied: Bool

    /// Starts `brokers` mock brokers. `defaultPartitions` sets the partition count of topics
    /// auto-created on first use (librdkafka 2.0.2 fixes it at 4 and has no API; see shim.h).
    public init(brokers: Int = 1, defaultPartitions: Int? = nil, logger: Logger = Logger(label: "txguard.kafka.mock")) throws(KafkaError) {
        precondition(brokers >= 1, "at least one broker")
        // The mock needs a client instance to host its thread; it never connects anywhere.
        let conf = try makeRDKafkaConf([("log_level", "3")])
        let context = Unmanaged.passRetained(ClientContext(logger: logger))
        installCommonCallbacks(conf, context: context)
        let rk: OpaquePointer
        do { rk = try makeRDKafkaHandle(RD_KAFKA_PRODUCER, conf: conf) } catch {
            context.release()
            throw error
        }
        guard let mc = rd_kafka_mock_cluster_new(rk, Int32(brokers)) else {
            rd_kafka_destroy(rk)
            context.release()
            throw .binding("rd_kafka_mock_cluster_new failed")
        }
        self.rk = rk
        self.cluster = mc
        self.brokerCount = brokers
        if let p = defaultPartitions, p != 4 {
            defaultPartitionsApplied = txg_mock_set_default_partitions(mc, Int32(brokers), Int32(p)) == 1
        } else {
            defaultPartitionsApplied = true
        }
        disableNagleOnBrokerSockets()
    }

    /// Real Kafka brokers disable Nagle's algorithm; librdkafka's mock brokers do not, which adds
    /// ~40 ms (a delayed ACK) to pipelined responses. Sets TCP_NODELAY on the mock brokers'
    /// listening sockets (accepted connections inherit it) and on connections already accepted.
    private func disableNagleOnBrokerSockets() {
        for hostPort in bootstrapServers.split(separator: ",") {
            guard let port = hostPort.split(separator: ":").last.flatMap({ Int32($0) }) else { continue }
            _ = txg_nodelay_for_local_port(port)
        }
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(rk)
    }

    /// The `bootstrap.servers` string clients use to reach the mock brokers.
    public var bootstrapServers: String { String(cString: rd_kafka_mock_cluster_bootstraps(cluster)) }

    /// Creates a topic (the mock has no CreateTopics request). Fails if it exists.
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let err = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(min(replicationFactor, brokerCount)))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "mock create topic \(name)") }
    }

    /// Takes broker `id` (1-based) down: its connections are closed and it refuses new ones.
    public func setBrokerDown(_ id: Int32) throws(KafkaError) {
        let err = rd_kafka_mock_broker_set_down(cluster, id)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "broker \(id) down") }
    }

    public func setBrokerUp(_ id: Int32) throws(KafkaError) {
        let err = rd_kafka_mock_broker_set_up(cluster, id)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "broker \(id) up") }
        disableNagleOnBrokerSockets()
    }

    /// Adds round-trip latency to broker `id`.
    public func setBrokerRTT(_ id: Int32, milliseconds: Int) throws(KafkaError) {
        let err = rd_kafka_mock_broker_set_rtt(cluster, id, Int32(milliseconds))
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "broker \(id) rtt") }
    }

    /// The next requests of `apiKey` (Kafka protocol API key, e.g. 0 = Produce, 1 = Fetch) fail,
    /// one per listed error code, in order.
    public func pushRequestErrors(apiKey: Int16, errors: [Int32]) {
        var codes = errors.map { rd_kafka_resp_err_t(rawValue: $0) }
        codes.withUnsafeMutableBufferPointer { buf in
            rd_kafka_mock_push_request_errors_array(cluster, apiKey, buf.count, buf.baseAddress)
        }
    }

    /// The next requests of `apiKey` to broker `broker` (1-based) fail, one per listed error code,
    /// in order; other brokers answer normally (a fault on one role: input, outputs, coordinator).
    public func pushBrokerRequestErrors(broker: Int32, apiKey: Int16, errors: [Int32]) throws(KafkaError) {
        for e in errors {
            let err = txg_mock_broker_push_error(cluster, broker, apiKey, rd_kafka_resp_err_t(rawValue: e))
            guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "mock broker \(broker) request errors") }
        }
    }

    /// Clears pending injected errors for `apiKey`.
    public func clearRequestErrors(apiKey: Int16) {
        rd_kafka_mock_clear_request_errors(cluster, apiKey)
    }

    /// Moves the leadership of `topic`'s `partition` to broker `broker` (1-based): clients get
    /// NOT_LEADER_FOR_PARTITION from the old leader and must refresh their metadata.
    public func setPartitionLeader(_ topic: String, partition: Int32, broker: Int32) throws(KafkaError) {
        let err = rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "mock leader of \(topic)[\(partition)]") }
    }

    /// Makes broker `broker` the coordinator of consumer group (`type` "group") or transactional
    /// id (`type` "transaction") `key`.
    public func setCoordinator(_ type: String, key: String, broker: Int32) throws(KafkaError) {
        let err = rd_kafka_mock_coordinator_set(cluster, type, key, broker)
        guard err == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(err, context: "mock \(type) coordinator of \(key)") }
    }

    /// Makes every request to `topic` fail with `error` (0 clears it).
    public func setTopicError(_ topic: String, error: Int32) {
        rd_kafka_mock_topic_set_error(cluster, topic, rd_kafka_resp_err_t(rawValue: error))
    }
}

/// Kafka protocol API keys used with `MockCluster.pushRequestErrors`.
public enum KafkaAPIKey {
    public static let produce: Int16 = 0
    public static let fetch: Int16 = 1
    public static let listOffsets: Int16 = 2
    public static let metadata: Int16 = 3
    public static let offsetCommit: Int16 = 8
    public static let offsetFetch: Int16 = 9
    public static let findCoordinator: Int16 = 10
    public static let joinGroup: Int16 = 11
    public static let heartbeat: Int16 = 12
    public static let leaveGroup: Int16 = 13
    public static let syncGroup: Int16 = 14
    public static let initProducerID: Int16 = 22
    public static let addPartitionsToTxn: Int16 = 24
    public static let addOffsetsToTxn: Int16 = 25
    public static let endTxn: Int16 = 26
    public static let txnOffsetCommit: Int16 = 28
}
