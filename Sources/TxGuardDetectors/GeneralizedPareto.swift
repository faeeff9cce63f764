#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Generalized Pareto distribution of excesses y ≥ 0 over a threshold: survival (1 + γ y/σ)^(−1/γ),
/// or exp(−y/σ) when γ = 0. Fitted by Grimshaw's maximum-likelihood reduction (as SPOT does)
/// with a method-of-moments fallback.
public struct GeneralizedPareto: Sendable, Codable, Equatable {
    /// How the parameters were obtained.
    public enum FitMethod: String, Sendable, Codable {
        case grimshaw, exponential, methodOfMoments, given
    }

    /// Shape γ (ξ); > 0 heavy tail, 0 exponential, < 0 bounded.
    public var shape: Double
    /// Scale σ > 0.
    public var scale: Double
    /// Fit provenance.
    public var method: FitMethod

    /// Parameters given directly.
    public init(shape: Double, scale: Double, method: FitMethod = .given) {
        self.shape = shape
        self.scale = scale
        self.method = method
    }

    /// ln P(Y > y); −∞ beyond the upper endpoint of a bounded tail.
    public func logSurvival(_ y: Double) -> Double {
        let y = max(y, 0)
        if abs(shape) < 1e-12 { return -y / scale }
        let a = 1 + shape * y / scale
        if a <= 0 { return -.infinity }
        return -log(a) / shape
    }

    /// y such that P(Y > y) = s, s in (0, 1].
    public func quantile(survival s: Double) -> Double {
        if abs(shape) < 1e-12 { return -scale * log(s) }
        return scale / shape * (pow(s, -shape) - 1)
    }

    /// Log-likelihood of excesses (−∞ outside the support).
    public static func logLikelihood(_ ys: [Double], shape: Double, scale: Double) -> Double {
        guard scale > 0 else { return -.infinity }
        let n = Double(ys.count)
        if abs(shape) < 1e-12 {
            return -n * log(scale) - ys.reduce(0, +) / scale
        }
        guard let s = sumLog1p(shape / scale, ys) else { return -.infinity }
        return -n * log(scale) - (1 + 1 / shape) * s
    }

    /// Method-of-moments estimate: γ = ½(1 − m²/v), σ = ½ m (m²/v + 1).
    public static func fitMoments(_ ys: [Double]) -> GeneralizedPareto? {
        guard ys.count >= 2 else { return nil }
        let n = Double(ys.count)
        let m = ys.reduce(0, +) / n
        let v = ys.reduce(0) { $0 + ($1 - m) * ($1 - m) } / (n - 1)
        guard m > 0, v > 0 else { return nil }
        let r = m * m / v
        return GeneralizedPareto(shape: 0.5 * (1 - r), scale: 0.5 * m * (r + 1), method: .methodOfMoments)
    }

    /// Maximum-likelihood fit by Grimshaw's method: the MLE satisfies u(x)v(x) = 1 with
    /// u(x) = mean 1/(1 + x yᵢ), v(x) = 1 + mean ln(1 + x yᵢ), γ = v(x) − 1, σ = γ/x. Roots are
    /// bracketed on log grids over (−1/max y, 0) and (0, 2(ȳ − y_min)/y_min²) (Grimshaw 1993's
    /// bound) and refined by bisection; the candidate (including the exponential γ = 0) with the highest
    /// likelihood wins. Falls back to moments when nothing finite is found. Excesses must be ≥ 0.
    public static func fit(excesses ys: [Double]) -> GeneralizedPareto? {
        let data = ys.filter { $0.isFinite && $0 >= 0 }
        guard data.count >= 2 else { return nil }
        let n = Double(data.count)
        let mean = data.reduce(0, +) / n
        guard mean > 0 else { return nil }
        let ymax = data.max() ?? mean
        let ymin = max(data.min() ?? 0, 1e-12 * ymax)

        func w(_ x: Double) -> Double {
            var u = 0.0
            for y in data { u += 1 / (1 + x * y) }
            let v = sumLog1p(x, data) ?? .nan
            return (u / n) * (1 + v / n) - 1
        }
        var candidates: [GeneralizedPareto] = [GeneralizedPareto(shape: 0, scale: mean, method: .exponential)]
        func addRoot(_ x: Double) {
            guard let v = sumLog1p(x, data) else { return }
            let gamma = v / n
            let sigma = gamma / x
            if sigma > 0, sigma.isFinite, gamma.isFinite {
                candidates.append(GeneralizedPareto(shape: gamma, scale: sigma, method: .grimshaw))
            }
        }
        func scan(_ grid: [Double]) {
            var prevX = grid[0], prevW = w(grid[0])
            for x in grid.dropFirst() {
                let wx = w(x)
                if prevW.isFinite, wx.isFinite, (prevW < 0) != (wx < 0) {
                    var lo = prevX, hi = x, wlo = prevW
                    for _ in 0..<45 {
                        let mid = 0.5 * (lo + hi)
                        let wm = w(mid)
                        if (wm < 0) == (wlo < 0) { lo = mid; wlo = wm } else { hi = mid }
                    }
                    addRoot(0.5 * (lo + hi))
                }
                prevX = x
                prevW = wx
            }
        }
        // x = 0 is always a trivial root (the exponential limit, already a candidate), so scan
        // log-spaced grids that start at |x|·ȳ = 1e-4 on each side: left up to the pole −1/max y,
        // right up to Grimshaw's bound 2(ȳ − y_min)/y_min² (capped at 1e8/ȳ).
        let points = 40
        let start = 1e-4 / mean
        let leftEnd = (1 / ymax) * (1 - 1e-9)
        if leftEnd > start {
            let l0 = log(start), l1 = log(leftEnd)
            scan((0..<points).map { -exp(l0 + (l1 - l0) * Double($0) / Double(points - 1)) })
        }
        let rightEnd = min(2 * (mean - ymin) / (ymin * ymin), 1e8 / mean)
        if rightEnd > start, rightEnd.isFinite {
            let l0 = log(start), l1 = log(rightEnd)
            scan((0..<points).map { exp(l0 + (l1 - l0) * Double($0) / Double(points - 1)) })
        }
        var best: GeneralizedPareto?
        var bestLL = -Double.infinity
        for cand in candidates {
            let ll = logLikelihood(data, shape: cand.shape, scale: cand.scale)
            if ll > bestLL { bestLL = ll; best = cand }
        }
        return best ?? fitMoments(data)
    }

