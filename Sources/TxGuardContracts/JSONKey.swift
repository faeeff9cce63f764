/// An object key serialized once (`"name":`), for writers that emit the same keys on every record.
///
/// `JSONWriter.key(_:)` with a `JSONKey` costs one append instead of escaping the name each time.
public struct JSONKey: Sendable, Hashable {
    /// The quoted, escaped name followed by `:`.
    let encoded: [UInt8]

    /// Serializes `name` (any string; escaped as `JSONWriter` escapes strings).
    public init(_ name: String) {
        var w = JSONWriter(capacity: name.utf8.count + 3)
        w.string(name)
        encoded = w.bytes + [UInt8(ascii: ":")]
    }
}

extension JSONWriter {
    /// `"name":` from a pre-serialized key, preceded by a comma when needed.
    public mutating func key(_ key: JSONKey) {
        appendKey(key.encoded)
    }

    /// Convenience: `"name":"value"` with a pre-serialized key.
    public mutating func field(_ key: JSONKey, _ value: String) { self.key(key); string(value) }
    /// Convenience: `"name":number` with a pre-serialized key.
    public mutating func field(_ key: JSONKey, _ value: Double) { self.key(key); number(value) }
    /// Convenience: `"name":integer` with a pre-serialized key.
    public mutating func field(_ key: JSONKey, _ value: Int64) { self.key(key); integer(value) }
    /// Convenience: `"name":true|false` with a pre-serialized key.
    public mutating func field(_ key: JSONKey, _ value: Bool) { self.key(key); bool(value) }
}
