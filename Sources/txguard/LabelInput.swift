import ArgumentParser
import Foundation
import TxGuardContracts
import TxGuardPipeline

/// When a label becomes known to the pipeline in a backtest or replay.
enum LabelDelay: ExpressibleByArgument, CustomStringConvertible {
    /// This long after its transaction (µs).
    case after(Int64)
    /// At the label's own `labeled_at` (label.v1 records).
    case labeledAt

    init?(argument: String) {
        if argument == "labeled-at" { self = .labeledAt; return }
        guard let us = parseDurationMicros(argument) else { return nil }
        self = .after(us)
    }

    var description: String {
        switch self {
        case .labeledAt: return "labeled-at"
        case .after(let us): return formatDuration(us)
        }
    }

    static var helpText: String {
        "Reveal each label to the pipeline this long after its transaction (e.g. 1d, 7d, 30d, 12h, 0), or at its labeled_at (labeled-at, label.v1 records). Without it labels are for evaluation only."
    }
}

/// Microseconds of "90s", "30m", "12h", "1d", "0".
func parseDurationMicros(_ s: String) -> Int64? {
    let t = s.trimmingCharacters(in: .whitespaces)
    if t == "0" { return 0 }
    guard let unit = t.last, let n = Double(t.dropLast()), n >= 0, n.isFinite, n <= 3650 * 86400 else { return nil }
    let seconds: Double
    switch unit {
    case "s": seconds = n
    case "m": seconds = n * 60
    case "h": seconds = n * 3600
    case "d": seconds = n * 86400
    default: return nil
    }
    return Int64(seconds * 1_000_000)
}

func formatDuration(_ us: Int64) -> String {
    let s = us / 1_000_000
    if s % 86400 == 0 { return "\(s / 86400)d" }
    if s % 3600 == 0 { return "\(s / 3600)h" }
    if s % 60 == 0 { return "\(s / 60)m" }
    return "\(s)s"
}

/// Labels of a file joined with the transactions they label, for `backtest`/`replay --labels F
/// --label-delay D`: lines are label.v1 records or the evaluation shape {transaction_id, is_fraud}.
struct LabelFileInput {
    var book = LabelBook()
    var added = 0
    var corrected = 0
    var duplicates = 0
    var unmatched = 0
    var rejected: [(line: Int, reason: String)] = []

    /// Loads `path`, resolving each label against `transactions` (by transaction id).
    static func load(_ path: String, delay: LabelDelay, transactions: [Transaction]) throws -> LabelFileInput {
        var byID: [String: Int] = [:]
        byID.reserveCapacity(transactions.count)
        for (i, tx) in transactions.enumerated() { byID[tx.transactionID] = i }
        return try load(path, delay: delay) { id in byID[id].map { transactions[$0] } }
    }

    /// Loads `path` for a replay: labels are joined with their transactions as the replay judges
    /// them (`LabelBook.remember`); label.v1 records with entity keys and event time are used at once.
    static func loadForReplay(_ path: String, delay: LabelDelay) throws -> LabelFileInput {
        let input = try load(path, delay: delay, deferred: true) { _ in nil }
        input.book.joinsTransactions = true
        return input
    }

