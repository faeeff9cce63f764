/// Threshold at the (1 − alert rate) quantile of the score stream, tracked by P².
///
/// An alerted score is learned winsorized: clipped to max + (max − fourth marker) of the P² markers.
/// It still counts as "above the threshold" (keeping the alert rate on target), an isolated extreme
/// barely moves anything (no self-poisoning), yet a segment whose whole level moved up can still
/// catch up, one bounded step per alert.
public struct QuantileThreshold: AdaptiveThreshold, Equatable {
    /// Target fraction of alerts.
    public let alertRate: Double
    /// The P² estimator of the 1 − alertRate quantile.
    public private(set) var estimator: P2Quantile

    public var currentThreshold: Double { estimator.estimate ?? .infinity }

    /// Starts from a calibration batch of scores (at least 5).
    public init(alertRate: Double, calibration: [Double]) throws {
        guard alertRate > 0, alertRate < 0.5 else { throw DetectorError.invalidParameter(name: "alertRate", value: alertRate) }
        let values = calibration.filter(\.isFinite)
        guard values.count >= 5 else { throw DetectorError.notEnoughRows(needed: 5, actual: values.count) }
        self.alertRate = alertRate
        var e = try P2Quantile(probability: 1 - alertRate)
        for v in values { e.observe(v) }
        self.estimator = e
    }

    public mutating func observe(_ score: Double) -> ThresholdDecision {
        let t = currentThreshold
        guard score.isFinite else { return ThresholdDecision(isAlert: false, threshold: t) }
        if score > t {
            estimator.observe(min(score, 2 * estimator.marker(4) - estimator.marker(3)))
            return ThresholdDecision(isAlert: true, threshold: t)
        }
        estimator.observe(score)
        return ThresholdDecision(isAlert: false, threshold: t)
    }
}
