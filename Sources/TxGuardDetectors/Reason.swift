/// One ranked explanation item: which feature, its value, how much it contributed, and by which detector.
public struct Reason: Sendable, Codable, Equatable {
    /// Feature (or Z-score input) name.
    public let featureName: String
    /// Its value in this event.
    public let value: Float
    /// Contribution in the detector's own units (|z|, isolation bits above usual, gradient × input).
    public let contribution: Float
    /// Which detector found it.
    public let detector: DetectorKind

    /// Plain initializer.
    public init(featureName: String, value: Float, contribution: Float, detector: DetectorKind) {
        self.featureName = featureName
        self.value = value
        self.contribution = contribution
        self.detector = detector
    }
}
