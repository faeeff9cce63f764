import Foundation

/// The uncased BERT text normalisation (Hugging Face `BertNormalizer` with clean_text,
/// handle_chinese_chars, strip_accents following lowercase): drops control characters, maps
/// whitespace to spaces, pads CJK ideographs with spaces, strips accents (NFD, remove Mn) and lower-cases.
public enum BertNormalizer {
    /// The normalised text, in the same order of steps as Hugging Face tokenizers.
    public static func normalize(_ text: String) -> String {
        if let ascii = asciiNormalize(text) { return ascii }
        var cleaned = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value == 0 || scalar.value == 0xFFFD || isControl(scalar) { continue }
            if isWhitespace(scalar) {
                cleaned.append(" ")
            } else if isChineseChar(scalar) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
            } else {
                cleaned.append(scalar)
            }
        }
        let decomposed = String(cleaned).decomposedStringWithCanonicalMapping
        var out = String.UnicodeScalarView()
        for scalar in decomposed.unicodeScalars where scalar.properties.generalCategory != .nonspacingMark {
            // Per-scalar full lowercase mapping (no context-sensitive final sigma), as Rust's char::to_lowercase.
            if scalar.isASCII {
                out.append(asciiLower(scalar))
            } else {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }

    /// The normalised text with whitespace runs collapsed and trimmed: tokenisation ignores whitespace
    /// runs, so two texts with the same key always produce the same tokens (used as the cache key).
    public static func key(_ text: String) -> String {
        if let fast = withASCIIKeyBytes(text, { String(decoding: $0, as: UTF8.self) }) { return fast }
        let normalized = normalize(text)
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in normalized.unicodeScalars {
            if scalar == " " {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// For pure-ASCII text: calls `body` with the bytes of `key(text)` (controls dropped, lower-cased,
    /// whitespace runs collapsed, trimmed) in a stack buffer, without allocating. Nil for non-ASCII text.
    @inline(__always)
    public static func withASCIIKeyBytes<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        var text = text
        return text.withUTF8 { bytes -> R? in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bytes.count + 1) { out -> R? in
                var n = 0
                var pendingSpace = false
                for b in bytes {
                    switch b {
                    case 0x80...: return nil
                    case 0x09, 0x0A, 0x0D, 0x20: pendingSpace = n > 0
                    case 0x00..<0x20, 0x7F: continue
                    default:
                        if pendingSpace { out[n] = 0x20; n += 1; pendingSpace = false }
                        out[n] = (b >= 0x41 && b <= 0x5A) ? b + 0x20 : b
                        n += 1
                    }
                }
                return body(UnsafeBufferPointer(rebasing: out[0..<n]))
            }
        }
    }

    /// Fast path for pure ASCII: the same result as the general path without NFD.
    @inline(__always)
    static func asciiNormalize(_ text: String) -> String? {
        var text = text
        return text.withUTF8 { bytes -> String? in
            for b in bytes where b >= 0x80 { return nil }
            return String(unsafeUninitializedCapacity: bytes.count) { out in
                var n = 0
                for b in bytes {
                    switch b {
                    case 0x09, 0x0A, 0x0D, 0x20: out[n] = 0x20; n += 1
                    case 0x00..<0x20, 0x7F: continue  // Cc (VT and FF included) is dropped before the whitespace test
                    case 0x41...0x5A: out[n] = b + 0x20; n += 1
                    default: out[n] = b; n += 1
                    }
                }
                return n
            }
        }
    }

    @inline(__always)
    static func asciiLower(_ s: Unicode.Scalar) -> Unicode.Scalar {
        (s.value >= 0x41 && s.value <= 0x5A) ? Unicode.Scalar(UInt8(s.value + 0x20)) : s
    }

    /// Tab, newline and carriage return count as whitespace, not control (as in BERT).
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09, 0x0A, 0x0D: return true
        default: return s.properties.isWhitespace
        }
    }

    /// Unicode "Other" categories (Cc, Cf, Cs, Co, Cn) except tab, newline, carriage return.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x09, 0x0A, 0x0D: return false
        default:
            switch s.properties.generalCategory {
            case .control, .format, .surrogate, .privateUse, .unassigned: return true
            default: return false
            }
        }
    }

    /// The CJK Unified Ideograph blocks BERT splits into single characters.
    static func isChineseChar(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
