import Foundation
import Testing
@testable import TxGuardReport

/// Every metric against scikit-learn's values on committed fixtures, within 1e-12.
@Suite struct MetricsTests {
    static let fixtures: [MetricFixtures.Case] = (try? MetricFixtures.load().cases) ?? []

    @Test func fixturesLoaded() throws {
        let f = try MetricFixtures.load()
        #expect(f.cases.count == 6)
        #expect(Set(f.cases.map(\.name)) == ["random", "heavy_ties", "all_same_score", "single_positive", "imbalanced_1_to_1000", "integer_scores"])
    }

    @Test(arguments: fixtures) func rocAUCAndAveragePrecision(_ c: MetricFixtures.Case) throws {
        let counts = try ThresholdCounts(scores: c.scores, labels: c.labels)
        let auc = try #require(ROCCurve(counts).auc)
        #expect(abs(auc - c.roc_auc) <= 1e-12, "\(c.name): roc_auc \(auc) vs \(c.roc_auc)")
        let ap = PrecisionRecallCurve(counts).averagePrecision
        #expect(abs(ap - c.average_precision) <= 1e-12, "\(c.name): AP \(ap) vs \(c.average_precision)")
    }

    @Test(arguments: fixtures) func precisionRecallCurve(_ c: MetricFixtures.Case) throws {
        let curve = PrecisionRecallCurve(try ThresholdCounts(scores: c.scores, labels: c.labels))
        #expect(allClose(curve.precision, c.pr_precision), "\(c.name) precision")
        #expect(allClose(curve.recall, c.pr_recall), "\(c.name) recall")
        #expect(curve.thresholds == c.pr_thresholds, "\(c.name) thresholds")
    }

    @Test(arguments: fixtures) func rocCurve(_ c: MetricFixtures.Case) throws {
        let curve = ROCCurve(try ThresholdCounts(scores: c.scores, labels: c.labels))
        #expect(allClose(curve.falsePositiveRate, c.roc_fpr), "\(c.name) fpr")
        #expect(allClose(curve.truePositiveRate, c.roc_tpr), "\(c.name) tpr")
        #expect(curve.thresholds.first == .infinity)
        #expect(Array(curve.thresholds.dropFirst()) == c.roc_thresholds_after_inf, "\(c.name) thresholds")
    }

    @Test(arguments: fixtures) func decisionMetrics(_ c: MetricFixtures.Case) throws {
        let m = try ConfusionCounts(decisions: c.decision, labels: c.labels)
        #expect(abs(m.precision - c.decision_metrics.precision) <= 1e-12, "\(c.name)")
        #expect(abs(m.recall - c.decision_metrics.recall) <= 1e-12, "\(c.name)")
        #expect(abs(m.f1 - c.decision_metrics.f1) <= 1e-12, "\(c.name)")
    }

    @Test(arguments: fixtures) func budgets(_ c: MetricFixtures.Case) throws {
        let counts = try ThresholdCounts(scores: c.scores, labels: c.labels)
        for ref in c.budgets {
            let outcome = try #require(BudgetOutcome(budget: AlertBudget(ref.budget), counts: counts))
            #expect(outcome.k == ref.k, "\(c.name) @\(ref.budget)")
            #expect(outcome.threshold == ref.threshold, "\(c.name) @\(ref.budget)")
            #expect(outcome.counts.flagged == ref.alerts, "\(c.name) @\(ref.budget)")
            #expect(abs(outcome.counts.precision - ref.precision) <= 1e-12, "\(c.name) @\(ref.budget)")
            #expect(abs(outcome.counts.recall - ref.recall) <= 1e-12, "\(c.name) @\(ref.budget)")
            #expect(abs(outcome.counts.f1 - ref.f1) <= 1e-12, "\(c.name) @\(ref.budget)")
        }
    }

    @Test(arguments: fixtures) func thresholdSelection(_ c: MetricFixtures.Case) throws {
        let counts = try ThresholdCounts(scores: c.scores, labels: c.labels)
        let best = try #require(ThresholdSelection.bestF1(counts))
        #expect(best.threshold == c.best_f1.threshold, "\(c.name)")
        #expect(abs(best.counts.f1 - c.best_f1.f1) <= 1e-12, "\(c.name)")
        for ref in c.max_recall_at_budget {
            let choice = ThresholdSelection.maxRecall(within: try AlertBudget(ref.budget), counts)
            #expect(choice?.threshold == ref.choice?.threshold, "\(c.name) @\(ref.budget)")
            #expect(choice?.counts.flagged == ref.choice?.alerts, "\(c.name) @\(ref.budget)")
            if let choice, let r = ref.choice {
                #expect(abs(choice.counts.recall - r.recall) <= 1e-12)
                #expect(abs(choice.counts.precision - r.precision) <= 1e-12)
            }
        }
    }

    @Test func budgetCountUsesCeilWithoutFloatCreep() throws {
        #expect(try AlertBudget(0.07).alertCount(of: 100) == 7)  // 0.07*100 = 7.000000000000001
        #expect(try AlertBudget(0.07).label == "7%")
        #expect(try AlertBudget(0.001).label == "0.1%")
        #expect(AlertBudget.standard.map(\.label) == ["0.1%", "0.5%", "1%"])
        #expect(try AlertBudget(0.001).alertCount(of: 1500) == 2)  // ceil(1.5)
        #expect(try AlertBudget(0.001).alertCount(of: 10) == 1)  // at least one
        #expect(throws: ReportError.invalidBudget(0)) { try AlertBudget(0) }
        #expect(throws: ReportError.invalidBudget(1.5)) { try AlertBudget(1.5) }
    }

    @Test func rejectsNonFiniteScoresAndLengthMismatch() {
        #expect(throws: ReportError.nonFiniteScore(what: "scores", index: 1)) {
            try ThresholdCounts(scores: [0.1, .nan], labels: [true, false])
        }
        #expect(throws: ReportError.lengthMismatch(what: "labels", expected: 2, actual: 1)) {
            try ThresholdCounts(scores: [0.1, 0.2], labels: [true])
        }
    }

    @Test func rocAUCUndefinedWithOneClass() throws {
        #expect(ROCCurve(try ThresholdCounts(scores: [0.1, 0.2], labels: [false, false])).auc == nil)
    }
}

extension MetricFixtures.Case: CustomTestStringConvertible {
    var testDescription: String { name }
}
