/// The precision-recall curve with scikit-learn's `precision_recall_curve` semantics.
///
/// Arrays are in increasing threshold order; `precision` and `recall` have one extra final point
/// (1, 0) with no threshold. With no positives, recall is 1 everywhere (as scikit-learn does).
public struct PrecisionRecallCurve: Sendable, Equatable {
    /// Precision at each threshold, then 1.
    public let precision: [Double]
    /// Recall at each threshold, then 0.
    public let recall: [Double]
    /// Distinct scores, ascending.
    public let thresholds: [Double]

    /// Builds the curve from cumulative counts.
    public init(_ counts: ThresholdCounts) {
        let m = counts.thresholds.count
        var precision = [Double](repeating: 0, count: m + 1)
        var recall = [Double](repeating: 0, count: m + 1)
        var thresholds = [Double](repeating: 0, count: m)
        for j in 0..<m {
            let i = m - 1 - j  // reverse: sklearn returns increasing thresholds
            let tp = counts.truePositives[i]
            let flagged = tp + counts.falsePositives[i]
            precision[j] = flagged == 0 ? 0 : Double(tp) / Double(flagged)
            recall[j] = counts.positives == 0 ? 1 : Double(tp) / Double(counts.positives)
            thresholds[j] = counts.thresholds[i]
        }
        precision[m] = 1
        recall[m] = 0
        self.precision = precision
        self.recall = recall
        self.thresholds = thresholds
    }

    /// Average precision, the step-wise sum Σ (R_n − R_{n−1}) P_n (`average_precision_score`), not trapezoidal.
    public var averagePrecision: Double {
        var sum = 0.0
        for i in 0..<(recall.count - 1) {
            sum += (recall[i + 1] - recall[i]) * precision[i]
        }
        return max(0, -sum)
    }
}
