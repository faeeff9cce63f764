/// The report's charts, each an inline `<svg>` drawn by `SVGPlot`, or `nil` when there is no data for it.
enum ReportCharts {
    static let blue = "#1f6fb4", red = "#d1382f", green = "#2e9c48", purple = "#7b4fb3", orange = "#e08a1e", gray = "#7f8790"
    static let budgetColors = [green, purple, orange, "#1a9aa8", "#b0417a"]

    /// Precision against recall, with the live operating point and the budget points.
    static func precisionRecall(_ r: BacktestReport) -> String? {
        guard let curves = r.curves, let ranking = r.ranking else { return nil }
        var p = SVGPlot(id: "chart-pr", width: 640, height: 430, x: (0, 1, false), y: (0, 1.02, false),
                        xTitle: "Recall", yTitle: "Precision")
        p.legendCorner = .topRight
        let c = curves.precisionRecall
        p.line(Array(zip(c.x, c.y)), color: blue, label: "PR curve (AP \(ReportFormat.metric(ranking.averagePrecision)))", step: true)
        p.referenceLine([(0, ranking.prevalence), (1, ranking.prevalence)], color: gray,
                        label: "random (prevalence \(ReportFormat.percent(ranking.prevalence)))")
        if let live = r.live {
            p.markers([(live.recall, live.precision, "live",
                        "live alerts: precision \(ReportFormat.metric(live.precision)), recall \(ReportFormat.metric(live.recall))")],
                      color: red, shape: .diamond, label: "live alerts")
        }
        if !r.budgets.isEmpty {
            p.markers(r.budgets.map { b in
                (b.metrics.recall, b.metrics.precision, "top \(b.label)",
                 "top \(b.label) (score ≥ \(ReportFormat.value(b.threshold))): precision \(ReportFormat.metric(b.metrics.precision)), recall \(ReportFormat.metric(b.metrics.recall))")
            }, color: green, shape: .circle, label: "alert budgets")
        }
        return p.render(title: "Precision-recall curve")
    }

    /// True-positive rate against false-positive rate.
    static func roc(_ r: BacktestReport) -> String? {
        guard let curves = r.curves, let ranking = r.ranking else { return nil }
        var p = SVGPlot(id: "chart-roc", width: 640, height: 430, x: (0, 1, false), y: (0, 1.02, false),
                        xTitle: "False-positive rate", yTitle: "True-positive rate (recall)")
        p.legendCorner = .bottomRight
        p.line(Array(zip(curves.roc.x, curves.roc.y)), color: blue, label: "ROC (AUC \(ReportFormat.metric(ranking.rocAUC)))")
        p.referenceLine([(0, 0), (1, 1)], color: gray, label: "random")
        if let live = r.live {
            let c = live.counts
            let fpr = c.falsePositives + c.trueNegatives == 0 ? 0 : Double(c.falsePositives) / Double(c.falsePositives + c.trueNegatives)
            p.markers([(fpr, live.recall, "live", "live alerts: FPR \(ReportFormat.percent(fpr)), TPR \(ReportFormat.metric(live.recall))")],
                      color: red, shape: .diamond, label: "live alerts")
        }
        if !r.budgets.isEmpty {
            p.markers(r.budgets.map { b in
                let c = b.metrics.counts
                let fpr = c.falsePositives + c.trueNegatives == 0 ? 0 : Double(c.falsePositives) / Double(c.falsePositives + c.trueNegatives)
                return (fpr, b.metrics.recall, nil, "top \(b.label): FPR \(ReportFormat.percent(fpr)), TPR \(ReportFormat.metric(b.metrics.recall))")
            }, color: green, shape: .circle, label: "alert budgets")
        }
        return p.render(title: "ROC curve")
    }

    /// Overlaid score histograms, legitimate vs fraud (log count axis by default).
    static func histogram(_ r: BacktestReport) -> String? {
        let h = r.histogram
        guard h.edges.count >= 2 else { return nil }
        let maxCount = Double((h.normal + h.fraud + h.unlabeled).max() ?? 0)
        guard maxCount > 0, let lo = h.edges.first, let hi = h.edges.last else { return nil }
        var p = SVGPlot(id: "chart-histogram", width: 640, height: 430, x: (lo, hi, false),
                        y: h.logScale ? (0.5, maxCount * 3, true) : (0, maxCount * 1.08, false),
                        xTitle: "Score", yTitle: h.logScale ? "Events (log scale)" : "Events", legendAbove: true)
        if h.normal.contains(where: { $0 > 0 }) {
            p.stepArea(edges: h.edges, counts: h.normal.map(Double.init), color: blue, label: "legitimate (\(ReportFormat.integer(h.normal.reduce(0, +))))")
        }
        if h.unlabeled.contains(where: { $0 > 0 }) {
            p.stepArea(edges: h.edges, counts: h.unlabeled.map(Double.init), color: gray, label: "unlabelled (\(ReportFormat.integer(h.unlabeled.reduce(0, +))))")
        }
        if h.fraud.contains(where: { $0 > 0 }) {
            p.stepArea(edges: h.edges, counts: h.fraud.map(Double.init), color: red, label: "fraud (\(ReportFormat.integer(h.fraud.reduce(0, +))))")
        }
        for (i, b) in r.budgets.enumerated() {
            p.verticalLine(at: b.threshold, color: budgetColors[i % budgetColors.count], text: "top \(b.label)", row: i)
        }
        return p.render(title: "Score histograms")
    }

