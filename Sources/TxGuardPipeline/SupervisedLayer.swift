import Foundation
import TxGuardContracts
import TxGuardDetectors
import TxGuardEmbeddings

/// How the supervised layer learns from labels and how much its evidence counts.
public struct SupervisedSettings: Sendable, Codable, Equatable {
    /// Retrain every this much event time (µs), at boundaries aligned to the epoch (so a backtest, a
    /// replay and a run retrain at the same instants).
    public var retrainEveryMicros: Int64 = 86_400_000_000
    /// Confirmed frauds (and as many legitimate rows) needed before the first model is trained.
    public var minimumFrauds = 20
    /// Feature rows kept per partition to train on once their labels arrive: the last this many
    /// events; with `presumeLegitimateAfterMicros`, half for the most recent events, all of them, and
    /// half for older ones (see `keepSpanMicros`). Frauds known when their row is dropped are kept
    /// apart (up to 20,000).
    public var rowCapacity = 100_000
    /// With `presumeLegitimateAfterMicros`, the event time the older rows should reach back (at
    /// least twice that): when the older half would span less, its rows of events that did not
    /// alert are thinned (halved by a hash of the transaction id, as often as needed, weighted back
    /// up in training) instead of the oldest being dropped, so a busy partition keeps weeks of
    /// history for late chargebacks; alerts are never thinned. Without a presumption (labels come
    /// for every event) the oldest rows are dropped: older legitimate rows cost the Handbook's
    /// 1-day-label PR-AUC 0.779 -> 0.760 (handbook-s2), recency wins there.
    public var keepSpanMicros: Int64 = 30 * 86_400_000_000
    /// Share of legitimate rows trained on (weighted back up), chosen by a hash of the transaction id.
    public var negativeSampleRate = 0.25
    /// Training weight of an alert labelled legitimate (a false positive of the ensemble; all of
    /// them are trained on). Not 1, their inclusion weight: these are the hard negatives, the
    /// look-alikes the trees must tell from fraud; weighing them 4 (what a sampled legitimate row
    /// weighs) ranked slightly better on the evaluation suite with 1-day labels: ahead on 9 of 12
    /// streams, mean PR-AUC 0.844 against 0.842 (docs/DETECTION.md, `labels-1d-fp1`).
    public var falsePositiveWeight = 4.0
    /// Unlabelled events that did not alert count as legitimate once this old (µs); nil: only
    /// labelled events are trained on. Alerts without a label are never trained on. Needed when
    /// labels cover only alerts and chargebacks (analysts label what alerted): the labelled
    /// legitimate events are then all alerts, and a model of frauds against them learns that
    /// not alerting looks like fraud. Without it such a training set is refused (see
    /// `SupervisedLayer.lastRefusal`).
    public var presumeLegitimateAfterMicros: Int64?
    /// Check each retrain out of time before using it (`ModelCheck`): trees trained only on rows
    /// the labels' lag older than the newest labelled rows must rank those better than the
    /// unsupervised score, or no supervised evidence is added. Off by default: on the evaluation
    /// suite, with each model's evidence anchored (`anchorsEvidence`), it moved 30-day labels from
    /// mean PR-AUC 0.360 to 0.368 (0.371 unsupervised; before the anchor 0.333 to 0.374), left
    /// 1-day labels where they were in an earlier run (0.842 against 0.844) and cost 7-day labels
    /// 0.09 (0.609 against 0.695), whose models it can check only after twice the lag of history
    /// (docs/DETECTION.md).
    public var checksModels = false
    /// Weight of the supervised evidence (the model's log-likelihood ratio, natural log) added to
    /// the ensemble's surprise score.
    public var weight = 3.0
    /// Each new model's evidence is shifted so that its median over the recent events at its
    /// retrain instant equals the first model's (`SupervisedLayer.evidenceOffset`): a swap does not
    /// move where ordinary traffic scores, so the adaptive threshold, learned on the earlier
    /// scale, stays valid. Off: every model's evidence is its log-likelihood ratio as trained.
    public var anchorsEvidence = true
    /// The trees.
    public var trees: GradientBoostedTrees.Configuration = {
        var c = GradientBoostedTrees.Configuration()
        c.maxIterations = 100
        c.learningRate = 0.1
        c.maxLeafNodes = 15
        c.minSamplesLeaf = 20
        c.l2Regularization = 1.0
        return c
    }()
    /// A retrain runs on another thread and its model is swapped in at the first event this much
    /// event time after the retrain instant (waiting for it if it is not done), so where the swap
    /// happens never depends on how fast the machine trained.
    public var swapAfterMicros: Int64 = 3_600_000_000
    /// A false positive counts against the same pattern on the same account for this long (µs).
    public var feedbackWindowMicros: Int64 = 30 * 86_400_000_000
    /// Score subtracted per matching false positive (surprise units: ln 1000, a thousand times less likely).
    public var feedbackPenalty = 6.907755
    /// Most false positives that count (the suppression is bounded).
    public var feedbackMaxCount = 3

