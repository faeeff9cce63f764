import Foundation
import TxGuardContracts
import TxGuardDetectors
import TxGuardEmbeddings

/// The whole per-record pipeline for ONE partition (or one file): decode → features (tabular +
/// text) → detectors → calibrated ensemble → adaptive threshold → alert or dead letter.
///
/// A decision is a function of the partition's event sequence and the model, nothing else: the
/// state it depends on — the account feature store, the detectors' per-account statistics
/// (`AccountStatsTable`), the threshold and the online refit schedule (`OnlineRefitter`) — is
/// changed only by `judge`, one event at a time, in order; text vectors depend on the text alone;
/// nothing reads the clock (an alert's `detection_time` is stamped, never decided on). Batching
/// (`judgeBatch`) only embeds a batch's uncached texts together first. `snapshot()` serialises the
/// state (`ScorerSnapshot`) and `init(restoring:)` continues from it exactly.
///
/// Alerted events update the account's velocity/recency state (they happened) but are never
/// learned by the detectors' statistics, and reach the threshold only as censored exceedances.
public final class PartitionScorer {
    public let runtime: ScoringRuntime
    private var accounts: AccountStore
    /// The pair of moments the account store's statistics hold (`AccountStore.withStatistics`):
    /// the baseline of the model they were learned for.
    private var statisticsBaseline: ZScoreDetector.AccountBaseline
    private var threshold: PartitionThreshold
    /// The detectors in use: the model's, until an online refit replaces the forest and SVM. Held
    /// in an immutable box: a method called on a `ScoringModel` stored in this class, even through
    /// a pointer, copied it (a retain and release of each of its arrays) per event; a `let` of a
    /// final class is borrowed in place.
    private var held: HeldModel
    private var scoring: ScoringModel {
        get { held.model }
        set { held = HeldModel(newValue) }
    }

    private final class HeldModel: Sendable {
        let model: ScoringModel
        init(_ model: ScoringModel) { self.model = model }
    }
    private var refitter: OnlineRefitter
    /// The supervised layer (present when the runtime has labels).
    private var supervised: SupervisedLayer?
    /// Alerted transactions' patterns, for false-positive feedback.
    private var alertPatterns: [String: AlertPattern] = [:]
    private var alertPatternOrder: [String] = []
    private var alertPatternHead = 0

    /// Fresh state.
    public init(runtime: ScoringRuntime) throws {
        self.runtime = runtime
        accounts = runtime.featurizer.makeStore(capacity: runtime.accountCapacity, idleTTLSeconds: runtime.accountIdleTTLSeconds)
        statisticsBaseline = runtime.model.scoring.zScore.configuration.baseline
        accounts.resetStatistics(width: 2 * Self.statisticsInputs(runtime))
        threshold = runtime.initialThreshold
        held = HeldModel(runtime.model.scoring)
        refitter = OnlineRefitter(settings: runtime.model.onlineRefit, width: runtime.featurizer.dimension, seed: runtime.model.seed)
        if let book = runtime.labels {
            supervised = SupervisedLayer(settings: runtime.supervised, baseFeatureNames: runtime.featurizer.featureNames, book: book)
        }
    }

    /// Z-score inputs per account of `runtime`'s model.
    private static func statisticsInputs(_ runtime: ScoringRuntime) -> Int { runtime.model.scoring.newAccountStats().width }

    /// Every account's statistics zero, laid out for `runtime`'s model (its Z-score history starts
    /// again; the accounts' feature history stays).
    private func restartStatistics() {
        statisticsBaseline = runtime.model.scoring.zScore.configuration.baseline
        accounts.resetStatistics(width: 2 * Self.statisticsInputs(runtime))
    }

    /// Supervised models trained so far (0 without labels or before enough labels were visible).
    public var supervisedRetrains: Int { supervised?.retrains ?? 0 }

    /// Benchmarks: the supervised model in force stays (a pending retrain is swapped in now and no
    /// other is scheduled), so what is timed afterwards is scoring alone. With `asOf` (event time,
    /// µs), a last retrain on the labels visible then is swapped in first.
    public func freezeSupervisedModel(retrainingAsOf asOf: Int64? = nil) { supervised?.freeze(retrainingAsOf: asOf) }

