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

    private enum CodingKeys: String, CodingKey { case spot, dspot, quantile }

    /// Exactly one of the three methods must be present: a snapshot with none (`{}`) decoded and
    /// then trapped on the first event (found by the snapshot fuzzer).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        spot = try c.decodeIfPresent(SPOTThreshold.self, forKey: .spot)
        dspot = try c.decodeIfPresent(DSPOTThreshold.self, forKey: .dspot)
        quantile = try c.decodeIfPresent(QuantileThreshold.self, forKey: .quantile)
        guard [spot != nil, dspot != nil, quantile != nil].filter({ $0 }).count == 1 else {
            throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: "a partition threshold needs exactly one of spot, dspot, quantile"))
        }
    }

    /// The method of this threshold.
    public var method: ThresholdSettings.Method {
        spot != nil ? .spot : dspot != nil ? .dspot : .quantile
    }

    /// The threshold in force (what `observe` would compare a score with now).
    public var current: Double {
        // Optional chaining reads in place; `if let` bound a copy of the estimator (its arrays retained).
        spot?.currentThreshold ?? dspot?.currentThreshold ?? quantile!.currentThreshold
    }

    /// Decides `score` and updates the threshold (alerts are learned only as censored exceedances).
    public mutating func observe(_ score: Double) -> ThresholdDecision {
        // Optional chaining mutates in place; `spot != nil` copied the whole threshold state per event.
        if let decision = spot?.observe(score) { return decision }
        if let decision = dspot?.observe(score) { return decision }
        return quantile!.observe(score)
    }
}
