import TxGuardContracts
import TxGuardKafka

/// What became of one input record. Every record ends as exactly one of these.
public enum RecordDisposition: Sendable, Equatable {
    /// Judged normal: no output.
    case normal
    /// Judged anomalous: an alert was produced.
    case alert
    /// Could not be decoded or validated: a dead-letter record was produced (reason code).
    case deadLetter(reason: String)
}

/// The outcome of one record: its disposition and the records to produce for it.
public struct RecordResult: Sendable {
    public var disposition: RecordDisposition
    /// Alert or dead-letter records (empty for a normal record, or when not emitting).
    public var outputs: [OutgoingMessage]
    /// Ensemble score and the threshold in force, for metrics (nil for dead letters).
    public var score: Double?
    public var threshold: Double?
    /// Each detector's raw score and tail probability, for metrics (empty for dead letters).
    public var detectors: [DetectorScore]
    /// The amount was rounded from a binary floating-point rendering (see `Transaction`).
    public var amountRounded = false

    public init(disposition: RecordDisposition, outputs: [OutgoingMessage] = [], score: Double? = nil, threshold: Double? = nil,
                detectors: [DetectorScore] = []) {
        self.disposition = disposition
        self.outputs = outputs
        self.score = score
        self.threshold = threshold
        self.detectors = detectors
    }
}

/// Turns the records of one partition into outputs, strictly in offset order, and owns that
/// partition's state (per-account statistics, thresholds). The service calls one processor from
/// one thread at a time; different partitions' processors run in parallel.
public protocol PartitionProcessor: AnyObject {
    /// Processes one record. With `emit` false the service is rebuilding state after a restore
    /// (records whose outputs were already acknowledged): state must change exactly as with
    /// `emit` true; outputs may be omitted.
    func process(_ record: KafkaRecordView, emit: Bool) -> RecordResult
    /// Processes consecutive records of the partition (default: one by one). `emit[i]` is the
    /// `emit` flag of record `i`. Processors that benefit from batching (text embeddings) override it.
    func processBatch(_ records: [KafkaRecordView], emit: [Bool]) -> [RecordResult]
    /// The partition's state, to be restored by `PartitionProcessorFactory.makeProcessor`.
    func snapshot() throws -> [UInt8]
    /// The state as of now, encoded later by the returned function on another thread while this
    /// processor goes on (the service's periodic snapshots). Default: encoded now.
    func captureSnapshot() throws -> @Sendable () throws -> [UInt8]
    /// Accounts the partition keeps state for (for the `txguard_state_accounts` gauge).
    var stateAccounts: Int { get }
    /// What learning from labels last did (a model trained, or why not), for the log; nil when
    /// there is nothing to report.
    var labelLearningStatus: String? { get }
}

extension PartitionProcessor {
    public var stateAccounts: Int { 0 }
    public var labelLearningStatus: String? { nil }

    public func captureSnapshot() throws -> @Sendable () throws -> [UInt8] {
        let bytes = try snapshot()
        return { bytes }
    }

    public func processBatch(_ records: [KafkaRecordView], emit: [Bool]) -> [RecordResult] {
        zip(records, emit).map { process($0, emit: $1) }
    }
}

/// Creates the processor of a newly assigned partition.
public protocol PartitionProcessorFactory: Sendable {
    /// A processor for `partition`, restored from `snapshot` (nil: fresh state).
    func makeProcessor(for partition: TopicPartition, snapshot: [UInt8]?) throws -> any PartitionProcessor
    /// A processor replacing one made by another factory (a model reload): it takes over what it
    /// can of `previousState` (the old processor's snapshot). Default: fresh state.
    func makeProcessor(for partition: TopicPartition, replacing previousState: [UInt8]) throws -> any PartitionProcessor
}

extension PartitionProcessorFactory {
    public func makeProcessor(for partition: TopicPartition, replacing previousState: [UInt8]) throws -> any PartitionProcessor {
        try makeProcessor(for: partition, snapshot: nil)
    }
}
