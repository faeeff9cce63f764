/// A syntax-level failure found by `JSONCursor`: reason code, byte offset, explanation.
struct JSONSyntaxError: Error {
    var code: ReasonCode
    var offset: Int
    var message: String
}

/// The content range of a JSON string (without quotes) and whether it contains escapes.
struct StringToken {
    var start: Int
    var end: Int
    var hasEscapes: Bool
    var byteCount: Int { end - start }
}

/// The range of a JSON number literal and whether it has a fraction or exponent.
struct NumberToken {
    var start: Int
    var end: Int
    var isInteger: Bool
}

/// A forward-only, allocation-free JSON (RFC 8259) scanner over bytes that were already checked to be UTF-8.
///
/// It tokenizes strings and numbers into byte ranges, validates escapes and grammar strictly, and
/// skips whole values with a depth limit. It never reads outside `base[0..<count]`.
struct JSONCursor {
    let base: UnsafePointer<UInt8>
    let count: Int
    let maxDepth: Int
    var pos = 0

    init(base: UnsafePointer<UInt8>, count: Int, maxDepth: Int) {
        self.base = base
        self.count = count
        self.maxDepth = maxDepth
    }

    @inline(__always) var atEnd: Bool { pos >= count }

    /// The byte at the cursor, or nil at the end.
    @inline(__always) func peek() -> UInt8? { pos < count ? base[pos] : nil }

    @inline(__always) mutating func advance() { pos += 1 }

    @inline(__always) mutating func skipWhitespace() {
        while pos < count {
            let b = base[pos]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            pos += 1
        }
    }

