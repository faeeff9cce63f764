/// The JSON `TransactionDecoder`: a hand-written byte-level scanner plus txguard's validation rules.
///
/// One pass validates UTF-8, one pass scans the JSON along the compiled `FieldMapping`, then the
/// mapped values are interpreted (ids, RFC 3339 / epoch time, exact amount in ISO 4217 minor units,
/// ISO 3166 country). No Foundation JSON on this path. Decoding never crashes on any input; every
/// rejection is a `DecodeError` with a `ReasonCode`, the JSON Pointer of the field, and the source.
public struct JSONTransactionDecoder: TransactionDecoder {
    /// The field mapping in force (validated).
    public let mapping: FieldMapping
    /// The limits in force (validated).
    public let limits: DecodeLimits
    let compiled: CompiledPlan

    /// Validates `mapping` and `limits` once and compiles the mapping; throws the first configuration problem.
    public init(mapping: FieldMapping = .canonical, limits: DecodeLimits = .default) throws(ConfigurationError) {
        try mapping.validate()
        try limits.validate()
        self.mapping = mapping
        self.limits = limits
        self.compiled = CompiledPlan(try DecodePlan(mapping: mapping))
    }

    /// Decodes and validates one JSON document.
    public func decode(_ bytes: UnsafeRawBufferPointer, context: SourceContext) throws(DecodeError) -> Transaction {
        try DecodeError.attributed(to: context) { () throws(DecodeError) in try decodeUnattributed(bytes) }
    }

    private func decodeUnattributed(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> Transaction {
        let base = try limits.checkedPayload(bytes)
        var scan = DocumentScan(cursor: JSONCursor(base: base, count: bytes.count, maxDepth: limits.maxDepth),
                                compiled: compiled, limits: limits)
        do throws(JSONSyntaxError) {
            try scan.run()
        } catch {
            throw DecodeError(code: error.code, path: error.code == .invalidType ? "" : nil, byteOffset: error.offset, message: error.message)
        }
        if let dup = scan.duplicate {
            throw DecodeError(code: .duplicateKey, path: dup.path, byteOffset: dup.offset, message: "key appears more than once")
        }
        let unknown = scan.unknown.finish()
        return try scan.transaction(unknown: unknown)
    }
}

/// The semantic pass: interprets each mapped slot (or default) as the typed field it stands for.
extension DocumentScan {
    func error(_ code: ReasonCode, _ field: TransactionField, _ message: String) -> DecodeError {
        let slot = slots[field.slot]
        return DecodeError(code: code, path: compiled.plan.paths[field.slot], byteOffset: slot.kind == .absent ? nil : slot.start,
                           message: "\(field.rawValue) \(message)")
    }

    func missing(_ field: TransactionField) -> DecodeError {
        let null = slots[field.slot].kind == .null
        return DecodeError(code: .missingField, path: compiled.plan.paths[field.slot],
                           message: "required field \(field.rawValue) is \(null ? "null" : "missing")")
    }

    func transaction(unknown: UnknownFields) throws(DecodeError) -> Transaction {
        guard let transactionID = try identifier(.transactionID) else { throw missing(.transactionID) }
        guard let accountID = try identifier(.accountID) else { throw missing(.accountID) }
        let timestamp = try timestampMicros()
        let (currency, exponent) = try currencyCode()
        let (amount, amountRounded) = try money(exponent: exponent, currency: currency)
        let label = try flag(.label)
        let isFraud = try flag(.isFraud)
        if let label, let isFraud, label != isFraud {
            throw error(.invalidField, .isFraud, "disagrees with label")
        }
        var tx = Transaction(
            transactionID: transactionID, accountID: accountID, timestampMicros: timestamp,
            amount: amount, currency: currency,
            merchantName: try text(.merchantName), merchantCategory: try merchantCategory(),
            description: try text(.description), country: try country(), channel: try text(.channel),
            cardID: try identifier(.cardID), deviceID: try identifier(.deviceID),
            label: label ?? isFraud, fraudType: try text(.fraudType), unknownFields: unknown)
        tx.amountRoundedFromBinaryFloat = amountRounded
        return tx
    }

    // MARK: kinds of fields

    private func defaultString(_ field: TransactionField) -> String? {
        if case .string(let s)? = compiled.plan.defaults[field.slot] { return s }
        return nil
    }

