/// Strict UTF-8 well-formedness check (RFC 3629, Unicode Table 3-7) over raw bytes.
///
/// Rejects overlong forms, surrogate code points (ED A0..BF), code points above U+10FFFF and
/// truncated sequences. ASCII runs are skipped eight bytes at a time.
enum UTF8Validation {
    /// Offset of the first byte that starts an ill-formed sequence, or nil when all is well-formed.
    static func firstInvalidOffset(_ p: UnsafePointer<UInt8>, count: Int) -> Int? {
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i < count {
            // ASCII fast path: eight bytes with no high bit set.
            if i + 8 <= count, raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i += 8
                continue
            }
            let b0 = p[i]
            if b0 < 0x80 { i += 1; continue }
            let need: Int
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch b0 {
            case 0xC2...0xDF: need = 1
            case 0xE0: need = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: need = 2
            case 0xED: need = 2; hi = 0x9F
            case 0xF0: need = 3; lo = 0x90
            case 0xF1...0xF3: need = 3
            case 0xF4: need = 3; hi = 0x8F
            default: return i
            }
            guard i + need < count else { return i }
            let b1 = p[i + 1]
            guard b1 >= lo && b1 <= hi else { return i }
            var k = 2
            while k <= need {
                guard p[i + k] & 0xC0 == 0x80 else { return i }
                k += 1
            }
            i += need + 1
        }
        return nil
    }
}
