import ArgumentParser
import Foundation
import TxGuardContracts
import TxGuardDetectors
import TxGuardKafka
import TxGuardPipeline
import TxGuardReport

/// `txguard backtest`: streams a file through the same pipeline as `run` and reports.
struct BacktestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backtest",
        abstract: "Score a file of transactions with the live pipeline and report detection quality.",
        discussion: """
        Events are processed in file order exactly as `run` would process one partition: per-account \
        state, online statistics and the adaptive threshold update as they go. With --train-fraction F \
        the first F of the events train the model and warm the state; the rest are scored. Labels come \
        from --labels or from is_fraud/label fields in the events; the detectors never see them.
        Outputs: --scores (one JSON line per scored event), --report (JSON), --html (a self-contained page \
        with PR curve, score histograms, alert rate and threshold over time, recall per fraud type, ablation).
        """
    )

    @Option(name: .long, help: "Transactions, JSON lines (.jsonl or .jsonl.gz), in event order.") var input: String
    @Option(name: .long, help: "Labels, JSON lines {transaction_id, is_fraud, fraud_type, lookalike}.") var labels: String?
    @Option(name: .long, help: "Score with this model file.") var model: String?
    @Option(name: .long, help: "Train on this leading fraction of the events instead of loading a model.") var trainFraction: Double?
    @Option(name: .long, help: "Write one JSON line per scored event here.") var scores: String?
    @Option(name: .long, help: "Write the JSON report here.") var report: String?
    @Option(name: .long, help: "Write the HTML report here.") var html: String?
    @Option(name: .long, help: "Also write the trained model here (with --train-fraction).") var saveModel: String?
    @Option(name: .long, help: ArgumentHelp("Score as this many partitions, events split by account_id as librdkafka's default partitioner splits a topic (with --model): per-partition state and thresholds then match a `run` or `replay` of such a topic.", valueName: "n"))
    var partitions: Int = 1
    @Flag(name: .long, inversion: .prefixedNo, help: "Ablation: detectors alone and left out, and (with --train-fraction) the model without text.")
    var ablation = true
    @OptionGroup var training: TrainingFlags
    @OptionGroup var labelFlags: LabelFlags

    func validate() throws {
        guard (model == nil) != (trainFraction == nil) else { throw ValidationError("give exactly one of --model or --train-fraction") }
        if let f = trainFraction, !(f > 0 && f < 1) { throw ValidationError("--train-fraction must be in (0, 1), got \(f)") }
        if saveModel != nil && trainFraction == nil { throw ValidationError("--save-model needs --train-fraction") }
        if partitions < 1 { throw ValidationError("--partitions must be at least 1, got \(partitions)") }
        if partitions > 1 && model == nil { throw ValidationError("--partitions needs --model (training warms one partition's state)") }
    }

    func run() async throws {
        let decoder = try training.decoder()
        let file = try TransactionFileReader.read(input, decoder: decoder)
        file.summary.forEach { log($0) }
        try file.requireValid(input)
        let labelMap = try readLabels(labels, lenient: labelFlags.labelDelay != nil)
        var options = training.options()
        if let delay = labelFlags.labelDelay {
            guard let labels else { throw ValidationError("--label-delay needs --labels") }
            let input = try LabelFileInput.load(labels, delay: delay, transactions: file.decoded)
            log(input.summary + " (revealed \(delay) after their transactions)")
            options.labels = input.book
            options.supervised = labelFlags.settings()
        }
        let result = try Backtest.run(transactions: file.decoded, source: input, deadLetters: file.deadLetters.count,
                                      modelPath: model, trainFraction: trainFraction, options: options,
                                      scoresPath: scores, labels: labelMap, ablation: ablation, partitions: partitions)
        if let saveModel, let m = result.trainedModel { try ModelFile.write(m, to: saveModel) }
        try writeReports(result.report, json: report, html: html)
        printSummary(result.report) { log($0) }
    }
}

func writeReports(_ r: BacktestReport, json: String?, html: String?) throws {
    if let json { try r.jsonData().write(to: URL(fileURLWithPath: json)); log("report: \(json)") }
    if let html { try HTMLReport.render(r).write(toFile: html, atomically: true, encoding: .utf8); log("HTML report: \(html)") }
}

/// The backtest itself, shared by `backtest` and `demo`.
enum Backtest {
    struct Result {
        var report: BacktestReport
        var trainedModel: TxGuardModel?
        var scored: Int
        var seconds: Double
    }

