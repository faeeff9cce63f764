import ArgumentParser
import Foundation
import TxGuardContracts
import TxGuardPipeline
import TxGuardDetectors
import TxGuardKafka

/// `txguard train`: fits a model file from a file of transactions.
struct TrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit a model (feature scalers, text projection, Isolation Forest, one-class SVM, Z-score, calibrators, threshold) from transactions.",
        discussion: """
        The input is JSON lines in txguard's transaction contract (schemas/transaction.v1.schema.json), \
        or your own shape with --mapping. Training data should be mostly normal traffic; labels, if \
        present, are ignored. Everything is seeded: the same input and seed give the same model.
        """
    )

    @Option(name: .long, help: "Transactions, JSON lines (.jsonl or .jsonl.gz).") var input: String?
    @Option(name: .long, help: "Or: train on a topic range (with --brokers).") var topic: String?
    @Option(name: .long, help: "With --topic: start (offset, RFC 3339 timestamp or @epoch-ms; default: log start).") var from: String?
    @Option(name: .long, help: "With --topic: end, exclusive (default: the end now).") var to: String?
    @OptionGroup var kafka: KafkaConnectionOptions
    @Option(name: .long, help: "Where to write the model file.") var model: String
    @OptionGroup var training: TrainingFlags

    func validate() throws {
        guard (input == nil) != (topic == nil) else { throw ValidationError("give exactly one of --input FILE or --topic T (with --brokers)") }
    }

    func run() async throws {
        let decoder = try training.decoder()
        let started = Date()
        var txs: [Transaction] = []
        var rejected = 0
        let source: String
        if let input {
            let file = try TransactionFileReader.read(input, decoder: decoder)
            file.summary.forEach { log($0) }
            try file.requireValid(input)
            txs = file.decoded
            rejected = file.deadLetters.count
            source = input
        } else {
            let t = topic!
            let records = try await readTopicRange(client: try kafka.client(environment: ProcessInfo.processInfo.environment), topic: t, from: from, to: to)
            for r in records {
                let res: Result<Transaction, DecodeError> = r.value.withUnsafeBytes { b in
                    do throws(DecodeError) { return .success(try decoder.decode(b, context: SourceContext(topic: r.topic, partition: r.partition, offset: r.offset))) } catch { return .failure(error) }
                }
                if case .success(let tx) = res { txs.append(tx) } else { rejected += 1 }
            }
            // Event-time order across partitions (each account's events stay in its partition's order).
            txs = txs.enumerated().sorted { ($0.element.timestampMicros, $0.offset) < ($1.element.timestampMicros, $1.offset) }.map(\.element)
            log("read \(records.count) records of \(t): \(txs.count) valid, \(rejected) rejected")
            source = "topic \(t) [\(from ?? "start"), \(to ?? "end"))"
        }
        let (m, _) = try ModelTrainer.train(txs, source: source, deadLetters: rejected, options: training.options())
        try ModelFile.write(m, to: model)
        log(String(format: "wrote %@ (model %@, %d features) in %.1f s", model, m.modelVersion, m.scoring.featureCount, Date().timeIntervalSince(started)))
    }
}

