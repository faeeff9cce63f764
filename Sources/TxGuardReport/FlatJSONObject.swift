import Foundation

/// A fast parser for the flat JSON objects of score and label lines: string keys whose values are
/// numbers, booleans, null, strings, or objects of numbers (`"detectors"`).
///
/// Anything else (arrays, deeper nesting, malformed text) returns `nil`, and the caller falls back
/// to `JSONDecoder`, which either decodes the line or names the problem. So this never accepts
/// text `JSONDecoder` would reject as non-JSON, and never guesses.
enum FlatJSONValue: Equatable {
    case number(Double, integer: Int64?)
    case bool(Bool)
    case null
    case string(String)
    case numbers([String: Double])
}

struct FlatJSONObject {
    private(set) var members: [String: FlatJSONValue] = [:]

    /// Parses one object from `bytes`; `nil` if it is not a flat object as described above.
    init?(_ bytes: UnsafeBufferPointer<UInt8>) {
        var p = Parser(bytes: bytes, i: 0)
        guard let object = p.parseObject(allowNested: true), p.atEndAfterWhitespace() else { return nil }
        members = object
    }

    /// Parses one object from `data` (which may be a slice).
    init?(_ data: Data) {
        guard let parsed = data.withUnsafeBytes({ FlatJSONObject($0.bindMemory(to: UInt8.self)) }) else { return nil }
        self = parsed
    }

    subscript(key: String) -> FlatJSONValue? { members[key] }

    /// Works on a raw buffer: `Data` subscripts and generic collections cost several times more here.
    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var i: Int

        func isDigit(at k: Int) -> Bool { k < bytes.endIndex && bytes[k] >= 0x30 && bytes[k] <= 0x39 }

        mutating func skipWhitespace() {
            while i < bytes.endIndex, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
        }

        mutating func atEndAfterWhitespace() -> Bool {
            skipWhitespace()
            return i == bytes.endIndex
        }

        mutating func consume(_ byte: UInt8) -> Bool {
            skipWhitespace()
            guard i < bytes.endIndex, bytes[i] == byte else { return false }
            i += 1
            return true
        }

        mutating func parseObject(allowNested: Bool) -> [String: FlatJSONValue]? {
            guard consume(UInt8(ascii: "{")) else { return nil }
            var out: [String: FlatJSONValue] = [:]
            if consume(UInt8(ascii: "}")) { return out }
            repeat {
                skipWhitespace()
                guard let key = parseString(), consume(UInt8(ascii: ":")) else { return nil }
                skipWhitespace()
                guard i < bytes.endIndex else { return nil }
                switch bytes[i] {
                case UInt8(ascii: "\""):
                    guard let s = parseString() else { return nil }
                    out[key] = .string(s)
                case UInt8(ascii: "t"): guard literal("true") else { return nil }; out[key] = .bool(true)
                case UInt8(ascii: "f"): guard literal("false") else { return nil }; out[key] = .bool(false)
                case UInt8(ascii: "n"): guard literal("null") else { return nil }; out[key] = .null
                case UInt8(ascii: "{"):
                    guard allowNested, let inner = parseObject(allowNested: false) else { return nil }
                    var numbers: [String: Double] = [:]
                    for (k, v) in inner {
                        guard case let .number(d, _) = v else { return nil }
                        numbers[k] = d
                    }
                    out[key] = .numbers(numbers)
                default:
                    guard let n = parseNumber() else { return nil }
                    out[key] = n
                }
            } while consume(UInt8(ascii: ","))
            return consume(UInt8(ascii: "}")) ? out : nil
        }

        mutating func literal(_ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard bytes.endIndex - i >= n else { return false }
            for k in 0..<n where bytes[i + k] != word.utf8Start[k] { return false }
            i += n
            return true
        }

        /// JSON number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
        mutating func parseNumber() -> FlatJSONValue? {
            let start = i
            if i < bytes.endIndex, bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(at: i) else { return nil }
            if bytes[i] == 0x30 { i += 1 } else { while isDigit(at: i) { i += 1 } }
            var integral = true
            if i < bytes.endIndex, bytes[i] == UInt8(ascii: ".") {
                integral = false
                i += 1
                guard isDigit(at: i) else { return nil }
                while isDigit(at: i) { i += 1 }
            }
            if i < bytes.endIndex, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                integral = false
                i += 1
                if i < bytes.endIndex, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                guard isDigit(at: i) else { return nil }
                while isDigit(at: i) { i += 1 }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            guard let d = Double(text), d.isFinite else { return nil }
            return .number(d, integer: integral ? Int64(text) : nil)
        }

        mutating func parseString() -> String? {
            guard i < bytes.endIndex, bytes[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
            let start = i
            // Fast path: no escapes.
            while i < bytes.endIndex, bytes[i] != UInt8(ascii: "\""), bytes[i] != UInt8(ascii: "\\"), bytes[i] >= 0x20 { i += 1 }
            guard i < bytes.endIndex else { return nil }
            if bytes[i] == UInt8(ascii: "\"") {
                let s = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
                i += 1
                return s
            }
            // Escapes or control characters: leave it to JSONDecoder.
            return nil
        }
    }
}