    /// Consumes `byte` or fails with `malformed_json`.
    @inline(__always) mutating func expect(_ byte: UInt8) throws(JSONSyntaxError) {
        guard pos < count else { throw truncated("'\(Character(Unicode.Scalar(byte)))'") }
        guard base[pos] == byte else {
            throw unexpected("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        pos += 1
    }

    func truncated(_ what: String) -> JSONSyntaxError {
        JSONSyntaxError(code: .malformedJSON, offset: pos, message: "document ends early: expected \(what)")
    }

    func unexpected(_ what: String) -> JSONSyntaxError {
        guard pos < count else { return truncated(what) }
        let b = base[pos]
        let shown = b >= 0x20 && b < 0x7F ? "'\(Character(Unicode.Scalar(b)))'" : "byte 0x\(String(b, radix: 16))"
        return JSONSyntaxError(code: .malformedJSON, offset: pos, message: "\(what), found \(shown)")
    }

    // MARK: strings

    /// Scans a string starting at `"`; validates escapes (including UTF-16 surrogate pairing).
    mutating func scanString() throws(JSONSyntaxError) -> StringToken {
        guard pos < count else { throw truncated("a string") }
        guard base[pos] == UInt8(ascii: "\"") else { throw unexpected("expected a string") }
        pos += 1
        let start = pos
        var escapes = false
        while true {
            // Skip eight bytes at a time while none is '"', '\\' or a control character (SWAR).
            while pos + 8 <= count {
                let w = UnsafeRawPointer(base + pos).loadUnaligned(as: UInt64.self)
                let q = w ^ 0x2222_2222_2222_2222
                let bs = w ^ 0x5C5C_5C5C_5C5C_5C5C
                let special = ((q &- 0x0101_0101_0101_0101) & ~q) | ((bs &- 0x0101_0101_0101_0101) & ~bs)
                    | ((w &- 0x2020_2020_2020_2020) & ~w)
                let mask = special & 0x8080_8080_8080_8080
                if mask != 0 {
                    // The lowest flagged byte is exact (borrows only propagate upwards): jump to it.
                    pos += mask.trailingZeroBitCount >> 3
                    break
                }
                pos += 8
            }
            guard pos < count else { break }
            let b = base[pos]
            if b == UInt8(ascii: "\"") {
                let token = StringToken(start: start, end: pos, hasEscapes: escapes)
                pos += 1
                return token
            }
            if b == UInt8(ascii: "\\") {
                escapes = true
                try scanEscape()
                continue
            }
            if b < 0x20 {
                throw JSONSyntaxError(code: .malformedJSON, offset: pos,
                                      message: "control character 0x\(String(b, radix: 16)) must be escaped inside a string")
            }
            pos += 1
        }
        throw JSONSyntaxError(code: .malformedJSON, offset: start - 1, message: "unterminated string")
    }

    private mutating func scanEscape() throws(JSONSyntaxError) {
        let at = pos
        guard pos + 1 < count else { throw JSONSyntaxError(code: .malformedJSON, offset: at, message: "document ends inside an escape") }
        switch base[pos + 1] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
             UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            pos += 2
        case UInt8(ascii: "u"):
            let unit = try hex4(at: pos + 2, escapeAt: at)
            pos += 6
            if unit >= 0xDC00 && unit <= 0xDFFF {
                throw JSONSyntaxError(code: .invalidEscape, offset: at,
                                      message: "\\u\(String(unit, radix: 16)) is a low surrogate without a preceding high surrogate")
            }
            if unit >= 0xD800 && unit <= 0xDBFF {
                guard pos + 1 < count, base[pos] == UInt8(ascii: "\\"), base[pos + 1] == UInt8(ascii: "u") else {
                    throw JSONSyntaxError(code: .invalidEscape, offset: at,
                                          message: "\\u\(String(unit, radix: 16)) is a high surrogate not followed by a low surrogate")
                }
                let low = try hex4(at: pos + 2, escapeAt: pos)
                guard low >= 0xDC00 && low <= 0xDFFF else {
                    throw JSONSyntaxError(code: .invalidEscape, offset: at,
                                          message: "\\u\(String(unit, radix: 16)) is a high surrogate not followed by a low surrogate")
                }
                pos += 6
            }
        default:
            let b = base[pos + 1]
            let shown = b >= 0x20 && b < 0x7F ? String(Character(Unicode.Scalar(b))) : "0x\(String(b, radix: 16))"
            throw JSONSyntaxError(code: .invalidEscape, offset: at, message: "unknown escape \\\(shown)")
        }
    }

    private func hex4(at i: Int, escapeAt: Int) throws(JSONSyntaxError) -> UInt32 {
        guard i + 4 <= count else { throw JSONSyntaxError(code: .malformedJSON, offset: escapeAt, message: "document ends inside a \\u escape") }
        var v: UInt32 = 0
        for k in 0..<4 {
            let b = base[i + k]
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x41...0x46: d = b - 0x41 + 10
            case 0x61...0x66: d = b - 0x61 + 10
            default:
                throw JSONSyntaxError(code: .invalidEscape, offset: escapeAt, message: "\\u escape needs four hex digits")
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// The string's bytes with escapes resolved (UTF-8). Only valid for tokens from `scanString`.
    func unescapedBytes(_ t: StringToken) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(t.byteCount)
        var i = t.start
        while i < t.end {
            let b = base[i]
            guard b == UInt8(ascii: "\\") else { out.append(b); i += 1; continue }
            let e = base[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hexValue(i)
                i += 4
                if scalar >= 0xD800 && scalar <= 0xDBFF {
                    let low = hexValue(i + 2)
                    i += 6
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                appendUTF8(scalar, to: &out)
            default: out.append(e) // " \ /
            }
        }
        return out
    }

    private func hexValue(_ i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 {
            let b = base[i + k]
            let d: UInt32 = b <= 0x39 ? UInt32(b - 0x30) : UInt32((b | 0x20) - 0x61 + 10)
            v = v << 4 | d
        }
        return v
    }

    private func appendUTF8(_ s: UInt32, to out: inout [UInt8]) {
        switch s {
        case 0..<0x80: out.append(UInt8(s))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (s >> 6))); out.append(UInt8(0x80 | (s & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (s >> 12))); out.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            out.append(UInt8(0x80 | (s & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (s >> 18))); out.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((s >> 6) & 0x3F))); out.append(UInt8(0x80 | (s & 0x3F)))
        }
    }

    /// The string's value as a Swift `String`.
    func decodeString(_ t: StringToken) -> String {
        if !t.hasEscapes {
            return String(decoding: UnsafeBufferPointer(start: base + t.start, count: t.byteCount), as: UTF8.self)
        }
        return String(decoding: unescapedBytes(t), as: UTF8.self)
    }

    /// Whether the (unescaped) string equals `key`.
    func stringEquals(_ t: StringToken, _ key: [UInt8]) -> Bool {
        if t.hasEscapes { return unescapedBytes(t) == key }
        guard t.byteCount == key.count else { return false }
        return key.withUnsafeBufferPointer { k in
            guard let kb = k.baseAddress else { return true }
            return memcmpEqual(base + t.start, kb, key.count)
        }
    }

    // MARK: numbers and literals

    /// Scans a number with the strict JSON grammar `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    mutating func scanNumber() throws(JSONSyntaxError) -> NumberToken {
        let start = pos
        var integer = true
        if pos < count && base[pos] == UInt8(ascii: "-") { pos += 1 }
        guard pos < count else { throw truncated("digits") }
        if base[pos] == UInt8(ascii: "0") {
            pos += 1
        } else if base[pos] &- 0x31 < 9 {
            pos += 1
            while pos < count && base[pos] &- 0x30 < 10 { pos += 1 }
        } else if base[pos] == UInt8(ascii: "I") {
            throw JSONSyntaxError(code: .malformedJSON, offset: start, message: "-Infinity is not JSON")
        } else {
            throw unexpected("expected a digit")
        }
        if pos < count && base[pos] == UInt8(ascii: ".") {
            integer = false
            pos += 1
            guard pos < count, base[pos] &- 0x30 < 10 else { throw unexpected("expected a digit after '.'") }
            while pos < count && base[pos] &- 0x30 < 10 { pos += 1 }
        }
        if pos < count && (base[pos] | 0x20) == UInt8(ascii: "e") {
            integer = false
            pos += 1
            if pos < count && (base[pos] == UInt8(ascii: "+") || base[pos] == UInt8(ascii: "-")) { pos += 1 }
            guard pos < count, base[pos] &- 0x30 < 10 else { throw unexpected("expected a digit in the exponent") }
            while pos < count && base[pos] &- 0x30 < 10 { pos += 1 }
        }
        return NumberToken(start: start, end: pos, isInteger: integer)
    }

