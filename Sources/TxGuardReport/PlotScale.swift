import Foundation

/// Maps data values to pixels along one axis, linear or log10, and proposes readable ticks.
struct PlotScale {
    var lo: Double
    var hi: Double
    var log: Bool
    var pixelLo: Double
    var pixelHi: Double

    init(lo: Double, hi: Double, log: Bool = false, pixelLo: Double = 0, pixelHi: Double = 1) {
        var lo = lo, hi = hi
        if log { lo = max(lo, 1e-12); hi = max(hi, lo * 10) }
        if !(hi > lo) { hi = lo + 1 }
        self.lo = lo; self.hi = hi; self.log = log; self.pixelLo = pixelLo; self.pixelHi = pixelHi
    }

    /// Pixel of `v`; on a log axis values at or below `lo` sit on the axis.
    func map(_ v: Double) -> Double {
        let t: Double
        if log {
            t = (Foundation.log10(max(v, lo)) - Foundation.log10(lo)) / (Foundation.log10(hi) - Foundation.log10(lo))
        } else {
            t = (v - lo) / (hi - lo)
        }
        return pixelLo + t * (pixelHi - pixelLo)
    }

    /// Powers of ten on a log axis, else multiples of a 1-2-5 step (about `target` of them).
    func ticks(target: Int = 6) -> [Double] {
        if log {
            let a = Int(Foundation.log10(lo).rounded(.up)), b = Int(Foundation.log10(hi).rounded(.down))
            guard a <= b else { return [lo, hi] }
            return (a...b).map { Foundation.pow(10, Double($0)) }
        }
        let step = tickStep(target: target)
        var ticks: [Double] = []
        var v = (lo / step).rounded(.up) * step
        while v <= hi + step * 1e-9 {
            ticks.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return ticks
    }

    /// The 1-2-5 step giving about `target` ticks.
    func tickStep(target: Int = 6) -> Double {
        let raw = (hi - lo) / Double(max(target, 1))
        let magnitude = Foundation.pow(10, (Foundation.log10(raw)).rounded(.down))
        let residual = raw / magnitude
        let nice: Double = residual < 1.5 ? 1 : residual < 3 ? 2 : residual < 7 ? 5 : 10
        return nice * magnitude
    }

    /// A tick label with just enough decimals for the tick step.
    func label(_ v: Double) -> String {
        if log { return ReportFormat.compact(v) }
        let step = tickStep()
        let decimals = max(0, min(6, Int((-Foundation.log10(step)).rounded(.up))))
        return String(format: "%.\(decimals)f", v)
    }
}
