import TxGuardDetectors

/// The adaptive threshold of one partition, whichever method the model names.
public enum PartitionThreshold: Sendable, Codable, Equatable {
    case spot(SPOTThreshold)
    case dspot(DSPOTThreshold)
    case quantile(QuantileThreshold)

    /// A fresh threshold started from the model's calibration sample.
    public init(settings: ThresholdSettings) throws {
        let config = SPOTThreshold.Configuration(risk: settings.alertRate)
        switch settings.method {
        case .spot: self = .spot(try SPOTThreshold(calibration: settings.calibrationScores, configuration: config))
        case .dspot: self = .dspot(try DSPOTThreshold(calibration: settings.calibrationScores, depth: settings.driftDepth, configuration: config))
        case .quantile: self = .quantile(try QuantileThreshold(alertRate: settings.alertRate, calibration: settings.calibrationScores))
        }
    }

    /// Decides `score` and updates the threshold (alerts are learned only as censored exceedances).
    public mutating func observe(_ score: Double) -> ThresholdDecision {
        switch self {
        case .spot(var t): let d = t.observe(score); self = .spot(t); return d
        case .dspot(var t): let d = t.observe(score); self = .dspot(t); return d
        case .quantile(var t): let d = t.observe(score); self = .quantile(t); return d
        }
    }
}
