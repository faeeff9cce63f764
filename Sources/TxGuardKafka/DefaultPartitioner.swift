import CRdKafka

/// The partition librdkafka's default partitioner (`consistent_random`) gives a keyed record:
/// CRC-32 of the key modulo the partition count, computed by librdkafka itself. Lets a backtest
/// split a file into the partitions a topic filled by `txguard produce` (or any librdkafka
/// producer with default settings) would hold, so per-partition state and thresholds match.
public enum DefaultPartitioner {
    /// The partition of a record keyed `key` (non-empty) in a topic of `count` partitions.
    public static func partition(key: [UInt8], count: Int32) -> Int32 {
        precondition(count > 0 && !key.isEmpty, "a partition count and a non-empty key")
        // The consistent partitioner reads neither the topic handle nor the opaques.
        return key.withUnsafeBytes { rd_kafka_msg_partitioner_consistent(nil, $0.baseAddress, $0.count, count, nil, nil) }
    }
}
