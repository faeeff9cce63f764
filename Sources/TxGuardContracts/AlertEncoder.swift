/// Serializes an `Alert` as one `alert.v1` JSON document with `JSONWriter` (no Foundation on this path).
///
/// Field order is fixed (schema order); times are RFC 3339 UTC with microseconds; the amount is an
/// exact decimal string. A non-finite score is written as `null`, which the schema rejects, so a
/// bug upstream shows up in validation rather than as a silently wrong number.
public enum AlertEncoder {
    // Keys serialized once; each alert then costs one append per key.
    static let accountIdKey = JSONKey("account_id")
    static let alertIdKey = JSONKey("alert_id")
    static let amountKey = JSONKey("amount")
    static let contributionKey = JSONKey("contribution")
    static let currencyKey = JSONKey("currency")
    static let descriptionKey = JSONKey("description")
    static let detectionTimeKey = JSONKey("detection_time")
    static let detectorKey = JSONKey("detector")
    static let detectorsKey = JSONKey("detectors")
    static let eventTimeKey = JSONKey("event_time")
    static let extraKey = JSONKey("extra")
    static let featureKey = JSONKey("feature")
    static let modelVersionKey = JSONKey("model_version")
    static let offsetKey = JSONKey("offset")
    static let partitionKey = JSONKey("partition")
    static let probabilityKey = JSONKey("probability")
    static let reasonsKey = JSONKey("reasons")
    static let schemaVersionKey = JSONKey("schema_version")
    static let scoreKey = JSONKey("score")
    static let sourceKey = JSONKey("source")
    static let thresholdKey = JSONKey("threshold")
    static let topicKey = JSONKey("topic")
    static let transactionIdKey = JSONKey("transaction_id")
    static let valueKey = JSONKey("value")

    /// The alert's JSON bytes.
    public static func encode(_ alert: Alert) -> [UInt8] {
        var w = JSONWriter(capacity: 768)
        encode(alert, into: &w)
        return w.bytes
    }

    /// Appends the alert's JSON to `writer` (reuse one writer in a loop to avoid reallocations).
    public static func encode(_ alert: Alert, into w: inout JSONWriter) {
        w.beginObject()
        w.field(Self.schemaVersionKey, Alert.schemaVersion)
        w.field(Self.alertIdKey, alert.alertID)
        w.field(Self.transactionIdKey, alert.transactionID)
        w.field(Self.accountIdKey, alert.accountID)
        w.key(Self.eventTimeKey)
        w.timestamp(micros: alert.eventTimeMicros)
        w.key(Self.detectionTimeKey)
        w.timestamp(micros: alert.detectionTimeMicros)
        w.field(Self.scoreKey, alert.score)
        w.field(Self.thresholdKey, alert.threshold)
        w.key(Self.detectorsKey)
        w.beginObject()
        for d in alert.detectors {
            w.key(d.name)
            w.beginObject()
            w.field(Self.scoreKey, d.score)
            w.field(Self.probabilityKey, d.probability)
            w.endObject()
        }
        w.endObject()
        w.key(Self.reasonsKey)
        w.beginArray()
        for r in alert.reasons {
            w.beginObject()
            w.field(Self.featureKey, r.feature)
            w.key(Self.valueKey)
            switch r.value {
            case .number(let x): w.number(x)
            case .string(let s): w.string(s)
            case .bool(let b): w.bool(b)
            }
            w.field(Self.contributionKey, r.contribution)
            w.field(Self.detectorKey, r.detector)
            w.field(Self.descriptionKey, r.description)
            w.endObject()
        }
        w.endArray()
        w.field(Self.modelVersionKey, alert.modelVersion)
        w.key(Self.sourceKey)
        w.beginObject()
        if let topic = alert.source.topic { w.field(Self.topicKey, topic) }
        if let partition = alert.source.partition { w.field(Self.partitionKey, Int64(partition)) }
        if let offset = alert.source.offset { w.field(Self.offsetKey, offset) }
        w.endObject()
        if let amount = alert.amount { w.key(Self.amountKey); w.money(amount) }
        if let currency = alert.currency { w.field(Self.currencyKey, currency) }
        if let extra = alert.extra {
            w.key(Self.extraKey)
            w.rawValue(extra.jsonObject)
        }
        w.endObject()
    }
}
