import TxGuardKafka

/// One assigned partition's processor. Its position lives in `PartitionLifecycle`.
final class PartitionWorker: @unchecked Sendable {
    // Sendable: a worker is used by one thread at a time — the processing stage (between polls)
    // or the rebalance callback (inside a poll) — never both at once.
    let partition: TopicPartition
    var processor: any PartitionProcessor

    init(partition: TopicPartition, processor: any PartitionProcessor) {
        self.partition = partition
        self.processor = processor
    }
}