/// Model-fitting flags shared by `train` and `backtest`.
struct TrainingFlags: ParsableArguments {
    @Option(name: .long, help: "Text embedder: minilm (pretrained all-MiniLM-L6-v2, needs scripts/fetch-model.sh), hashed (char n-grams), none.")
    var text: TextSettings.Embedder = .minilm
    @Option(name: .long, help: "Directory of the MiniLM files (default: $TXGUARD_MODEL_DIR or ./models/all-MiniLM-L6-v2).")
    var modelDir: String?
    @Option(name: .long, help: "PCA components of the text embedding given to the detectors (1...16), besides text_novelty.")
    var textComponents: Int = TextSettings(embedder: .minilm).components
    @Option(name: .long, help: "Target alert rate: the fraction of events the threshold lets through as alerts.")
    var alertRate: Double = 0.005
    @Option(name: .long, help: "Adaptive threshold: spot, dspot or quantile.")
    var threshold: ThresholdSettings.Method = .spot
    @Option(name: .long, help: "Ensemble rule: fisher (weighted sum of -ln p, default), maximum, weightedMean.")
    var ensemble: EnsembleCombiner.Method = .fisher
    @Option(name: .long, help: ArgumentHelp("Ensemble weights of isolation forest, one-class SVM and Z-score, comma-separated (default 1,1,1). 0,0,1 with the Z-score on amount_log1p alone (cumulative moments) suits streams with little beyond account, time and amount: README, Detection quality.", valueName: "if,svm,z"))
    var ensembleWeights: String?
    @Option(name: .long, help: ArgumentHelp("Z-score: pseudo-events of the population prior each account's moments are shrunk toward (0: the account's own moments after 5 events, the population's before).", valueName: "k"))
    var zscoreShrinkage: Float = TrainingOptions().zScoreShrinkage
    @Flag(inversion: .prefixedNo, help: "Z-score: only deviations above the account's baseline count.")
    var zscoreOneSided = TrainingOptions().zScoreOneSided
    @Option(name: .long, help: ArgumentHelp("Z-score: the features it watches per account, comma-separated (default: \(TrainingOptions().zScoreInputs.joined(separator: ","))).", valueName: "names"))
    var zscoreInputs: String?
    @Option(name: .long, help: ArgumentHelp("Z-score: weight of inputs in the calibrated sum, name=weight comma-separated; unnamed inputs weigh 1 (default: \(TrainingOptions().zScoreInputWeights.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))).", valueName: "name=w,..."))
    var zscoreInputWeights: String?
    @Option(name: .long, help: "Z-score: account moments, exponential (recent events weigh more) or cumulative.")
    var zscoreBaseline: ZScoreDetector.AccountBaseline = TrainingOptions().zScoreBaseline
    @Option(name: .long, help: ArgumentHelp("Z-score: weight of the newest event in the exponential account moments (0 < a <= 1; about 2/a events of memory).", valueName: "a"))
    var zscoreAlpha: Float = TrainingOptions().zScoreAlpha
    @Option(name: .long, help: "Z-score: how the inputs' z combine: calibratedSum (each input's z as its own tail probability, summed as −ln p; default), calibratedMaximum, rootMeanSquare (the first models' rule) or maximum.")
    var zscoreCombination: ZScoreDetector.Combination = TrainingOptions().zScoreCombination
    @Option(name: .long, help: "Online refit of Isolation Forest and SVM every N non-alerted events per partition (default 0: off; see README).")
    var refitEvery: Int = 0
    @Flag(inversion: .prefixedNo, help: "The merchant burst feature: distinct accounts a merchant charged in 24 h against its age and history (BurstSurprisal in TxGuardEmbeddings).")
    var merchantBurst = true
    @Flag(inversion: .prefixedNo, help: "Velocity features as the surprisal of each window's count given the account's own rate (acct_burst_<w>s) rather than raw counts (acct_count_<w>s).")
    var accountBurst = true
    @Option(name: .long, help: ArgumentHelp("The amount as the isolation forest and the one-class SVM see it is floored at this quantile of the training amounts (0...1; 0: not floored): smaller amounts all look alike to them. The Z-score reads amounts unchanged.", valueName: "q"))
    var amountFloorQuantile: Double = TrainingOptions().amountFloorQuantile
    @Option(name: .long, help: ArgumentHelp("The account's event count as the isolation forest and the one-class SVM see it is capped at this quantile of the training rows (0...1; 1: not capped): the count grows with the stream's age, and uncapped, every established account drifts out of the range the detectors were trained on.", valueName: "q"))
    var historyCeilingQuantile: Double = TrainingOptions().historyCeilingQuantile
    @Option(name: .long, help: "Random seed (recorded in the model).")
    var seed: UInt64 = 42
    @Option(name: .long, help: "Field mapping (JSON: txguard field -> {path, default}) for your own transaction shape.")
    var mapping: String?