    /// Loads `path`, resolving each label with `transaction(id)`.
    static func load(_ path: String, delay: LabelDelay, deferred: Bool = false, transaction: (String) -> Transaction?) throws -> LabelFileInput {
        var input = LabelFileInput()
        let reader = try openLines(path)
        let decoder = LabelDecoder()
        let labeledAtKey = Array("\"labeled_at\"".utf8)
        var n = 0
        while let line = reader.next() {
            n += 1
            if line.isEmpty { continue }
            let label: Label
            if line.firstRange(of: labeledAtKey) != nil {
                do { label = try decoder.decode(line, context: SourceContext(topic: path, partition: nil, offset: Int64(n))) } catch {
                    input.rejected.append((n, "\(error)"))
                    continue
                }
            } else {
                guard case .after = delay else {
                    input.rejected.append((n, "--label-delay labeled-at needs label.v1 records with labeled_at"))
                    continue
                }
                guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let id = o["transaction_id"] as? String,
                      let fraud = (o["is_fraud"] as? Bool) ?? (o["label"] as? Bool) else {
                    input.rejected.append((n, "expected a label.v1 record or {\"transaction_id\", \"is_fraud\"}"))
                    continue
                }
                label = Label(transactionID: id, isFraud: fraud, source: .other, labeledAtMicros: 0, fraudType: o["fraud_type"] as? String)
            }
            if deferred {
                switch delay {
                case .after(let d):
                    input.book.addPending(label, delayMicros: d)
                    input.added += 1
                case .labeledAt:
                    switch input.book.resolve(label) {
                    case .inserted, .pending: input.added += 1
                    case .beforeTransaction: input.rejected.append((n, "label made before its transaction"))
                    }
                }
                continue
            }
            let tx = transaction(label.transactionID)
            guard let eventTime = tx?.timestampMicros ?? label.eventTimeMicros else {
                input.unmatched += 1
                continue
            }
            if let tx, label.labeledAtMicros != 0, label.labeledAtMicros < tx.timestampMicros {
                input.rejected.append((n, "label for \(label.transactionID) made at \(Timestamps.rfc3339(micros: label.labeledAtMicros)), before its transaction (\(Timestamps.rfc3339(micros: tx.timestampMicros)))"))
                continue
            }
            let visible: Int64
            var l = label
            switch delay {
            case .after(let d):
                visible = eventTime + d
                if l.labeledAtMicros == 0 { l.labeledAtMicros = visible }
            case .labeledAt:
                visible = label.labeledAtMicros
            }
            switch input.book.insert(ResolvedLabel(l, transaction: tx, visibleAtMicros: visible)) {
            case .added: input.added += 1
            case .corrected: input.corrected += 1
            case .duplicate, .stale: input.duplicates += 1
            }
        }
        return input
    }

    /// One line for the log.
    var summary: String {
        var s = "labels: \(added) used by the pipeline"
        if corrected > 0 { s += ", \(corrected) corrections" }
        if duplicates > 0 { s += ", \(duplicates) duplicates or stale" }
        if unmatched > 0 { s += ", \(unmatched) for transactions not in the input (no event time or entities: not used)" }
        if !rejected.isEmpty {
            s += ", \(rejected.count) rejected (first: line \(rejected[0].line): \(rejected[0].reason))"
        }
        return s
    }
}

/// Label options shared by `backtest` and `replay`.
struct LabelFlags: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(LabelDelay.helpText, valueName: "duration|labeled-at"))
    var labelDelay: LabelDelay?
    @Option(name: .long, help: ArgumentHelp("Weight of the supervised evidence (log-likelihood ratio) added to the ensemble score; 0 keeps the supervised layer out of the score.", valueName: "w"))
    var supervisedWeight: Double = SupervisedSettings().weight
    @Option(name: .long, help: ArgumentHelp("Retrain the supervised layer every this much event time.", valueName: "duration"))
    var retrainEvery: String = "1d"
    @Option(name: .long, help: ArgumentHelp("Count unlabelled events that did not alert as legitimate once this old (e.g. 30d); default: only labelled events train.", valueName: "duration"))
    var presumeLegitimateAfter: String?
    @Option(name: .long, help: ArgumentHelp("Training weight of alerts labelled legitimate (the hard negatives) in the supervised layer.", valueName: "w"))
    var falsePositiveWeight: Double = SupervisedSettings().falsePositiveWeight
    @Flag(inversion: .prefixedNo, help: "False-positive feedback: an alert closed as legitimate lowers the score of the same pattern on the same account for 30 days (bounded).")
    var feedback = true
    @Flag(name: .long, help: "Use a supervised retrain only if trees trained on labels as much older as the labels are late rank the newest labelled events better than the unsupervised score (for labels that arrive weeks late, e.g. chargebacks only).")
    var checkSupervisedModels = false

    /// The same values as `run` takes (`SupervisedOptions`), named as flags in messages.
    var options: SupervisedOptions {
        SupervisedOptions(weight: supervisedWeight, retrainEvery: retrainEvery, falsePositiveWeight: falsePositiveWeight,
                          feedback: feedback, presumeLegitimateAfter: presumeLegitimateAfter, checkModels: checkSupervisedModels)
    }

    func validate() throws {
        _ = try options.settings(naming: SupervisedOptions.flagName)
    }

    func settings() -> SupervisedSettings {
        // Checked by `validate` before any command runs.
        (try? options.settings(naming: SupervisedOptions.flagName)) ?? SupervisedSettings()
    }
}

