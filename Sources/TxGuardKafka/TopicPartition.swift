import CRdKafka

/// A partition of a topic.
public struct TopicPartition: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32
    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }
    public static func < (a: Self, b: Self) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }
    public var description: String { "\(topic)[\(partition)]" }
}

/// An offset in a partition. For commits, `offset` is the NEXT offset to read (last processed + 1).
public struct TopicPartitionOffset: Hashable, Sendable, CustomStringConvertible {
    public var topicPartition: TopicPartition
    public var offset: Int64
    /// Set when librdkafka reports a per-partition error (e.g. from `committed`).
    public var error: KafkaError?

    public init(_ topicPartition: TopicPartition, offset: Int64, error: KafkaError? = nil) {
        self.topicPartition = topicPartition
        self.offset = offset
        self.error = error
    }
    public init(_ topic: String, _ partition: Int32, offset: Int64) {
        self.init(TopicPartition(topic, partition), offset: offset)
    }
    public var topic: String { topicPartition.topic }
    public var partition: Int32 { topicPartition.partition }
    public var description: String { "\(topicPartition)@\(offset)" }

    public static func == (a: Self, b: Self) -> Bool { a.topicPartition == b.topicPartition && a.offset == b.offset }
    public func hash(into h: inout Hasher) { h.combine(topicPartition); h.combine(offset) }
}

/// Special offsets understood by librdkafka.
public enum KafkaOffset {
    public static let beginning = Int64(RD_KAFKA_OFFSET_BEGINNING)
    public static let end = Int64(RD_KAFKA_OFFSET_END)
    public static let stored = Int64(RD_KAFKA_OFFSET_STORED)
    public static let invalid = Int64(RD_KAFKA_OFFSET_INVALID)
}

typealias RDPartitionList = UnsafeMutablePointer<rd_kafka_topic_partition_list_t>

/// Converts to a newly allocated librdkafka list; the caller destroys it.
func makeRDList(_ items: [TopicPartitionOffset]) -> RDPartitionList {
    let list = rd_kafka_topic_partition_list_new(Int32(max(items.count, 1)))!
    for item in items {
        let el = rd_kafka_topic_partition_list_add(list, item.topic, item.partition)!
        el.pointee.offset = item.offset
    }
    return list
}

func makeRDList(_ items: [TopicPartition]) -> RDPartitionList {
    makeRDList(items.map { TopicPartitionOffset($0, offset: KafkaOffset.invalid) })
}

/// Reads a librdkafka list (does not destroy it).
func readRDList(_ list: UnsafePointer<rd_kafka_topic_partition_list_t>?) -> [TopicPartitionOffset] {
    guard let list else { return [] }
    var out: [TopicPartitionOffset] = []
    out.reserveCapacity(Int(list.pointee.cnt))
    for i in 0..<Int(list.pointee.cnt) {
        let el = list.pointee.elems[i]
        let err = el.err == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(el.err, context: "\(String(cString: el.topic))[\(el.partition)]")
        out.append(TopicPartitionOffset(TopicPartition(String(cString: el.topic), el.partition), offset: el.offset, error: err))
    }
    return out
}