    /// Defaults.
    public init() {}
}

/// The supervised layer of one partition: gradient-boosted trees over the event's features, its
/// entities' label-derived risk (`EntityRisk`) and the detectors' calibrated tail probabilities,
/// trained on the partition's recent events whose labels are visible at the retrain time, and
/// retrained on a fixed event-time schedule. Until a model is trained it adds nothing, so a
/// pipeline without labels is exactly the unsupervised ensemble.
final class SupervisedLayer {
    let settings: SupervisedSettings
    let featureNames: [String]
    private(set) var model: GradientBoostedTrees?
    /// Logit of the weighted fraud rate the current model was trained at (its evidence is relative to it).
    private(set) var priorLogit = 0.0
    /// The first model's median evidence over the recent events at its retrain instant: where the
    /// evidence of ordinary traffic sits on the scale the adaptive threshold learned.
    private(set) var evidenceAnchor: Double?
    /// Subtracted from the current model's evidence: its median over the recent events at its
    /// retrain instant minus `evidenceAnchor`, so that a swap does not move where ordinary traffic
    /// scores. With labels weeks late, each day's model described an older past and put the median
    /// of the same (mostly legitimate) traffic higher: on `synccfd-s1` with 30-day labels from
    /// −14 to +7 within ten days, and the threshold, learned on the first model's scale, let
    /// through an alert flood (docs/DETECTION.md). A constant per model: the ranking of the events
    /// one model scores is unchanged.
    private(set) var evidenceOffset = 0.0
    /// Recent events (at most) whose median evidence places a new model (`evidenceOffset`).
    static let locationRows = 5000
    private(set) var retrains = 0
    /// Wall seconds spent retraining (benchmarks separate it from per-event scoring).
    private(set) var retrainSeconds = 0.0
    private(set) var lastTraining: (frauds: Int, legitimate: Int)?
    /// Why the last scheduled retrain trained nothing, or nil if it trained.
    private(set) var lastRefusal: String?
    private var nextRetrain: Int64?

    private struct Row {
        var transactionID: String
        var eventTime: Int64
        var alerted: Bool
        /// The transaction id's FNV-1a hash (`LabelBook.fingerprint`).
        var fingerprint: UInt64
        /// The hash as a fraction in [0, 1): what every sampling decision reads.
        var hash: Double { Double(fingerprint % 1_000_000) / 1_000_000 }
        /// The unsupervised ensemble's score of the event (what the supervised evidence is added to).
        var unsupervised: Double
        var values: [Float]
    }
    /// The most recent events' rows, all of them (a ring; `head` is the oldest once full).
    private var rows: [Row] = []
    private var head = 0
    /// Older rows, oldest first from `olderHead`: alerts, and other events whose hash is below
    /// `keepBelow`.
    private var older: [Row] = []
    private var olderHead = 0
    /// Older rows of events that did not alert are kept when their hash is below this (1 until
    /// the older rows first span less than the target at capacity; halved at each thinning).
    private(set) var keepBelow = 1.0

    /// Without a presumption every row is recent (one ring, the oldest dropped); with one, half.
    private var recentCapacity: Int {
        max(1, settings.presumeLegitimateAfterMicros == nil ? settings.rowCapacity : settings.rowCapacity / 2)
    }
    private var olderCapacity: Int { max(1, settings.rowCapacity - recentCapacity) }

