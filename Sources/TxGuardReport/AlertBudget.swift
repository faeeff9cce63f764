import Foundation

/// An alert budget: the share of events an analyst team can review (e.g. 0.001 = top 0.1 %).
///
/// Evaluation at a budget flags the top `k = ceil(budget·n)` events by score, i.e. every event
/// with `score >= s_k` where `s_k` is the k-th highest score. Ties at `s_k` are all flagged, so
/// the flagged count can exceed `k` when scores are tied; the actual count is always reported.
/// (A tie-breaking rule would make the result depend on event order, which a backtest must not.)
public struct AlertBudget: Sendable, Hashable, Codable, Comparable {
    /// Fraction of events in (0, 1].
    public let fraction: Double

    /// A budget; throws unless `0 < fraction <= 1`.
    public init(_ fraction: Double) throws {
        guard fraction > 0, fraction <= 1 else { throw ReportError.invalidBudget(fraction) }
        self.fraction = fraction
    }

    /// The budgets the report uses by default: top 0.1 %, 0.5 % and 1 %.
    public static let standard: [AlertBudget] = [
        AlertBudget(unchecked: 0.001), AlertBudget(unchecked: 0.005), AlertBudget(unchecked: 0.01),
    ]

    private init(unchecked fraction: Double) { self.fraction = fraction }

    /// `k = ceil(fraction·n)` clamped to 1…n; a 1e-9 slack keeps float error (0.07·100 = 7.000000000000001) from adding an alert.
    public func alertCount(of n: Int) -> Int {
        guard n > 0 else { return 0 }
        let k = Int((fraction * Double(n) - 1e-9).rounded(.up))
        return min(n, max(1, k))
    }

    /// A short label such as "0.1%" (up to six significant digits, so 0.07 is "7%", not "7.000000000000001%").
    public var label: String { String(format: "%g%%", fraction * 100) }

    public static func < (a: AlertBudget, b: AlertBudget) -> Bool { a.fraction < b.fraction }
}

/// The outcome of flagging at a budget: the threshold used and the resulting confusion counts.
public struct BudgetOutcome: Sendable, Hashable, Codable {
    /// The budget fraction.
    public var budget: Double
    /// Target number of alerts, `ceil(budget·n)`.
    public var k: Int
    /// The k-th highest score; events with `score >= threshold` are flagged.
    public var threshold: Double
    /// Confusion counts of that decision (flagged may exceed k on ties).
    public var counts: ConfusionCounts

    /// Evaluates flagging the top `budget` of `counts`' events; `nil` when there are no events.
    public init?(budget: AlertBudget, counts: ThresholdCounts) {
        let n = counts.count
        guard n > 0 else { return nil }
        let k = budget.alertCount(of: n)
        // First distinct score whose cumulative count reaches k holds the k-th highest score.
        var index = counts.thresholds.count - 1
        for i in counts.thresholds.indices where counts.truePositives[i] + counts.falsePositives[i] >= k {
            index = i
            break
        }
        self.budget = budget.fraction
        self.k = k
        self.threshold = counts.thresholds[index]
        self.counts = counts.confusion(at: index)
    }
}
