/// A threshold picked from scored, labelled events, with what it achieves on them.
public struct ThresholdChoice: Sendable, Hashable, Codable {
    /// Flag events with `score >= threshold`.
    public var threshold: Double
    /// Confusion counts of that decision on the events it was chosen from.
    public var counts: ConfusionCounts
}

/// Threshold selection used by `txguard calibrate`: best F1 and maximum recall within an alert budget.
public enum ThresholdSelection {
    /// The distinct score maximising F1 for `score >= t`; ties go to the higher threshold (fewer alerts). `nil` without events.
    public static func bestF1(_ counts: ThresholdCounts) -> ThresholdChoice? {
        var best: (index: Int, f1: Double)?
        for i in counts.thresholds.indices {
            let f1 = counts.confusion(at: i).f1
            if let current = best, f1 <= current.f1 { continue }
            best = (i, f1)
        }
        return best.map { ThresholdChoice(threshold: counts.thresholds[$0.index], counts: counts.confusion(at: $0.index)) }
    }

    /// The lowest distinct score whose flagged count stays within `ceil(budget·n)`, which maximises
    /// recall under the budget. Ties are never split, so `nil` when even the top-scored group of tied
    /// events exceeds the budget (or there are no events).
    public static func maxRecall(within budget: AlertBudget, _ counts: ThresholdCounts) -> ThresholdChoice? {
        let k = budget.alertCount(of: counts.count)
        var chosen: Int?
        for i in counts.thresholds.indices {
            guard counts.truePositives[i] + counts.falsePositives[i] <= k else { break }
            chosen = i
        }
        return chosen.map { ThresholdChoice(threshold: counts.thresholds[$0], counts: counts.confusion(at: $0)) }
    }
}
