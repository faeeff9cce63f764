import Foundation

/// A small SVG chart builder: axes with ticks and grid, titled axes, clipped data layers
/// (lines, steps, areas, bars, markers with hover titles), a legend, and `data-*` attributes
/// recording how many series and points were drawn so tests can check every chart has data.
struct SVGPlot {
    enum Corner { case topLeft, topRight, bottomLeft, bottomRight, above }
    enum MarkerShape { case circle, diamond, square }
    struct LegendEntry { var label: String; var color: String; var kind: Kind; enum Kind { case line(dash: Bool), box, marker(MarkerShape) } }

    let id: String
    let width: Double
    let height: Double
    let left: Double, right: Double, top: Double, bottom: Double
    var x: PlotScale
    var y: PlotScale
    var xTitle: String
    var yTitle: String
    var legendCorner: Corner = .topRight
    var xTickLabel: ((Double) -> String)?
    var xTicksOverride: [Double]?
    var yTickLabels: [(Double, String)]?
    private var layers = ""
    private var overlay = ""
    private var legend: [LegendEntry] = []
    private(set) var seriesPoints: [Int] = []

    init(id: String, width: Double, height: Double, x: (Double, Double, Bool), y: (Double, Double, Bool),
         xTitle: String, yTitle: String, leftMargin: Double = 64, legendAbove: Bool = false) {
        self.id = id; self.width = width; self.height = height
        left = leftMargin; right = 18; top = legendAbove ? 40 : 14; bottom = 52
        if legendAbove { legendCorner = .above }
        self.x = PlotScale(lo: x.0, hi: x.1, log: x.2, pixelLo: left, pixelHi: width - right)
        self.y = PlotScale(lo: y.0, hi: y.1, log: y.2, pixelLo: height - bottom, pixelHi: top)
        self.xTitle = xTitle; self.yTitle = yTitle
    }

    private func point(_ p: (Double, Double)) -> String { ReportFormat.px(x.map(p.0)) + "," + ReportFormat.px(y.map(p.1)) }

    /// A polyline series; `step` draws it as a post-step function (PR curves).
    mutating func line(_ pts: [(Double, Double)], color: String, label: String?, width w: Double = 2, dash: Bool = false, step: Bool = false) {
        guard !pts.isEmpty else { return }
        var drawn = pts
        if step && pts.count > 1 {
            drawn = []
            for i in pts.indices {
                if i > 0 { drawn.append((pts[i].0, pts[i - 1].1)) }
                drawn.append(pts[i])
            }
        }
        let dashAttr = dash ? " stroke-dasharray=\"6 4\"" : ""
        layers += "<polyline class=\"series\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(w)\"\(dashAttr) stroke-linejoin=\"round\" points=\"\(drawn.map(point).joined(separator: " "))\"/>\n"
        seriesPoints.append(pts.count)
        if let label { legend.append(.init(label: label, color: color, kind: .line(dash: dash))) }
    }

    /// A filled histogram-like step area between `edges` with `counts`, drawn down to the axis.
    mutating func stepArea(edges: [Double], counts: [Double], color: String, label: String) {
        guard counts.count + 1 == edges.count, !counts.isEmpty else { return }
        let base = y.log ? y.lo : 0
        var pts: [(Double, Double)] = [(edges[0], base)]
        for i in counts.indices {
            let c = counts[i] > 0 ? counts[i] : base
            pts.append((edges[i], c)); pts.append((edges[i + 1], c))
        }
        pts.append((edges[edges.count - 1], base))
        layers += "<polygon class=\"series\" fill=\"\(color)\" fill-opacity=\"0.35\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(pts.map(point).joined(separator: " "))\"/>\n"
        seriesPoints.append(counts.count)
        legend.append(.init(label: label, color: color, kind: .box))
    }

    /// Filled band between two curves (e.g. min–max threshold).
    mutating func band(_ xs: [Double], low: [Double], high: [Double], color: String, label: String) {
        guard !xs.isEmpty, xs.count == low.count, xs.count == high.count else { return }
        let upper = zip(xs, high).map { point(($0, $1)) }
        let lower = zip(xs, low).reversed().map { point(($0, $1)) }
        layers += "<polygon fill=\"\(color)\" fill-opacity=\"0.18\" stroke=\"none\" points=\"\((upper + lower).joined(separator: " "))\"/>\n"
        legend.append(.init(label: label, color: color, kind: .box))
    }

