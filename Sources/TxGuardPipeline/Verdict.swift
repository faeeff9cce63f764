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

    public var isAlert: Bool { kind == .alert }
}