    func validate() throws {
        guard alertRate > 0, alertRate < 0.5 else { throw ValidationError("--alert-rate must be in (0, 0.5), got \(alertRate)") }
        guard (1...16).contains(textComponents) else { throw ValidationError("--text-components must be in 1...16, got \(textComponents)") }
        guard zscoreShrinkage >= 0, zscoreShrinkage.isFinite else { throw ValidationError("--zscore-shrinkage must be >= 0, got \(zscoreShrinkage)") }
        guard (0...1).contains(amountFloorQuantile) else { throw ValidationError("--amount-floor-quantile must be in 0...1, got \(amountFloorQuantile)") }
        guard zscoreAlpha > 0, zscoreAlpha <= 1 else { throw ValidationError("--zscore-alpha must be in (0, 1], got \(zscoreAlpha)") }
        guard (0...1).contains(historyCeilingQuantile) else { throw ValidationError("--history-ceiling-quantile must be in 0...1, got \(historyCeilingQuantile)") }
        _ = try weights()
        _ = try inputWeights()
    }

    /// `--zscore-input-weights`, parsed (nil: the default).
    func inputWeights() throws -> [String: Float]? {
        guard let zscoreInputWeights else { return nil }
        var out: [String: Float] = [:]
        for part in zscoreInputWeights.split(separator: ",", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, !kv[0].isEmpty, let w = Float(kv[1]), w.isFinite, w >= 0 else {
                throw ValidationError("--zscore-input-weights: expected name=weight (a weight >= 0), got '\(part)'")
            }
            out[kv[0]] = w
        }
        return out
    }

    func options() -> TrainingOptions {
        var o = TrainingOptions()
        o.seed = seed
        o.text = TextSettings(embedder: text, components: textComponents)
        o.alertRate = alertRate
        o.thresholdMethod = threshold
        o.ensemble = ensemble
        if let w = try? weights() { o.ensembleWeights = w }
        o.zScoreShrinkage = zscoreShrinkage
        o.zScoreOneSided = zscoreOneSided
        o.zScoreCombination = zscoreCombination
        o.zScoreBaseline = zscoreBaseline
        o.zScoreAlpha = zscoreAlpha
        if let w = try? inputWeights() { o.zScoreInputWeights = w }
        if let zscoreInputs { o.zScoreInputs = zscoreInputs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        o.merchantBurst = merchantBurst
        o.accountBurst = accountBurst
        o.amountFloorQuantile = amountFloorQuantile
        o.historyCeilingQuantile = historyCeilingQuantile
        o.onlineRefit = OnlineRefitSettings(every: refitEvery)
        o.modelDirectory = modelDir
        o.progress = { log($0) }
        return o
    }

    func weights() throws -> [Double]? {
        guard let ensembleWeights else { return nil }
        let w = ensembleWeights.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard w.count == 3, w.allSatisfy({ $0 != nil && $0! >= 0 && $0!.isFinite }), w.contains(where: { $0! > 0 }) else {
            throw ValidationError("--ensemble-weights needs three non-negative numbers (isolation forest, SVM, Z-score), not all 0: got \(ensembleWeights)")
        }
        return w.map { $0! }
    }

    func decoder() throws -> JSONTransactionDecoder {
        try JSONTransactionDecoder(mapping: try loadMapping(mapping))
    }
}

func loadMapping(_ path: String?) throws -> FieldMapping {
    guard let path else { return .canonical }
    guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--mapping \(path): cannot read") }
    let m = try JSONDecoder().decode(FieldMapping.self, from: data)
    try m.validate()
    return m
}

extension TextSettings.Embedder: ExpressibleByArgument {}
extension EnsembleCombiner.Method: ExpressibleByArgument {}
extension ThresholdSettings.Method: ExpressibleByArgument {}
extension ZScoreDetector.Combination: ExpressibleByArgument {}
extension ZScoreDetector.AccountBaseline: ExpressibleByArgument {}

/// Progress and summaries go to stderr, so stdout stays for data.
func log(_ s: String) {
    FileHandle.standardError.write(Data(("[txguard] " + s + "\n").utf8))
}
