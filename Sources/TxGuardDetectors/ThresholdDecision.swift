/// Outcome of one threshold observation.
public struct ThresholdDecision: Sendable, Equatable {
    /// True when the score exceeded the threshold in force.
    public let isAlert: Bool
    /// The threshold the score was compared with (in score units).
    public let threshold: Double
}

/// A stateful alert threshold that adapts to the stream it watches.
/// Alerted scores never move the threshold toward themselves (no self-poisoning).
public protocol AdaptiveThreshold: Sendable, Codable {
    /// Threshold currently in force.
    var currentThreshold: Double { get }
    /// Compares `score` with the threshold, then updates the state from non-alerted scores.
    mutating func observe(_ score: Double) -> ThresholdDecision
}