    private func rawString(_ s: ValueSlot) -> String {
        cursor.decodeString(StringToken(start: s.start, end: s.end, hasEscapes: s.hasEscapes))
    }

    /// String or non-negative integer; 1...maxIdentifierBytes bytes; no control characters.
    func identifier(_ field: TransactionField) throws(DecodeError) -> String? {
        let s = slots[field.slot]
        switch s.kind {
        case .absent, .null:
            return defaultString(field)
        case .string:
            let length = s.end - s.start
            guard length > 0 else { throw error(.invalidField, field, "must not be empty") }
            guard length <= limits.maxIdentifierBytes else {
                throw error(.invalidField, field, "is \(length) bytes long; the limit is \(limits.maxIdentifierBytes)")
            }
            guard s.hasEscapes else {
                // Unescaped control characters were already rejected by the scanner; DEL is legal JSON.
                guard !(s.start..<s.end).contains(where: { cursor.base[$0] == 0x7F }) else {
                    throw error(.invalidField, field, "contains control characters")
                }
                return rawString(s)
            }
            let bytes = cursor.unescapedBytes(StringToken(start: s.start, end: s.end, hasEscapes: true))
            guard !bytes.isEmpty else { throw error(.invalidField, field, "must not be empty") }
            guard !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) else {
                throw error(.invalidField, field, "contains control characters")
            }
            return String(decoding: bytes, as: UTF8.self)
        case .number:
            guard s.isInteger, cursor.base[s.start] != UInt8(ascii: "-") else {
                throw error(.invalidType, field, "must be a string or a non-negative integer, found \(cursor.numberText(s))")
            }
            guard s.end - s.start <= limits.maxIdentifierBytes else {
                throw error(.invalidField, field, "is \(s.end - s.start) digits long; the limit is \(limits.maxIdentifierBytes)")
            }
            return rawString(s)
        default:
            throw error(.invalidType, field, "must be a string or an integer, found \(s.kindName)")
        }
    }

    /// Free text (string only), at most maxTextBytes.
    func text(_ field: TransactionField) throws(DecodeError) -> String? {
        let s = slots[field.slot]
        switch s.kind {
        case .absent, .null:
            return defaultString(field)
        case .string:
            guard s.end - s.start <= limits.maxTextBytes else {
                throw error(.invalidField, field, "is \(s.end - s.start) bytes long; the limit is \(limits.maxTextBytes)")
            }
            return rawString(s)
        default:
            throw error(.invalidType, field, "must be a string, found \(s.kindName)")
        }
    }

    /// Ground truth: true/false or 0/1.
    func flag(_ field: TransactionField) throws(DecodeError) -> Bool? {
        let s = slots[field.slot]
        switch s.kind {
        case .absent, .null:
            if case .bool(let b)? = compiled.plan.defaults[field.slot] { return b }
            return nil
        case .trueLiteral: return true
        case .falseLiteral: return false
        case .number where s.end - s.start == 1 && (cursor.base[s.start] == 0x30 || cursor.base[s.start] == 0x31):
            return cursor.base[s.start] == 0x31
        case .number:
            throw error(.invalidField, field, "must be true/false or 0/1, found \(cursor.numberText(s))")
        default:
            throw error(.invalidType, field, "must be true/false or 0/1, found \(s.kindName)")
        }
    }

    func timestampMicros() throws(DecodeError) -> Int64 {
        let field = TransactionField.timestamp
        let s = slots[field.slot]
        switch s.kind {
        case .absent, .null:
            throw missing(field)
        case .number, .string:
            if s.hasEscapes { throw error(.invalidTimestamp, field, "must not contain escapes") }
        default:
            throw error(.invalidType, field, "must be an RFC 3339 string or epoch time (\(compiled.plan.epochUnit.rawValue)), found \(s.kindName)")
        }
        do throws(Timestamps.Problem) {
            let isEpoch = s.kind == .number
                || (s.start..<s.end).allSatisfy { cursor.base[$0] &- 0x30 < 10 || cursor.base[$0] == UInt8(ascii: ".") }
            return isEpoch
                ? try Timestamps.parseEpoch(cursor.base, s.start, s.end, unit: compiled.plan.epochUnit)
                : try Timestamps.parseRFC3339(cursor.base, s.start, s.end)
        } catch {
            throw self.error(.invalidTimestamp, field, "\(error.message): \(cursor.excerpt(s))")
        }
    }

