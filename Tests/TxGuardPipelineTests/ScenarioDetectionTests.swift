import Foundation
import Testing
import TxGuardContracts
import TxGuardPipeline
import TxGuardSimulator

/// Issue 7: every labelled scenario of the simulator is detected above chance by the default model.
@Suite struct ScenarioDetectionTests {
    /// P(X ≥ x) for X ~ Binomial(n, p), summed term by term.
    static func binomialUpperTail(_ x: Int, _ n: Int, _ p: Double) -> Double {
        guard x > 0 else { return 1 }
        var total = 0.0
        for k in x...max(x, n) where k <= n {
            let logC = lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
            total += exp(logC + Double(k) * log(p) + Double(n - k) * log1p(-p))
        }
        return min(1, total)
    }

    @Test func binomialTailMatchesClosedForm() {
        // P(X ≥ 1) = 1 − (1 − p)ⁿ; P(X ≥ n) = pⁿ.
        #expect(abs(Self.binomialUpperTail(1, 16, 0.01) - (1 - pow(0.99, 16))) < 1e-12)
        #expect(abs(Self.binomialUpperTail(3, 3, 0.01) - 1e-6) < 1e-18)
        #expect(Self.binomialUpperTail(0, 5, 0.3) == 1)
    }

    /// 3000 accounts × 20 days (~134k events, the README's example data set), the default model
    /// (Fisher ensemble, default features) without text (`--text none`: no model files needed),
    /// trained on the first half; the second half is ranked by score and the top 1% alerted. Chance
    /// (a random 1% of events) catches Binomial(n, 0.01) of a scenario's n events: each scenario's
    /// recall must exceed 1% and be that unlikely under chance with p < 0.001.
    @Test func everyScenarioIsDetectedAboveChanceAtAOnePercentBudget() throws {
        var cfg = SimulatorConfig()
        cfg.accounts = 3000
        cfg.days = 20
        cfg.seed = 42
        let decoder = try JSONTransactionDecoder()
        var txs: [Transaction] = [], kinds: [String?] = [], lookalike: [Bool] = []
        for sim in try TransactionSimulator(config: cfg) {
            let line = sim.jsonLine(includeLabels: false)
            txs.append(try line.withUnsafeBytes { try decoder.decode(UnsafeRawBufferPointer(rebasing: $0.dropLast()), context: .unknown) })
            kinds.append(sim.fraudType?.rawValue)
            lookalike.append(sim.lookalike != nil)
        }
        let split = txs.count / 2
        var options = TrainingOptions()
        options.text = TextSettings(embedder: .none)
        let (_, scorer) = try ModelTrainer.train(Array(txs[..<split]), source: "scenario test", options: options)
        var scores: [Double] = []
        for tx in txs[split...] { scores.append(scorer.judge(tx, source: .unknown, emit: false).score) }

        let n = scores.count, budget = Int(0.01 * Double(n))
        let top = Set(scores.indices.sorted { scores[$0] > scores[$1] }.prefix(budget))
        var perType: [String: (events: Int, caught: Int)] = [:]
        var lookalikes = 0, lookalikeAlerts = 0
        for i in 0..<n {
            if lookalike[split + i] { lookalikes += 1; if top.contains(i) { lookalikeAlerts += 1 } }
            guard let kind = kinds[split + i] else { continue }
            perType[kind, default: (0, 0)].events += 1
            if top.contains(i) { perType[kind, default: (0, 0)].caught += 1 }
        }
        print(String(format: "look-alikes: %d events, %.3f alerted at the 1%% budget", lookalikes, Double(lookalikeAlerts) / Double(max(lookalikes, 1))))
        #expect(Set(perType.keys) == Set(FraudType.allCases.map(\.rawValue)), "every scenario present in the scored half")
        for (kind, c) in perType.sorted(by: { $0.key < $1.key }) {
            let recall = Double(c.caught) / Double(c.events)
            let p = Self.binomialUpperTail(c.caught, c.events, 0.01)
            print(String(format: "%@: %d events, recall@1%% %.3f, chance p %.2g", kind, c.events, recall, p))
            #expect(recall > 0.01 && p < 0.001, "\(kind): recall \(recall) over \(c.events) events (chance p \(p))")
        }
    }
}
