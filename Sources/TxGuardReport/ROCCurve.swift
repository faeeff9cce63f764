/// The ROC curve with scikit-learn's `roc_curve` semantics (including `drop_intermediate`).
///
/// The first point is (0, 0) at threshold +∞. With no negatives (or no positives) the false
/// (true) positive rates are NaN, as in scikit-learn; `auc` is then `nil`.
public struct ROCCurve: Sendable {
    /// False-positive rate at each threshold.
    public let falsePositiveRate: [Double]
    /// True-positive rate at each threshold.
    public let truePositiveRate: [Double]
    /// +∞ followed by the kept distinct scores, descending.
    public let thresholds: [Double]
    private let definedArea: Bool

    /// Builds the curve; `dropIntermediate` removes collinear points exactly as scikit-learn does.
    public init(_ counts: ThresholdCounts, dropIntermediate: Bool = true) {
        let fps = counts.falsePositives
        let tps = counts.truePositives
        var kept = Array(fps.indices)
        if dropIntermediate && fps.count > 2 {
            kept = fps.indices.filter { i in
                if i == 0 || i == fps.count - 1 { return true }
                // np.diff(x, 2) != 0: a corner in either coordinate.
                let secondF = fps[i + 1] - 2 * fps[i] + fps[i - 1]
                let secondT = tps[i + 1] - 2 * tps[i] + tps[i - 1]
                return secondF != 0 || secondT != 0
            }
        }
        let n = Double(counts.negatives)
        let p = Double(counts.positives)
        falsePositiveRate = [0] + kept.map { counts.negatives > 0 ? Double(fps[$0]) / n : .nan }
        truePositiveRate = [0] + kept.map { counts.positives > 0 ? Double(tps[$0]) / p : .nan }
        thresholds = [.infinity] + kept.map { counts.thresholds[$0] }
        definedArea = counts.negatives > 0 && counts.positives > 0
    }

    /// Area under the curve by the trapezoidal rule (`roc_auc_score`); `nil` when only one class is present.
    public var auc: Double? {
        guard definedArea else { return nil }
        var sum = 0.0
        for i in 0..<(falsePositiveRate.count - 1) {
            let dx = falsePositiveRate[i + 1] - falsePositiveRate[i]
            sum += dx * (truePositiveRate[i + 1] + truePositiveRate[i]) / 2
        }
        return sum
    }
}
