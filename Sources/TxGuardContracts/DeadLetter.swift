/// A rejected input record on its way to the dead-letter topic: the original bytes untouched plus the reason.
///
/// Key, value and original headers are kept byte for byte so the record can be replayed after a
/// fix; txguard appends its own headers after the original ones (a consumer reading a header
/// should take its last occurrence). See schemas/dead-letter.v1.md.
public struct DeadLetter: Sendable, Hashable {
    /// Dead-letter schema version (header `txguard.schema.version`).
    public static let schemaVersion = "1"

    /// Header names txguard adds.
    public enum HeaderName {
        /// Reason code (`ReasonCode.rawValue`).
        public static let errorCode = "txguard.error.code"
        /// Human-readable explanation.
        public static let errorMessage = "txguard.error.message"
        /// JSON Pointer of the offending field, when known.
        public static let errorPath = "txguard.error.path"
        /// Input topic.
        public static let sourceTopic = "txguard.source.topic"
        /// Input partition (decimal).
        public static let sourcePartition = "txguard.source.partition"
        /// Input offset (decimal).
        public static let sourceOffset = "txguard.source.offset"
        /// Dead-letter schema version.
        public static let schemaVersion = "txguard.schema.version"
    }

    /// Original record key (nil when the record had none).
    public var key: [UInt8]?
    /// Original record value (nil for a tombstone).
    public var value: [UInt8]?
    /// Original headers followed by txguard's headers.
    public var headers: [(name: String, value: [UInt8])]
    /// The decoding failure.
    public var error: DecodeError

    /// Builds the dead-letter record for an input that failed with `error` at `source`.
    public init(key: [UInt8]?, value: [UInt8]?, headers: [(name: String, value: [UInt8])], error: DecodeError, source: SourceContext) {
        self.key = key
        self.value = value
        var err = error
        err.source = source
        self.error = err
        var all = headers
        all.append((HeaderName.errorCode, Array(err.code.rawValue.utf8)))
        all.append((HeaderName.errorMessage, Array(err.message.utf8)))
        if let path = err.path { all.append((HeaderName.errorPath, Array(path.utf8))) }
        if let topic = source.topic { all.append((HeaderName.sourceTopic, Array(topic.utf8))) }
        if let partition = source.partition { all.append((HeaderName.sourcePartition, Array(String(partition).utf8))) }
        if let offset = source.offset { all.append((HeaderName.sourceOffset, Array(String(offset).utf8))) }
        all.append((HeaderName.schemaVersion, Array(Self.schemaVersion.utf8)))
        self.headers = all
    }

    /// The last value of header `name`, as UTF-8 text.
    public func header(_ name: String) -> String? {
        headers.last { $0.name == name }.map { String(decoding: $0.value, as: UTF8.self) }
    }

    /// Equal when key, value, error and every header (in order) are equal.
    public static func == (a: DeadLetter, b: DeadLetter) -> Bool {
        a.key == b.key && a.value == b.value && a.error == b.error
            && a.headers.count == b.headers.count && zip(a.headers, b.headers).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    /// Hashes the same parts `==` compares.
    public func hash(into h: inout Hasher) {
        h.combine(key)
        h.combine(value)
        h.combine(error)
        for header in headers { h.combine(header.name); h.combine(header.value) }
    }

    /// One JSON line for file-based dead-letter output (backtests): schemas/dead-letter.v1.schema.json.
    /// Bytes are base64 so any payload survives.
    public func jsonLine() -> [UInt8] {
        var w = JSONWriter(capacity: 256 + (value?.count ?? 0) * 4 / 3)
        w.beginObject()
        w.field("schema_version", Self.schemaVersion)
        w.key("error")
        w.beginObject()
        w.field("code", error.code.rawValue)
        w.field("message", error.message)
        if let path = error.path { w.field("path", path) }
        if let offset = error.byteOffset { w.field("byte_offset", Int64(offset)) }
        w.endObject()
        w.key("source")
        w.beginObject()
        if let topic = error.source.topic { w.field("topic", topic) }
        if let partition = error.source.partition { w.field("partition", Int64(partition)) }
        if let offset = error.source.offset { w.field("offset", offset) }
        w.endObject()
        w.key("key_base64")
        if let key { w.string(Base64.encode(key)) } else { w.null() }
        w.key("value_base64")
        if let value { w.string(Base64.encode(value)) } else { w.null() }
        w.key("headers")
        w.beginArray()
        for header in headers {
            w.beginObject()
            w.field("name", header.name)
            w.field("value_base64", Base64.encode(header.value))
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }
}

/// Standard base64 (RFC 4648 §4, with padding), for dead-letter JSON lines.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], UInt8(ascii: "="), UInt8(ascii: "=")]
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out += [alphabet[Int(n >> 18)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], UInt8(ascii: "=")]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
