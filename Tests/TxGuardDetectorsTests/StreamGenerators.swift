import Foundation
import TxGuardDetectors

/// Known-tail test streams.
enum TestStream {
    case exponential(rate: Double)
    /// GPD(ξ, σ) (a Lomax / Pareto type II for ξ > 0).
    case pareto(shape: Double, scale: Double)
    case gaussian(mean: Double, sd: Double)

    func next(_ rng: inout SeededGenerator) -> Double {
        switch self {
        case .exponential(let rate): return -log(rng.nextOpenUnit()) / rate
        case let .pareto(shape, scale): return scale / shape * (pow(rng.nextOpenUnit(), -shape) - 1)
        case let .gaussian(mean, sd): return mean + sd * rng.nextGaussian()
        }
    }

    func sample(_ n: Int, seed: UInt64) -> [Double] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { _ in next(&rng) }
    }
}