    /// The constant the current supervised model's evidence is shifted by (`SupervisedLayer.evidenceOffset`; nil without labels).
    public var supervisedEvidenceOffset: Double? { supervised?.evidenceOffset }

    /// Wall seconds spent retraining the supervised layer.
    public var supervisedRetrainSeconds: Double { supervised?.retrainSeconds ?? 0 }

    /// Frauds and legitimate rows the current supervised model was trained on.
    public var supervisedTraining: (frauds: Int, legitimate: Int)? { supervised?.lastTraining }

    /// Why the last scheduled supervised retrain trained nothing (nil if it trained or none ran).
    public var supervisedRefusal: String? { supervised?.lastRefusal }

    /// What the supervised layer last did, for logs: retrained on what, or why not (nil before any
    /// retrain was due).
    public var supervisedStatus: String? {
        if let refusal = supervisedRefusal { return "not retrained: \(refusal)" }
        return supervisedTraining.map { "retrained on \($0.frauds) frauds and \($0.legitimate) legitimate rows" }
    }

    /// The supervised layer's training rows: how many, the oldest's event time (µs), and the share
    /// of events that did not alert kept (below 1 once a busy partition's rows were thinned).
    public var supervisedRowsKept: (rows: Int, oldest: Int64?, share: Double)? { supervised?.kept }

    /// The model version decisions are made with (`/rN` after N online refits).
    public var modelVersion: String { refitter.refits == 0 ? runtime.model.modelVersion : "\(runtime.model.modelVersion)/r\(refitter.refits)" }

    /// Non-alerted events offered to the refit reservoir so far (alerted ones never are).
    public var refitObservedEvents: Int { refitter.seen }

    /// Online refits swapped in so far.
    public var refitCount: Int { refitter.refits }

    /// State restored from `snapshot()`'s bytes.
    public convenience init(runtime: ScoringRuntime, restoring snapshot: [UInt8]) throws {
        try self.init(runtime: runtime)
        let saved = try restore(snapshot)
        let reads = scoring.zScore.configuration.baseline
        guard saved.count == 0 || saved.baseline == reads else {
            throw PipelineError.badSnapshot("the account statistics hold the \(saved.baseline.rawValue) moments, the model reads the \(reads.rawValue) ones")
        }
        if saved.baseline != reads { restartStatistics() }
    }

    /// A scorer for a new model that keeps the account history of another model's snapshot (when
    /// the feature layout and statistics match) and starts the new model's threshold and detectors.
    public convenience init(runtime: ScoringRuntime, adoptingAccountsFrom snapshot: [UInt8]) throws {
        try self.init(runtime: runtime)
        let fresh = threshold
        let saved = try restore(snapshot)
        guard accounts.layout == runtime.featurizer.layout,
              saved.count == 0 || saved.width == Self.statisticsInputs(runtime) else {
            throw PipelineError.badSnapshot("the new model lays out account state differently")
        }
        // A new model reading the other baseline's moments finds none kept: its Z-score history
        // starts again, the accounts' feature history stays.
        if saved.count == 0 || saved.baseline != runtime.model.scoring.zScore.configuration.baseline {
            restartStatistics()
        }
        threshold = fresh
        scoring = runtime.model.scoring
        refitter = OnlineRefitter(settings: runtime.model.onlineRefit, width: runtime.featurizer.dimension, seed: runtime.model.seed)
    }

    // MARK: - Judging

    /// One input record for `judgeBatch`.
    public struct RecordInput {
        public var value: UnsafeRawBufferPointer
        public var key: [UInt8]?
        public var headers: [(name: String, value: [UInt8])]
        public var source: SourceContext
        public var emit: Bool
        public init(value: UnsafeRawBufferPointer, key: [UInt8]?, headers: [(name: String, value: [UInt8])], source: SourceContext, emit: Bool) {
            self.value = value
            self.key = key
            self.headers = headers
            self.source = source
            self.emit = emit
        }
    }

