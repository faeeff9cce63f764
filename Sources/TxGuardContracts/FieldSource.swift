/// Where one txguard field comes from in a user's document: a JSON Pointer, a constant default, or both.
///
/// In JSON configuration it is either a pointer string (`"/payment/amount/value"`) or an object
/// `{"path": "/meta/cur", "default": "EUR", "epoch_unit": "s", "amount_units": "minor"}`.
/// Without `path` the canonical name (`/currency`) is read; the default applies when the value is absent or null.
public struct FieldSource: Sendable, Hashable, Codable {
    /// JSON Pointer into the input document; nil means the canonical path.
    public var path: String?
    /// Constant used when the value is absent or null.
    public var defaultValue: DefaultValue?
    /// Unit of numeric/digit-string epoch timestamps (only for `timestamp`; default milliseconds).
    public var epochUnit: EpochUnit?
    /// Whether the amount is given in major units (12.50) or minor units (1250) (only for `amount`; default major).
    public var amountUnits: AmountUnits?

    /// A source with the given parts.
    public init(path: String? = nil, defaultValue: DefaultValue? = nil, epochUnit: EpochUnit? = nil, amountUnits: AmountUnits? = nil) {
        self.path = path
        self.defaultValue = defaultValue
        self.epochUnit = epochUnit
        self.amountUnits = amountUnits
    }

    /// A constant default of a mapped field.
    public enum DefaultValue: Sendable, Hashable, Codable {
        /// A text default (`"EUR"`, `"pos"`).
        case string(String)
        /// A numeric default.
        case number(Double)
        /// A boolean default (`label`, `is_fraud`).
        case bool(Bool)

        /// Reads a JSON string, number or boolean.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let b = try? c.decode(Bool.self) { self = .bool(b); return }
            if let d = try? c.decode(Double.self) { self = .number(d); return }
            self = .string(try c.decode(String.self))
        }

        /// Writes the plain JSON value.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .string(let s): try c.encode(s)
            case .number(let d): try c.encode(d)
            case .bool(let b): try c.encode(b)
            }
        }
    }

    /// Unit of epoch timestamps.
    public enum EpochUnit: String, Sendable, Hashable, Codable {
        /// Seconds since the epoch (`"s"`).
        case seconds = "s"
        /// Milliseconds since the epoch (`"ms"`, the default).
        case milliseconds = "ms"
        /// Microseconds since the epoch (`"us"`).
        case microseconds = "us"

        var microsPerUnit: Int64 {
            switch self {
            case .seconds: return 1_000_000
            case .milliseconds: return 1_000
            case .microseconds: return 1
            }
        }
    }

    /// Whether amounts are written in major or minor currency units.
    public enum AmountUnits: String, Sendable, Hashable, Codable {
        /// 12.50 means twelve euros fifty (the default).
        case major
        /// 1250 means twelve euros fifty.
        case minor
    }

    enum CodingKeys: String, CodingKey {
        case path
        case defaultValue = "default"
        case epochUnit = "epoch_unit"
        case amountUnits = "amount_units"
    }

    /// Reads either a pointer string or an object with `path`, `default`, `epoch_unit`, `amount_units`.
    public init(from decoder: any Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let path = try? single.decode(String.self) {
            self.init(path: path)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            path: try c.decodeIfPresent(String.self, forKey: .path),
            defaultValue: try c.decodeIfPresent(DefaultValue.self, forKey: .defaultValue),
            epochUnit: try c.decodeIfPresent(EpochUnit.self, forKey: .epochUnit),
            amountUnits: try c.decodeIfPresent(AmountUnits.self, forKey: .amountUnits)
        )
    }
}
