/// A parsed JSON Pointer (RFC 6901), e.g. `/payment/amount/value` → `["payment", "amount", "value"]`.
public struct JSONPointer: Sendable, Hashable, CustomStringConvertible {
    /// Reference tokens with `~1` and `~0` already resolved.
    public let tokens: [String]

    /// Parses `text`; throws a description of the problem when it is not a valid pointer.
    public init(_ text: String) throws(ConfigurationError) {
        guard !text.isEmpty else { tokens = []; return }
        guard text.hasPrefix("/") else {
            throw ConfigurationError(key: text, problem: "a JSON Pointer must be empty or start with \"/\"")
        }
        var result: [String] = []
        for raw in text.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            var token = ""
            var chars = raw.makeIterator()
            while let c = chars.next() {
                guard c == "~" else { token.append(c); continue }
                switch chars.next() {
                case "0": token.append("~")
                case "1": token.append("/")
                default: throw ConfigurationError(key: text, problem: "\"~\" must be followed by 0 or 1 (RFC 6901)")
                }
            }
            result.append(token)
        }
        tokens = result
    }

    /// Builds a pointer from unescaped tokens.
    public init(tokens: [String]) { self.tokens = tokens }

    /// The pointer text with `~` and `/` escaped.
    public var description: String {
        tokens.map { "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1") }.joined()
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: Character(target), omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
