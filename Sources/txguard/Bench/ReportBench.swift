import ArgumentParser
import Foundation
import TxGuardReport

/// `txguard bench report`: how fast a backtest report is built, encoded, rendered and read back
/// from score files, on deterministic synthetic events.
struct ReportBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report throughput: metrics build (with ablation variants), JSON, HTML, score-file reading."
    )

    @Option(help: "Events per run.") var events: Int = 1_000_000
    @Option(help: "Ablation variants besides the ensemble.") var variants: Int = 3
    @Option(help: "Runs (p50/p99 are over runs, per event).") var rounds: Int = 3

    func validate() throws {
        guard events > 0, variants >= 0, rounds > 0 else { throw ValidationError("values must be positive") }
    }

    func run() throws {
        print("txguard bench report: \(events) events, \(variants) variants, \(rounds) rounds")
        let (scored, variantScores) = Self.syntheticEvents(events, variants: variants)
        var build = BenchResult(name: "report build (metrics + \(variants) variants)", operations: 0, seconds: 0)
        var json = BenchResult(name: "report JSON (canonical)", operations: 0, seconds: 0, unit: "reports")
        var html = BenchResult(name: "report HTML render", operations: 0, seconds: 0, unit: "reports")
        var report: BacktestReport?
        for _ in 0..<rounds {
            let t0 = monotonicNanos()
            let r = try BacktestReport.build(events: scored, variants: variantScores)
            let t1 = monotonicNanos()
            _ = try r.jsonData()
            let t2 = monotonicNanos()
            _ = HTMLReport.render(r)
            let t3 = monotonicNanos()
            build.operations += events; build.seconds += Double(t1 - t0) / 1e9
            build.latenciesNanos.append(Double(t1 - t0) / Double(events))
            json.operations += 1; json.seconds += Double(t2 - t1) / 1e9
            html.operations += 1; html.seconds += Double(t3 - t2) / 1e9
            report = r
        }
        print(build.line)
        print(json.line)
        print(html.line)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("txguard-bench-scores-\(getpid()).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        var text = ""
        text.reserveCapacity(events * 160)
        for e in scored {
            text += "{\"transaction_id\":\"\(e.transactionID)\",\"event_time_ms\":\(e.eventTimeMillis),\"score\":\(e.score),\"alert\":\(e.alert),\"threshold\":\(e.threshold),\"detectors\":{\"isolation_forest\":\(e.detectorScores["isolation_forest"] ?? 0)}}\n"
        }
        try Data(text.utf8).write(to: file)
        var read = BenchResult(name: "score file read (JSON lines)", operations: 0, seconds: 0)
        let t0 = monotonicNanos()
        let back = try ScoreFiles.readEvents(scores: file)
        let t1 = monotonicNanos()
        read.operations = back.count; read.seconds = Double(t1 - t0) / 1e9
        print(read.line)
        if let r = report, let k = r.ranking {
            print(String(format: "(sanity: PR-AUC %.4f, ROC-AUC %.4f, %d alerts)", k.averagePrecision, k.rocAUC ?? .nan, r.counts.alerts))
        }
    }

    /// Deterministic events: ~0.5 % fraud, scores from a logistic of a noisy signal.
    static func syntheticEvents(_ n: Int, variants: Int) -> ([ScoredEvent], [String: [Double]]) {
        var state: UInt64 = 0x5EED
        func uniform() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var events: [ScoredEvent] = []
        events.reserveCapacity(n)
        var v = [[Double]](repeating: [], count: variants)
        for i in 0..<n {
            let fraud = uniform() < 0.005
            let signal = uniform() + uniform() + (fraud ? 1.5 * uniform() : 0)
            let score = 1 / (1 + exp(-(3 * signal - 6)))
            let threshold = 0.6 + 0.05 * sin(Double(i) / 5000)
            events.append(ScoredEvent(
                transactionID: "tx\(i)", eventTimeMillis: 1_764_000_000_000 + Int64(i) * 500, score: score, alert: score >= threshold,
                threshold: threshold, label: fraud, fraudType: fraud ? ["card_testing", "account_takeover", "cash_out"][i % 3] : nil,
                lookalike: !fraud && i % 211 == 0 ? "large_legit_purchase" : nil, detectorScores: ["isolation_forest": signal]))
            for j in 0..<variants { v[j].append(signal + Double(j) * uniform()) }
        }
        var named: [String: [Double]] = [:]
        for j in 0..<variants { named["variant \(j)"] = v[j] }
        return (events, named)
    }
}
