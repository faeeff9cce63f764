import Foundation
import TxGuardDetectors

/// The supervised layer's check of a retrain, out of time: before the trees trained on every
/// labelled row are used, trees trained only on rows as much older than the newest labelled rows
/// as those are older than the retrain instant (the labels' lag) must rank those newest rows
/// better than the unsupervised score alone. That is the position the deployed model will be in:
/// trained on labels `lag` old, judging today's events. With labels a day late the check passes
/// and the full model is used; with labels a month late, on a stream whose frauds move on, it
/// fails and the layer adds no evidence (with such labels the evidence cost the evaluation suite's
/// `synccfd` and `holdout` streams 0.07-0.11 PR-AUC, docs/DETECTION.md). Opt-in
/// (`SupervisedSettings.checksModels`): it can check a model only once the rows kept reach twice
/// the lag back, which delays the models of 7-day labels.
struct ModelCheck: Sendable {
    /// Rows the check trains on (event time at most `lag` before the judged rows).
    let trainRows: [Int]
    /// The newest labelled rows, judged.
    let validationRows: [Int]

    /// The split of rows with event `times` and `labels` (fraud or not): the judged rows are the
    /// newest labelled ones, back at least `minimumSpan` from `newest` and far enough to hold
    /// `minimumFrauds` frauds; the check trains on the rows at least `lag` older than those. Nil
    /// when either part is too small.
    static func split(times: [Int64], labels: [Bool], newest: Int64, lag: Int64, minimumSpan: Int64, minimumFrauds: Int) -> ModelCheck? {
        guard newest > .min, minimumFrauds > 0 else { return nil }
        let fraudTimes = zip(times, labels).filter(\.1).map(\.0).sorted(by: >)
        guard fraudTimes.count >= minimumFrauds else { return nil }
        let start = min(newest - minimumSpan, fraudTimes[minimumFrauds - 1] - 1)
        let trainEnd = start - lag
        let train = times.indices.filter { times[$0] <= trainEnd }
        let validation = times.indices.filter { times[$0] > start }
        let trainFrauds = train.filter { labels[$0] }.count
        guard trainFrauds >= minimumFrauds, train.count - trainFrauds >= minimumFrauds else { return nil }
        return ModelCheck(trainRows: train, validationRows: validation)
    }

    /// Nil if trees trained on the older rows rank the judged rows better (weighted average
    /// precision of `unsupervised + evidenceWeight × evidence`) than `unsupervised` alone;
    /// otherwise why not.
    func refusal(_ x: FeatureMatrix, labels: [Bool], weights: [Double], unsupervised: [Double], evidenceWeight: Double,
                 featureNames: [String], configuration: GradientBoostedTrees.Configuration, lagMicros: Int64) -> String? {
        let w = x.columnCount
        var values: [Float] = []
        values.reserveCapacity(trainRows.count * w)
        for r in trainRows { values += x.values[(r * w)..<((r + 1) * w)] }
        let y = trainRows.map { labels[$0] }, sw = trainRows.map { weights[$0] }
        let frauds = y.filter { $0 }.count
        let legitWeight = zip(y, sw).filter { !$0.0 }.map(\.1).reduce(0, +)
        guard let m = try? FeatureMatrix(rowCount: trainRows.count, columnCount: w, values: values),
              let trees = try? GradientBoostedTrees.fit(m, labels: y, sampleWeights: sw, featureNames: featureNames, configuration: configuration),
              frauds > 0, legitWeight > 0 else {
            return "the check's model (on rows before the newest labelled ones) could not be trained"
        }
        let prior = log(Double(frauds) / legitWeight)
        let judged = validationRows.map { labels[$0] }, judgedWeights = validationRows.map { weights[$0] }
        let plain = validationRows.map { unsupervised[$0] }
        let combined = validationRows.map { r in
            x.values.withUnsafeBufferPointer { unsupervised[r] + evidenceWeight * (trees.logit(UnsafeBufferPointer(rebasing: $0[(r * w)..<((r + 1) * w)])) - prior) }
        }
        let before = Self.averagePrecision(plain, judged, judgedWeights), after = Self.averagePrecision(combined, judged, judgedWeights)
        guard after <= before else { return nil }
        return String(format: "trees trained on labels %.1f days older than the newest ones ranked those newest %d labelled rows worse "
                      + "(average precision %.3f) than the unsupervised score alone (%.3f): no supervised evidence until a retrain does better",
                      Double(lagMicros) / 86_400e6, validationRows.count, after, before)
    }

    /// Average precision of `scores` against `labels`, each row counting `weights` times (frauds
    /// in the precision's numerator, every row in its denominator); ties broken by position.
    static func averagePrecision(_ scores: [Double], _ labels: [Bool], _ weights: [Double]) -> Double {
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        var seen = 0.0, hits = 0.0, total = 0.0, sum = 0.0
        for i in order {
            seen += weights[i]
            if labels[i] {
                hits += weights[i]
                sum += weights[i] * hits / seen
                total += weights[i]
            }
        }
        return total > 0 ? sum / total : 0
    }
}
