import ArgumentParser
import Foundation
import TxGuardContracts
import TxGuardDetectors
import TxGuardPipeline
import TxGuardReport

/// `txguard calibrate`: fits the ensemble weights and the alert rate to labelled validation data.
struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Choose ensemble weights and the alert rate on labelled validation data for a stated objective; write them into the model.",
        discussion: """
        The validation file is scored in order with the model (as a backtest would). Every weighting of the \
        three detectors on a small grid ({0, 0.5, 1, 2} each, Fisher combination) is evaluated for the objective:
          --objective recall --budget B   maximum recall with at most a fraction B of events alerted
          --objective f1                  best F1
        The threshold's alert rate is then set to B (recall) or to the best-F1 alert rate, and its starting \
        sample is recomputed from the legitimate validation events. Use data the model was not trained on. \
        Before/after figures are printed; the new model gets a new model_version.
        """
    )

    enum Objective: String, ExpressibleByArgument { case recall, f1 }

    @Option(name: .long, help: "Model file to calibrate.") var model: String
    @Option(name: .long, help: "Labelled validation transactions (.jsonl or .jsonl.gz).") var input: String
    @Option(name: .long, help: "Labels file, if the events carry no is_fraud field.") var labels: String?
    @Option(name: .long, help: "Objective: recall (at --budget) or f1.") var objective: Objective = .recall
    @Option(name: .long, help: "Alert budget for --objective recall (fraction of events).") var budget: Double = 0.005
    @Option(name: .long, help: "Where to write the calibrated model (default: overwrite --model).") var output: String?
    @Option(name: .long, help: "Directory of the MiniLM files, if the model uses them.") var modelDir: String?

    func validate() throws {
        guard budget > 0 && budget < 0.5 else { throw ValidationError("--budget must be in (0, 0.5)") }
    }

    func run() async throws {
        var m = try ModelFile.read(path: model)
        let file = try TransactionFileReader.read(input, decoder: try JSONTransactionDecoder())
        let external = try readLabels(labels)
        let runtime = try ScoringRuntime.load(model: m, modelDirectory: modelDir)
        let scorer = try PartitionScorer(runtime: runtime)
        var tails: [[Double]] = [], truth: [Bool] = [], liveBefore: [Bool] = []
        let labelled = file.decoded.filter { (external[$0.transactionID]?.isFraud ?? $0.label) != nil }
        for chunk in stride(from: 0, to: labelled.count, by: 1024) {
            let txs = labelled[chunk..<min(chunk + 1024, labelled.count)]
            for (tx, v) in zip(txs, scorer.judge(txs, emit: false, source: { _ in .unknown })) {
                tails.append(v.detectors.map { -log(max($0.probability, 1e-300)) })
                truth.append(external[tx.transactionID]?.isFraud ?? tx.label ?? false)
                liveBefore.append(v.isAlert)
            }
        }
        guard truth.contains(true), truth.contains(false) else {
            throw ValidationError("the validation data needs labelled frauds and legitimate events (got \(truth.filter { $0 }.count) frauds of \(truth.count) labelled)")
        }
        let alertBudget = try AlertBudget(budget)
        func objectiveValue(_ w: [Double]) throws -> (Double, ThresholdChoice?) {
            let scores = tails.map { zip($0, w).reduce(0) { $0 + $1.0 * $1.1 } }
            let counts = try ThresholdCounts(scores: scores, labels: truth)
            switch objective {
            case .recall:
                let c = ThresholdSelection.maxRecall(within: alertBudget, counts)
                return (c?.counts.recall ?? 0, c)
            case .f1:
                let c = ThresholdSelection.bestF1(counts)
                return (c?.counts.f1 ?? 0, c)
            }
        }
        let before = m.scoring.combiner.weights
        let rateBefore = m.threshold.alertRate
        let (beforeValue, _) = try objectiveValue(before)
        let grid = [0.0, 0.5, 1, 2]
        var best = (weights: before, value: beforeValue, choice: try objectiveValue(before).1)
        for a in grid { for b in grid { for c in grid where a + b + c > 0 {
            let w = [a, b, c]
            let (v, choice) = try objectiveValue(w)
            // Prefer a strictly better objective; on ties keep the weights closest to equal.
            let closer = zip(w, [1.0, 1, 1]).reduce(0) { $0 + abs($1.0 - $1.1) } < zip(best.weights, [1.0, 1, 1]).reduce(0) { $0 + abs($1.0 - $1.1) }
            if v > best.value + 1e-12 || (abs(v - best.value) <= 1e-12 && closer) { best = (w, v, choice) }
        } } }
        m.scoring.combiner = try EnsembleCombiner(method: .fisher, weights: best.weights)
        let newScores = tails.map { zip($0, best.weights).reduce(0) { $0 + $1.0 * $1.1 } }
        let rate: Double
        switch objective {
        case .recall: rate = budget
        case .f1:
            let th = best.choice?.threshold ?? .infinity
            rate = min(0.2, max(1e-4, Double(newScores.filter { $0 >= th }.count) / Double(newScores.count)))
        }
        let legit = zip(newScores, truth).filter { !$0.1 }.map(\.0)
        m.threshold = ThresholdSettings(method: m.threshold.method, alertRate: rate, calibrationScores: stride(from: 0, to: legit.count, by: max(1, legit.count / 50_000)).map { legit[$0] })
        m.modelVersion = m.modelVersion.split(separator: "+").first.map(String.init)! + "+cal" + String(format: "%04x", Int(best.value * 10_000) & 0xffff)

        // After: the calibrated model, live threshold included, on the same data.
        let after = try PartitionScorer(runtime: try ScoringRuntime.load(model: m, modelDirectory: modelDir))
        let liveAfter = after.judge(labelled[...], emit: false, source: { _ in .unknown }).map(\.isAlert)
        let cb = try ConfusionCounts(decisions: liveBefore, labels: truth), ca = try ConfusionCounts(decisions: liveAfter, labels: truth)
        let name = objective == .recall ? String(format: "recall at a %.2f%% budget", 100 * budget) : "best F1"
        log("validation: \(truth.count) labelled events, \(truth.filter { $0 }.count) frauds")
        log(String(format: "%@: %.3f -> %.3f   weights (IF/SVM/Z) %@ -> %@", name, beforeValue, best.value,
                   before.map { String(format: "%.1f", $0) }.joined(separator: "/"), best.weights.map { String(format: "%.1f", $0) }.joined(separator: "/")))
        log(String(format: "live threshold before: precision %.3f recall %.3f alerts %d (alert rate %.4f)", cb.precision, cb.recall, cb.truePositives + cb.falsePositives, rateBefore))
        log(String(format: "live threshold after:  precision %.3f recall %.3f alerts %d (alert rate %.4f)", ca.precision, ca.recall, ca.truePositives + ca.falsePositives, rate))
        log("the same data chose and measured these figures: confirm on held-out data (txguard backtest --model)")
        try ModelFile.write(m, to: output ?? model)
        log("wrote \(output ?? model) (model \(m.modelVersion))")
    }
}
