/// A confirmed outcome of one transaction (`label.v1`): an analyst's disposition, a chargeback, a
/// customer report. Labels flow back into txguard (`run --labels-topic`, `backtest --labels`) and
/// feed entity risk, the supervised layer and false-positive feedback, each only from the time the
/// label is known.
public struct Label: Sendable, Hashable {
    /// The `schema_version` value of this contract.
    public static let schemaVersion = "label.v1"

    /// Who made the label.
    public enum Source: String, Sendable, Hashable, CaseIterable, Codable {
        /// An analyst closed an alert or a case.
        case analyst
        /// The card scheme or the issuer's dispute process (arrives weeks later).
        case chargeback
        /// The customer reported the transaction (or confirmed it was theirs).
        case customer
        /// A rule or another system decided.
        case rule
        /// Anything else; the label is used all the same.
        case other
    }

    /// The keys a label can name an entity by; risk is kept per (kind, value).
    public enum EntityKind: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
        /// The account (the transactions' Kafka key).
        case account
        /// The card (token).
        case card
        /// The device.
        case device
        /// The merchant or terminal (`merchant_name` when the transaction does not say more).
        case merchant
        /// The payee / counterparty of a transfer.
        case payee

        public static func < (a: EntityKind, b: EntityKind) -> Bool { a.rawValue < b.rawValue }
    }

    /// The labelled transaction's `transaction_id`.
    public var transactionID: String
    /// Fraud (`true`) or confirmed legitimate (`false`, e.g. an alert closed as a false positive).
    public var isFraud: Bool
    /// Who made the label.
    public var source: Source
    /// When the label was made (µs since the epoch): it may be used from then on, never before.
    public var labeledAtMicros: Int64
    /// The transaction's event time, when the label says it (needed for transactions txguard never saw).
    public var eventTimeMicros: Int64?
    /// The alert this label closes, when it closes one.
    public var alertID: String?
    /// Fraud category, free text (e.g. `account_takeover`).
    public var fraudType: String?
    /// Entity keys of the transaction, when the label carries them (otherwise txguard takes them
    /// from the transaction it saw).
    public var entities: [EntityKind: String]

    /// A label with all of its parts.
    public init(transactionID: String, isFraud: Bool, source: Source, labeledAtMicros: Int64, eventTimeMicros: Int64? = nil,
                alertID: String? = nil, fraudType: String? = nil, entities: [EntityKind: String] = [:]) {
        self.transactionID = transactionID
        self.isFraud = isFraud
        self.source = source
        self.labeledAtMicros = labeledAtMicros
        self.eventTimeMicros = eventTimeMicros
        self.alertID = alertID
        self.fraudType = fraudType
        self.entities = entities
    }

    /// The entity keys of a transaction as labels name them (the transaction contract has no payee
    /// field: a payee is an entity only when labels name it; PaySim-like streams carry the payee in
    /// `merchant_name`).
    public static func entities(of tx: Transaction) -> [EntityKind: String] {
        var e: [EntityKind: String] = [.account: tx.accountID]
        if let v = tx.cardID, !v.isEmpty { e[.card] = v }
        if let v = tx.deviceID, !v.isEmpty { e[.device] = v }
        if let v = tx.merchantName, !v.isEmpty { e[.merchant] = v }
        return e
    }

    /// The `label.v1` JSON of this label (one line, keys in a fixed order).
    public func encoded() -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.field("schema_version", Label.schemaVersion)
        w.field("transaction_id", transactionID)
        w.field("is_fraud", isFraud)
        w.field("source", source.rawValue)
        w.key("labeled_at"); w.timestamp(micros: labeledAtMicros)
        if let eventTimeMicros { w.key("event_time"); w.timestamp(micros: eventTimeMicros) }
        if let alertID { w.field("alert_id", alertID) }
        if let fraudType { w.field("fraud_type", fraudType) }
        if !entities.isEmpty {
            w.key("entities")
            w.beginObject()
            for (k, v) in entities.sorted(by: { $0.key < $1.key }) { w.field(k.rawValue, v) }
            w.endObject()
        }
        w.endObject()
        return w.bytes
    }
}

/// Reads `label.v1` records strictly (RFC 8259, UTF-8, no duplicate keys, typed fields), with the
/// same `DecodeError` reasons as transactions, so a bad label is dead-lettered the same way.
public struct LabelDecoder: Sendable {
    /// Size and length limits (the transactions' limits by default).
    public var limits: DecodeLimits

    /// A decoder with `limits`.
    public init(limits: DecodeLimits = .default) { self.limits = limits }

    /// Decodes one label record.
    public func decode(_ bytes: UnsafeRawBufferPointer, context: SourceContext) throws(DecodeError) -> Label {
        try DecodeError.attributed(to: context) { () throws(DecodeError) in try decodeUnattributed(bytes) }
    }

