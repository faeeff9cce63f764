/// Why an input record was rejected; the stable, machine-readable part of a `DecodeError`.
///
/// The raw values travel in the dead-letter header `txguard.error.code` and in metrics labels,
/// so they never change once released (add new cases instead).
public enum ReasonCode: String, Sendable, CaseIterable, Codable {
    /// Not syntactically valid JSON (RFC 8259): truncated, stray bytes, `NaN`/`Infinity` literals,
    /// unescaped control characters, leading zeros, trailing garbage, a byte-order mark.
    case malformedJSON = "malformed_json"
    /// The payload is not well-formed UTF-8 (RFC 3629: overlong forms, surrogates, truncation).
    case invalidUTF8 = "invalid_utf8"
    /// A `\u` escape encodes a lone or misordered UTF-16 surrogate, or an escape is unknown.
    case invalidEscape = "invalid_escape"
    /// The payload is larger than `DecodeLimits.maxPayloadBytes`.
    case payloadTooLarge = "payload_too_large"
    /// The payload is empty (zero bytes or only whitespace), e.g. a tombstone.
    case emptyPayload = "empty_payload"
    /// Arrays/objects nest deeper than `DecodeLimits.maxDepth`.
    case nestingTooDeep = "nesting_too_deep"
    /// The same key appears twice in the top-level object or along a mapped path.
    case duplicateKey = "duplicate_key"
    /// A required field is absent (or `null`) and the mapping gives no default.
    case missingField = "missing_field"
    /// A field has the wrong JSON type (e.g. `amount` is an object, `label` is a string).
    case invalidType = "invalid_type"
    /// A field has the right type but an unacceptable value (empty id, too long, bad MCC, control characters).
    case invalidField = "invalid_field"
    /// The amount is not an exact finite decimal within limits for its currency.
    case invalidAmount = "invalid_amount"
    /// The timestamp is neither RFC 3339 nor epoch time in range.
    case invalidTimestamp = "invalid_timestamp"
    /// The currency is not an ISO 4217 code with a defined minor unit.
    case invalidCurrency = "invalid_currency"
    /// The country is not an ISO 3166-1 alpha-2 code.
    case invalidCountry = "invalid_country"
}