    static func run(transactions: [Transaction], source: String, deadLetters: Int, modelPath: String?, trainFraction: Double?,
                    options: TrainingOptions, scoresPath: String?, labels: [String: ScoreRecorder.LabelRecord], ablation: Bool,
                    partitions: Int = 1) throws -> Result {
        let scorer: PartitionScorer
        var runtime: ScoringRuntime?
        var trained: TxGuardModel?
        var toScore = transactions[...]
        var noTextScores: [Double]?
        if let modelPath {
            let m = try ModelFile.read(path: modelPath)
            runtime = try ScoringRuntime.load(model: m, modelDirectory: options.modelDirectory)
            runtime!.labels = options.labels
            runtime!.supervised = options.supervised
            scorer = try PartitionScorer(runtime: runtime!)
            log("model \(m.modelVersion) loaded")
        } else {
            let n = Int((Double(transactions.count) * (trainFraction ?? 0.5)).rounded())
            let train = Array(transactions[..<n])
            toScore = transactions[n...]
            log("training on the first \(n) events, scoring the remaining \(toScore.count)")
            let (m, warm) = try ModelTrainer.train(train, source: source, deadLetters: deadLetters, options: options)
            trained = m
            scorer = warm
            if ablation && options.text.embedder != .none {
                var o = options
                o.text = TextSettings(embedder: .none)
                o.progress = nil
                log("ablation: training the same model without text features")
                let (_, warmNoText) = try ModelTrainer.train(train, source: source, options: o)
                noTextScores = toScore.map { warmNoText.judge($0, source: .unknown, emit: false).score }
            }
        }
        let recorder = try ScoreRecorder(scoresPath: scoresPath, labels: labels)
        let started = Date()
        var lastProgress = started
        var i = 0
        let total = toScore.count
        // Each partition's events in file order through its own scorer (one partition: the file).
        // Offsets are the events' positions in the file.
        var partitionScorers = [scorer]
        var partitionOf: [Int32] = []
        if partitions > 1, let runtime {
            partitionScorers += try (1..<partitions).map { _ in try PartitionScorer(runtime: runtime) }
            partitionOf = toScore.map { DefaultPartitioner.partition(key: Array($0.accountID.utf8), count: Int32(partitions)) }
        }
        var chunkStart = toScore.startIndex
        while chunkStart < toScore.endIndex {
            let chunkEnd = min(chunkStart + 1024, toScore.endIndex)
            if partitionOf.isEmpty {
                for v in scorer.judge(toScore[chunkStart..<chunkEnd], emit: false, source: { SourceContext(topic: source, partition: 0, offset: Int64($0)) }) {
                    recorder.record(v)
                    i += 1
                }
            } else {
                for k in chunkStart..<chunkEnd {
                    let p = partitionOf[k - toScore.startIndex]
                    recorder.record(partitionScorers[Int(p)].judge(toScore[k], source: SourceContext(topic: source, partition: p, offset: Int64(k)), emit: false))
                    i += 1
                }
            }
            chunkStart = chunkEnd
            if Date().timeIntervalSince(lastProgress) >= 2 {
                lastProgress = Date()
                let rate = Double(i) / Date().timeIntervalSince(started)
                log(String(format: "scored %d/%d (%.0f%%), %.0f events/s, ETA %.0f s", i, total, 100 * Double(i) / Double(max(total, 1)), rate, Double(total - i) / max(rate, 1)))
            }
        }
        recorder.close()
        let seconds = Date().timeIntervalSince(started)
        if options.labels != nil {
            log(supervisedSummary(partitionScorers, recorder))
        }
        log(String(format: "scored %d events in %.2f s (%.0f events/s)", i, seconds, Double(i) / max(seconds, 1e-9)))
        var variants: [String: [Double]] = [:]
        if ablation {
            variants = recorder.leaveOneOutVariants(names: DetectorKind.allCases.map(\.name))
            for (name, scores) in ScoreFiles.detectorVariants(recorder.events) { variants[name] = scores }
            if let noTextScores { variants["without text"] = noTextScores }
        }
        var opts = ReportOptions()
        opts.title = "txguard backtest: \((source as NSString).lastPathComponent)"
        let report = try BacktestReport.build(events: recorder.events, variants: variants,
                                             run: RunInfo(eventsPerSecond: Double(i) / max(seconds, 1e-9), wallSeconds: seconds), options: opts)
        return Result(report: report, trainedModel: trained, scored: i, seconds: seconds)
    }
}