    /// Horizontal bars in data coordinates (x from 0 to value, y from y0 to y1), with hover titles.
    mutating func bars(_ items: [(value: Double, y0: Double, y1: Double, title: String)], color: String, label: String) {
        guard !items.isEmpty else { return }
        for it in items {
            let x0 = x.map(0), x1 = x.map(it.value)
            let ya = y.map(it.y1), yb = y.map(it.y0)
            layers += "<rect class=\"bar\" x=\"\(ReportFormat.px(x0))\" y=\"\(ReportFormat.px(ya))\" width=\"\(ReportFormat.px(max(x1 - x0, 0.8)))\" height=\"\(ReportFormat.px(yb - ya))\" fill=\"\(color)\"><title>\(ReportFormat.escape(it.title))</title></rect>\n"
            overlay += "<text class=\"barlabel\" x=\"\(ReportFormat.px(max(x1 - x0, 0.8) + x0 + 4))\" y=\"\(ReportFormat.px((ya + yb) / 2 + 3.5))\">\(ReportFormat.escape(ReportFormat.percent(it.value)))</text>\n"
        }
        seriesPoints.append(items.count)
        legend.append(.init(label: label, color: color, kind: .box))
    }

    /// Markers with hover titles and optional text labels beside them.
    mutating func markers(_ pts: [(x: Double, y: Double, text: String?, title: String)], color: String, shape: MarkerShape, label: String) {
        guard !pts.isEmpty else { return }
        for p in pts {
            let cx = x.map(p.x), cy = y.map(p.y)
            let shapeSVG: String
            switch shape {
            case .circle: shapeSVG = "<circle cx=\"\(ReportFormat.px(cx))\" cy=\"\(ReportFormat.px(cy))\" r=\"5.5\""
            case .square: shapeSVG = "<rect x=\"\(ReportFormat.px(cx - 5))\" y=\"\(ReportFormat.px(cy - 5))\" width=\"10\" height=\"10\""
            case .diamond:
                shapeSVG = "<polygon points=\"\(ReportFormat.px(cx)),\(ReportFormat.px(cy - 8)) \(ReportFormat.px(cx + 8)),\(ReportFormat.px(cy)) \(ReportFormat.px(cx)),\(ReportFormat.px(cy + 8)) \(ReportFormat.px(cx - 8)),\(ReportFormat.px(cy))\""
            }
            overlay += "\(shapeSVG) class=\"marker\" fill=\"\(color)\" stroke=\"#fff\" stroke-width=\"1.5\"><title>\(ReportFormat.escape(p.title))</title>\(shape == .circle ? "</circle>" : shape == .square ? "</rect>" : "</polygon>")\n"
            if let text = p.text {
                let anchorRight = cx > (x.pixelLo + x.pixelHi) / 2
                overlay += "<text class=\"mlabel\" x=\"\(ReportFormat.px(cx + (anchorRight ? -10 : 10)))\" y=\"\(ReportFormat.px(cy - 8))\" text-anchor=\"\(anchorRight ? "end" : "start")\">\(ReportFormat.escape(text))</text>\n"
            }
        }
        seriesPoints.append(pts.count)
        legend.append(.init(label: label, color: color, kind: .marker(shape)))
    }

    /// A vertical reference line with a small label at the top (not counted as a data series).
    /// `row` staggers the labels of neighbouring lines vertically.
    mutating func verticalLine(at v: Double, color: String, text: String, row: Int = 0) {
        guard v >= x.lo, v <= x.hi else { return }
        let px = x.map(v)
        overlay += "<line x1=\"\(ReportFormat.px(px))\" x2=\"\(ReportFormat.px(px))\" y1=\"\(ReportFormat.px(y.pixelHi))\" y2=\"\(ReportFormat.px(y.pixelLo))\" stroke=\"\(color)\" stroke-width=\"1.4\" stroke-dasharray=\"4 3\"/>\n"
        overlay += "<text class=\"mlabel\" x=\"\(ReportFormat.px(px + 4))\" y=\"\(ReportFormat.px(y.pixelHi + 14 + 15 * Double(row)))\" text-anchor=\"start\" style=\"fill:\(color)\">\(ReportFormat.escape(text))</text>\n"
    }

