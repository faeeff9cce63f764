import ArgumentParser
import Foundation
import TxGuardReport

/// `txguard report`: metrics, a byte-stable JSON report and a self-contained HTML report from a
/// score file (one line per decided transaction) and optional ground-truth labels.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write backtest metrics as JSON and a self-contained HTML report from score (and label) JSON lines."
    )

    @Option(name: .long, help: "Score lines: {\"transaction_id\",\"event_time_ms\",\"score\",\"alert\",\"threshold\",\"detectors\":{…}}.")
    var scores: String
    @Option(name: .long, help: "Label lines: {\"transaction_id\",\"is_fraud\",\"fraud_type\",\"lookalike\"}.")
    var labels: String?
    @Option(name: .long, help: "Write the JSON report here.") var json: String?
    @Option(name: .long, help: "Write the HTML report here.") var html: String?
    @Option(name: .long, help: "Ablation variant NAME=SCORES.jsonl (another run's score file); repeatable.")
    var variant: [String] = []
    @Flag(inversion: .prefixedNo, help: "Add one \"<detector> only\" ablation row per detector score in the score lines.")
    var detectorVariants = true
    @Option(name: .long, help: "Alert budgets as fractions, comma-separated.") var budgets = "0.001,0.005,0.01"
    @Option(name: .long, help: "Timeline buckets.") var buckets = 48
    @Option(name: .long, help: "Histogram bins.") var bins = 40
    @Flag(name: .long, help: "Linear instead of log count axis in the histograms.") var linearHistogram = false
    @Option(name: .long, help: "Page title.") var title = "txguard backtest"
    @Option(name: .long, help: "Measured throughput of the run (events/s), shown in the report.") var eventsPerSecond: Double?
    @Option(name: .long, help: "Measured wall time of the run (s), shown in the report.") var wallSeconds: Double?

    func validate() throws {
        if json == nil && html == nil { throw ValidationError("give --json and/or --html") }
    }

    func run() throws {
        let events = try ScoreFiles.readEvents(scores: URL(fileURLWithPath: scores), labels: labels.map { URL(fileURLWithPath: $0) })
        var variants = detectorVariants ? ScoreFiles.detectorVariants(events) : [:]
        for spec in variant {
            guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex else { throw ValidationError("--variant wants NAME=PATH, got \(spec)") }
            let name = String(spec[..<eq])
            variants[name] = try ScoreFiles.readVariant(URL(fileURLWithPath: String(spec[spec.index(after: eq)...])), alignedWith: events)
        }
        var options = ReportOptions()
        options.budgets = try budgets.split(separator: ",").map { piece in
            guard let v = Double(piece.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("bad budget \(piece)") }
            return try AlertBudget(v)
        }
        options.timelineBuckets = buckets
        options.histogramBins = bins
        options.histogramLogScale = !linearHistogram
        options.title = title
        var runInfo: RunInfo?
        if let eps = eventsPerSecond { runInfo = RunInfo(eventsPerSecond: eps, wallSeconds: wallSeconds ?? Double(events.count) / max(eps, 1e-12)) }
        let report = try BacktestReport.build(events: events, variants: variants, run: runInfo, options: options)
        if let json { try report.jsonData().write(to: URL(fileURLWithPath: json)) }
        if let html { try Data(HTMLReport.render(report).utf8).write(to: URL(fileURLWithPath: html)) }
        print(summary(report))
    }

    private func summary(_ r: BacktestReport) -> String {
        var lines = ["events \(r.counts.events)  labelled \(r.counts.labeled)  frauds \(r.counts.frauds)  alerts \(r.counts.alerts) (\(String(format: "%.4f%%", r.alertRate * 100)))"]
        if let live = r.live {
            lines.append(String(format: "live      precision %.4f  recall %.4f  F1 %.4f", live.precision, live.recall, live.f1))
        }
        if let k = r.ranking {
            let auc = k.rocAUC.map { String(format: "%.4f", $0) } ?? "n/a"
            lines.append(String(format: "ranking   PR-AUC %.4f  ROC-AUC ", k.averagePrecision) + auc)
        }
        for b in r.budgets {
            lines.append("top " + b.label.padding(toLength: 6, withPad: " ", startingAt: 0)
                + String(format: " threshold %.6g  precision %.4f  recall %.4f", b.threshold, b.metrics.precision, b.metrics.recall))
        }
        return lines.joined(separator: "\n")
    }
}