    /// Decodes and judges records in order (undecodable ones become dead letters), embedding the
    /// batch's uncached texts together first.
    public func judgeBatch(_ inputs: [RecordInput]) -> [Verdict] {
        var decoded: [Transaction] = []
        var failures: [Int: DecodeError] = [:]
        decoded.reserveCapacity(inputs.count)
        for (i, r) in inputs.enumerated() {
            do { decoded.append(try runtime.decoder.decode(r.value, context: r.source)) } catch { failures[i] = error }
        }
        let texts = prepareTexts(decoded[...])
        // Each transaction is moved out of `decoded` into its verdict, not copied.
        var transactions = InOrderMover(consume decoded)
        var verdicts: [Verdict] = []
        verdicts.reserveCapacity(inputs.count)
        var k = 0
        for i in inputs.indices {
            let r = inputs[i]
            if let error = failures[i] {
                let dl = r.emit ? DeadLetter(key: r.key, value: Array(r.value), headers: r.headers, error: error, source: r.source) : nil
                verdicts.append(Verdict(kind: .deadLetter, transaction: nil, score: 0, threshold: 0, detectors: [], alert: nil, deadLetter: dl))
            } else {
                verdicts.append(judge(transactions.next()!, text: texts[k], source: r.source, emit: r.emit))
                k += 1
            }
        }
        return verdicts
    }

    /// Judges decoded transactions in order. Each text is normalised once, and the texts the cache
    /// lacks are embedded first (their vectors do not depend on which others are embedded with them).
    public func judge(_ txs: ArraySlice<Transaction>, sources: [SourceContext], emit: [Bool]) -> [Verdict] {
        let texts = prepareTexts(txs)
        // By index: zipping would copy every transaction (its strings retained and released).
        return texts.indices.map { i in judge(txs[txs.startIndex + i], text: texts[i], source: sources[i], emit: emit[i]) }
    }

    /// The normalised text of each transaction (nil when the model reads no text), after embedding
    /// the ones the cache lacks.
    private func prepareTexts(_ txs: ArraySlice<Transaction>) -> [String?] {
        guard runtime.text.isEnabled else { return Array(repeating: nil, count: txs.count) }
        // Only the text field is read out of each transaction: passing the whole transaction copied
        // it (retaining and releasing each of its strings).
        let texts = txs.withUnsafeBufferPointer { buffer in
            buffer.indices.map { TextFeatureEncoder.normalisedText(buffer[$0].merchantName ?? buffer[$0].description) }
        }
        if runtime.text.needsPrefetch { try? runtime.text.prefetch(texts.compactMap { $0 }) }
        return texts
    }

    /// Judges decoded transactions in order, all with the same `emit`, sources from `source(i)`.
    public func judge(_ txs: ArraySlice<Transaction>, emit: Bool, source: (Int) -> SourceContext) -> [Verdict] {
        judge(txs, sources: txs.indices.map(source), emit: Array(repeating: emit, count: txs.count))
    }

    /// Judges an already decoded transaction.
    public func judge(_ tx: Transaction, source: SourceContext, emit: Bool = true) -> Verdict {
        judge(tx, text: runtime.text.isEnabled ? TextFeatureEncoder.text(of: tx) : nil, source: source, emit: emit)
    }

