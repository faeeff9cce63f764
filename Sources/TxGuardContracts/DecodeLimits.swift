/// Resource and value limits applied while decoding one input record.
///
/// They bound the work an adversarial or broken producer can cause, and encode the business
/// choices a deployment makes (whether refunds are negative amounts, what amount is absurd).
public struct DecodeLimits: Sendable, Hashable, Codable {
    /// Largest accepted payload in bytes (default 1 MiB); larger is `payload_too_large`.
    public var maxPayloadBytes: Int
    /// Deepest accepted nesting of arrays/objects (default 64); deeper is `nesting_too_deep`.
    public var maxDepth: Int
    /// Largest accepted absolute amount in major units (default 10^12); larger is `invalid_amount`.
    public var maxAmountMajorUnits: Int64
    /// Whether negative amounts (refunds, reversals) are accepted (default false).
    public var allowNegativeAmounts: Bool
    /// Longest accepted identifier (`transaction_id`, `account_id`, `card_id`, `device_id`) in bytes (default 256).
    public var maxIdentifierBytes: Int
    /// Longest accepted free-text field (merchant name, description, …) in bytes (default 4096).
    public var maxTextBytes: Int
    /// Whether top-level fields that no mapping consumes are kept in `Transaction.unknownFields` (default true).
    public var keepUnknownFields: Bool

    /// Limits with the documented defaults, overridable one by one.
    public init(
        maxPayloadBytes: Int = 1 << 20,
        maxDepth: Int = 64,
        maxAmountMajorUnits: Int64 = 1_000_000_000_000,
        allowNegativeAmounts: Bool = false,
        maxIdentifierBytes: Int = 256,
        maxTextBytes: Int = 4096,
        keepUnknownFields: Bool = true
    ) {
        self.maxPayloadBytes = maxPayloadBytes
        self.maxDepth = maxDepth
        self.maxAmountMajorUnits = maxAmountMajorUnits
        self.allowNegativeAmounts = allowNegativeAmounts
        self.maxIdentifierBytes = maxIdentifierBytes
        self.maxTextBytes = maxTextBytes
        self.keepUnknownFields = keepUnknownFields
    }

    /// The documented defaults.
    public static let `default` = DecodeLimits()

    enum CodingKeys: String, CodingKey {
        case maxPayloadBytes = "max_payload_bytes"
        case maxDepth = "max_depth"
        case maxAmountMajorUnits = "max_amount_major_units"
        case allowNegativeAmounts = "allow_negative_amounts"
        case maxIdentifierBytes = "max_identifier_bytes"
        case maxTextBytes = "max_text_bytes"
        case keepUnknownFields = "keep_unknown_fields"
    }

    /// Reads snake_case keys; any key left out keeps its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = DecodeLimits()
        self.init(
            maxPayloadBytes: try c.decodeIfPresent(Int.self, forKey: .maxPayloadBytes) ?? d.maxPayloadBytes,
            maxDepth: try c.decodeIfPresent(Int.self, forKey: .maxDepth) ?? d.maxDepth,
            maxAmountMajorUnits: try c.decodeIfPresent(Int64.self, forKey: .maxAmountMajorUnits) ?? d.maxAmountMajorUnits,
            allowNegativeAmounts: try c.decodeIfPresent(Bool.self, forKey: .allowNegativeAmounts) ?? d.allowNegativeAmounts,
            maxIdentifierBytes: try c.decodeIfPresent(Int.self, forKey: .maxIdentifierBytes) ?? d.maxIdentifierBytes,
            maxTextBytes: try c.decodeIfPresent(Int.self, forKey: .maxTextBytes) ?? d.maxTextBytes,
            keepUnknownFields: try c.decodeIfPresent(Bool.self, forKey: .keepUnknownFields) ?? d.keepUnknownFields)
    }

    /// Checks the limits themselves are usable; call once at start.
    public func validate() throws(ConfigurationError) {
        guard (1...(1 << 30)).contains(maxPayloadBytes) else { throw ConfigurationError(key: "maxPayloadBytes", problem: "must be within 1...1 GiB") }
        // The scanner recurses once per level; 1000 levels stay far below any thread's stack.
        guard (1...1_000).contains(maxDepth) else { throw ConfigurationError(key: "maxDepth", problem: "must be within 1...1000") }
        // 10^14 major units keeps every minor amount (up to 4 decimals) inside Int64 with room to spare.
        guard (1...100_000_000_000_000).contains(maxAmountMajorUnits) else {
            throw ConfigurationError(key: "maxAmountMajorUnits", problem: "must be within 1...10^14")
        }
        guard maxIdentifierBytes > 0 else { throw ConfigurationError(key: "maxIdentifierBytes", problem: "must be positive") }
        guard maxTextBytes > 0 else { throw ConfigurationError(key: "maxTextBytes", problem: "must be positive") }
    }

    /// The checks every document gets before it is parsed: not larger than `maxPayloadBytes`, not
    /// empty, well-formed UTF-8. Returns the bytes' base address.
    func checkedPayload(_ bytes: UnsafeRawBufferPointer, what: String = "payload") throws(DecodeError) -> UnsafePointer<UInt8> {
        guard bytes.count <= maxPayloadBytes else {
            throw DecodeError(code: .payloadTooLarge, message: "\(what) of \(bytes.count) bytes exceeds the limit of \(maxPayloadBytes)")
        }
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count > 0 else {
            throw DecodeError(code: .emptyPayload, byteOffset: 0, message: "empty payload (no JSON document)")
        }
        if let bad = UTF8Validation.firstInvalidOffset(base, count: bytes.count) {
            throw DecodeError(code: .invalidUTF8, byteOffset: bad, message: "ill-formed UTF-8 sequence starting with byte 0x\(String(base[bad], radix: 16))")
        }
        return UnsafePointer(base)
    }
}
