/// Solver of the ν-one-class SVM dual (Schölkopf et al. 2001) by SMO with libsvm's second-order
/// working-set selection: min ½ αᵀQα subject to 0 ≤ αᵢ ≤ 1, Σαᵢ = νl, Q = RBF kernel matrix.
/// Same scaling and ρ rule as libsvm, so decision values match scikit-learn's `OneClassSVM`.
struct OneClassSMO {
    struct Solution {
        var alpha: [Double]
        var rho: Double
        var iterations: Int
    }

    /// `q` is the l×l kernel matrix (row-major).
    static func solve(q: [Float], l: Int, nu: Double, tolerance: Double, maxIterations: Int) -> Solution {
        let tau = 1e-12
        var alpha = [Double](repeating: 0, count: l)
        let total = nu * Double(l)
        let whole = min(Int(total), l)
        for i in 0..<whole { alpha[i] = 1 }
        if whole < l { alpha[whole] = total - Double(whole) }
        var g = [Double](repeating: 0, count: l)
        q.withUnsafeBufferPointer { qm in
            for i in 0..<l where alpha[i] != 0 {
                let a = alpha[i]
                let row = i * l
                for k in 0..<l { g[k] += a * Double(qm[row + k]) }
            }
        }
        var iterations = 0
        q.withUnsafeBufferPointer { qm in
            while iterations < maxIterations {
                // i: most violating in I_up (α < 1) by −G; j: second order among I_low (α > 0).
                var gmax = -Double.infinity
                var i = -1
                for t in 0..<l where alpha[t] < 1 && -g[t] >= gmax {
                    gmax = -g[t]
                    i = t
                }
                guard i >= 0 else { break }
                var gmax2 = -Double.infinity
                var j = -1
                var objMin = Double.infinity
                let rowI = i * l
                let qii = Double(qm[rowI + i])
                for t in 0..<l where alpha[t] > 0 {
                    let gradDiff = gmax + g[t]
                    if g[t] >= gmax2 { gmax2 = g[t] }
                    if gradDiff > 0 {
                        var quad = qii + Double(qm[t * l + t]) - 2 * Double(qm[rowI + t])
                        if quad <= 0 { quad = tau }
                        let obj = -(gradDiff * gradDiff) / quad
                        if obj <= objMin { objMin = obj; j = t }
                    }
                }
                if gmax + gmax2 < tolerance || j < 0 { break }
                iterations += 1
                let rowJ = j * l
                var quad = qii + Double(qm[rowJ + j]) - 2 * Double(qm[rowI + j])
                if quad <= 0 { quad = tau }
                let oldI = alpha[i], oldJ = alpha[j]
                let delta = (g[i] - g[j]) / quad
                let sum = oldI + oldJ
                var ai = oldI - delta
                var aj = oldJ + delta
                if sum > 1 {
                    if ai > 1 { ai = 1; aj = sum - 1 }
                } else if aj < 0 { aj = 0; ai = sum }
                if sum > 1 {
                    if aj > 1 { aj = 1; ai = sum - 1 }
                } else if ai < 0 { ai = 0; aj = sum }
                alpha[i] = ai
                alpha[j] = aj
                let di = ai - oldI, dj = aj - oldJ
                for k in 0..<l { g[k] += Double(qm[rowI + k]) * di + Double(qm[rowJ + k]) * dj }
            }
        }
        // ρ: mean gradient over free vectors, else the midpoint of the feasible interval.
        var ub = Double.infinity, lb = -Double.infinity, freeSum = 0.0, free = 0
        for t in 0..<l {
            if alpha[t] >= 1 { lb = max(lb, g[t]) }
            else if alpha[t] <= 0 { ub = min(ub, g[t]) }
            else { free += 1; freeSum += g[t] }
        }
        let rho = free > 0 ? freeSum / Double(free) : (ub + lb) / 2
        return Solution(alpha: alpha, rho: rho, iterations: iterations)
    }
}