    /// Every kept row, oldest first (older rows, then the recent ring).
    private func forEachRow(_ body: (Row) -> Void) {
        for k in olderHead..<older.count { body(older[k]) }
        for k in 0..<rows.count { body(rows[(head + k) % rows.count]) }
    }

    private var oldestKept: Int64? { olderHead < older.count ? older[olderHead].eventTime : rows.isEmpty ? nil : rows[head].eventTime }

    /// The training rows kept: how many, the oldest's event time, and the share of older events
    /// that did not alert kept (1 until thinned).
    var kept: (rows: Int, oldest: Int64?, share: Double) { (rows.count + older.count - olderHead, oldestKept, keepBelow) }

    /// Rows of confirmed frauds that left the ring, kept for training (bounded).
    private var fraudArchive: [String: Row] = [:]
    private var fraudArchiveOrder: [String] = []

    /// The labels the layer trains on (the runtime's book).
    private let book: LabelBook

    init(settings: SupervisedSettings, baseFeatureNames: [String], book: LabelBook) {
        self.settings = settings
        self.book = book
        featureNames = baseFeatureNames + EntityRisk.featureNames + DetectorKind.allCases.map { "detector_\($0.name)_log_tail" }
    }

    /// The supervised feature row of an event.
    func row(_ x: [Float], _ tx: Transaction, logTails: DetectorTriple) -> [Float] {
        var r = [Float]()
        r.reserveCapacity(featureNames.count)
        r += x
        EntityRisk.features(of: tx, book: book, into: &r)
        for k in DetectorKind.allCases { r.append(Float(logTails[k])) }
        return r
    }

    /// The supervised evidence for `row`: log-likelihood ratio (natural log) against the training
    /// prior, or nil before the first model.
    func evidence(_ row: [Float]) -> Double? {
        guard let model else { return nil }
        return row.withUnsafeBufferPointer { model.logit($0) } - priorLogit - evidenceOffset
    }

    /// Per-feature contributions to the evidence (Saabas attribution of the trees).
    func attribution(_ row: [Float]) -> [Double]? {
        guard let model else { return nil }
        return row.withUnsafeBufferPointer { model.attribution($0) }
    }

    /// Keeps an event's row until its label can arrive.
    func record(transactionID: String, eventTime: Int64, alerted: Bool, unsupervised: Double, row: [Float]) {
        let r = Row(transactionID: transactionID, eventTime: eventTime, alerted: alerted, fingerprint: LabelBook.fingerprint(transactionID),
                    unsupervised: unsupervised, values: row)
        if rows.count < recentCapacity {
            rows.append(r)
            return
        }
        let old = rows[head]
        rows[head] = r
        head = (head + 1) % rows.count
        retire(old, now: eventTime)
    }

    /// Moves a row out of the recent ring: kept apart if a known fraud, kept among the older rows
    /// if an alert or in the sample.
    private func retire(_ row: Row, now: Int64) {
        archiveIfFraud(row, now: now)
        guard let presumption = settings.presumeLegitimateAfterMicros, row.alerted || row.hash < keepBelow else { return }
        older.append(row)
        let span = max(settings.keepSpanMicros, 2 * presumption)
        if older.count - olderHead > olderCapacity, now - older[olderHead].eventTime < span, keepBelow > 1e-6 {
            thin(now: now)
        }
        while older.count - olderHead > olderCapacity {
            archiveIfFraud(older[olderHead], now: now)
            olderHead += 1
        }
        if olderHead > 4096 && olderHead * 2 > older.count {
            older.removeFirst(olderHead)
            olderHead = 0
        }
    }

    /// Halves the sample of older rows of events that did not alert (alerts all stay).
    private func thin(now: Int64) {
        keepBelow /= 2
        var kept: [Row] = []
        kept.reserveCapacity(older.count - olderHead)
        for k in olderHead..<older.count {
            let r = older[k]
            if r.alerted || r.hash < keepBelow { kept.append(r) } else { archiveIfFraud(r, now: now) }
        }
        older = kept
        olderHead = 0
    }