    /// Decodes one label record held in an array.
    public func decode(_ bytes: [UInt8], context: SourceContext = .unknown) throws(DecodeError) -> Label {
        do {
            return try bytes.withUnsafeBytes { raw in try decode(raw, context: context) }
        } catch let e as DecodeError {
            throw e
        } catch {
            throw DecodeError(code: .malformedJSON, message: "\(error)", source: context)
        }
    }

    private enum Value {
        case string(String, offset: Int)
        case bool(Bool, offset: Int)
        case null
        case other(kind: String, offset: Int)
        case object([String: Value], offset: Int)
    }

    private func decodeUnattributed(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> Label {
        let base = try limits.checkedPayload(bytes, what: "label")
        var cursor = JSONCursor(base: base, count: bytes.count, maxDepth: limits.maxDepth)
        let top: [String: Value]
        do throws(JSONSyntaxError) {
            cursor.skipWhitespace()
            guard cursor.peek() == UInt8(ascii: "{") else {
                if cursor.atEnd { throw JSONSyntaxError(code: .emptyPayload, offset: 0, message: "empty payload (no JSON document)") }
                try cursor.skipValue(depth: 0)
                throw JSONSyntaxError(code: .invalidType, offset: 0, message: "a label must be a JSON object")
            }
            guard case .object(let o, _) = try readValue(&cursor, depth: 0, path: "") else { fatalError("unreachable") }
            cursor.skipWhitespace()
            guard cursor.atEnd else { throw cursor.unexpected("trailing data after the label object") }
            top = o
        } catch {
            if error.code == .duplicateKey {
                throw DecodeError(code: .duplicateKey, path: error.message, byteOffset: error.offset, message: "key appears more than once")
            }
            throw DecodeError(code: error.code, path: error.code == .invalidType ? "" : nil, byteOffset: error.offset, message: error.message)
        }

        if let v = top["schema_version"] {
            let s = try string(v, "/schema_version", required: true)!
            guard s == Label.schemaVersion else {
                throw DecodeError(code: .invalidField, path: "/schema_version", message: "schema_version \(s) is not \(Label.schemaVersion)")
            }
        }
        guard let txID = try identifier(top["transaction_id"], "/transaction_id", required: true) else { fatalError("unreachable") }
        guard case .bool(let isFraud, _)? = top["is_fraud"] else {
            throw presenceOrType(top["is_fraud"], "/is_fraud", "a boolean")
        }
        let sourceText = try string(top["source"], "/source", required: true)!
        guard let source = Label.Source(rawValue: sourceText) else {
            throw DecodeError(code: .invalidField, path: "/source",
                              message: "source \"\(sourceText)\" is not one of \(Label.Source.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let labeledAt = try timestamp(top["labeled_at"], "/labeled_at", required: true)!
        let eventTime = try timestamp(top["event_time"], "/event_time", required: false)
        if let eventTime, labeledAt < eventTime {
            throw DecodeError(code: .invalidField, path: "/labeled_at",
                              message: "labeled_at \(Timestamps.rfc3339(micros: labeledAt)) is before the transaction's event_time \(Timestamps.rfc3339(micros: eventTime))")
        }
        let alertID = try identifier(top["alert_id"], "/alert_id", required: false)
        let fraudType = try string(top["fraud_type"], "/fraud_type", required: false)
        if let fraudType, fraudType.utf8.count > limits.maxIdentifierBytes {
            throw DecodeError(code: .invalidField, path: "/fraud_type", message: "fraud_type longer than \(limits.maxIdentifierBytes) bytes")
        }
        var entities: [Label.EntityKind: String] = [:]
        switch top["entities"] {
        case nil, .null?: break
        case .object(let o, _)?:
            for (k, v) in o {
                guard let kind = Label.EntityKind(rawValue: k) else {
                    throw DecodeError(code: .invalidField, path: "/entities/\(k)",
                                      message: "unknown entity kind \"\(k)\" (known: \(Label.EntityKind.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                if let s = try identifier(v, "/entities/\(k)", required: false) { entities[kind] = s }
            }
        case let v?:
            throw presenceOrType(v, "/entities", "an object of entity keys")
        }
        if let acct = try identifier(top["account_id"], "/account_id", required: false) {
            if let e = entities[.account], e != acct {
                throw DecodeError(code: .invalidField, path: "/entities/account", message: "entities.account disagrees with account_id")
            }
            entities[.account] = acct
        }
        return Label(transactionID: txID, isFraud: isFraud, source: source, labeledAtMicros: labeledAt, eventTimeMicros: eventTime,
                     alertID: alertID, fraudType: fraudType, entities: entities)
    }

    private func presenceOrType(_ v: Value?, _ path: String, _ expected: String) -> DecodeError {
        switch v {
        case nil: return DecodeError(code: .missingField, path: path, message: "required field \(path.dropFirst()) is missing")
        case .null?: return DecodeError(code: .missingField, path: path, message: "required field \(path.dropFirst()) is null")
        case .string(_, let o)?: return DecodeError(code: .invalidType, path: path, byteOffset: o, message: "\(path.dropFirst()) must be \(expected), not a string")
        case .bool(_, let o)?: return DecodeError(code: .invalidType, path: path, byteOffset: o, message: "\(path.dropFirst()) must be \(expected), not a boolean")
        case .object(_, let o)?: return DecodeError(code: .invalidType, path: path, byteOffset: o, message: "\(path.dropFirst()) must be \(expected), not an object")
        case .other(let kind, let o)?: return DecodeError(code: .invalidType, path: path, byteOffset: o, message: "\(path.dropFirst()) must be \(expected), not \(kind)")
        }
    }

    private func string(_ v: Value?, _ path: String, required: Bool) throws(DecodeError) -> String? {
        switch v {
        case .string(let s, _)?: return s
        case nil, .null?: if required { throw presenceOrType(v, path, "a string") } else { return nil }
        case let v?: throw presenceOrType(v, path, "a string")
        }
    }

    private func identifier(_ v: Value?, _ path: String, required: Bool) throws(DecodeError) -> String? {
        guard let s = try string(v, path, required: required) else { return nil }
        guard !s.isEmpty else { throw DecodeError(code: .invalidField, path: path, message: "\(path.dropFirst()) is empty") }
        guard s.utf8.count <= limits.maxIdentifierBytes else {
            throw DecodeError(code: .invalidField, path: path, message: "\(path.dropFirst()) longer than \(limits.maxIdentifierBytes) bytes")
        }
        guard !s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw DecodeError(code: .invalidField, path: path, message: "\(path.dropFirst()) contains control characters")
        }
        return s
    }

    private func timestamp(_ v: Value?, _ path: String, required: Bool) throws(DecodeError) -> Int64? {
        guard let s = try string(v, path, required: required) else { return nil }
        let bytes = Array(s.utf8)
        do throws(Timestamps.Problem) {
            return try bytes.withUnsafeBufferPointer { b throws(Timestamps.Problem) in try Timestamps.parseRFC3339(b.baseAddress!, 0, b.count) }
        } catch {
            throw DecodeError(code: .invalidTimestamp, path: path, message: "\(path.dropFirst()) \(error.message)")
        }
    }

    /// Reads one value; objects are read into dictionaries (labels are small), other composite
    /// values are validated and skipped.
    private func readValue(_ c: inout JSONCursor, depth: Int, path: String) throws(JSONSyntaxError) -> Value {
        c.skipWhitespace()
        guard let b = c.peek() else { throw c.truncated("a value") }
        let at = c.pos
        switch b {
        case UInt8(ascii: "\""):
            let t = try c.scanString()
            return .string(c.decodeString(t), offset: at)
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            let first = try c.scanLiteral()
            return first == UInt8(ascii: "n") ? .null : .bool(first == UInt8(ascii: "t"), offset: at)
        case UInt8(ascii: "{"):
            try c.checkDepth(depth + 1)
            c.advance()
            var out: [String: Value] = [:]
            c.skipWhitespace()
            if c.peek() == UInt8(ascii: "}") { c.advance(); return .object(out, offset: at) }
            while true {
                c.skipWhitespace()
                guard c.peek() == UInt8(ascii: "\"") else { throw c.peek() == nil ? c.truncated("a key") : c.unexpected("expected a key") }
                let keyAt = c.pos
                let key = c.decodeString(try c.scanString())
                c.skipWhitespace()
                try c.expect(UInt8(ascii: ":"))
                let value = try readValue(&c, depth: depth + 1, path: path + "/" + key)
                if out.updateValue(value, forKey: key) != nil {
                    throw JSONSyntaxError(code: .duplicateKey, offset: keyAt, message: path + "/" + key)
                }
                c.skipWhitespace()
                guard let n = c.peek() else { throw c.truncated("',' or '}'") }
                c.advance()
                if n == UInt8(ascii: "}") { return .object(out, offset: at) }
                guard n == UInt8(ascii: ",") else { c.pos -= 1; throw c.unexpected("expected ',' or '}'") }
            }
        case UInt8(ascii: "["):
            try c.skipValue(depth: depth)
            return .other(kind: "an array", offset: at)
        default:
            _ = try c.scanNumber()
            return .other(kind: "a number", offset: at)
        }
    }
}
