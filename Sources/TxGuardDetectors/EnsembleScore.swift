#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything the ensemble knows about one event: raw scores, calibrated tail probabilities,
/// the combined score and each detector's contribution to it.
public struct EnsembleScore: Sendable, Equatable {
    /// Raw detector scores (higher = more anomalous).
    public let raw: DetectorTriple
    /// Natural logs of the calibrated upper-tail probabilities (≤ 0; finite for finite scores).
    public let logTailProbabilities: DetectorTriple
    /// Combined score (−ln p units; compare it with an adaptive threshold).
    public let combined: Double
    /// Each detector's term in `combined`.
    public let contributions: DetectorTriple
    /// The Z-score detector's details (which input deviated).
    public let zScore: ZScoreResult

    /// Upper-tail probabilities p = exp(ln p).
    public var tailProbabilities: DetectorTriple {
        DetectorTriple(isolationForest: exp(logTailProbabilities.isolationForest),
                       oneClassSVM: exp(logTailProbabilities.oneClassSVM), zScore: exp(logTailProbabilities.zScore))
    }
}
