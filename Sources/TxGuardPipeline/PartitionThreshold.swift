import TxGuardDetectors

/// The adaptive threshold of one partition, whichever method the model names. (A struct of
/// optionals rather than an enum with payloads, so `observe` mutates in place instead of copying
/// the threshold's peak buffer on every event.)
public struct PartitionThreshold: Sendable, Codable, Equatable {
    private var spot: SPOTThreshold?
    private var dspot: DSPOTThreshold?
    private var quantile: QuantileThreshold?

    /// A fresh threshold started from the model's calibration sample.
    public init(settings: ThresholdSettings) throws {
        let config = SPOTThreshold.Configuration(risk: settings.alertRate)
        switch settings.method {
        case .spot: spot = try SPOTThreshold(calibration: settings.calibrationScores, configuration: config)
        case .dspot: dspot = try DSPOTThreshold(calibration: settings.calibrationScores, depth: settings.driftDepth, configuration: config)
        case .quantile: quantile = try QuantileThreshold(alertRate: settings.alertRate, calibration: settings.calibrationScores)
        }
    }

    /// The threshold in force (what `observe` would compare a score with now).
    public var current: Double {
        if let spot { return spot.currentThreshold }
        if let dspot { return dspot.currentThreshold }
        return quantile!.currentThreshold
    }

    /// Decides `score` and updates the threshold (alerts are learned only as censored exceedances).
    public mutating func observe(_ score: Double) -> ThresholdDecision {
        if spot != nil { return spot!.observe(score) }
        if dspot != nil { return dspot!.observe(score) }
        return quantile!.observe(score)
    }
}