    /// Two panes over event time: alert rate (and fraud share), then the threshold in force.
    static func timeline(_ r: BacktestReport) -> (alertRate: String, threshold: String)? {
        let filled = r.timeline.buckets.filter { $0.events > 0 }
        guard let first = r.timeline.buckets.first, let last = r.timeline.buckets.last, !filled.isEmpty else { return nil }
        let lo = Double(first.startMillis), hi = Double(max(last.endMillis, first.startMillis + 1))
        let span = hi - lo
        let mid: (Timeline.Bucket) -> Double = { Double($0.startMillis + $0.endMillis) / 2 }
        let timeLabel: (Double) -> String = { ReportFormat.time($0, spanMillis: span) }
        let maxRate = max(filled.compactMap(\.alertRate).max() ?? 0, filled.map { Double($0.frauds) / Double($0.events) }.max() ?? 0)
        var a = SVGPlot(id: "chart-alert-rate", width: 1330, height: 260, x: (lo, hi, false), y: (0, max(maxRate * 1.15, 1e-4) * 100, false),
                        xTitle: "Event time (UTC)", yTitle: "% of events", leftMargin: 72, legendAbove: true)
        a.xTickLabel = timeLabel
        a.xTicksOverride = timeTicks(lo, hi)
        a.line(filled.map { (mid($0), ($0.alertRate ?? 0) * 100) }, color: red, label: "alert rate (live)")
        if r.counts.labeled > 0 {
            a.line(filled.map { (mid($0), Double($0.frauds) / Double($0.events) * 100) }, color: gray, label: "fraud share (labels)", width: 1.5, dash: true)
        }
        let tLo = filled.compactMap(\.minThreshold).min() ?? 0, tHi = filled.compactMap(\.maxThreshold).max() ?? 1
        let pad = max((tHi - tLo) * 0.1, 1e-6)
        var t = SVGPlot(id: "chart-threshold", width: 1330, height: 260, x: (lo, hi, false), y: (tLo - pad, tHi + pad, false),
                        xTitle: "Event time (UTC)", yTitle: "Threshold", leftMargin: 72, legendAbove: true)
        t.xTickLabel = timeLabel
        t.xTicksOverride = timeTicks(lo, hi)
        t.band(filled.map(mid), low: filled.map { $0.minThreshold ?? 0 }, high: filled.map { $0.maxThreshold ?? 0 }, color: purple, label: "min–max per bucket")
        t.line(filled.map { (mid($0), $0.meanThreshold ?? 0) }, color: purple, label: "mean threshold in force")
        return (a.render(title: "Alert rate over time"), t.render(title: "Threshold over time"))
    }

    /// Ticks on round UTC times (minutes, hours, days) giving about six to ten labels.
    static func timeTicks(_ lo: Double, _ hi: Double) -> [Double] {
        let minute = 60_000.0, hour = 60 * minute, day = 24 * hour
        let steps = [1, 2, 5, 10, 15, 30].map { $0 * minute } + [1, 2, 3, 6, 12].map { $0 * hour } + [1, 2, 7, 14, 30].map { $0 * day }
        let step = steps.first { (hi - lo) / $0 <= 10 } ?? (hi - lo) / 6
        var ticks: [Double] = []
        var t = (lo / step).rounded(.up) * step
        while t <= hi {
            ticks.append(t)
            t += step
        }
        return ticks.isEmpty ? [lo, hi] : ticks
    }

    /// Horizontal grouped bars: recall of each fraud type, live and at each budget.
    static func typeRecall(_ r: BacktestReport) -> String? {
        let types = r.fraudTypes
        guard !types.isEmpty else { return nil }
        let seriesCount = 1 + r.budgets.count
        let n = Double(types.count)
        let labels = types.map { t in
            "\(t.type) (\(ReportFormat.integer(t.count))\(t.rocAUCVersusLegitimate.map { ", AUC " + ReportFormat.metric($0) } ?? ""))"
        }
        let leftMargin = min(320, 24 + 7.0 * Double(labels.map(\.count).max() ?? 10))
        let height = 90 + Double(types.count) * (Double(seriesCount) * 15 + 12)
        var p = SVGPlot(id: "chart-type-recall", width: 1330, height: max(height, 220), x: (0, 1.1, false), y: (0, n, false),
                        xTitle: "Recall (share of the type's frauds flagged)", yTitle: "", leftMargin: leftMargin, legendAbove: true)
        p.xTicksOverride = [0, 0.2, 0.4, 0.6, 0.8, 1.0]
        p.xTickLabel = { String(format: "%.0f%%", $0 * 100) }
        p.yTickLabels = types.indices.map { (n - Double($0) - 0.5, labels[$0]) }
        let barH = 0.82 / Double(seriesCount)
        func slot(_ typeIndex: Int, _ s: Int) -> (Double, Double) {
            let top = n - Double(typeIndex) - 0.09 - barH * Double(s)
            return (top - barH * 0.9, top)
        }
        p.bars(types.enumerated().map { i, t in
            let (y0, y1) = slot(i, 0)
            return (t.liveRecall, y0, y1, "\(t.type): live recall \(ReportFormat.percent(t.liveRecall))")
        }, color: red, label: "live alerts")
        for (j, b) in r.budgets.enumerated() {
            p.bars(types.enumerated().map { i, t in
                let (y0, y1) = slot(i, j + 1)
                let v = j < t.budgetRecall.count ? t.budgetRecall[j] : 0
                return (v, y0, y1, "\(t.type): recall at top \(b.label) \(ReportFormat.percent(v))")
            }, color: budgetColors[j % budgetColors.count], label: "top \(b.label)")
        }
        return p.render(title: "Recall per fraud type")
    }
}
