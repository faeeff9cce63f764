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
    public var batchSize: Int = MonitorConfiguration.defaultBatchSize
    /// The default batch: 20,000 records. A batch's partitions are processed in parallel, one
    /// thread per partition, and all of them finish before the next poll. A backlog comes out of
    /// the consumer queue in per-partition runs (a fetch returns each partition's record batches
    /// whole, often thousands of records), so a batch of 5,000 spanned only 2 to 3 partitions and
    /// left a core idle while the largest finished; 20,000 spans about seven (docs/PERFORMANCE.md,
    /// the 2026-12-04 evening section). At a steady rate a batch is whatever has arrived
    /// since the last poll, far smaller, so this changes nothing there.
    public static let defaultBatchSize = 20_000
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
