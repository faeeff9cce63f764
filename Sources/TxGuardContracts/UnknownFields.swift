import Foundation

/// Top-level input fields that no mapping consumed, kept verbatim as one JSON object.
///
/// Stored as the raw bytes of a JSON object (`{"k":v,…}`, members exactly as received), so they
/// cost one copy on the hot path and can be embedded unchanged into an alert (`Alert.extra`).
public struct UnknownFields: Sendable, Hashable {
    /// A valid JSON object holding the unknown members in input order; `{}` when there are none.
    public private(set) var jsonObject: [UInt8]
    /// Number of members.
    public private(set) var count: Int

    /// No unknown fields.
    public static let empty = UnknownFields(jsonObject: Array("{}".utf8), count: 0)

    init(jsonObject: [UInt8], count: Int) {
        self.jsonObject = jsonObject
        self.count = count
    }

    /// Whether there are none.
    public var isEmpty: Bool { count == 0 }

    /// The members parsed into Foundation values (not for the hot path): `String`, `NSNumber`, `Bool`, arrays, dictionaries, `NSNull`.
    public func parsed() -> [String: Any] {
        guard count > 0,
              let object = try? JSONSerialization.jsonObject(with: Data(jsonObject), options: [.fragmentsAllowed]) as? [String: Any]
        else { return [:] }
        return object
    }

    /// Member names in input order (not for the hot path).
    public var names: [String] {
        // JSONSerialization loses order, so scan the member keys with our own reader.
        var reader = JSONUnknownFieldNames(jsonObject)
        return reader.names()
    }
}

/// Lists the member names of a valid JSON object produced by the decoder (order preserved).
struct JSONUnknownFieldNames {
    private let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func names() -> [String] {
        bytes.withUnsafeBytes { raw -> [String] in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return [] }
            var cursor = JSONCursor(base: base, count: raw.count, maxDepth: 10_000)
            var result: [String] = []
            do throws(JSONSyntaxError) {
                cursor.skipWhitespace()
                try cursor.expect(UInt8(ascii: "{"))
                cursor.skipWhitespace()
                if cursor.peek() == UInt8(ascii: "}") { return [] }
                while true {
                    cursor.skipWhitespace()
                    let key = try cursor.scanString()
                    result.append(cursor.decodeString(key))
                    cursor.skipWhitespace()
                    try cursor.expect(UInt8(ascii: ":"))
                    try cursor.skipValue(depth: 1)
                    cursor.skipWhitespace()
                    if cursor.peek() == UInt8(ascii: ",") { cursor.advance(); continue }
                    break
                }
            } catch { return result }
            return result
        }
    }
}
