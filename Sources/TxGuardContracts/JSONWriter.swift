/// A small, fast JSON writer that appends RFC 8259 text to a byte array, for alerts and score lines.
///
/// Commas are placed automatically; the caller is responsible for balanced begin/end calls and
/// for calling `key` before each value inside an object. Strings are escaped correctly (quotes,
/// backslash, all control characters); non-finite Doubles, which JSON cannot represent, are
/// written as `null`.
public struct JSONWriter: Sendable {
    /// The JSON text written so far (UTF-8).
    public var bytes: [UInt8]
    private var needsComma = false

    /// An empty writer with `capacity` bytes reserved.
    public init(capacity: Int = 512) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Clears the output, keeping the capacity (for reuse in a loop).
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma = false
    }

    @inline(__always) private mutating func valueStart() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
    }

    /// `{`
    public mutating func beginObject() { valueStart(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    /// `}`
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }
    /// `[`
    public mutating func beginArray() { valueStart(); bytes.append(UInt8(ascii: "[")); needsComma = false }
    /// `]`
    public mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }

    /// `"name":` (escaped), preceded by a comma when needed.
    public mutating func key(_ name: String) {
        valueStart()
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    /// A string value.
    public mutating func string(_ value: String) { valueStart(); appendQuoted(value); needsComma = true }
    /// A boolean value.
    public mutating func bool(_ value: Bool) { valueStart(); appendASCII(value ? "true" : "false"); needsComma = true }
    /// `null`.
    public mutating func null() { valueStart(); appendASCII("null"); needsComma = true }

    /// An integer value.
    public mutating func integer(_ value: Int64) {
        valueStart()
        appendInteger(value)
        needsComma = true
    }

    /// A Double in the shortest form that reads back to the same value (`0.1`, `1e-05`); `null` if not finite.
    public mutating func number(_ value: Double) {
        valueStart()
        if !value.isFinite {
            appendASCII("null")
        } else if value == value.rounded(), abs(value) < 1e15 {
            appendInteger(Int64(value)) // integral: no ".0"; -0.0 becomes 0
        } else {
            var text = value.description // Swift's shortest round-trip digits; always valid JSON when finite
            text.withUTF8 { bytes.append(contentsOf: $0) }
        }
        needsComma = true
    }

    /// Already-serialized JSON inserted verbatim (the caller guarantees it is one valid value).
    public mutating func rawValue(_ json: [UInt8]) { valueStart(); bytes.append(contentsOf: json); needsComma = true }

    /// Convenience: `"name":"value"`.
    public mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    /// Convenience: `"name":number`.
    public mutating func field(_ name: String, _ value: Double) { key(name); number(value) }
    /// Convenience: `"name":integer`.
    public mutating func field(_ name: String, _ value: Int64) { key(name); integer(value) }
    /// Convenience: `"name":true|false`.
    public mutating func field(_ name: String, _ value: Bool) { key(name); bool(value) }

    private mutating func appendASCII(_ s: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    private mutating func appendInteger(_ value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var m = value.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            repeat {
                buf[19 - n] = UInt8(48 + m % 10)
                m /= 10
                n += 1
            } while m > 0
            bytes.append(contentsOf: buf[(20 - n)...])
        }
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    private mutating func appendQuoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var copy = s
        copy.withUTF8 { utf8 in
            var runStart = 0
            for i in 0..<utf8.count {
                let b = utf8[i]
                guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { continue }
                if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                runStart = i + 1
                bytes.append(UInt8(ascii: "\\"))
                switch b {
                case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    bytes.append(contentsOf: [UInt8(ascii: "u"), 0x30, 0x30, Self.hex[Int(b >> 4)], Self.hex[Int(b & 0xF)]])
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