    /// Judges `tx` whose normalised text is `text`: the one place a decision is made. Takes `tx`
    /// (its verdict keeps it), so a caller that owns it can move it in.
    private func judge(_ tx: consuming Transaction, text: String?, source: SourceContext, emit: Bool) -> Verdict {
        let embedding = text.flatMap { try? runtime.text.embedding($0) }
        let x: [Float]
        let slot: Int
        do {
            // The account's statistics live beside its features: the featurizer returns its slot.
            (x, slot) = try runtime.featurizer.featuresAndSlot(for: ModelTrainer.featureInput(tx), textEmbedding: embedding, store: &accounts)
        } catch {
            let err = DecodeError(code: .invalidField, message: "features: \(error)", source: source)
            return Verdict(kind: .deadLetter, transaction: tx, score: 0, threshold: 0, detectors: [], alert: nil,
                           deadLetter: emit ? DeadLetter(key: Array(tx.accountID.utf8), value: nil, headers: [], error: err, source: source) : nil)
        }
        let baseline = statisticsBaseline
        // Scored in place: the model borrowed from its box, the store through a pointer (a method
        // called on a stored property of this class copied it, retaining its arrays, per event).
        let model = held
        let s = withUnsafeMutablePointer(to: &accounts) { store in
            store.pointee.withStatistics(slot) { count, pair in
                x.withUnsafeBufferPointer { model.model.score($0, moments: AccountMomentsView(count: count, pair: pair, baseline: baseline)) }
            }
        }
        var score = s.combined
        var evidence: Double?
        var supervisedRow: [Float]?
        var suppressions = 0
        var pattern: AlertPattern?
        if let book = runtime.labels, let layer = supervised {
            if book.joinsTransactions { book.remember(tx) }
            layer.retrainIfDue(at: tx.timestampMicros)
            let row = layer.row(x, tx, logTails: s.logTailProbabilities)
            if let e = layer.evidence(row) {
                evidence = layer.settings.weight * e
                score += evidence!
            }
            supervisedRow = row
            // The pattern (the detectors' top reason, costly) only for would-be alerts; the feedback
            // lookup only where the account has legitimate labels.
            // Read through a pointer: reading it off the class copied the whole threshold state.
            if score >= withUnsafeMutablePointer(to: &threshold, { $0.pointee.current }) {
                pattern = AlertPattern(feature: dominantSource(s), logAmount: log1p(max(tx.amountValue, 0)))
                suppressions = feedbackMatches(tx, pattern: pattern!, book: book, settings: layer.settings)
                if suppressions > 0 { score -= Double(suppressions) * layer.settings.feedbackPenalty }
            }
        }
        let decision = threshold.observe(score)
        if let row = supervisedRow {
            supervised!.record(transactionID: tx.transactionID, eventTime: tx.timestampMicros, alerted: decision.isAlert,
                               unsupervised: s.combined, row: row)
            if decision.isAlert, let pattern { rememberAlertPattern(tx.transactionID, pattern) }
        }
        if !decision.isAlert {
            withUnsafeMutablePointer(to: &accounts) { store in
                store.pointee.updateStatistics(slot) { count, moments in
                    x.withUnsafeBufferPointer { model.model.learn($0, count: &count, pair: moments) }
                }
            }
            if let refitted = refitter.offer(x, current: scoring) { scoring = refitted }
        }

        let probs = s.tailProbabilities
        let detectors = DetectorKind.allCases.map { kind in
            DetectorScore(name: kind.name, score: s.raw[kind], probability: probs[kind])
        }
        var alert: Alert?
        if decision.isAlert && emit {
            alert = Alert(
                alertID: AlertID.make(source: source, transactionID: tx.transactionID, modelVersion: modelVersion),
                transactionID: tx.transactionID, accountID: tx.accountID, eventTimeMicros: tx.timestampMicros,
                detectionTimeMicros: Int64(Date().timeIntervalSince1970 * 1_000_000), score: score,
                threshold: decision.threshold, detectors: detectors,
                reasons: AlertExplanation.reasons(scoring, x, accountStats: accountStatistics(slot), transaction: tx,
                                                  supervised: supervisedRow.flatMap { row in supervised!.attribution(row).map { (row, $0, supervised!.featureNames) } },
                                                  evidence: evidence),
                modelVersion: modelVersion,
                source: source, amount: tx.amount, currency: tx.currency, extra: tx.unknownFields.isEmpty ? nil : tx.unknownFields)
        }
        // The transaction's last use: moved into the verdict.
        var verdict = Verdict(kind: decision.isAlert ? .alert : .normal, transaction: consume tx, score: score,
                              threshold: decision.threshold, detectors: detectors, alert: alert, deadLetter: nil)
        if supervisedRow != nil {
            verdict.supervisedEvidence = evidence
            verdict.feedbackSuppressions = suppressions
            verdict.unsupervisedScore = s.combined
        }
        return verdict
    }

    // MARK: - Supervised evidence and feedback

