import Foundation

/// Everything a backtest produced, as one Codable value: counts, live and budgeted metrics,
/// per-fraud-type recall, look-alike alert rates, curves, an ablation table, a timeline and
/// score histograms. `jsonData()` is byte-stable; `HTMLReport.render` draws it.
public struct BacktestReport: Sendable, Hashable, Codable {
    /// Version of this layout; bumped when a field changes meaning.
    public var schemaVersion: Int
    /// Title shown on the HTML page.
    public var title: String
    /// Event counts.
    public var counts: EventCounts
    /// Live alerts / all events.
    public var alertRate: Double
    /// Throughput and wall duration, when the caller measured them.
    public var run: RunInfo?
    /// First and last event time; `nil` without events.
    public var eventTime: EventTimeSpan?
    /// The live decision (`alert`) against labels; `nil` without labelled events.
    public var live: DecisionMetrics?
    /// Threshold-free metrics of the score on labelled events; `nil` without labelled events.
    public var ranking: RankingSummary?
    /// Flagging the top share of labelled events by score, per budget.
    public var budgets: [BudgetSummary]
    /// Recall of each fraud type, live and per budget (same order as `budgets`).
    public var fraudTypes: [FraudTypeRecall]
    /// Alert rates of legitimate look-alike events.
    public var lookalikes: LookalikeSummary
    /// Plot-resolution PR and ROC curves; `nil` unless both classes are present.
    public var curves: Curves?
    /// Metrics of each scoring variant (the events' own score first).
    public var ablation: [VariantMetrics]
    /// Alert rate and threshold over event time.
    public var timeline: Timeline
    /// Score histograms, legitimate vs fraud.
    public var histogram: ScoreHistogram

    /// Byte-stable JSON (sorted keys, fixed number format, trailing newline).
    public func jsonData() throws -> Data { try CanonicalJSON.encode(self) }

    /// Reads a report written by `jsonData()`.
    public static func decode(from data: Data) throws -> BacktestReport {
        try JSONDecoder().decode(BacktestReport.self, from: data)
    }
}

/// How many events of each kind the backtest saw.
public struct EventCounts: Sendable, Hashable, Codable {
    /// All events.
    public var events: Int
    /// Events with a label.
    public var labeled: Int
    /// Events labelled fraud.
    public var frauds: Int
    /// Events labelled legitimate.
    public var legitimate: Int
    /// Live alerts.
    public var alerts: Int
    /// Legitimate events with a look-alike tag.
    public var lookalikes: Int
}

/// The span of event time covered.
public struct EventTimeSpan: Sendable, Hashable, Codable {
    /// Earliest event time, epoch milliseconds.
    public var firstMillis: Int64
    /// Latest event time, epoch milliseconds.
    public var lastMillis: Int64
    /// `(last − first) / 1000`.
    public var durationSeconds: Double
}

/// A boolean decision's confusion counts with its precision, recall, F1 and alert rate.
public struct DecisionMetrics: Sendable, Hashable, Codable {
    /// Confusion counts.
    public var counts: ConfusionCounts
    /// tp / (tp + fp).
    public var precision: Double
    /// tp / (tp + fn).
    public var recall: Double
    /// Harmonic mean of precision and recall.
    public var f1: Double
    /// flagged / events.
    public var alertRate: Double

    /// Derives the metrics from counts.
    public init(_ counts: ConfusionCounts) {
        self.counts = counts
        precision = counts.precision
        recall = counts.recall
        f1 = counts.f1
        alertRate = counts.flaggedRate
    }
}

/// Threshold-free metrics of a score, and the thresholds `txguard calibrate` may pick.
public struct RankingSummary: Sendable, Hashable, Codable {
    /// ROC-AUC; `nil` unless both classes are present.
    public var rocAUC: Double?
    /// Average precision (step-wise PR-AUC).
    public var averagePrecision: Double
    /// Fraction of labelled events that are fraud (AP of a random score).
    public var prevalence: Double
    /// Threshold with the best F1.
    public var bestF1: ThresholdChoice?
}

/// Flagging the top `budget` share of labelled events, with the derived operating point.
public struct BudgetSummary: Sendable, Hashable, Codable {
    /// Budget fraction, e.g. 0.001.
    public var budget: Double
    /// "0.1%".
    public var label: String
    /// `ceil(budget·n)`.
    public var k: Int
    /// Score of the k-th highest event; `score >= threshold` is flagged (ties included).
    public var threshold: Double
    /// Metrics of that decision.
    public var metrics: DecisionMetrics
    /// Share of legitimate look-alikes flagged at this threshold; `nil` without look-alikes.
    public var lookalikeAlertRate: Double?
    /// Highest-recall threshold that never exceeds the budget (ties never split); for `txguard calibrate`.
    public var maxRecallChoice: ThresholdChoice?
}

/// Recall of one fraud type.
public struct FraudTypeRecall: Sendable, Hashable, Codable {
    /// Fraud type name ("untyped" when the label carries none).
    public var type: String
    /// Frauds of this type.
    public var count: Int
    /// Share alerted live.
    public var liveRecall: Double
    /// Share flagged at each budget, in the order of `BacktestReport.budgets`.
    public var budgetRecall: [Double]
    /// ROC-AUC of this type's frauds against the legitimate events (other fraud types left out):
    /// the chance that one of its frauds outranks a legitimate event (0.5 = chance). Unlike recall at a
    /// budget it does not depend on how much louder fraud competes for the same alerts. `nil` without
    /// legitimate events.
    public var rocAUCVersusLegitimate: Double?
}

/// How often legitimate look-alike events (tagged, label false) are flagged.
public struct LookalikeSummary: Sendable, Hashable, Codable {
    /// Per-tag counts.
    public struct Tag: Sendable, Hashable, Codable {
        /// Look-alike tag.
        public var tag: String
        /// Events with this tag.
        public var count: Int
        /// Of which alerted live.
        public var liveAlerts: Int
    }
    /// Look-alike events.
    public var count: Int
    /// Of which alerted live.
    public var liveAlerts: Int
    /// liveAlerts / count; `nil` without look-alikes.
    public var liveAlertRate: Double?
    /// Counts per tag, sorted by tag.
    public var byTag: [Tag]
}

/// Plot-resolution curves of the events' own score.
public struct Curves: Sendable, Hashable, Codable {
    /// x = recall, y = precision.
    public var precisionRecall: CurvePoints
    /// x = false-positive rate, y = true-positive rate.
    public var roc: CurvePoints
}

/// Metrics of one scoring variant in the ablation table.
public struct VariantMetrics: Sendable, Hashable, Codable {
    /// One budget's outcome for a variant.
    public struct Budget: Sendable, Hashable, Codable {
        /// Budget fraction.
        public var budget: Double
        /// Threshold (k-th highest score).
        public var threshold: Double
        /// Flagged events (≥ k on ties).
        public var alerts: Int
        /// Precision at the budget.
        public var precision: Double
        /// Recall at the budget.
        public var recall: Double
    }
    /// Variant name, e.g. "without zscore".
    public var name: String
    /// ROC-AUC; `nil` unless both classes are present.
    public var rocAUC: Double?
    /// Average precision; `nil` without labelled events.
    public var averagePrecision: Double?
    /// Best achievable F1.
    public var bestF1: Double?
    /// Outcomes per budget.
    public var budgets: [Budget]
}