    func currencyCode() throws(DecodeError) -> (String, Int) {
        let field = TransactionField.currency
        let s = slots[field.slot]
        switch s.kind {
        case .absent, .null:
            guard let code = defaultString(field), let digits = ISO4217.minorUnitDigits(code) else { throw missing(field) }
            return (code, digits)
        case .string:
            let p = cursor.base
            guard s.end - s.start == 3, !s.hasEscapes, let entry = ISO4217.entry(p[s.start], p[s.start + 1], p[s.start + 2]) else {
                throw error(.invalidCurrency, field, "\(cursor.excerpt(s)) is not an ISO 4217 code (three upper-case letters)")
            }
            guard entry < 0xFE else { throw error(.invalidCurrency, field, "\(cursor.excerpt(s)) has no minor unit; not a transaction currency") }
            return (rawString(s), Int(entry))
        default:
            throw error(.invalidType, field, "must be a string, found \(s.kindName)")
        }
    }

    /// The amount, and whether it was rounded from a binary floating-point rendering.
    func money(exponent: Int, currency: String) throws(DecodeError) -> (Money, roundedFromBinaryFloat: Bool) {
        let field = TransactionField.amount
        let s = slots[field.slot]
        switch s.kind {
        case .absent, .null:
            throw missing(field)
        case .number, .string:
            if s.hasEscapes { throw error(.invalidAmount, field, "must not contain escapes") }
            do throws(AmountParser.Problem) {
                let parsed = try AmountParser.parse(
                    cursor.base, s.start, s.end, exponent: exponent, inMinorUnits: compiled.plan.amountInMinorUnits,
                    maxMajor: limits.maxAmountMajorUnits, allowNegative: limits.allowNegativeAmounts, currency: currency)
                return (Money(minorUnits: parsed.minor, exponent: exponent), parsed.roundedFromBinaryFloat)
            } catch {
                throw self.error(.invalidAmount, field, "\(cursor.excerpt(s)): \(error.message)")
            }
        default:
            throw error(.invalidType, field, "must be a number or a decimal string, found \(s.kindName)")
        }
    }

    func merchantCategory() throws(DecodeError) -> String? {
        let field = TransactionField.merchantCategory
        let s = slots[field.slot]
        let p = cursor.base
        switch s.kind {
        case .absent, .null:
            return defaultString(field)
        case .string:
            guard s.end - s.start == 4, (s.start..<s.end).allSatisfy({ p[$0] &- 0x30 < 10 }) else {
                throw error(.invalidField, field, "\(cursor.excerpt(s)) is not a four-digit MCC")
            }
            return rawString(s)
        case .number:
            guard s.isInteger, p[s.start] != UInt8(ascii: "-"), s.end - s.start <= 4 else {
                throw error(.invalidField, field, "\(cursor.numberText(s)) is not an MCC (0...9999)")
            }
            let digits = rawString(s)
            return String(repeating: "0", count: 4 - digits.utf8.count) + digits
        default:
            throw error(.invalidType, field, "must be a string or an integer, found \(s.kindName)")
        }
    }

    func country() throws(DecodeError) -> String? {
        let field = TransactionField.country
        let s = slots[field.slot]
        switch s.kind {
        case .absent, .null:
            return defaultString(field)
        case .string:
            guard s.end - s.start == 2, !s.hasEscapes, ISO3166.isAssigned(cursor.base[s.start], cursor.base[s.start + 1]) else {
                throw error(.invalidCountry, field, "\(cursor.excerpt(s)) is not an ISO 3166-1 alpha-2 code (two upper-case letters)")
            }
            return rawString(s)
        default:
            throw error(.invalidType, field, "must be a string, found \(s.kindName)")
        }
    }
}

extension JSONCursor {
    /// The literal text of a number slot.
    func numberText(_ s: ValueSlot) -> String {
        excerpt(s)
    }

    /// The slot's raw text, quoted for strings and cut to 40 bytes, for error messages.
    func excerpt(_ s: ValueSlot) -> String {
        let n = s.end - s.start
        let cut = min(n, 40)
        var text = String(decoding: UnsafeBufferPointer(start: base + s.start, count: cut), as: UTF8.self)
        if cut < n { text += "…(\(n) bytes)" }
        return s.kind == .string ? "\"\(text)\"" : text
    }
}
