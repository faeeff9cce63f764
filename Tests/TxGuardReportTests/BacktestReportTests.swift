import Foundation
import Testing
@testable import TxGuardReport

@Suite struct BacktestReportTests {
    @Test func identicalInputsGiveByteIdenticalJSON() throws {
        let a = SampleEvents.make()
        let b = SampleEvents.make()
        let first = try BacktestReport.build(events: a.events, variants: a.variants).jsonData()
        let second = try BacktestReport.build(events: b.events, variants: b.variants).jsonData()
        #expect(first == second)
        // Variant dictionary order must not matter either.
        let reordered = Dictionary(uniqueKeysWithValues: a.variants.reversed().map { ($0.key, $0.value) })
        #expect(try BacktestReport.build(events: a.events, variants: reordered).jsonData() == first)
        // And a different input changes the bytes (the test can fail).
        let other = SampleEvents.make(seed: 43)
        #expect(try BacktestReport.build(events: other.events, variants: other.variants).jsonData() != first)
    }

    @Test func jsonRoundTripsAndIsCanonical() throws {
        let s = SampleEvents.make()
        let report = try BacktestReport.build(events: s.events, variants: s.variants, run: RunInfo(eventsPerSecond: 123_456.5, wallSeconds: 0.04))
        let data = try report.jsonData()
        let decoded = try BacktestReport.decode(from: data)
        #expect(decoded == report)
        #expect(try decoded.jsonData() == data)
        let text = String(decoding: data, as: UTF8.self)
        // Top-level keys appear in sorted order.
        let keys = ["ablation", "alertRate", "budgets", "counts", "curves", "eventTime", "fraudTypes", "histogram",
                    "live", "lookalikes", "ranking", "run", "schemaVersion", "timeline", "title"]
        let positions = try keys.map { key in try #require(text.range(of: "\n  \"\(key)\": ")?.lowerBound) }
        #expect(positions == positions.sorted())
    }

    @Test func canonicalNumberFormat() {
        #expect(CanonicalJSON.format(3) == "3")
        #expect(CanonicalJSON.format(-0.0) == "0")
        #expect(CanonicalJSON.format(0.1) == "0.1")
        #expect(CanonicalJSON.format(1e-5) == "1e-05")
        #expect(CanonicalJSON.format(0.30000000000000004) == "0.30000000000000004")
        #expect(CanonicalJSON.format(.nan) == "null")
    }

    @Test func countsRatesAndBudgetsMatchBruteForce() throws {
        let s = SampleEvents.make()
        let r = try BacktestReport.build(events: s.events, variants: s.variants)
        let labeled = s.events.filter { $0.label != nil }
        #expect(r.counts.events == 5000)
        #expect(r.counts.labeled == labeled.count)
        #expect(r.counts.frauds == labeled.filter { $0.label == true }.count)
        #expect(r.counts.alerts == s.events.filter(\.alert).count)
        #expect(r.alertRate == Double(r.counts.alerts) / 5000)
        let live = try #require(r.live)
        let tp = labeled.filter { $0.alert && $0.label == true }.count
        #expect(live.precision == Double(tp) / Double(labeled.filter(\.alert).count))
        #expect(live.recall == Double(tp) / Double(r.counts.frauds))
        #expect(r.budgets.map(\.label) == ["0.1%", "0.5%", "1%"])
        for b in r.budgets {
            let sorted = labeled.map(\.score).sorted(by: >)
            let k = Int((b.budget * Double(labeled.count)).rounded(.up))
            #expect(b.k == k)
            #expect(b.threshold == sorted[k - 1])
            let flagged = labeled.filter { $0.score >= b.threshold }
            #expect(b.metrics.counts.flagged == flagged.count)
            #expect(b.metrics.counts.truePositives == flagged.filter { $0.label == true }.count)
        }
    }

    @Test func perTypeRecallAndLookalikes() throws {
        let s = SampleEvents.make()
        let r = try BacktestReport.build(events: s.events)
        #expect(r.fraudTypes.map(\.type) == SampleEvents.fraudTypes.sorted())
        for t in r.fraudTypes {
            let group = s.events.filter { $0.label == true && $0.fraudType == t.type }
            #expect(t.count == group.count)
            #expect(t.liveRecall == Double(group.filter(\.alert).count) / Double(group.count))
            for (j, b) in r.budgets.enumerated() {
                #expect(t.budgetRecall[j] == Double(group.filter { $0.score >= b.threshold }.count) / Double(group.count))
            }
            // ROC-AUC against legitimate events equals the Mann–Whitney statistic
            // P(fraud score > legitimate score) + ½·P(tie), counted over all pairs.
            let legit = s.events.filter { $0.label == false }.map(\.score)
            var wins = 0.0
            for f in group.map(\.score) { for l in legit { wins += f > l ? 1 : (f == l ? 0.5 : 0) } }
            let auc = try #require(t.rocAUCVersusLegitimate)
            #expect(abs(auc - wins / Double(group.count * legit.count)) < 1e-12, "\(t.type)")
        }
        let looks = s.events.filter { $0.lookalike != nil && $0.label == false }
        #expect(r.lookalikes.count == looks.count && looks.count > 0)
        #expect(r.lookalikes.liveAlertRate == Double(looks.filter(\.alert).count) / Double(looks.count))
        #expect(r.lookalikes.byTag.map(\.tag) == SampleEvents.lookalikeTags.sorted())
        #expect(r.lookalikes.byTag.map(\.count).reduce(0, +) == looks.count)
        let b = try #require(r.budgets.last)
        #expect(b.lookalikeAlertRate == Double(looks.filter { $0.score >= b.threshold }.count) / Double(looks.count))
    }

    @Test func ablationComputesEachVariantOnLabelledEvents() throws {
        let s = SampleEvents.make()
        let r = try BacktestReport.build(events: s.events, variants: s.variants)
        #expect(r.ablation.map(\.name) == ["ensemble", "isolation_forest only", "without zscore"])
        #expect(r.ablation[0].averagePrecision == r.ranking?.averagePrecision)
        #expect(r.ablation[0].rocAUC == r.ranking?.rocAUC)
        let idx = s.events.indices.filter { s.events[$0].label != nil }
        let variant = try #require(s.variants["without zscore"])
        let counts = try ThresholdCounts(scores: idx.map { variant[$0] }, labels: idx.map { s.events[$0].label == true })
        #expect(r.ablation[2].averagePrecision == PrecisionRecallCurve(counts).averagePrecision)
        #expect(r.ablation[2].averagePrecision != r.ablation[0].averagePrecision)
        #expect(throws: ReportError.lengthMismatch(what: "variant \"short\"", expected: 5000, actual: 3)) {
            try BacktestReport.build(events: s.events, variants: ["short": [1, 2, 3]])
        }
    }

