/// Cumulative true- and false-positive counts at every distinct score, highest score first.
///
/// This is scikit-learn's `_binary_clf_curve` (unweighted): the decision at threshold `t` is
/// `score >= t`, so tied scores always fall on the same side of a threshold. Every curve and
/// threshold-selection routine in this module is derived from it.
public struct ThresholdCounts: Sendable, Equatable {
    /// Distinct scores in descending order.
    public let thresholds: [Double]
    /// Number of positives with `score >= thresholds[i]`.
    public let truePositives: [Int]
    /// Number of negatives with `score >= thresholds[i]`.
    public let falsePositives: [Int]
    /// Total positives (labels that are `true`).
    public let positives: Int
    /// Total negatives.
    public let negatives: Int

    /// Counts from parallel arrays of scores and labels; throws on a length mismatch or a non-finite score.
    public init(scores: [Double], labels: [Bool]) throws {
        guard scores.count == labels.count else {
            throw ReportError.lengthMismatch(what: "labels", expected: scores.count, actual: labels.count)
        }
        if let bad = scores.firstIndex(where: { !$0.isFinite }) {
            throw ReportError.nonFiniteScore(what: "scores", index: bad)
        }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var thresholds: [Double] = []
        var tps: [Int] = []
        var fps: [Int] = []
        var tp = 0
        var fp = 0
        for (rank, i) in order.enumerated() {
            if labels[i] { tp += 1 } else { fp += 1 }
            // Close a group at the last index of each run of equal scores.
            let isLastOfGroup = rank == order.count - 1 || scores[order[rank + 1]] != scores[i]
            if isLastOfGroup {
                thresholds.append(scores[i])
                tps.append(tp)
                fps.append(fp)
            }
        }
        self.thresholds = thresholds
        self.truePositives = tps
        self.falsePositives = fps
        self.positives = tp
        self.negatives = fp
    }

    /// Number of scored events.
    public var count: Int { positives + negatives }

    /// Confusion counts when flagging `score >= thresholds[index]`.
    public func confusion(at index: Int) -> ConfusionCounts {
        let tp = truePositives[index]
        let fp = falsePositives[index]
        return ConfusionCounts(truePositives: tp, falsePositives: fp,
                               falseNegatives: positives - tp, trueNegatives: negatives - fp)
    }
}