    /// Consumes `true`, `false` or `null` (given its first byte is at the cursor); returns the literal's first byte.
    mutating func scanLiteral() throws(JSONSyntaxError) -> UInt8 {
        let first = base[pos]
        let word: StaticString
        switch first {
        case UInt8(ascii: "t"): word = "true"
        case UInt8(ascii: "f"): word = "false"
        default: word = "null"
        }
        let n = word.utf8CodeUnitCount
        guard pos + n <= count else { throw JSONSyntaxError(code: .malformedJSON, offset: pos, message: "document ends inside a literal") }
        guard memcmpEqual(base + pos, word.utf8Start, n) else { throw unexpected("expected true, false or null") }
        pos += n
        return first
    }

    // MARK: skipping

    /// Skips one value of any type, validating it fully; `depth` is the nesting level of the value.
    mutating func skipValue(depth: Int) throws(JSONSyntaxError) {
        skipWhitespace()
        guard pos < count else { throw truncated("a value") }
        switch base[pos] {
        case UInt8(ascii: "\""): _ = try scanString()
        case UInt8(ascii: "{"): try skipObject(depth: depth + 1)
        case UInt8(ascii: "["): try skipArray(depth: depth + 1)
        case UInt8(ascii: "-"), 0x30...0x39: _ = try scanNumber()
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"): _ = try scanLiteral()
        default: throw invalidValueStart()
        }
    }

    /// The error for a byte that cannot start a JSON value, naming `NaN`/`Infinity` specifically.
    func invalidValueStart() -> JSONSyntaxError {
        if pos < count && (base[pos] == UInt8(ascii: "N") || base[pos] == UInt8(ascii: "I")) {
            return JSONSyntaxError(code: .malformedJSON, offset: pos, message: "NaN and Infinity are not JSON values")
        }
        return unexpected("expected a value")
    }

    /// Fails with `nesting_too_deep` when a container at `depth` exceeds the limit.
    @inline(__always) func checkDepth(_ depth: Int) throws(JSONSyntaxError) {
        if depth > maxDepth {
            throw JSONSyntaxError(code: .nestingTooDeep, offset: pos, message: "nesting deeper than \(maxDepth) levels")
        }
    }

    mutating func skipObject(depth: Int) throws(JSONSyntaxError) {
        try checkDepth(depth)
        pos += 1 // {
        skipWhitespace()
        if pos < count && base[pos] == UInt8(ascii: "}") { pos += 1; return }
        while true {
            skipWhitespace()
            _ = try scanString()
            skipWhitespace()
            try expect(UInt8(ascii: ":"))
            try skipValue(depth: depth)
            skipWhitespace()
            guard pos < count else { throw truncated("',' or '}'") }
            if base[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if base[pos] == UInt8(ascii: "}") { pos += 1; return }
            throw unexpected("expected ',' or '}'")
        }
    }

    mutating func skipArray(depth: Int) throws(JSONSyntaxError) {
        try checkDepth(depth)
        pos += 1 // [
        skipWhitespace()
        if pos < count && base[pos] == UInt8(ascii: "]") { pos += 1; return }
        while true {
            try skipValue(depth: depth)
            skipWhitespace()
            guard pos < count else { throw truncated("',' or ']'") }
            if base[pos] == UInt8(ascii: ",") { pos += 1; continue }
            if base[pos] == UInt8(ascii: "]") { pos += 1; return }
            throw unexpected("expected ',' or ']'")
        }
    }
}

/// Byte equality of two ranges of `n` bytes.
@inline(__always)
func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var i = 0
    while i + 8 <= n {
        if UnsafeRawPointer(a + i).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + i).loadUnaligned(as: UInt64.self) { return false }
        i += 8
    }
    while i < n {
        if a[i] != b[i] { return false }
        i += 1
    }
    return true
}