    @Test func timelineAndHistogramAccountForEveryEvent() throws {
        let s = SampleEvents.make()
        var options = ReportOptions()
        options.timelineBuckets = 10
        options.histogramBins = 25
        let r = try BacktestReport.build(events: s.events, options: options)
        #expect(r.timeline.buckets.count == 10)
        #expect(r.timeline.buckets.map(\.events).reduce(0, +) == 5000)
        #expect(r.timeline.buckets.map(\.alerts).reduce(0, +) == r.counts.alerts)
        // Events are one minute apart, so each tenth of the span holds 500 of them.
        #expect(r.timeline.buckets.allSatisfy { $0.events == 500 })
        let firstBucket = s.events.prefix(500)
        #expect(r.timeline.buckets[0].meanThreshold == firstBucket.map(\.threshold).reduce(0, +) / 500)
        #expect(r.timeline.buckets[0].maxThreshold == firstBucket.map(\.threshold).max())
        let h = r.histogram
        #expect(h.edges.count == 26)
        #expect(h.normal.reduce(0, +) == r.counts.legitimate)
        #expect(h.fraud.reduce(0, +) == r.counts.frauds)
        #expect(h.unlabeled.reduce(0, +) == r.counts.events - r.counts.labeled)
        #expect(h.edges.first == s.events.map(\.score).min() && h.edges.last == s.events.map(\.score).max())
    }

    @Test func unlabelledOnlyBacktestStillReports() throws {
        let events = SampleEvents.make(n: 300).events.map { e -> ScoredEvent in var e = e; e.label = nil; return e }
        let r = try BacktestReport.build(events: events)
        #expect(r.live == nil && r.ranking == nil && r.curves == nil && r.budgets.isEmpty)
        #expect(r.counts.alerts == events.filter(\.alert).count)
        #expect(r.ablation.count == 1 && r.ablation[0].averagePrecision == nil)
        _ = try r.jsonData()
        #expect(HTMLReport.render(r).contains("No data"))
    }

    @Test func curvesAreThinnedButKeepEndpoints() throws {
        let s = SampleEvents.make()
        var options = ReportOptions()
        options.maxCurvePoints = 50
        let r = try BacktestReport.build(events: s.events, options: options)
        let c = try #require(r.curves)
        #expect(c.precisionRecall.count <= 50 && c.precisionRecall.count >= 10)
        #expect(c.precisionRecall.x.last == 0 && c.precisionRecall.y.last == 1 && c.precisionRecall.threshold.last == .some(nil))
        #expect(c.roc.x.first == 0 && c.roc.y.first == 0 && c.roc.threshold.first == .some(nil))
        #expect(c.roc.x.last == 1 && c.roc.y.last == 1)
    }
}