/// The supervised layer's options as a user gives them (flags of `backtest` and `replay`; flags,
/// environment or configuration keys of `run`), checked and turned into `SupervisedSettings` in one
/// place, so a backtest and the live service read the same values the same way. Nil: the default.
struct SupervisedOptions: Sendable {
    var weight: Double?
    var retrainEvery: String?
    var falsePositiveWeight: Double?
    var feedback: Bool?
    var presumeLegitimateAfter: String?
    var checkModels = false

    /// Names a setting in messages as a flag (`--supervised-weight`).
    static func flagName(_ key: String) -> String { "--" + key.replacingOccurrences(of: "_", with: "-") }

    /// The settings; a `ValidationError` naming the setting (through `name`, given its
    /// configuration key) when a value is out of range.
    func settings(naming name: (String) -> String = { $0 }) throws -> SupervisedSettings {
        var s = SupervisedSettings()
        if let w = weight {
            guard w >= 0, w.isFinite else { throw ValidationError("\(name("supervised_weight")) must be a number >= 0, got \(w)") }
            s.weight = w
        }
        if let w = falsePositiveWeight {
            guard w > 0, w <= 1000 else { throw ValidationError("\(name("false_positive_weight")) must be in (0, 1000], got \(w)") }
            s.falsePositiveWeight = w
        }
        if let r = retrainEvery {
            guard let micros = parseDurationMicros(r), micros >= 60_000_000 else {
                throw ValidationError("\(name("retrain_every")) \(r.debugDescription) must be a duration of at least 1m, e.g. 1d or 12h")
            }
            s.retrainEveryMicros = micros
        }
        if let p = presumeLegitimateAfter {
            guard let d = parseDurationMicros(p), d > 0 else {
                throw ValidationError("\(name("presume_legitimate_after")) \(p.debugDescription) must be a duration, e.g. 45d or 12h")
            }
            s.presumeLegitimateAfterMicros = d
        }
        if feedback == false { s.feedbackMaxCount = 0 }
        s.checksModels = checkModels
        return s
    }

    /// One line for logs and `config check`: the settings in force.
    static func describe(_ s: SupervisedSettings) -> String {
        let w = String(format: "%g", s.weight), fp = String(format: "%g", s.falsePositiveWeight)
        var line = "weight \(w), retrain every \(formatDuration(s.retrainEveryMicros)), false-positive weight \(fp), "
        line += "feedback \(s.feedbackMaxCount > 0 ? "on" : "off"), "
        line += "presume legitimate after " + (s.presumeLegitimateAfterMicros.map(formatDuration) ?? "never")
        if s.checksModels { line += ", models checked" }
        return line
    }

    /// The configuration keys of the options given (not left to their defaults), in a fixed order.
    var givenKeys: [String] {
        [("presume_legitimate_after", presumeLegitimateAfter != nil), ("check_supervised_models", checkModels),
         ("supervised_weight", weight != nil), ("retrain_every", retrainEvery != nil),
         ("false_positive_weight", falsePositiveWeight != nil), ("feedback", feedback != nil)].filter(\.1).map(\.0)
    }
}

/// The label layer's log line after a backtest or replay: retrains, the last training set or why
/// none was trained, the thinning of the training rows, and what false-positive feedback did.
func supervisedSummary(_ scorers: [PartitionScorer], _ recorder: ScoreRecorder) -> String {
    let retrains = scorers.map(\.supervisedRetrains).reduce(0, +)
    var line = "supervised layer: \(retrains) retrains"
    if let last = scorers.compactMap(\.supervisedTraining).last {
        line += ", last on \(last.frauds) frauds and \(last.legitimate) legitimate rows"
    }
    if let refusal = scorers.compactMap(\.supervisedRefusal).last { line += " (last refusal: \(refusal))" }
    let shares: [Double] = scorers.compactMap { $0.supervisedRowsKept?.share }
    if let share = shares.min(), share < 1 {
        line += String(format: "; training rows thinned to %.2g%% of the events that did not alert", 100 * share)
    }
    line += "; false-positive feedback lowered \(recorder.feedbackSuppressed) scores, \(recorder.feedbackSuppressedAlerts) of them "
        + "below the threshold (\(recorder.feedbackSuppressedFrauds) frauds among those)"
    return line
}

