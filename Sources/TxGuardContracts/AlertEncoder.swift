/// Serializes an `Alert` as one `alert.v1` JSON document with `JSONWriter` (no Foundation on this path).
///
/// Field order is fixed (schema order); times are RFC 3339 UTC with microseconds; the amount is an
/// exact decimal string. A non-finite score is written as `null`, which the schema rejects, so a
/// bug upstream shows up in validation rather than as a silently wrong number.
public enum AlertEncoder {
    /// The alert's JSON bytes.
    public static func encode(_ alert: Alert) -> [UInt8] {
        var w = JSONWriter(capacity: 768)
        encode(alert, into: &w)
        return w.bytes
    }

    /// Appends the alert's JSON to `writer` (reuse one writer in a loop to avoid reallocations).
    public static func encode(_ alert: Alert, into w: inout JSONWriter) {
        w.beginObject()
        w.field("schema_version", Alert.schemaVersion)
        w.field("alert_id", alert.alertID)
        w.field("transaction_id", alert.transactionID)
        w.field("account_id", alert.accountID)
        w.key("event_time")
        w.timestamp(micros: alert.eventTimeMicros)
        w.key("detection_time")
        w.timestamp(micros: alert.detectionTimeMicros)
        w.field("score", alert.score)
        w.field("threshold", alert.threshold)
        w.key("detectors")
        w.beginObject()
        for d in alert.detectors {
            w.key(d.name)
            w.beginObject()
            w.field("score", d.score)
            w.field("probability", d.probability)
            w.endObject()
        }
        w.endObject()
        w.key("reasons")
        w.beginArray()
        for r in alert.reasons {
            w.beginObject()
            w.field("feature", r.feature)
            w.key("value")
            switch r.value {
            case .number(let x): w.number(x)
            case .string(let s): w.string(s)
            case .bool(let b): w.bool(b)
            }
            w.field("contribution", r.contribution)
            w.field("detector", r.detector)
            w.field("description", r.description)
            w.endObject()
        }
        w.endArray()
        w.field("model_version", alert.modelVersion)
        w.key("source")
        w.beginObject()
        if let topic = alert.source.topic { w.field("topic", topic) }
        if let partition = alert.source.partition { w.field("partition", Int64(partition)) }
        if let offset = alert.source.offset { w.field("offset", offset) }
        w.endObject()
        if let amount = alert.amount { w.field("amount", amount.description) }
        if let currency = alert.currency { w.field("currency", currency) }
        if let extra = alert.extra {
            w.key("extra")
            w.rawValue(extra.jsonObject)
        }
        w.endObject()
    }
}
