import TxGuardKafka

/// One assigned partition's processor and its position.
final class PartitionWorker: @unchecked Sendable {
    // Sendable: a worker is used by one thread at a time — the processing stage (between polls)
    // or the rebalance callback (inside a poll) — never both at once.
    let partition: TopicPartition
    var processor: any PartitionProcessor
    /// Next offset to process (everything before it has been processed).
    var nextOffset: Int64
    /// Records before this offset only rebuild state (their outputs were already acknowledged).
    var warmUntil: Int64

    init(partition: TopicPartition, processor: any PartitionProcessor, nextOffset: Int64, warmUntil: Int64) {
        self.partition = partition
        self.processor = processor
        self.nextOffset = nextOffset
        self.warmUntil = warmUntil
    }
}
