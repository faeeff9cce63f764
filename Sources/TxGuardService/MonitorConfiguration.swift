import Foundation
import TxGuardKafka

/// Everything `txguard run` needs to know about topics, delivery and timing.
public struct MonitorConfiguration: Sendable {
    public var consumer: KafkaConsumerConfiguration
    public var producer: KafkaProducerConfiguration
    public var inputTopics: [String]
    public var alertTopic: String
    public var deadLetterTopic: String
    /// Exactly-once: outputs and input offsets in one Kafka transaction per batch.
    public var exactlyOnce: Bool = false
    /// Exactly-once: how long a batch (one transaction) may keep filling after its first record,
    /// up to `batchSize` records. Longer means fewer, larger transactions and more latency.
    public var transactionIntervalMs: Int = 100
    /// Records taken from Kafka per batch (per transaction in exactly-once mode).
    public var batchSize: Int = 5000
    /// Longest wait for the first record of a batch (a batch is whatever is fetched by then; it
    /// never waits to fill). Bounds how long the loop is idle between housekeeping turns.
    public var pollTimeoutMs: Int = 100
    /// How often stored offsets are committed (at-least-once mode).
    public var commitIntervalMs: Int = 1000
    /// How often partition state is snapshotted (also on revoke and shutdown).
    public var snapshotIntervalMs: Int = 30_000
    /// Input partitions are paused when a batch's outputs wait longer than this for acknowledgement.
    public var pauseAfterMs: Int = 1000
    /// Back-off between attempts to re-send outputs the brokers did not acknowledge.
    public var retryBackoffMs: Int = 1000
    /// An assigned, unpaused partition with records waiting that makes no progress for this
    /// long is reported stalled (log line, `txguard_partitions_stalled`) and resumed.
    public var stallAfterMs: Int = 30_000

    /// The transactional.id an instance uses unless told otherwise: one per instance (producers
    /// sharing an id fence each other), stable across its restarts (so it fences its own zombie).
    public static func defaultTransactionalID(group: String) -> String {
        "txguard-\(group)-\(ProcessInfo.processInfo.hostName)"
    }

    public init(consumer: KafkaConsumerConfiguration, producer: KafkaProducerConfiguration, inputTopics: [String], alertTopic: String, deadLetterTopic: String) {
        self.consumer = consumer
        self.producer = producer
        self.inputTopics = inputTopics
        self.alertTopic = alertTopic
        self.deadLetterTopic = deadLetterTopic
    }
}
