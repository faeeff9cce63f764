/// One adaptive threshold per segment (e.g. merchant category or channel), each starting as a
/// copy of a calibrated prototype. Beyond `maxSegments` new segments share the prototype's stream
/// under `overflowSegment`, bounding memory on high-cardinality keys.
public struct SegmentedThreshold<Threshold: AdaptiveThreshold & Equatable>: Sendable, Codable, Equatable {
    /// Template for a segment seen for the first time.
    public let prototype: Threshold
    /// Most segments tracked individually.
    public let maxSegments: Int
    /// Key used once `maxSegments` is reached.
    public static var overflowSegment: String { "__overflow__" }
    /// Per-segment state.
    public private(set) var segments: [String: Threshold] = [:]

    /// Segments start from `prototype`.
    public init(prototype: Threshold, maxSegments: Int = 10_000) {
        self.prototype = prototype
        self.maxSegments = max(1, maxSegments)
    }

    /// Threshold currently in force for `segment`.
    public func threshold(for segment: String) -> Double {
        (segments[segment] ?? prototype).currentThreshold
    }

    /// Decides and learns in the segment's own threshold.
    public mutating func observe(_ score: Double, segment: String) -> ThresholdDecision {
        var key = segment
        if segments[key] == nil && segments.count >= maxSegments { key = Self.overflowSegment }
        let fresh = prototype
        return segments[key, default: fresh].observe(score)
    }
}
