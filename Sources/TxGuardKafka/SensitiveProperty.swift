/// Which librdkafka properties hold secrets, and how their values are kept out of every text
/// txguard writes (logs, error messages, `config check` output).
///
/// librdkafka marks its sensitive properties with the `_RK_SENSITIVE` flag in `rdkafka_conf.c`
/// (no public API exposes the flag; its own debug dump of the configuration prints them as
/// `[redacted]`). `librdkafkaSensitive` is that set, from 2.0.2 (the linked version) and later
/// releases; `isSensitive` adds a name rule for secrets librdkafka does not know (Java-client
/// names such as `ssl.truststore.password` passed by habit, future `*.secret`/`*.passphrase`).
public enum SensitiveProperty {
    /// What a sensitive value is shown as.
    public static let redacted = "[redacted]"

    /// The properties flagged `_RK_SENSITIVE` in librdkafka's `src/rdkafka_conf.c`: v2.0.2 has the
    /// first nine; later releases add the OAUTHBEARER client secret and assertion keys.
    public static let librdkafkaSensitive: Set<String> = [
        "ssl.key.location", "ssl.key.password", "ssl.key.pem", "ssl_key", "ssl.ca.pem",
        "ssl.keystore.password", "sasl.username", "sasl.password", "sasl.oauthbearer.config",
        "sasl.oauthbearer.client.secret", "sasl.oauthbearer.assertion.private.key.file",
        "sasl.oauthbearer.assertion.private.key.passphrase", "sasl.oauthbearer.assertion.private.key.pem",
    ]

    /// True when the value of property `name` must never be printed.
    public static func isSensitive(_ name: String) -> Bool {
        let n = name.lowercased()
        if librdkafkaSensitive.contains(n) { return true }
        return n.contains("password") || n.contains("passphrase") || n.contains("secret")
            || n.contains("private.key") || n.hasSuffix(".pem") || n.hasPrefix("ssl.key.") || n.hasPrefix("ssl_key")
    }

    /// `value`, or `[redacted]` when `name` is sensitive.
    public static func shown(_ name: String, _ value: String) -> String {
        isSensitive(name) ? redacted : value
    }

    /// `name=value` with the value redacted when sensitive, properties sorted by name.
    public static func describe(_ properties: [String: String]) -> String {
        properties.sorted { $0.key < $1.key }.map { "\($0.key)=\(shown($0.key, $0.value))" }.joined(separator: ", ")
    }

    /// The strings to scrub from librdkafka's own texts (its error and log messages, which may quote
    /// a value, e.g. "Invalid sasl.oauthbearer.config: non-integral 'lifeSeconds': VALUE"): each
    /// sensitive value, and each word and `key=value` value inside it (a structured value such as
    /// `sasl.oauthbearer.config` can be quoted in parts). Parts under 4 characters are not scrubbed
    /// (they would garble every message); neither are `sasl.username` and the `*.location` paths,
    /// which are identifiers librdkafka names in its diagnostics (an unreadable key file's path),
    /// though txguard itself never prints them.
    public static func secrets(in properties: [(String, String)]) -> [String] {
        var out: Set<String> = []
        for (name, value) in properties where isSensitive(name) {
            let n = name.lowercased()
            if n == "sasl.username" || n.hasSuffix(".location") || n.hasSuffix(".key.file") { continue }
            out.insert(value)
            for word in value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "," || $0 == ";" }) {
                out.insert(String(word))
                if let eq = word.firstIndex(of: "=") { out.insert(String(word[word.index(after: eq)...])) }
            }
        }
        // Longest first, so a value is replaced whole before any of its parts.
        return out.filter { $0.count >= 4 }.sorted { $0.count != $1.count ? $0.count > $1.count : $0 < $1 }
    }

    /// `text` with every occurrence of each secret replaced by `[redacted]`.
    public static func scrub(_ text: String, secrets: [String]) -> String {
        var out = text
        for s in secrets where out.contains(s) { out = out.replacingAll(s, with: redacted) }
        return out
    }
}

private extension String {
    /// Replaces every occurrence (Foundation-free: TxGuardKafka does not import Foundation).
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let r = rest.firstRange(of: target) {
            result += rest[..<r.lowerBound]
            result += replacement
            rest = rest[r.upperBound...]
        }
        result += rest
        return result
    }
}
