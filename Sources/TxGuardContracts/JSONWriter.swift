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

    /// Appends already-serialized `"name":` bytes (see `JSONKey`).
    mutating func appendKey(_ encoded: [UInt8]) {
        valueStart()
        bytes.append(contentsOf: encoded)
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

    /// A Double that reads back to exactly the same value (`0.1`, `1e-05`); `null` if not finite.
    public mutating func number(_ value: Double) {
        valueStart()
        needsComma = true
        guard value.isFinite else { appendASCII("null"); return }
        // Fast path: the fewest decimals k ≤ 9 such that round(v·10^k)/10^k == v. That division is
        // correctly rounded, exactly as a reader's strtod rounds the decimal text, so it round-trips.
        if abs(value) < 1e9 {
            var scale = 1.0
            for k in 0...9 {
                let m = (value * scale).rounded()
                if m / scale == value {
                    appendFixedPoint(Int64(m).magnitude, negative: m < 0, decimals: k)
                    return
                }
                scale *= 10
            }
        } else if abs(value) < 1e15, value == value.rounded() {
            appendInteger(Int64(value))
            return
        }
        var text = value.description // Swift's shortest round-trip digits; valid JSON when finite
        text.withUTF8 { bytes.append(contentsOf: $0) }
    }

    /// `magnitude / 10^k` in decimal with exactly `k` fraction digits (zero-padded), signed.
    private mutating func appendFixedPoint(_ magnitude: UInt64, negative: Bool, decimals k: Int) {
        if negative { bytes.append(UInt8(ascii: "-")) }
        var scale: UInt64 = 1
        for _ in 0..<k { scale *= 10 }
        appendUnsigned(magnitude / scale)
        guard k > 0 else { return }
        bytes.append(UInt8(ascii: "."))
        var frac = magnitude % scale
        let start = bytes.count
        for _ in 0..<k { bytes.append(0x30) }
        var i = start + k - 1
        while frac > 0 {
            bytes[i] = UInt8(48 + frac % 10)
            frac /= 10
            i -= 1
        }
    }

    /// An exact amount as a decimal string with exactly `exponent` fraction digits, e.g. `"12.50"`.
    public mutating func money(_ amount: Money) {
        valueStart()
        bytes.append(UInt8(ascii: "\""))
        appendFixedPoint(amount.minorUnits.magnitude, negative: amount.minorUnits < 0, decimals: min(max(amount.exponent, 0), 8))
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    /// An instant as an RFC 3339 UTC string with microseconds, e.g. `"2026-11-29T11:54:49.123456Z"`.
    public mutating func timestamp(micros: Int64) {
        valueStart()
        bytes.append(UInt8(ascii: "\""))
        Timestamps.appendRFC3339(micros: micros, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
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
        appendUnsigned(value.magnitude)
    }

    private mutating func appendUnsigned(_ value: UInt64) {
        var m = value
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
        // Native Swift strings expose their UTF-8 without copying; bridged ones take the slow path.
        let done: Void? = s.utf8.withContiguousStorageIfAvailable { appendEscaped($0) }
        if done == nil {
            var copy = s
            copy.withUTF8 { appendEscaped($0) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        guard let base = utf8.baseAddress else { return }
        let n = utf8.count
        var runStart = 0
        var i = 0
        while i < n {
            // Eight bytes at a time while none is '"', '\\' or a control character (SWAR).
            if i + 8 <= n {
                let w = UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)
                let q = w ^ 0x2222_2222_2222_2222
                let bs = w ^ 0x5C5C_5C5C_5C5C_5C5C
                let special = ((q &- 0x0101_0101_0101_0101) & ~q) | ((bs &- 0x0101_0101_0101_0101) & ~bs)
                    | ((w &- 0x2020_2020_2020_2020) & ~w)
                let mask = special & 0x8080_8080_8080_8080
                if mask == 0 { i += 8; continue }
                i += mask.trailingZeroBitCount >> 3 // lowest flagged byte is exact
            }
            let b = base[i]
            guard b < 0x20 || b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") else { i += 1; continue }
            if runStart < i { bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i - runStart)) }
            runStart = i + 1
            i += 1
            switch b {
            case UInt8(ascii: "\""): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\""))
            case UInt8(ascii: "\\"): bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "\\"))
            case 0x0A: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "n"))
            case 0x0D: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "r"))
            case 0x09: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "t"))
            case 0x08: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "b"))
            case 0x0C: bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "f"))
            default:
                bytes.append(UInt8(ascii: "\\")); bytes.append(UInt8(ascii: "u")); bytes.append(0x30); bytes.append(0x30)
                bytes.append(Self.hex[Int(b >> 4)]); bytes.append(Self.hex[Int(b & 0xF)])
            }
        }
        if runStart < n { bytes.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: n - runStart)) }
    }
}
