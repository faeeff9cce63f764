/// One alert on one transaction, as published on the alerts topic (schemas/alert.v1.schema.json).
///
/// Built by the pipeline after the ensemble score crosses the threshold; serialized by
/// `AlertEncoder`, read back by `AlertDecoder`. `alertID` is deterministic (`AlertID.make`) so a
/// re-delivered input produces the same id and downstream can de-duplicate.
public struct Alert: Sendable, Hashable {
    /// Schema version written in every alert (`schema_version`).
    public static let schemaVersion = "1"

    /// Deterministic id: 32 lower-case hex digits (see `AlertID`).
    public var alertID: String
    /// The input transaction's id.
    public var transactionID: String
    /// The account (also the Kafka key of the alert).
    public var accountID: String
    /// Transaction event time, microseconds since the epoch (written as RFC 3339).
    public var eventTimeMicros: Int64
    /// When txguard decided, microseconds since the epoch (written as RFC 3339).
    public var detectionTimeMicros: Int64
    /// Ensemble score that crossed the threshold.
    public var score: Double
    /// Threshold in force at decision time.
    public var threshold: Double
    /// Per-detector raw score and calibrated tail probability, in a stable order.
    public var detectors: [DetectorScore]
    /// Top contributing features, most important first, each feature once.
    public var reasons: [AlertReason]
    /// Version of the model file that scored the transaction.
    public var modelVersion: String
    /// Kafka coordinates of the input (absent parts are omitted; all absent for files).
    public var source: SourceContext
    /// The transaction amount, exact, and its currency (for analysts; optional in the schema).
    public var amount: Money?
    /// ISO 4217 code of `amount`.
    public var currency: String?
    /// The transaction's unknown fields, verbatim (a JSON object), when the pipeline passes them on.
    public var extra: UnknownFields?

    /// An alert with all of its parts.
    public init(
        alertID: String, transactionID: String, accountID: String, eventTimeMicros: Int64, detectionTimeMicros: Int64,
        score: Double, threshold: Double, detectors: [DetectorScore], reasons: [AlertReason], modelVersion: String,
        source: SourceContext, amount: Money? = nil, currency: String? = nil, extra: UnknownFields? = nil
    ) {
        self.alertID = alertID
        self.transactionID = transactionID
        self.accountID = accountID
        self.eventTimeMicros = eventTimeMicros
        self.detectionTimeMicros = detectionTimeMicros
        self.score = score
        self.threshold = threshold
        self.detectors = detectors
        self.reasons = AlertReason.onePerFeature(reasons)  // two detectors blaming one feature: said once
        self.modelVersion = modelVersion
        self.source = source
        self.amount = amount
        self.currency = currency
        self.extra = extra
    }
}

/// One detector's view of a transaction: raw score and calibrated tail probability.
public struct DetectorScore: Sendable, Hashable {
    /// Detector name, e.g. `isolation_forest`, `zscore`, `ocsvm`.
    public var name: String
    /// Raw score (higher = more anomalous).
    public var score: Double
    /// Calibrated probability of a score at least this high under normal traffic, in [0, 1].
    public var probability: Double

    /// A detector score.
    public init(name: String, score: Double, probability: Double) {
        self.name = name
        self.score = score
        self.probability = probability
    }
}

/// One explanation line of an alert: a feature, its value, and how much it pushed the score.
public struct AlertReason: Sendable, Hashable {
    /// Feature name, e.g. `amount_log_zscore`.
    public var feature: String
    /// The feature's value for this transaction.
    public var value: ReasonValue
    /// Contribution to the detector's score (units of that detector).
    public var contribution: Double
    /// Detector the contribution belongs to.
    public var detector: String
    /// Human sentence, e.g. `amount 4,200.00 EUR is 6.1σ above this account's mean`.
    public var description: String

    /// A reason line.
    public init(feature: String, value: ReasonValue, contribution: Double, detector: String, description: String) {
        self.feature = feature
        self.value = value
        self.contribution = contribution
        self.detector = detector
        self.description = description
    }
}

/// A feature value as shown in an alert: a number, a string, or a boolean.
public enum ReasonValue: Sendable, Hashable {
    /// A numeric feature value.
    case number(Double)
    /// A categorical feature value.
    case string(String)
    /// A flag feature value.
    case bool(Bool)
}
