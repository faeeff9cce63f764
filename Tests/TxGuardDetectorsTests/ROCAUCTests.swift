import Testing
import TxGuardDetectors

@Suite struct ROCAUCTests {
    @Test func matchesScikitLearnIncludingTies() throws {
        for c in Reference.shared.roc_auc_cases {
            let auc = try #require(rocAUC(scores: c.scores, labels: c.labels.map { $0 == 1 }))
            #expect(abs(auc - c.auc) < 1e-12, "\(auc) vs \(c.auc)")
        }
    }

    @Test func degenerateInputs() {
        #expect(rocAUC(scores: [1, 2], labels: [true, true]) == nil)
        #expect(rocAUC(scores: [1], labels: [true, false]) == nil)
        #expect(rocAUC(scores: [1, 2, 3], labels: [false, false, true]) == 1)
    }
}