    /// What "the same pattern" means for false-positive feedback: the same dominant source (the
    /// detector that contributed most, and for the Z-score its most deviating input) at an amount
    /// within a factor of 1.5.
    struct AlertPattern: Equatable {
        var feature: String
        var logAmount: Double

        func matches(_ other: AlertPattern) -> Bool { feature == other.feature && abs(logAmount - other.logAmount) < log(1.5) }
    }

    /// What drove an event's score, cheaply (no attribution): the detector that contributed most,
    /// and for the Z-score the input that deviated most (`zscore:amount_log1p`).
    private func dominantSource(_ s: EnsembleScore) -> String {
        let c = s.contributions
        let kind = DetectorKind.allCases.max { c[$0] < c[$1] } ?? .zScore
        guard kind == .zScore else { return kind.name }
        let names = scoring.zScore.configuration.inputNames
        return kind.name + ":" + (names.indices.contains(s.zScore.topInput) ? names[s.zScore.topInput] : "?")
    }

    /// Visible false positives (legitimate labels of alerted events) on the account with the same
    /// pattern, within the feedback window, at most `feedbackMaxCount`; none while the account has a
    /// confirmed fraud in that window (a compromised account's alerts are not dampened).
    private func feedbackMatches(_ tx: Transaction, pattern: AlertPattern, book: LabelBook, settings: SupervisedSettings) -> Int {
        guard settings.feedbackMaxCount > 0, !alertPatterns.isEmpty, book.hasLegitimateLabels(account: tx.accountID) else { return 0 }
        let window = settings.feedbackWindowMicros
        let ids = book.legitimateLabels(.account, tx.accountID, at: tx.timestampMicros, window: window)
        let n = ids.reduce(0) { $0 + (alertPatterns[$1].map { $0.matches(pattern) ? 1 : 0 } ?? 0) }
        guard n > 0, book.counts(.account, tx.accountID, at: tx.timestampMicros, window: window).frauds == 0 else { return 0 }
        return min(n, settings.feedbackMaxCount)
    }

    private func rememberAlertPattern(_ id: String, _ pattern: AlertPattern) {
        let capacity = 50_000
        if alertPatternOrder.count < capacity {
            alertPatternOrder.append(id)
        } else {
            alertPatterns[alertPatternOrder[alertPatternHead]] = nil
            alertPatternOrder[alertPatternHead] = id
            alertPatternHead = (alertPatternHead + 1) % capacity
        }
        alertPatterns[id] = pattern
    }

    // MARK: - State

    fileprivate struct SavedState: Codable, Sendable {
        /// In the JSON of `TXPS1` snapshots only; `TXPS2` keeps them in their own binary section.
        var stats: [UInt64: AccountStatsTable.Entry]?
        var threshold: PartitionThreshold
        var refit: RefitState?
        /// The refitted detectors (absent before the first refit).
        var scoring: ScoringModel?
        /// The supervised model and its schedule (absent without labels).
        var supervised: SupervisedLayer.Saved?
        /// Which pair of moments the binary statistics section carries (the other pair is zeros);
        /// absent in snapshots written before the table kept one pair, which carry all four.
        var statisticsHeld: ZScoreDetector.AccountBaseline?
    }

    /// The partition's state: account feature store, account statistics, threshold, refit schedule,
    /// the supervised model, its evidence shift and its retrain schedule (not its training rows).
    public func snapshot() throws -> [UInt8] { try captureSnapshot().encode() }

    /// The state as of now, as values (the account store serialized, the rest copied on write):
    /// encoding it, the slow part with a million accounts, can run on another thread while this
    /// scorer goes on judging events.
    public func captureSnapshot() -> CapturedSnapshot {
        CapturedSnapshot(store: accounts.serialized(),
                         stats: AccountStatsTable(capturing: accounts, width: accounts.statisticsWidth / 2, baseline: statisticsBaseline),
                         state: SavedState(stats: nil, threshold: threshold, refit: refitter.snapshot,
                                           scoring: refitter.refits > 0 ? scoring : nil, supervised: supervised?.saved,
                                           statisticsHeld: statisticsBaseline))
    }