    /// A reference line that is not data (diagonal, baseline), with a legend entry.
    mutating func referenceLine(_ pts: [(Double, Double)], color: String, label: String) {
        layers += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.2\" stroke-dasharray=\"5 4\" points=\"\(pts.map(point).joined(separator: " "))\"/>\n"
        legend.append(.init(label: label, color: color, kind: .line(dash: true)))
    }

    /// The finished `<svg>` element.
    func render(title: String) -> String {
        let plotW = width - left - right, plotH = height - top - bottom
        var s = "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" id=\"\(id)\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(ReportFormat.escape(title))\" data-series-count=\"\(seriesPoints.count)\" data-points=\"\(seriesPoints.map(String.init).joined(separator: ","))\">\n"
        s += "<defs><clipPath id=\"clip-\(id)\"><rect x=\"\(ReportFormat.px(left))\" y=\"\(ReportFormat.px(top - 1))\" width=\"\(ReportFormat.px(plotW))\" height=\"\(ReportFormat.px(plotH + 2))\"/></clipPath></defs>\n"
        s += "<rect x=\"\(ReportFormat.px(left))\" y=\"\(ReportFormat.px(top))\" width=\"\(ReportFormat.px(plotW))\" height=\"\(ReportFormat.px(plotH))\" fill=\"#fcfcfd\" stroke=\"#c9ccd1\"/>\n"
        // Grid and ticks.
        let xTicks = xTicksOverride ?? x.ticks()
        for t in xTicks {
            let px = ReportFormat.px(x.map(t))
            s += "<line class=\"grid\" x1=\"\(px)\" x2=\"\(px)\" y1=\"\(ReportFormat.px(top))\" y2=\"\(ReportFormat.px(height - bottom))\"/>"
            s += "<line class=\"tick\" x1=\"\(px)\" x2=\"\(px)\" y1=\"\(ReportFormat.px(height - bottom))\" y2=\"\(ReportFormat.px(height - bottom + 5))\"/>"
            s += "<text class=\"ticklabel\" x=\"\(px)\" y=\"\(ReportFormat.px(height - bottom + 18))\" text-anchor=\"middle\">\(ReportFormat.escape(xTickLabel?(t) ?? x.label(t)))</text>\n"
        }
        let yTicks = yTickLabels ?? y.ticks().map { ($0, y.label($0)) }
        for (t, text) in yTicks {
            let py = ReportFormat.px(y.map(t))
            if yTickLabels == nil {
                s += "<line class=\"grid\" x1=\"\(ReportFormat.px(left))\" x2=\"\(ReportFormat.px(width - right))\" y1=\"\(py)\" y2=\"\(py)\"/>"
            }
            s += "<line class=\"tick\" x1=\"\(ReportFormat.px(left - 5))\" x2=\"\(ReportFormat.px(left))\" y1=\"\(py)\" y2=\"\(py)\"/>"
            s += "<text class=\"ticklabel\" x=\"\(ReportFormat.px(left - 8))\" y=\"\(ReportFormat.px(y.map(t) + 4))\" text-anchor=\"end\">\(ReportFormat.escape(text))</text>\n"
        }
        s += "<g clip-path=\"url(#clip-\(id))\">\n\(layers)</g>\n\(overlay)"
        // Axis titles.
        s += "<text class=\"axistitle\" x=\"\(ReportFormat.px(left + plotW / 2))\" y=\"\(ReportFormat.px(height - 12))\" text-anchor=\"middle\">\(ReportFormat.escape(xTitle))</text>\n"
        let ty = top + plotH / 2
        s += "<text class=\"axistitle\" x=\"16\" y=\"\(ReportFormat.px(ty))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(ReportFormat.px(ty)))\">\(ReportFormat.escape(yTitle))</text>\n"
        s += renderLegend()
        s += "</svg>"
        return s
    }

