import TxGuardContracts
import TxGuardDetectors

/// What the pipeline decided about one input record.
public struct Verdict: Sendable {
    public enum Kind: Sendable, Equatable { case normal, alert, deadLetter }
    public var kind: Kind
    /// The decoded transaction (nil for dead letters).
    public var transaction: Transaction?
    /// Ensemble score and the threshold in force when it was judged.
    public var score: Double
    public var threshold: Double
    /// Raw score and calibrated tail probability per detector.
    public var detectors: [DetectorScore]
    /// The alert (when `kind == .alert` and outputs were requested).
    public var alert: Alert?
    /// The dead-letter record (when `kind == .deadLetter`).
    public var deadLetter: DeadLetter?
    /// The supervised layer's evidence added to the score (log-likelihood ratio × weight), when a
    /// supervised model was in force.
    public var supervisedEvidence: Double? = nil
    /// Analyst false positives on the same account and pattern that lowered the score (0: none).
    public var feedbackSuppressions = 0
    /// The score the unsupervised ensemble alone gave.
    public var unsupervisedScore: Double? = nil

    public var isAlert: Bool { kind == .alert }
}
