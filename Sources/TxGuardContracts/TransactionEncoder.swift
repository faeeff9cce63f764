/// Writes a `Transaction` as a canonical `transaction.v1` JSON document (the schema's field names).
///
/// Amounts are exact decimal strings with the currency's minor digits (`"12.50"`), timestamps RFC 3339
/// UTC with microseconds. Unknown fields are appended verbatim, except any whose name is a canonical
/// field name (possible with a custom mapping), which would otherwise duplicate a key.
/// Decoding the output with the canonical mapping gives back an equal `Transaction`.
public enum TransactionEncoder {
    /// The canonical JSON bytes of `transaction`.
    public static func encode(_ t: Transaction) -> [UInt8] {
        var w = JSONWriter(capacity: 256 + t.unknownFields.jsonObject.count)
        w.beginObject()
        w.field("transaction_id", t.transactionID)
        w.field("account_id", t.accountID)
        w.key("timestamp")
        w.timestamp(micros: t.timestampMicros)
        w.key("amount")
        w.money(t.amount)
        w.field("currency", t.currency)
        if let v = t.merchantName { w.field("merchant_name", v) }
        if let v = t.merchantCategory { w.field("merchant_category", v) }
        if let v = t.description { w.field("description", v) }
        if let v = t.country { w.field("country", v) }
        if let v = t.channel { w.field("channel", v) }
        if let v = t.cardID { w.field("card_id", v) }
        if let v = t.deviceID { w.field("device_id", v) }
        if let v = t.label { w.field("label", v) }
        if let v = t.fraudType { w.field("fraud_type", v) }
        for member in unknownMembers(t.unknownFields) where TransactionField(rawValue: member.name) == nil {
            w.key(member.name)
            w.rawValue(member.value)
        }
        w.endObject()
        return w.bytes
    }

    /// Name and raw value bytes of each unknown member.
    static func unknownMembers(_ fields: UnknownFields) -> [(name: String, value: [UInt8])] {
        guard !fields.isEmpty else { return [] }
        return fields.jsonObject.withUnsafeBytes { raw -> [(name: String, value: [UInt8])] in
            guard let base = raw.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return [] }
            var cursor = JSONCursor(base: base, count: raw.count, maxDepth: 10_000)
            var result: [(name: String, value: [UInt8])] = []
            do throws(JSONSyntaxError) {
                cursor.skipWhitespace()
                try cursor.expect(UInt8(ascii: "{"))
                while true {
                    cursor.skipWhitespace()
                    guard cursor.peek() == UInt8(ascii: "\"") else { break }
                    let key = try cursor.scanString()
                    cursor.skipWhitespace()
                    try cursor.expect(UInt8(ascii: ":"))
                    cursor.skipWhitespace()
                    let start = cursor.pos
                    try cursor.skipValue(depth: 1)
                    result.append((cursor.decodeString(key), Array(raw[start..<cursor.pos])))
                    cursor.skipWhitespace()
                    guard cursor.peek() == UInt8(ascii: ",") else { break }
                    cursor.advance()
                }
            } catch {
                return result // the bytes came from the decoder, so this does not happen
            }
            return result
        }
    }
}