    /// Keeps a row that leaves the kept rows if it is a fraud known at event time `now` (training
    /// reads it only once its label is visible at the retrain instant).
    private func archiveIfFraud(_ row: Row, now: Int64) {
        guard book.isKnownFraud(row.transactionID, fingerprint: row.fingerprint, at: now) else { return }
        if fraudArchive[row.transactionID] == nil { fraudArchiveOrder.append(row.transactionID) }
        fraudArchive[row.transactionID] = row
        if fraudArchiveOrder.count > 20_000 { fraudArchive[fraudArchiveOrder.removeFirst()] = nil }
    }

    /// A model being trained on another thread, swapped in at `swapAt` (event time).
    private var pending: (swapAt: Int64, job: BackgroundJob<TrainedModel>)?

    /// Swaps in a finished retrain whose instant has come, and starts a retrain when event time `t`
    /// has passed the next scheduled instant. Returns true if a new model was swapped in.
    @discardableResult
    func retrainIfDue(at t: Int64) -> Bool {
        var swapped = false
        if let p = pending, t >= p.swapAt {
            let started = DispatchTime.now().uptimeNanoseconds
            if let r = p.job.wait() { apply(r); swapped = true }
            retrainSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            pending = nil
        }
        let every = settings.retrainEveryMicros
        guard let due = nextRetrain else {
            nextRetrain = (t / every + 1) * every
            return swapped
        }
        guard t >= due else { return swapped }
        var asOf = due
        while asOf + every <= t { asOf += every }
        nextRetrain = asOf + every
        let started = DispatchTime.now().uptimeNanoseconds
        defer { retrainSeconds += Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        if let job = startRetrain(asOf: asOf) {
            if let p = pending, let r = p.job.wait() { apply(r) }  // an older job not swapped yet goes first
            pending = (asOf + settings.swapAfterMicros, job)
        }
        return swapped
    }

    /// Swaps in a pending retrain now and schedules no more (benchmarks time scoring alone). With
    /// `asOf`, first trains once more on the labels visible at that event time and swaps that
    /// model in, so a benchmark times the model its warm-up's labels allow, whatever the schedule.
    func freeze(retrainingAsOf asOf: Int64? = nil) {
        if let p = pending, let r = p.job.wait() { apply(r) }
        pending = nil
        if let asOf, let job = startRetrain(asOf: asOf), let r = job.wait() { apply(r) }
        nextRetrain = .max
    }

    private func apply(_ r: TrainedModel) {
        guard let m = r.model else {
            // The candidate did not beat the unsupervised score on the newest labelled events:
            // no supervised evidence until one does.
            model = nil
            lastRefusal = r.refusal
            return
        }
        model = m
        priorLogit = r.priorLogit
        if settings.anchorsEvidence, let location = r.location {
            let anchor = evidenceAnchor ?? location
            evidenceAnchor = anchor
            evidenceOffset = location - anchor
        } else {
            evidenceOffset = 0
        }
        retrains += 1
        lastTraining = (r.frauds, r.legitimate)
        lastRefusal = nil
    }


    /// Trains on the rows whose labels are visible at `asOf` (and, if configured, old unlabelled
    /// non-alerted rows as legitimate). No label visible after `asOf` is read.
    private func startRetrain(asOf: Int64) -> BackgroundJob<TrainedModel>? {
        var values: [Float] = []
        var labels: [Bool] = []
        var weights: [Double] = []
        var times: [Int64] = [], unsupervised: [Double] = []
        var frauds = 0, legit = 0, legitNotAlerted = 0
        var legitWeight = 0.0
        var newestLabelled = Int64.min
        var seen = Set<String>()
        // Inverse inclusion probability: other legitimate rows are trained on only when their id
        // falls in the sample (the kept rows' sample, thinned or not, and the training sample
        // nest: both read the same hash). Every labelled alert is trained on.
        let sampleRate = min(max(settings.negativeSampleRate, 1e-6), keepBelow)
        let negWeight = 1 / sampleRate
        func sampled(_ r: Row) -> Bool { r.hash < sampleRate }
        func add(_ r: Row, fraud: Bool, labelled: Bool = true) {
            values += r.values
            labels.append(fraud)
            times.append(r.eventTime)
            unsupervised.append(r.unsupervised)
            if labelled { newestLabelled = max(newestLabelled, r.eventTime) }
            let w = fraud ? 1 : r.alerted ? settings.falsePositiveWeight : negWeight
            weights.append(w)
            if fraud { frauds += 1 } else { legit += 1; legitWeight += w; if !r.alerted { legitNotAlerted += 1 } }
        }
        // Oldest row first, so the training set does not depend on where the ring wraps.
        forEachRow { r in
            guard r.eventTime <= asOf else { return }
            if let fraud = book.isFraud(r.transactionID, visibleAt: asOf) {
                seen.insert(r.transactionID)
                if fraud { add(r, fraud: true) } else if r.alerted || sampled(r) { add(r, fraud: false) }
            } else if let after = settings.presumeLegitimateAfterMicros, !r.alerted, r.eventTime + after <= asOf, sampled(r) {
                add(r, fraud: false, labelled: false)
            }
        }
        for id in fraudArchiveOrder where !seen.contains(id) {
            if let r = fraudArchive[id], book.isFraud(id, visibleAt: asOf) == true { add(r, fraud: true) }
        }
        // Legitimate rows that are all alerts would teach the trees that not alerting looks like fraud.
        guard frauds >= settings.minimumFrauds, legitNotAlerted >= settings.minimumFrauds else {
            let oldest = oldestKept ?? asOf
            if frauds >= settings.minimumFrauds, let after = settings.presumeLegitimateAfterMicros, asOf - oldest < after {
                lastRefusal = String(format: "the training rows kept (%d, the last %.1f h of event time) are all younger than presume-legitimate-after "
                                     + "(%.1f h), so none is presumed legitimate yet", kept.rows, Double(asOf - oldest) / 3.6e9, Double(after) / 3.6e9)
            } else if frauds < settings.minimumFrauds || legit < settings.minimumFrauds {
                lastRefusal = "too few labelled rows visible (\(frauds) frauds, \(legit) legitimate; \(settings.minimumFrauds) of each needed)"
            } else {
                lastRefusal = "the \(legit) legitimate rows visible include only \(legitNotAlerted) that did not alert: labels seem to cover "
                    + "only alerts and chargebacks; set --presume-legitimate-after (e.g. the chargeback horizon) to count old unlabelled events as legitimate"
            }
            return nil
        }
        // The check: a model trained only on rows as much older than the newest labelled ones as
        // those are older than now (the labels' lag) must rank the newest labelled rows better than
        // the unsupervised score alone, or the model trained on everything is not used: with labels
        // that arrive weeks late the model describes a past the stream has left, and its evidence
        // can cost more than it brings (docs/DETECTION.md).
        let lag = max(0, asOf - newestLabelled)
        let gate = settings.checksModels
            ? ModelCheck.split(times: times, labels: labels, newest: newestLabelled, lag: lag,
                               minimumSpan: settings.retrainEveryMicros, minimumFrauds: settings.minimumFrauds)
            : nil
        if settings.checksModels && gate == nil {
            lastRefusal = String(format: "the labels are %.1f days late, and the rows kept do not hold %d frauds labelled more than that before the newest "
                                 + "labelled ones, to check that a model that old still ranks events better than the unsupervised score",
                                 Double(lag) / 86_400e6, settings.minimumFrauds)
            return nil
        }
        guard let x = try? FeatureMatrix(rowCount: labels.count, columnCount: featureNames.count, values: values) else { return nil }
        lastRefusal = nil
        // The most recent events up to the retrain instant, labelled or not: the new model's
        // median evidence over them places its scale (`evidenceOffset`).
        var recent: [Float] = []
        var recentCount = 0
        var k = rows.count - 1
        while k >= 0 && recentCount < Self.locationRows {
            let r = rows[(head + k) % rows.count]
            if r.eventTime <= asOf {
                recent += r.values
                recentCount += 1
            }
            k -= 1
        }
        let prior = log(Double(frauds) / legitWeight)
        let names = featureNames, configuration = settings.trees, counts = (frauds, legit), y = labels, w = weights
        let evidenceWeight = settings.weight, u = unsupervised, recentRows = recent
        return BackgroundJob {
            if let gate, let refusal = gate.refusal(x, labels: y, weights: w, unsupervised: u, evidenceWeight: evidenceWeight, featureNames: names,
                                          configuration: configuration, lagMicros: lag) {
                return TrainedModel(model: nil, priorLogit: 0, frauds: counts.0, legitimate: counts.1, refusal: refusal)
            }
            return (try? GradientBoostedTrees.fit(x, labels: y, sampleWeights: w, featureNames: names, configuration: configuration))
                .map { TrainedModel(model: $0, priorLogit: prior, frauds: counts.0, legitimate: counts.1,
                                    location: SupervisedLayer.medianEvidence($0, rows: recentRows, width: names.count, prior: prior)) }
        }
    }

    /// The median of `model`'s evidence (logit − `prior`) over `rows` (`width` values each); nil without rows.
    static func medianEvidence(_ model: GradientBoostedTrees, rows: [Float], width: Int, prior: Double) -> Double? {
        let n = width > 0 ? rows.count / width : 0
        guard n > 0 else { return nil }
        let e = rows.withUnsafeBufferPointer { p in
            (0..<n).map { i in model.logit(UnsafeBufferPointer(rebasing: p[(i * width)..<((i + 1) * width)])) - prior }
        }
        return RobustScaling.percentile(e.sorted(), 50)
    }

    // MARK: - State

    struct Saved: Codable {
        var model: GradientBoostedTrees?
        var priorLogit: Double
        var retrains: Int
        var nextRetrain: Int64?
        /// A retrain not swapped in yet: its model (waited for at snapshot time) and swap instant.
        var pendingModel: GradientBoostedTrees?
        var pendingPriorLogit: Double?
        var pendingSwapAt: Int64?
        var pendingCounts: [Int]?
        /// A retrain not swapped in yet that refused its model (the check failed): why.
        var pendingRefusal: String?
        /// `evidenceAnchor`, `evidenceOffset` and a pending retrain's location (absent in snapshots
        /// written before they existed: no offset).
        var evidenceAnchor: Double?
        var evidenceOffset: Double?
        var pendingLocation: Double?
    }

    /// The model and schedule (the training rows are not saved: after a restore the next retrains
    /// see the events since the restore, README "Labels").
    var saved: Saved {
        var s = Saved(model: model, priorLogit: priorLogit, retrains: retrains, nextRetrain: nextRetrain,
                      evidenceAnchor: evidenceAnchor, evidenceOffset: evidenceOffset)
        if let p = pending, let r = p.job.wait() {
            s.pendingModel = r.model
            s.pendingPriorLogit = r.priorLogit
            s.pendingSwapAt = p.swapAt
            s.pendingCounts = [r.frauds, r.legitimate]
            s.pendingRefusal = r.refusal
            s.pendingLocation = r.location
        }
        return s
    }

    func restore(_ s: Saved) {
        model = s.model
        priorLogit = s.priorLogit
        retrains = s.retrains
        nextRetrain = s.nextRetrain
        evidenceAnchor = s.evidenceAnchor
        evidenceOffset = s.evidenceOffset ?? 0
        if let prior = s.pendingPriorLogit, let at = s.pendingSwapAt, s.pendingModel != nil || s.pendingRefusal != nil {
            let c = s.pendingCounts ?? [0, 0]
            pending = (at, BackgroundJob(finished: TrainedModel(model: s.pendingModel, priorLogit: prior, frauds: c.first ?? 0, legitimate: c.last ?? 0,
                                                                refusal: s.pendingRefusal, location: s.pendingLocation)))
        }
    }
}

/// One supervised retrain: the trees and what they were trained on.
struct TrainedModel: Sendable {
    /// The trees, or nil when the check refused them (`refusal` says why).
    var model: GradientBoostedTrees?
    var priorLogit: Double
    var frauds: Int
    var legitimate: Int
    var refusal: String?
    /// The model's median evidence over the recent events at its retrain instant (nil without any).
    var location: Double?
}