    private func renderLegend() -> String {
        guard !legend.isEmpty else { return "" }
        if legendCorner == .above { return renderLegendRow() }
        let rowH = 18.0
        let boxW = 24 + 7.2 * Double(legend.map(\.label.count).max() ?? 0) + 12
        let boxH = rowH * Double(legend.count) + 8
        let x0: Double, y0: Double
        switch legendCorner {
        case .topLeft: x0 = left + 8; y0 = top + 8
        case .topRight: x0 = width - right - boxW - 8; y0 = top + 8
        case .bottomLeft: x0 = left + 8; y0 = height - bottom - boxH - 8
        case .bottomRight, .above: x0 = width - right - boxW - 8; y0 = height - bottom - boxH - 8
        }
        var s = "<g class=\"legend\"><rect x=\"\(ReportFormat.px(x0))\" y=\"\(ReportFormat.px(y0))\" width=\"\(ReportFormat.px(boxW))\" height=\"\(ReportFormat.px(boxH))\" rx=\"4\" fill=\"#ffffff\" fill-opacity=\"0.92\" stroke=\"#d5d8dc\"/>\n"
        for (i, e) in legend.enumerated() {
            let cy = y0 + 4 + rowH * Double(i) + rowH / 2
            let sx = x0 + 8
            s += legendSymbol(e, sx: sx, cy: cy)
            s += "<text class=\"legendtext\" x=\"\(ReportFormat.px(sx + 24))\" y=\"\(ReportFormat.px(cy + 4))\">\(ReportFormat.escape(e.label))</text>\n"
        }
        return s + "</g>\n"
    }

    /// Legend entries in one row above the plot area, left-aligned with it.
    private func renderLegendRow() -> String {
        var s = "<g class=\"legend\">"
        var sx = left
        let cy = 16.0
        for e in legend {
            s += legendSymbol(e, sx: sx, cy: cy)
            s += "<text class=\"legendtext\" x=\"\(ReportFormat.px(sx + 24))\" y=\"\(ReportFormat.px(cy + 4))\">\(ReportFormat.escape(e.label))</text>\n"
            sx += 24 + 7.2 * Double(e.label.count) + 22
        }
        return s + "</g>\n"
    }

    private func legendSymbol(_ e: LegendEntry, sx: Double, cy: Double) -> String {
        var s = ""
            switch e.kind {
            case .line(let dash):
                s += "<line x1=\"\(ReportFormat.px(sx))\" x2=\"\(ReportFormat.px(sx + 18))\" y1=\"\(ReportFormat.px(cy))\" y2=\"\(ReportFormat.px(cy))\" stroke=\"\(e.color)\" stroke-width=\"2.5\"\(dash ? " stroke-dasharray=\"5 3\"" : "")/>"
            case .box:
                s += "<rect x=\"\(ReportFormat.px(sx + 2))\" y=\"\(ReportFormat.px(cy - 6))\" width=\"14\" height=\"12\" fill=\"\(e.color)\" fill-opacity=\"0.6\" stroke=\"\(e.color)\"/>"
            case .marker(let shape):
                switch shape {
                case .circle: s += "<circle cx=\"\(ReportFormat.px(sx + 9))\" cy=\"\(ReportFormat.px(cy))\" r=\"5\" fill=\"\(e.color)\"/>"
                case .square: s += "<rect x=\"\(ReportFormat.px(sx + 4))\" y=\"\(ReportFormat.px(cy - 5))\" width=\"10\" height=\"10\" fill=\"\(e.color)\"/>"
                case .diamond: s += "<polygon points=\"\(ReportFormat.px(sx + 9)),\(ReportFormat.px(cy - 7)) \(ReportFormat.px(sx + 16)),\(ReportFormat.px(cy)) \(ReportFormat.px(sx + 9)),\(ReportFormat.px(cy + 7)) \(ReportFormat.px(sx + 2)),\(ReportFormat.px(cy))\" fill=\"\(e.color)\"/>"
                }
            }
        return s
    }
}
