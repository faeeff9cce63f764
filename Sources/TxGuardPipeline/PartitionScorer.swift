import Foundation
import TxGuardContracts
import TxGuardDetectors
import TxGuardEmbeddings

/// The whole per-record pipeline for ONE partition (or one file): decode → features (tabular +
/// text) → detectors → calibrated ensemble → adaptive threshold → alert or dead letter. It owns
/// the partition's state — per-account feature state and statistics and the threshold — which
/// `snapshot()` serialises and `init(restoring:)` restores. Records must be given in order;
/// the same records in the same order always give the same verdicts.
///
/// Alerted events update the account's velocity/recency state (they happened) but are never
/// learned by the detectors' statistics, and reach the threshold only as censored exceedances.
public final class PartitionScorer {
    public let runtime: ScoringRuntime
    private var accounts: AccountStore
    private var stats: [UInt64: KeyedStats] = [:]
    private var threshold: PartitionThreshold
    /// The detectors in use: the model's, until an online refit replaces the forest and SVM.
    private var scoring: ScoringModel
    private var refit: RefitState
    private var job: RefitJob?

    struct KeyedStats: Codable {
        var stats: AccountStats
        var lastSeenMillis: Int64
    }

    /// Fresh state.
    public init(runtime: ScoringRuntime) throws {
        self.runtime = runtime
        accounts = runtime.featurizer.makeStore(capacity: runtime.accountCapacity, idleTTLSeconds: runtime.accountIdleTTLSeconds)
        threshold = runtime.initialThreshold
        scoring = runtime.model.scoring
        refit = RefitState(width: runtime.featurizer.dimension, capacity: (runtime.model.onlineRefit ?? OnlineRefitSettings()).reservoirSize,
                           seed: runtime.model.seed ^ 0x5EED_0F_4EF1)
    }

    /// The model version decisions are made with (`/rN` after N online refits).
    public var modelVersion: String { refit.refits == 0 ? runtime.model.modelVersion : "\(runtime.model.modelVersion)/r\(refit.refits)" }

    /// Non-alerted events offered to the refit reservoir so far (alerted ones never are).
    public var refitObservedEvents: Int { refit.seen }

    /// Online refits swapped in so far.
    public var refitCount: Int { refit.refits }

    /// Feeds a non-alerted event to the refit reservoir; starts and swaps refits on schedule.
    private func learnForRefit(_ x: [Float]) {
        let settings = runtime.model.onlineRefit ?? OnlineRefitSettings()
        guard settings.every > 0 else { return }
        refit.offer(x)
        if job == nil, refit.seenSinceRefit >= settings.every, refit.count >= 50, let rows = try? refit.matrix() {
            job = RefitJob(base: scoring, rows: rows, seed: runtime.model.seed &+ UInt64(refit.refits + 1))
            refit.pendingStartedAt = refit.seen
            refit.resetReservoir()
        }
        if let j = job, let started = refit.pendingStartedAt, refit.seen >= started + settings.swapAfter {
            if let m = j.wait() {
                scoring = m
                refit.refits += 1
            }
            job = nil
            refit.pendingStartedAt = nil
        }
    }

    /// State restored from `snapshot()`'s bytes.
    public convenience init(runtime: ScoringRuntime, restoring snapshot: [UInt8]) throws {
        try self.init(runtime: runtime)
        try restore(snapshot)
    }

