extension BacktestReport {
    /// Builds the report from scored events.
    ///
    /// - Parameters:
    ///   - events: every scored event; metrics needing ground truth use the labelled ones.
    ///   - variants: alternative scores for the ablation table, each aligned with `events` by index
    ///     (e.g. "isolation_forest only", "without zscore"); the events' own score is added as
    ///     `options.primaryVariantName` unless a variant of that name is given.
    ///   - run: measured throughput and wall time, or `nil` for byte-identical reports.
    /// - Throws: `ReportError` on a variant of the wrong length, a non-finite score or bad options.
    public static func build(
        events: [ScoredEvent], variants: [String: [Double]] = [:], run: RunInfo? = nil,
        options: ReportOptions = ReportOptions()
    ) throws -> BacktestReport {
        guard options.timelineBuckets >= 1 else { throw ReportError.invalidCount(what: "timelineBuckets", value: options.timelineBuckets) }
        guard options.histogramBins >= 1 else { throw ReportError.invalidCount(what: "histogramBins", value: options.histogramBins) }
        guard options.maxCurvePoints >= 2 else { throw ReportError.invalidCount(what: "maxCurvePoints", value: options.maxCurvePoints) }
        if let bad = events.firstIndex(where: { !$0.score.isFinite }) {
            throw ReportError.nonFiniteScore(what: "events", index: bad)
        }
        for (name, scores) in variants where scores.count != events.count {
            throw ReportError.lengthMismatch(what: "variant \"\(name)\"", expected: events.count, actual: scores.count)
        }
        let budgets = options.budgets.sorted()
        let labeledIndices = events.indices.filter { events[$0].label != nil }
        let labeled = labeledIndices.map { events[$0] }
        let labels = labeled.map { $0.label == true }
        let lookalikes = events.filter { $0.lookalike != nil && $0.label == false }

        let counts = EventCounts(
            events: events.count, labeled: labeled.count, frauds: labels.filter { $0 }.count,
            legitimate: labels.filter { !$0 }.count, alerts: events.filter(\.alert).count, lookalikes: lookalikes.count)

        var live: DecisionMetrics?
        var ranking: RankingSummary?
        var curves: Curves?
        var budgetSummaries: [BudgetSummary] = []
        if !labeled.isEmpty {
            live = DecisionMetrics(try ConfusionCounts(decisions: labeled.map(\.alert), labels: labels))
            let thresholdCounts = try ThresholdCounts(scores: labeled.map(\.score), labels: labels)
            let pr = PrecisionRecallCurve(thresholdCounts)
            let roc = ROCCurve(thresholdCounts)
            ranking = RankingSummary(
                rocAUC: roc.auc, averagePrecision: pr.averagePrecision,
                prevalence: Double(counts.frauds) / Double(labeled.count), bestF1: ThresholdSelection.bestF1(thresholdCounts))
            if counts.frauds > 0 && counts.legitimate > 0 {
                curves = Curves(
                    precisionRecall: CurvePoints(x: pr.recall, y: pr.precision, threshold: pr.thresholds.map { $0 } + [nil],
                                                 maxPoints: options.maxCurvePoints),
                    roc: CurvePoints(x: roc.falsePositiveRate, y: roc.truePositiveRate,
                                     threshold: roc.thresholds.map { $0.isFinite ? $0 : nil }, maxPoints: options.maxCurvePoints))
            }
            for budget in budgets {
                guard let outcome = BudgetOutcome(budget: budget, counts: thresholdCounts) else { continue }
                let flaggedLookalikes = lookalikes.filter { $0.score >= outcome.threshold }.count
                budgetSummaries.append(BudgetSummary(
                    budget: budget.fraction, label: budget.label, k: outcome.k, threshold: outcome.threshold,
                    metrics: DecisionMetrics(outcome.counts),
                    lookalikeAlertRate: lookalikes.isEmpty ? nil : Double(flaggedLookalikes) / Double(lookalikes.count),
                    maxRecallChoice: ThresholdSelection.maxRecall(within: budget, thresholdCounts)))
            }
        }

        return BacktestReport(
            schemaVersion: 1,
            title: options.title,
            counts: counts,
            alertRate: events.isEmpty ? 0 : Double(counts.alerts) / Double(events.count),
            run: run,
            eventTime: eventTimeSpan(events),
            live: live,
            ranking: ranking,
            budgets: budgetSummaries,
            fraudTypes: fraudTypeRecall(labeled, thresholds: budgetSummaries.map(\.threshold)),
            lookalikes: lookalikeSummary(lookalikes),
            curves: curves,
            ablation: try ablation(events: events, labeledIndices: labeledIndices, labels: labels, variants: variants,
                                   budgets: budgets, primaryName: options.primaryVariantName),
            timeline: Timeline(events: events, bucketCount: options.timelineBuckets),
            histogram: ScoreHistogram(events: events, bins: options.histogramBins, logScale: options.histogramLogScale))
    }

