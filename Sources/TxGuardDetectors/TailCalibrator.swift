#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Maps a detector's raw score to its upper-tail probability P(S ≥ s) under the training scores.
///
/// Below a high quantile u (default 0.98) it interpolates an empirical quantile table; above u
/// it uses a generalized-Pareto tail fitted to the training excesses, so unseen extremes get
/// finite, strictly decreasing probabilities. A bounded (γ < 0) tail switches to an exponential
/// continuation once its survival drops to 1e-3 of the tail mass, so nothing ever becomes 0 in
/// log space. Monotone non-increasing in s everywhere; `logUpperTail` never returns −∞ for finite s.
public struct TailCalibrator: Sendable, Codable, Equatable {
    /// Probability level of the tail threshold u.
    public let tailLevel: Double
    /// Quantile table knots (non-decreasing), at levels tailLevel·k/(count−1).
    public let knots: [Double]
    /// The fitted tail above u = knots.last.
    public let tail: GeneralizedPareto
    /// Excess where the bounded tail hands over to the exponential continuation (∞ if unused).
    public let continuationStart: Double
    /// Hazard rate of the exponential continuation.
    public let continuationRate: Double

    /// Fits the table and tail on raw training scores (higher = more anomalous).
    public init(scores: [Double], tailLevel: Double = 0.98, knotCount: Int = 257) throws {
        let sorted = scores.filter(\.isFinite).sorted()
        guard sorted.count >= 20 else { throw DetectorError.notEnoughRows(needed: 20, actual: sorted.count) }
        guard tailLevel > 0.5, tailLevel < 1 else { throw DetectorError.invalidParameter(name: "tailLevel", value: tailLevel) }
        guard knotCount >= 2 else { throw DetectorError.invalidParameter(name: "knotCount", value: Double(knotCount)) }
        func quantile(_ p: Double) -> Double {
            let h = p * Double(sorted.count - 1)
            let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
            return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
        }
        var knots = [Double]()
        for k in 0..<knotCount { knots.append(quantile(tailLevel * Double(k) / Double(knotCount - 1))) }
        let u = knots[knotCount - 1]
        let excesses = sorted.filter { $0 > u }.map { $0 - u }
        let spread = max(sorted[sorted.count - 1] - sorted[0], 1e-12)
        var tail = GeneralizedPareto.fit(excesses: excesses)
            ?? GeneralizedPareto(shape: 0, scale: max(excesses.reduce(0, +) / Double(max(excesses.count, 1)), spread * 1e-3), method: .exponential)
        if !(tail.scale > 0) || !tail.scale.isFinite { tail = GeneralizedPareto(shape: 0, scale: spread * 1e-3, method: .exponential) }
        self.tailLevel = tailLevel
        self.knots = knots
        self.tail = tail
        if tail.shape < 0 {
            // Hand over where the GPD survival is 1e-3: hazard there is 1/(σ + γ y).
            let y = tail.quantile(survival: 1e-3)
            continuationStart = y
            continuationRate = 1 / max(tail.scale + tail.shape * y, 1e-12 * tail.scale)
        } else {
            continuationStart = .infinity
            continuationRate = 0
        }
    }

    /// ln P(S ≥ s): 0 at or below the training minimum, strictly decreasing above u.
    ///
    /// Inlined into its callers: called as a method on an element of an array (the Z-score's
    /// per-input calibrators), Swift copied the calibrator, retaining and releasing its knots, per
    /// call (about 1% of the scorer's time). The tail above u stays out of line.
    @inline(__always)
    public func logUpperTail(_ s: Double) -> Double {
        if s.isNaN { return 0 }
        let u = knots[knots.count - 1]
        if s >= u { return logUpperTail(excess: s - u) }
        if s < knots[0] { return 0 }
        // Last knot with value <= s (exists, and is not the final knot).
        var lo = 0, hi = knots.count - 1
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if knots[mid] <= s { lo = mid } else { hi = mid }
        }
        let step = tailLevel / Double(knots.count - 1)
        let gap = knots[lo + 1] - knots[lo]
        let frac = gap > 0 ? (s - knots[lo]) / gap : 0
        let cdf = step * (Double(lo) + frac)
        return log1p(-cdf)
    }

    /// ln P(S ≥ u + y) for an excess y ≥ 0 over the tail threshold u.
    @inline(never)
    func logUpperTail(excess y: Double) -> Double {
        let base = log1p(-tailLevel)
        // Clamped so that even absurd scores keep a finite (if no longer strictly smaller) log p.
        if y <= continuationStart { return max(base + tail.logSurvival(y), -Double.greatestFiniteMagnitude) }
        return max(base + log(1e-3) - (y - continuationStart) * continuationRate, -Double.greatestFiniteMagnitude)
    }

    /// P(S ≥ s) in [0, 1] (may underflow to 0 for astronomically extreme s; use `logUpperTail`).
    public func upperTail(_ s: Double) -> Double { exp(logUpperTail(s)) }
}
