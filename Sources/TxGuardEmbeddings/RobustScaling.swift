/// Robust standardisation `(x − median) / IQR` with the median and inter-quartile range fitted on
/// training data (percentiles by linear interpolation, as numpy's default and scikit-learn's RobustScaler).
public struct RobustScaling: Codable, Sendable, Equatable {
    /// Training median.
    public var median: Double
    /// Training 75th minus 25th percentile (1 when the data has no spread).
    public var interQuartileRange: Double

    /// Creates a scaling from known statistics.
    public init(median: Double, interQuartileRange: Double) {
        self.median = median
        self.interQuartileRange = interQuartileRange
    }

    /// Fits median and IQR; throws on empty or non-finite input.
    public static func fit(_ values: [Double]) throws -> RobustScaling {
        guard !values.isEmpty, values.allSatisfy(\.isFinite) else {
            throw EmbeddingError.invalidConfiguration(reason: "robust scaling needs at least one finite value")
        }
        let sorted = values.sorted()
        let iqr = percentile(sorted, 75) - percentile(sorted, 25)
        return RobustScaling(median: percentile(sorted, 50), interQuartileRange: iqr > 0 ? iqr : 1)
    }

    /// The scaled value.
    @inline(__always)
    public func apply(_ x: Double) -> Double { (x - median) / interQuartileRange }

    /// numpy's default ("linear") percentile of sorted data.
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        let position = p / 100 * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * fraction
    }
}