    /// A scorer for a new model that keeps the account history of another model's snapshot (when
    /// the feature layout and statistics match) and starts the new model's threshold and detectors.
    public convenience init(runtime: ScoringRuntime, adoptingAccountsFrom snapshot: [UInt8]) throws {
        try self.init(runtime: runtime)
        let fresh = threshold
        try restore(snapshot)
        guard accounts.layout == runtime.featurizer.layout,
              stats.values.first.map({ $0.stats.mean.count == scoring.newAccountStats().mean.count }) ?? true else {
            throw PipelineError.badSnapshot("the new model lays out account state differently")
        }
        threshold = fresh
        scoring = runtime.model.scoring
        refit = RefitState(width: runtime.featurizer.dimension, capacity: (runtime.model.onlineRefit ?? OnlineRefitSettings()).reservoirSize,
                           seed: runtime.model.seed ^ 0x5EED_0F_4EF1)
        job = nil
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

    /// Judges records in order, embedding the batch's uncached texts together first (a MiniLM
    /// miss costs milliseconds alone, far less per text in a batch).
    public func judgeBatch(_ inputs: [RecordInput]) -> [Verdict] {
        var decoded: [Transaction] = []
        var failures: [Int: DecodeError] = [:]
        decoded.reserveCapacity(inputs.count)
        for (i, r) in inputs.enumerated() {
            do { decoded.append(try runtime.decoder.decode(r.value, context: r.source)) } catch { failures[i] = error }
        }
        let ok = inputs.indices.filter { failures[$0] == nil }
        var judged = judge(decoded[...], sources: ok.map { inputs[$0].source }, emit: ok.map { inputs[$0].emit }).makeIterator()
        return inputs.indices.map { i in
            guard let error = failures[i] else { return judged.next()! }
            let r = inputs[i]
            let dl = r.emit ? DeadLetter(key: r.key, value: Array(r.value), headers: r.headers, error: error, source: r.source) : nil
            return Verdict(kind: .deadLetter, transaction: nil, score: 0, threshold: 0, detectors: [], alert: nil, deadLetter: dl)
        }
    }

    /// Judges decoded transactions in order. Each text is normalised once, and the texts the cache
    /// lacks are embedded together first (a MiniLM miss costs milliseconds alone, far less per
    /// text in a batch).
    public func judge(_ txs: ArraySlice<Transaction>, sources: [SourceContext], emit: [Bool]) -> [Verdict] {
        let texts = txs.map { runtime.text.isEnabled ? TextFeatureEncoder.text(of: $0) : nil }
        if runtime.text.needsPrefetch { try? runtime.text.prefetch(texts.compactMap { $0 }) }
        // By index: zipping would copy every transaction (its strings retained and released).
        return texts.indices.map { i in judge(txs[txs.startIndex + i], text: texts[i], source: sources[i], emit: emit[i]) }
    }

    /// Judges decoded transactions in order, all with the same `emit`, sources from `source(i)`.
    public func judge(_ txs: ArraySlice<Transaction>, emit: Bool, source: (Int) -> SourceContext) -> [Verdict] {
        judge(txs, sources: txs.indices.map(source), emit: Array(repeating: emit, count: txs.count))
    }

    /// Judges an already decoded transaction.
    public func judge(_ tx: Transaction, source: SourceContext, emit: Bool = true) -> Verdict {
        judge(tx, text: runtime.text.isEnabled ? TextFeatureEncoder.text(of: tx) : nil, source: source, emit: emit)
    }

    /// Judges `tx` whose normalised text is `text`.
    private func judge(_ tx: Transaction, text: String?, source: SourceContext, emit: Bool) -> Verdict {
        let embedding = text.flatMap { try? runtime.text.embedding($0) }
        let x: [Float]
        do {
            x = try runtime.featurizer.features(for: ModelTrainer.featureInput(tx), textEmbedding: embedding, store: &accounts)
        } catch {
            let err = DecodeError(code: .invalidField, message: "features: \(error)", source: source)
            return Verdict(kind: .deadLetter, transaction: tx, score: 0, threshold: 0, detectors: [], alert: nil,
                           deadLetter: emit ? DeadLetter(key: Array(tx.accountID.utf8), value: nil, headers: [], error: err, source: source) : nil)
        }
        let key = AccountStore.key(tx.accountID)
        if stats[key] == nil {
            stats[key] = KeyedStats(stats: scoring.newAccountStats(), lastSeenMillis: tx.timestampMillis)
            if stats.count > runtime.accountCapacity + runtime.accountCapacity / 8 { pruneStats(keeping: key) }
        }
        // Scored in place: reading `scoring` off the class would copy (retain) all its arrays.
        let s = withUnsafePointer(to: &scoring) { model in
            x.withUnsafeBufferPointer { model.pointee.score($0, accountStats: stats[key]!.stats) }
        }
        let decision = threshold.observe(s.combined)
        // Mutated in place (no copy of the statistics' arrays).
        stats[key]!.lastSeenMillis = tx.timestampMillis
        if !decision.isAlert {
            withUnsafePointer(to: &scoring) { model in
                x.withUnsafeBufferPointer { model.pointee.learn($0, accountStats: &stats[key]!.stats) }
            }
            learnForRefit(x)
        }

        let probs = s.tailProbabilities
        let detectors = [
            DetectorScore(name: "isolation_forest", score: s.raw.isolationForest, probability: probs.isolationForest),
            DetectorScore(name: "ocsvm", score: s.raw.oneClassSVM, probability: probs.oneClassSVM),
            DetectorScore(name: "zscore", score: s.raw.zScore, probability: probs.zScore),
        ]
        var verdict = Verdict(kind: decision.isAlert ? .alert : .normal, transaction: tx, score: s.combined,
                              threshold: decision.threshold, detectors: detectors, alert: nil, deadLetter: nil)
        if decision.isAlert && emit {
            let before = stats[key]?.stats ?? scoring.newAccountStats()
            let reasons = ((try? scoring.reasons(x, accountStats: before, limit: 5)) ?? []).map { r in
                AlertReason(feature: r.featureName, value: .number(Double(r.value)), contribution: Double(r.contribution),
                            detector: Self.detectorName(r.detector), description: describe(r.featureName, tx))
            }
            verdict.alert = Alert(
                alertID: AlertID.make(source: source, transactionID: tx.transactionID, modelVersion: modelVersion),
                transactionID: tx.transactionID, accountID: tx.accountID, eventTimeMicros: tx.timestampMicros,
                detectionTimeMicros: Int64(Date().timeIntervalSince1970 * 1_000_000), score: s.combined,
                threshold: decision.threshold, detectors: detectors, reasons: reasons, modelVersion: modelVersion,
                source: source, amount: tx.amount, currency: tx.currency, extra: tx.unknownFields.isEmpty ? nil : tx.unknownFields)
        }
        return verdict
    }

    static func detectorName(_ s: Reason.Source) -> String {
        switch s {
        case .isolationForest: return "isolation_forest"
        case .oneClassSVM: return "ocsvm"
        case .zScore: return "zscore"
        }
    }

    private func describe(_ feature: String, _ tx: Transaction) -> String {
        let base = FeatureNames.describe(feature)
        if feature.hasPrefix("amount") || feature == "acct_amount_z" { return "\(base): \(tx.amount) \(tx.currency)" }
        if feature == "acct_new_country", let c = tx.country { return "\(base): \(c)" }
        if feature == "acct_new_merchant" || feature == "merchant_accounts_surprisal" || feature == "text_novelty" || feature.hasPrefix("text_pca"), let m = tx.merchantName { return "\(base): \(m)" }
        if feature == "acct_new_device", let d = tx.deviceID { return "\(base): \(d)" }
        return base
    }

    /// Drops the statistics of the least recently seen accounts (deterministic: by last-seen time,
    /// then key), keeping memory bounded like the feature store.
    private func pruneStats(keeping current: UInt64) {
        let keep = runtime.accountCapacity
        let ordered = stats.sorted { ($0.key == current ? 1 : 0, $0.value.lastSeenMillis, $0.key) > ($1.key == current ? 1 : 0, $1.value.lastSeenMillis, $1.key) }
        stats = Dictionary(uniqueKeysWithValues: ordered.prefix(keep).map { ($0.key, $0.value) })
    }

    // MARK: - State

    private struct SavedState: Codable {
        var stats: [UInt64: KeyedStats]
        var threshold: PartitionThreshold
        var refit: RefitState?
        /// The refitted detectors (absent before the first refit).
        var scoring: ScoringModel?
    }

    /// The partition's state: account feature store, account statistics, threshold.
    public func snapshot() throws -> [UInt8] {
        let store = accounts.serialized()
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        var r = refit
        if let job { r.pendingModel = job.wait() }
        let rest = [UInt8](try enc.encode(SavedState(stats: stats, threshold: threshold, refit: r, scoring: refit.refits > 0 ? scoring : nil)))
        var out = Array("TXPS1".utf8)
        var n = UInt64(store.count).littleEndian
        withUnsafeBytes(of: &n) { out += $0 }
        out += store
        out += rest
        return out
    }

    private func restore(_ bytes: [UInt8]) throws {
        guard bytes.count >= 13, Array(bytes[0..<5]) == Array("TXPS1".utf8) else { throw PipelineError.badSnapshot("unknown format") }
        var n: UInt64 = 0
        for k in 0..<8 { n |= UInt64(bytes[5 + k]) << (8 * UInt64(k)) }
        guard 13 + Int(n) <= bytes.count else { throw PipelineError.badSnapshot("truncated") }
        accounts = try AccountStore(serialized: Array(bytes[13..<(13 + Int(n))]))
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let saved = try dec.decode(SavedState.self, from: Data(bytes[(13 + Int(n))...]))
        stats = saved.stats
        threshold = saved.threshold
        if let s = saved.scoring { scoring = s }
        if var r = saved.refit {
            if r.pendingStartedAt != nil { job = RefitJob(finished: r.pendingModel) }
            r.pendingModel = nil
            refit = r
        }
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