    /// The statistics of the account in `slot` as a value (for alert explanations: one copy per
    /// alert; the Z-score reads only its baseline's pair).
    private func accountStatistics(_ slot: Int) -> AccountStats {
        let baseline = statisticsBaseline
        return accounts.withStatistics(slot) { AccountStatsTable.stats(count: $0, pair: $1, baseline: baseline) }
    }

    /// A partition's state captured by `captureSnapshot`, not yet encoded.
    public struct CapturedSnapshot: Sendable {
        fileprivate let store: [UInt8]
        fileprivate let stats: AccountStatsTable
        fileprivate let state: SavedState

        /// The snapshot bytes (`ScorerSnapshot` layout), exactly as `snapshot()` at capture time.
        public func encode() throws -> [UInt8] {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys]
            enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            return ScorerSnapshot.encode(store: store, stats: stats.encoded(), rest: [UInt8](try enc.encode(state)))
        }
    }

    /// Restores `bytes`: the account store, and in it the statistics of the accounts it holds, in
    /// the pair of moments the snapshot holds. Returns what the snapshot's statistics were (their
    /// entries, inputs and pair); each caller decides what to do when that is not the pair its
    /// model reads.
    private func restore(_ bytes: [UInt8]) throws -> (count: Int, width: Int, baseline: ZScoreDetector.AccountBaseline) {
        let (store, statsBytes, rest) = try ScorerSnapshot.decode(bytes)
        accounts = try AccountStore(serialized: Array(store))
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let saved: SavedState
        do { saved = try dec.decode(SavedState.self, from: Data(rest)) } catch {
            throw PipelineError.badSnapshot("state after the account store is not valid: \(error)")
        }
        // A snapshot is checked against the model it is restored under before anything uses it: a
        // layout, statistics width or threshold method that differs would trap on the first event.
        guard accounts.layout == runtime.featurizer.layout else {
            throw PipelineError.badSnapshot("the account store's layout does not match the model's")
        }
        let candidate = saved.scoring ?? scoring
        guard candidate.featureCount == runtime.model.scoring.featureCount else {
            throw PipelineError.badSnapshot("a refitted model of \(candidate.featureCount) features, the model has \(runtime.model.scoring.featureCount)")
        }
        let width = candidate.newAccountStats().width
        // The pair the snapshot holds; older snapshots hold all four, so the pair this model reads.
        let baseline = saved.statisticsHeld ?? candidate.zScore.configuration.baseline
        let savedStats: AccountStatsTable
        if let statsBytes {
            savedStats = try AccountStatsTable.decode(statsBytes, width: width, baseline: baseline)
        } else {
            guard let v1 = saved.stats else { throw PipelineError.badSnapshot("no account statistics") }
            for (key, entry) in v1 {
                guard entry.stats.width == width else {
                    throw PipelineError.badSnapshot("account statistics of width \(entry.stats.width), the model has \(width)")
                }
                guard key != 0 else { throw PipelineError.badSnapshot("account statistics list account key 0") }
            }
            savedStats = AccountStatsTable(width: width, baseline: baseline, entries: v1)
        }
        guard saved.threshold.method == runtime.model.threshold.method else {
            throw PipelineError.badSnapshot("a \(saved.threshold.method.rawValue) threshold, the model uses \(runtime.model.threshold.method.rawValue)")
        }
        accounts.resetStatistics(width: 2 * width)
        _ = savedStats.install(into: &accounts)
        statisticsBaseline = baseline
        threshold = saved.threshold
        if let s = saved.scoring { scoring = s }
        if let r = saved.refit { refitter.restore(r) }
        if let s = saved.supervised { supervised?.restore(s) }
        return (savedStats.count, width, baseline)
    }

    /// Number of accounts with state.
    public var accountCount: Int { accounts.count }
}

/// Errors of the pipeline layer.
public enum PipelineError: Error, CustomStringConvertible {
    case badSnapshot(String)
    case training(String)
    case input(String)

    public var description: String {
        switch self {
        case .badSnapshot(let m): return "partition state snapshot unusable: \(m)"
        case .training(let m): return "training failed: \(m)"
        case .input(let m): return m
        }
    }
}
