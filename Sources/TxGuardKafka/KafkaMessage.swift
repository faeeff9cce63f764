import CRdKafka

/// A Kafka record header (a name and opaque bytes).
public struct KafkaHeader: Sendable, Equatable {
    public var name: String
    public var value: [UInt8]
    public init(_ name: String, _ value: [UInt8]) {
        self.name = name
        self.value = value
    }
    public init(_ name: String, _ value: String) { self.init(name, Array(value.utf8)) }
}

/// A consumed record, copied out of librdkafka's buffers (safe to keep and send across tasks).
public struct KafkaMessage: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// Record timestamp in epoch milliseconds (-1 when absent).
    public var timestampMs: Int64

    public init(topic: String, partition: Int32, offset: Int64, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [], timestampMs: Int64 = -1) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMs = timestampMs
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }
    public func header(_ name: String) -> [UInt8]? { headers.last { $0.name == name }?.value }
}

/// A record to produce. `partition` nil lets the partitioner choose from the key.
public struct OutgoingMessage: Sendable, Equatable {
    public var topic: String
    public var partition: Int32?
    public var key: [UInt8]?
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// Epoch milliseconds; 0 means "now".
    public var timestampMs: Int64

    public init(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8], headers: [KafkaHeader] = [], timestampMs: Int64 = 0) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMs = timestampMs
    }
}

/// A batch of records still owned by librdkafka, read in place without copying. Every message is
/// released when the batch is deinitialised (an unreleased message makes `rd_kafka_destroy` hang),
/// so the batch must not outlive its consumer; `materialize()` copies records out when needed.
public final class KafkaMessageBatch: @unchecked Sendable {
    // Sendable: the pointers are only read after construction, and librdkafka messages are
    // immutable once delivered to the application; destruction happens once, in deinit.
    private let messages: [UnsafeMutablePointer<rd_kafka_message_t>]
    /// Keeps the client handle alive until these messages are destroyed.
    private let owner: RDHandle
    /// Errors librdkafka delivered in the message stream (e.g. partition errors), in order.
    public let errors: [KafkaError]

    init(messages: [UnsafeMutablePointer<rd_kafka_message_t>], errors: [KafkaError], owner: RDHandle) {
        self.messages = messages
        self.errors = errors
        self.owner = owner
    }

    deinit {
        for m in messages { rd_kafka_message_destroy(m) }
    }

    /// Number of records (errors excluded).
    public var count: Int { messages.count }
    public var isEmpty: Bool { messages.isEmpty }

    /// A zero-copy view of record `i`, valid while the batch is alive.
    public subscript(i: Int) -> KafkaRecordView { KafkaRecordView(message: messages[i]) }

    /// Copies every record out of librdkafka's buffers.
    public func materialize() -> [KafkaMessage] { (0..<count).map { self[$0].materialize() } }
}

/// A borrowed view of one consumed record; do not keep it beyond its batch.
public struct KafkaRecordView {
    let message: UnsafeMutablePointer<rd_kafka_message_t>

    public var partition: Int32 { message.pointee.partition }
    /// Identifies the record's topic without building its name (cheap grouping key).
    public var topicIdentity: UInt { UInt(bitPattern: message.pointee.rkt) }
    public var offset: Int64 { message.pointee.offset }
    public var topic: String { String(cString: rd_kafka_topic_name(message.pointee.rkt)) }
    /// The value bytes (empty for a null value).
    public var value: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: message.pointee.payload, count: message.pointee.payload == nil ? 0 : message.pointee.len)
    }
    /// The key bytes, nil for a null key.
    public var key: UnsafeRawBufferPointer? {
        guard let k = message.pointee.key else { return nil }
        return UnsafeRawBufferPointer(start: k, count: message.pointee.key_len)
    }
    public var timestampMs: Int64 {
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        return rd_kafka_message_timestamp(message, &type)
    }
    public var headers: [KafkaHeader] {
        var hdrs: OpaquePointer?
        guard rd_kafka_message_headers(message, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR, let hdrs else { return [] }
        var out: [KafkaHeader] = []
        var idx = 0
        while true {
            var name: UnsafePointer<CChar>?
            var val: UnsafeRawPointer?
            var size = 0
            guard rd_kafka_header_get_all(hdrs, idx, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR, let name else { break }
            let bytes = val.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []
            out.append(KafkaHeader(String(cString: name), bytes))
            idx += 1
        }
        return out
    }

    public func materialize() -> KafkaMessage {
        KafkaMessage(topic: topic, partition: partition, offset: offset, key: key.map { Array($0) },
                     value: Array(value), headers: headers, timestampMs: timestampMs)
    }
}