    /// Σ ln(1 + x·yᵢ), or nil when some 1 + x·yᵢ ≤ 0 (outside the support). The likelihood searches
    /// evaluate this over every peak some 80–170 times per fit, and a log per term was most of a
    /// threshold's cost: here one log per product of eight terms. A product stays a normal double
    /// while every term is in [1e-30, 1e30] (the searches keep 1 + x·y above 1e-9 and far below
    /// 1e30); a block with a term outside takes term-by-term logs. Differs from the plain sum by
    /// rounding only (a few ulps of the sum; tested).
    static func sumLog1p(_ x: Double, _ ys: [Double]) -> Double? {
        ys.withUnsafeBufferPointer { y in
            var total = 0.0
            var i = 0
            let n = y.count
            while i < n {
                let end = min(i &+ 8, n)
                var product = 1.0
                var inRange = true
                for j in i..<end {
                    let a = 1 + x * y[j]
                    if !(a > 0) { return nil }
                    inRange = inRange && a >= 1e-30 && a <= 1e30
                    product *= a
                }
                if inRange {
                    total += log(product)
                } else {
                    for j in i..<end { total += log(1 + x * y[j]) }
                }
                i = end
            }
            return total
        }
    }
}

extension GeneralizedPareto {
    /// Maximum-likelihood fit with right-censored excesses (values known only to exceed cⱼ).
    ///
    /// With θ = γ/σ the likelihood profiles in closed form: for fixed θ the best γ is
    /// (Σ ln(1 + θyᵢ) + Σ ln(1 + θcⱼ)) / m (m = exact values), leaving a 1-D search over θ done on
    /// log grids both sides of 0 plus golden-section refinement. Without censoring this is the
    /// same maximum Grimshaw's equation characterizes.
    public static func fit(excesses ys: [Double], censoredAt cs: [Double]) -> GeneralizedPareto? {
        if cs.isEmpty { return fit(excesses: ys) }
        let data = ys.filter { $0.isFinite && $0 >= 0 }
        let cens = cs.filter { $0.isFinite && $0 > 0 }
        let m = Double(data.count)
        guard data.count >= 2 else { return nil }
        let total = data.reduce(0, +) + cens.reduce(0, +)
        guard total > 0 else { return nil }
        let ymax = max(data.max() ?? 0, cens.max() ?? 0)
        func profile(_ theta: Double) -> (ll: Double, shape: Double) {
            guard let a = sumLog1p(theta, data), let b = sumLog1p(theta, cens) else { return (-.infinity, 0) }
            let shape = (a + b) / m
            guard shape != 0, shape / theta > 0 else { return (-.infinity, 0) }
            return (-m * log(shape / theta) - a - m, shape)
        }
        // Exponential limit θ → 0: σ = (Σy + Σc)/m.
        var best = GeneralizedPareto(shape: 0, scale: total / m, method: .exponential)
        var bestLL = -m * log(total / m) - m
        let mean = total / m
        let start = 1e-4 / mean, points = 24
        var grid = [Double]()
        let leftEnd = (1 / ymax) * (1 - 1e-9)
        if leftEnd > start {
            let l0 = log(start), l1 = log(leftEnd)
            grid += (0..<points).map { -exp(l0 + (l1 - l0) * Double($0) / Double(points - 1)) }.reversed()
        }
        let l0 = log(start), l1 = log(1e6 / mean)
        grid += (0..<points).map { exp(l0 + (l1 - l0) * Double($0) / Double(points - 1)) }
        let values = grid.map { profile($0).ll }
        guard let k = values.indices.max(by: { values[$0] < values[$1] }), values[k].isFinite else { return best }
        // Golden section between the neighbours of the best grid point (same side of 0).
        var lo = k > 0 && (grid[k - 1] < 0) == (grid[k] < 0) ? grid[k - 1] : grid[k]
        var hi = k + 1 < grid.count && (grid[k + 1] < 0) == (grid[k] < 0) ? grid[k + 1] : grid[k]
        // One new evaluation per step: the surviving inner point is the next step's other inner
        // point (the golden ratio's property), so 32 steps cost 34 profiles instead of 64.
        let ratio = (5.0.squareRoot() - 1) / 2
        var x1 = hi - ratio * (hi - lo), x2 = lo + ratio * (hi - lo)
        var f1 = profile(x1).ll, f2 = profile(x2).ll
        for _ in 0..<32 {
            if f1 < f2 {
                lo = x1; x1 = x2; f1 = f2
                x2 = lo + ratio * (hi - lo); f2 = profile(x2).ll
            } else {
                hi = x2; x2 = x1; f2 = f1
                x1 = hi - ratio * (hi - lo); f1 = profile(x1).ll
            }
        }
        let theta = 0.5 * (lo + hi)
        let p = profile(theta)
        if p.ll > bestLL, p.ll.isFinite {
            bestLL = p.ll
            best = GeneralizedPareto(shape: p.shape, scale: p.shape / theta, method: .grimshaw)
        }
        return best
    }
}
