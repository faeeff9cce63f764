/// How a user's transaction documents map onto txguard's fields, so txguard reads their topic as it is.
///
/// Codable as a flat JSON object keyed by canonical field name, e.g.
/// `{"transaction_id": "/txn/id", "amount": {"path": "/payment/amount/value", "amount_units": "minor"},
///   "currency": {"default": "EUR"}}`. Fields not listed are read from their canonical names.
/// `validate()` runs once at start (the decoder's init calls it) and names the key at fault.
public struct FieldMapping: Sendable, Hashable, Codable {
    /// Sources keyed by canonical field name (`TransactionField.rawValue`).
    public var fields: [String: FieldSource]

    /// A mapping from canonical field names to sources.
    public init(fields: [String: FieldSource] = [:]) {
        self.fields = fields
    }

    /// A mapping from typed fields to sources.
    public init(_ sources: [TransactionField: FieldSource]) {
        self.fields = Dictionary(uniqueKeysWithValues: sources.map { ($0.key.rawValue, $0.value) })
    }

    /// Every field read from its canonical name, no defaults.
    public static let canonical = FieldMapping()

    /// Reads the flat JSON object form.
    public init(from decoder: any Decoder) throws {
        fields = try decoder.singleValueContainer().decode([String: FieldSource].self)
    }

    /// Writes the flat JSON object form.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(fields)
    }

    /// The effective source of `field`: the configured one, or the canonical path.
    public func source(for field: TransactionField) -> FieldSource {
        var s = fields[field.rawValue] ?? FieldSource()
        if s.path == nil { s.path = field.canonicalPath }
        return s
    }

    /// Checks every entry; throws the first problem with its key (e.g. `amount.path`).
    public func validate() throws(ConfigurationError) {
        for key in fields.keys.sorted() where TransactionField(rawValue: key) == nil {
            let known = TransactionField.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(key: key, problem: "not a txguard field (known: \(known))")
        }
        var pointers: [(field: TransactionField, tokens: [String])] = []
        for field in TransactionField.allCases {
            let source = source(for: field)
            let path = source.path ?? field.canonicalPath
            let pointer: JSONPointer
            do throws(ConfigurationError) { pointer = try JSONPointer(path) } catch {
                throw ConfigurationError(key: "\(field.rawValue).path", problem: "\"\(path)\": \(error.problem)")
            }
            guard !pointer.tokens.isEmpty else {
                throw ConfigurationError(key: "\(field.rawValue).path", problem: "must point inside the document, not at the whole document")
            }
            guard pointer.tokens.count <= 32 else {
                throw ConfigurationError(key: "\(field.rawValue).path", problem: "deeper than 32 levels")
            }
            pointers.append((field, pointer.tokens))
            if source.epochUnit != nil && field != .timestamp {
                throw ConfigurationError(key: "\(field.rawValue).epoch_unit", problem: "only valid for timestamp")
            }
            if source.amountUnits != nil && field != .amount {
                throw ConfigurationError(key: "\(field.rawValue).amount_units", problem: "only valid for amount")
            }
            if let value = source.defaultValue {
                try Self.validateDefault(value, for: field)
            }
        }
        for i in pointers.indices {
            for j in pointers.indices where j > i {
                let a = pointers[i], b = pointers[j]
                let n = min(a.tokens.count, b.tokens.count)
                if Array(a.tokens.prefix(n)) == Array(b.tokens.prefix(n)) {
                    let problem = a.tokens.count == b.tokens.count
                        ? "same path as \(b.field.rawValue)"
                        : "path overlaps with \(b.field.rawValue) (one is inside the other)"
                    throw ConfigurationError(key: "\(a.field.rawValue).path", problem: problem)
                }
            }
        }
    }

    private static func validateDefault(_ value: FieldSource.DefaultValue, for field: TransactionField) throws(ConfigurationError) {
        let key = "\(field.rawValue).default"
        guard field.acceptsDefault else { throw ConfigurationError(key: key, problem: "\(field.rawValue) cannot have a default") }
        switch (field, value) {
        case (.currency, .string(let code)):
            guard ISO4217.minorUnitDigits(code) != nil else {
                throw ConfigurationError(key: key, problem: "\"\(code)\" is not an ISO 4217 currency with a minor unit")
            }
        case (.country, .string(let code)):
            guard ISO3166.isAssigned(code) else {
                throw ConfigurationError(key: key, problem: "\"\(code)\" is not an ISO 3166-1 alpha-2 code")
            }
        case (.merchantCategory, .string(let mcc)):
            guard mcc.utf8.count == 4, mcc.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                throw ConfigurationError(key: key, problem: "an MCC is four digits")
            }
        case (.label, .bool), (.isFraud, .bool):
            return
        case (.label, _), (.isFraud, _):
            throw ConfigurationError(key: key, problem: "must be true or false")
        case (_, .string):
            return
        default:
            throw ConfigurationError(key: key, problem: "must be a string")
        }
    }
}
