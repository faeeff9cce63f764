/// One scored transaction as the report sees it: the pipeline's decision plus optional ground truth.
///
/// The report knows nothing of Kafka or detectors; it only needs these values. Events without a
/// label (`label == nil`) count towards alert rates and the timeline but not towards any metric
/// that needs ground truth.
public struct ScoredEvent: Sendable, Hashable, Codable {
    /// Identifier of the transaction, used to join labels.
    public var transactionID: String
    /// Event time in epoch milliseconds; orders the timeline.
    public var eventTimeMillis: Int64
    /// Ensemble score, higher = more anomalous.
    public var score: Double
    /// Whether the live pipeline raised an alert.
    public var alert: Bool
    /// Threshold in force when the event was decided.
    public var threshold: Double
    /// Ground truth (`true` = fraud), when known.
    public var label: Bool?
    /// Fraud type of a fraudulent event (e.g. "card_testing"), when known.
    public var fraudType: String?
    /// Look-alike tag: a legitimate event built to resemble fraud (e.g. "large_legit_purchase").
    public var lookalike: String?
    /// Raw per-detector scores, keyed by detector name.
    public var detectorScores: [String: Double]

    /// Creates a scored event.
    public init(
        transactionID: String, eventTimeMillis: Int64, score: Double, alert: Bool, threshold: Double,
        label: Bool? = nil, fraudType: String? = nil, lookalike: String? = nil,
        detectorScores: [String: Double] = [:]
    ) {
        self.transactionID = transactionID
        self.eventTimeMillis = eventTimeMillis
        self.score = score
        self.alert = alert
        self.threshold = threshold
        self.label = label
        self.fraudType = fraudType
        self.lookalike = lookalike
        self.detectorScores = detectorScores
    }
}
