/// The four cells of a binary confusion matrix and the metrics derived from them.
///
/// Undefined ratios are 0, like scikit-learn's `precision_recall_fscore_support(zero_division=0)`.
public struct ConfusionCounts: Sendable, Hashable, Codable {
    /// Fraud events that were flagged.
    public var truePositives: Int
    /// Legitimate events that were flagged.
    public var falsePositives: Int
    /// Fraud events that were not flagged.
    public var falseNegatives: Int
    /// Legitimate events that were not flagged.
    public var trueNegatives: Int

    /// Creates counts directly.
    public init(truePositives: Int, falsePositives: Int, falseNegatives: Int, trueNegatives: Int) {
        self.truePositives = truePositives
        self.falsePositives = falsePositives
        self.falseNegatives = falseNegatives
        self.trueNegatives = trueNegatives
    }

    /// Counts a boolean decision against labels; throws if the lengths differ.
    public init(decisions: [Bool], labels: [Bool]) throws {
        guard decisions.count == labels.count else {
            throw ReportError.lengthMismatch(what: "labels", expected: decisions.count, actual: labels.count)
        }
        var tp = 0, fp = 0, fn = 0, tn = 0
        for (d, y) in zip(decisions, labels) {
            switch (d, y) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, true): fn += 1
            case (false, false): tn += 1
            }
        }
        self.init(truePositives: tp, falsePositives: fp, falseNegatives: fn, trueNegatives: tn)
    }

    /// Flagged events.
    public var flagged: Int { truePositives + falsePositives }
    /// All events.
    public var total: Int { truePositives + falsePositives + falseNegatives + trueNegatives }
    /// tp / (tp + fp), 0 when nothing is flagged.
    public var precision: Double { flagged == 0 ? 0 : Double(truePositives) / Double(flagged) }
    /// tp / (tp + fn), 0 when there are no positives.
    public var recall: Double {
        let p = truePositives + falseNegatives
        return p == 0 ? 0 : Double(truePositives) / Double(p)
    }
    /// 2tp / (2tp + fp + fn), 0 when undefined (scikit-learn's formula since 1.3).
    public var f1: Double {
        let d = 2 * truePositives + falsePositives + falseNegatives
        return d == 0 ? 0 : Double(2 * truePositives) / Double(d)
    }
    /// flagged / total, 0 when there are no events.
    public var flaggedRate: Double { total == 0 ? 0 : Double(flagged) / Double(total) }
}
