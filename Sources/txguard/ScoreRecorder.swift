import Foundation
import TxGuardContracts
import TxGuardPipeline
import TxGuardReport

/// Collects verdicts of scored events (backtest and replay share it): writes score lines, keeps
/// what the report needs, and derives the per-detector ablation scores.
final class ScoreRecorder {
    private(set) var events: [ScoredEvent] = []
    /// −ln p per detector, aligned with `events` (for "without X" ablations).
    private var logTails: [[Double]] = []
    private var out: FileHandle?
    private var writer = JSONWriter(capacity: 512)
    private var pending: [UInt8] = []
    private let externalLabels: [String: LabelRecord]

    struct LabelRecord { var isFraud: Bool; var fraudType: String?; var lookalike: String? }

    /// Scores lowered by false-positive feedback, those that fell below the threshold because of
    /// it, and how many of those were labelled fraud.
    private(set) var feedbackSuppressed = 0
    private(set) var feedbackSuppressedAlerts = 0
    private(set) var feedbackSuppressedFrauds = 0

    init(scoresPath: String?, labels: [String: LabelRecord]) throws {
        externalLabels = labels
        if let p = scoresPath {
            _ = FileManager.default.createFile(atPath: p, contents: nil)  // failure shows in the next line
            guard let h = FileHandle(forWritingAtPath: p) else { throw PipelineError.input("cannot write \(p)") }
            out = h
        }
    }

    func record(_ v: Verdict) {
        guard let tx = v.transaction else { return }
        var label = tx.label, type = tx.fraudType, look: String?
        if let ext = externalLabels[tx.transactionID] {
            label = ext.isFraud; type = ext.fraudType; look = ext.lookalike
        } else if !tx.unknownFields.isEmpty {
            // A byte scan of the kept fields (per event: no JSON parse).
            look = extractStringField(tx.unknownFields.jsonObject, "lookalike").map { String(decoding: $0, as: UTF8.self) }
        }
        var detectorScores: [String: Double] = [:]
        for d in v.detectors { detectorScores[d.name] = d.score }
        if v.feedbackSuppressions > 0 {
            feedbackSuppressed += 1
            if !v.isAlert {
                feedbackSuppressedAlerts += 1
                if label == true { feedbackSuppressedFrauds += 1 }
            }
        }
        events.append(ScoredEvent(transactionID: tx.transactionID, eventTimeMillis: tx.timestampMillis, score: v.score,
                                  alert: v.isAlert, threshold: v.threshold, label: label, fraudType: type, lookalike: look,
                                  detectorScores: detectorScores))
        logTails.append(v.detectors.map { -log(max($0.probability, 1e-300)) })
        guard out != nil else { return }
        writer.reset()
        writer.beginObject()
        writer.field("transaction_id", tx.transactionID)
        writer.field("event_time_ms", tx.timestampMillis)
        writer.field("score", v.score)
        writer.field("alert", v.isAlert)
        writer.field("threshold", v.threshold)
        if let u = v.unsupervisedScore { writer.field("unsupervised_score", u) }
        if let e = v.supervisedEvidence { writer.field("supervised_evidence", e) }
        if v.feedbackSuppressions > 0 { writer.field("feedback_suppressions", Int64(v.feedbackSuppressions)) }
        writer.key("detectors")
        writer.beginObject()
        for d in v.detectors { writer.field(d.name, d.score) }
        writer.endObject()
        // Each detector's calibrated surprise −ln p (what the ensemble combines).
        writer.key("surprise")
        writer.beginObject()
        for (d, s) in zip(v.detectors, logTails[logTails.count - 1]) { writer.field(d.name, s) }
        writer.endObject()
        writer.endObject()
        pending += writer.bytes
        pending.append(10)
        if pending.count > 1 << 20 { flush() }
    }

    func flush() {
        guard let out, !pending.isEmpty else { return }
        out.write(Data(pending))
        pending.removeAll(keepingCapacity: true)
    }

    func close() {
        flush()
        try? out?.close()
        out = nil
    }

    /// Ensemble scores with one detector left out (equal-weight Fisher sum of the others).
    func leaveOneOutVariants(names: [String]) -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for (k, name) in names.enumerated() {
            out["without \(name)"] = logTails.map { t in t.enumerated().filter { $0.offset != k }.reduce(0) { $0 + $1.element } }
        }
        return out
    }
}

/// Reads `{"transaction_id","is_fraud","fraud_type","lookalike"}` lines.
func readLabels(_ path: String?, lenient: Bool = false) throws -> [String: ScoreRecorder.LabelRecord] {
    guard let path else { return [:] }
    var out: [String: ScoreRecorder.LabelRecord] = [:]
    let reader = try openLines(path)
    var n = 0
    while let line = reader.next() {
        n += 1
        if line.isEmpty { continue }
        guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let id = o["transaction_id"] as? String,
              let fraud = (o["is_fraud"] as? Bool) ?? (o["label"] as? Bool) else {
            if lenient { continue }  // reported by LabelFileInput
            throw PipelineError.input("\(path):\(n): expected {\"transaction_id\", \"is_fraud\", ...}")
        }
        out[id] = .init(isFraud: fraud, fraudType: o["fraud_type"] as? String, lookalike: o["lookalike"] as? String)
    }
    return out
}

/// Prints a short text summary of a report.
func printSummary(_ r: BacktestReport, to say: (String) -> Void) {
    let c = r.counts
    say("events \(c.events), alerts \(c.alerts) (\(String(format: "%.3f%%", 100 * Double(c.alerts) / Double(max(c.events, 1))))), labelled frauds \(c.frauds)")
    if let live = r.live {
        say(String(format: "live threshold: precision %.3f  recall %.3f  F1 %.3f", live.precision, live.recall, live.f1))
    }
    if let rk = r.ranking {
        say(String(format: "PR-AUC %.4f  ROC-AUC %.4f  (fraud prevalence %.4f)", rk.averagePrecision, rk.rocAUC ?? .nan, rk.prevalence))
    }
    for b in r.budgets {
        say(String(format: "alert budget %@: recall %.3f  precision %.3f", b.label, b.metrics.recall, b.metrics.precision))
    }
    let budgetLabels = r.budgets.map(\.label)
    for t in r.fraudTypes {
        let atBudgets = zip(budgetLabels, t.budgetRecall).map { String(format: "%@ %.2f", $0, $1) }.joined(separator: ", ")
        let auc = t.rocAUCVersusLegitimate.map { String(format: "%.3f", $0) } ?? "n/a"
        say("  \(t.type) (\(t.count)): recall at budgets \(atBudgets); ROC-AUC vs legitimate \(auc)")
    }
}
