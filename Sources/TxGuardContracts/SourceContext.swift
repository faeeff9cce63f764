/// Where an input record came from: a Kafka topic/partition/offset, or nothing for files.
///
/// Carried into `DecodeError`, dead-letter headers and the alert `source`, so every output can be
/// traced back to the exact input record.
public struct SourceContext: Sendable, Hashable, Codable {
    /// Kafka topic (or a file name for backtests), if known.
    public var topic: String?
    /// Kafka partition, if known.
    public var partition: Int32?
    /// Kafka offset (or a line number for files), if known.
    public var offset: Int64?

    /// A context with the given (all optional) coordinates.
    public init(topic: String? = nil, partition: Int32? = nil, offset: Int64? = nil) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }

    /// No source information (e.g. a test or an in-memory document).
    public static let unknown = SourceContext()

    /// `topic/partition@offset` with `?` for unknown parts; for log lines.
    public var logDescription: String {
        "\(topic ?? "?")/\(partition.map(String.init) ?? "?")@\(offset.map(String.init) ?? "?")"
    }
}