    private static func eventTimeSpan(_ events: [ScoredEvent]) -> EventTimeSpan? {
        guard let first = events.map(\.eventTimeMillis).min(), let last = events.map(\.eventTimeMillis).max() else { return nil }
        return EventTimeSpan(firstMillis: first, lastMillis: last, durationSeconds: Double(last - first) / 1000)
    }

    private static func fraudTypeRecall(_ labeled: [ScoredEvent], thresholds: [Double]) -> [FraudTypeRecall] {
        let frauds = labeled.filter { $0.label == true }
        let legitimate = labeled.filter { $0.label == false }.map(\.score)
        let byType = Dictionary(grouping: frauds) { $0.fraudType ?? "untyped" }
        return byType.keys.sorted().compactMap { type in
            guard let group = byType[type], !group.isEmpty else { return nil }
            let n = Double(group.count)
            let versusLegitimate = try? ThresholdCounts(scores: group.map(\.score) + legitimate,
                                                        labels: group.map { _ in true } + legitimate.map { _ in false })
            return FraudTypeRecall(
                type: type, count: group.count,
                liveRecall: Double(group.filter(\.alert).count) / n,
                budgetRecall: thresholds.map { t in Double(group.filter { $0.score >= t }.count) / n },
                rocAUCVersusLegitimate: versusLegitimate.flatMap { ROCCurve($0).auc })
        }
    }

    private static func lookalikeSummary(_ lookalikes: [ScoredEvent]) -> LookalikeSummary {
        let byTag = Dictionary(grouping: lookalikes) { $0.lookalike ?? "" }
        let alerts = lookalikes.filter(\.alert).count
        return LookalikeSummary(
            count: lookalikes.count, liveAlerts: alerts,
            liveAlertRate: lookalikes.isEmpty ? nil : Double(alerts) / Double(lookalikes.count),
            byTag: byTag.keys.sorted().map { tag in
                let group = byTag[tag] ?? []
                return .init(tag: tag, count: group.count, liveAlerts: group.filter(\.alert).count)
            })
    }

    private static func ablation(
        events: [ScoredEvent], labeledIndices: [Int], labels: [Bool], variants: [String: [Double]],
        budgets: [AlertBudget], primaryName: String
    ) throws -> [VariantMetrics] {
        var all = variants
        if all[primaryName] == nil { all[primaryName] = events.map(\.score) }
        let names = [primaryName] + all.keys.filter { $0 != primaryName }.sorted()
        return try names.map { name in
            let scores = all[name] ?? []
            let subset = labeledIndices.map { scores[$0] }
            if let bad = subset.firstIndex(where: { !$0.isFinite }) {
                throw ReportError.nonFiniteScore(what: "variant \"\(name)\"", index: labeledIndices[bad])
            }
            guard !subset.isEmpty else {
                return VariantMetrics(name: name, rocAUC: nil, averagePrecision: nil, bestF1: nil, budgets: [])
            }
            let counts = try ThresholdCounts(scores: subset, labels: labels)
            return VariantMetrics(
                name: name, rocAUC: ROCCurve(counts).auc, averagePrecision: PrecisionRecallCurve(counts).averagePrecision,
                bestF1: ThresholdSelection.bestF1(counts)?.counts.f1,
                budgets: budgets.compactMap { budget in
                    BudgetOutcome(budget: budget, counts: counts).map {
                        .init(budget: budget.fraction, threshold: $0.threshold, alerts: $0.counts.flagged,
                              precision: $0.counts.precision, recall: $0.counts.recall)
                    }
                })
        }
    }
}
