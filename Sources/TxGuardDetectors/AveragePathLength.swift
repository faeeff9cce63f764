#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Euler–Mascheroni constant γ.
let eulerGamma = 0.577_215_664_901_532_860_6

/// Average path length of an unsuccessful BST search among `n` points, c(n) (Liu et al. 2008),
/// with scikit-learn's conventions c(0) = c(1) = 0, c(2) = 1 (`_average_path_length`).
public func averagePathLength(_ n: Int) -> Double {
    if n <= 1 { return 0 }
    if n == 2 { return 1 }
    let m = Double(n)
    return 2 * (log(m - 1) + eulerGamma) - 2 * (m - 1) / m
}
