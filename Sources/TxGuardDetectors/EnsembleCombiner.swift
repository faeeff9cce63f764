#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Combines the detectors' calibrated upper-tail probabilities into one ensemble score in
/// "surprise" units (−ln p scale, higher = more anomalous) and reports each detector's share.
public struct EnsembleCombiner: Sendable, Codable, Equatable {
    /// Combination rule.
    public enum Method: String, Sendable, Codable, CaseIterable {
        /// Weighted Fisher-style sum Σ wₖ(−ln pₖ) (Fisher's statistic up to the factor 2 when wₖ = 1).
        case fisher
        /// max wₖ(−ln pₖ): the single most surprised detector decides.
        case maximum
        /// −ln(Σ wₖpₖ / Σ wₖ): a mean of probabilities; needs all detectors to agree.
        case weightedMean
    }

    /// Rule in force.
    public var method: Method
    /// Weights of isolation forest, one-class SVM and Z-score, in that order.
    public var weights: [Double]

    /// Defaults: Fisher, equal weights.
    public init(method: Method = .fisher, weights: [Double] = [1, 1, 1]) throws {
        guard weights.count == DetectorKind.allCases.count, weights.allSatisfy({ $0 >= 0 && $0.isFinite }),
              weights.contains(where: { $0 > 0 }) else {
            throw DetectorError.invalidParameter(name: "weights", value: Double(weights.count))
        }
        self.method = method
        self.weights = weights
    }

    /// Combined score and contributions from the log tail probabilities ln pₖ (≤ 0).
    @inlinable
    public func combine(logTails: DetectorTriple) -> (score: Double, contributions: DetectorTriple) {
        let w = DetectorTriple(isolationForest: weights[0], oneClassSVM: weights[1], zScore: weights[2])
        let terms = DetectorTriple(isolationForest: -w.isolationForest * logTails.isolationForest,
                                   oneClassSVM: -w.oneClassSVM * logTails.oneClassSVM,
                                   zScore: -w.zScore * logTails.zScore)
        switch method {
        case .fisher:
            return (terms.isolationForest + terms.oneClassSVM + terms.zScore, terms)
        case .maximum:
            return (max(terms.isolationForest, terms.oneClassSVM, terms.zScore), terms)
        case .weightedMean:
            let total = w.isolationForest + w.oneClassSVM + w.zScore
            let mean = (w.isolationForest * exp(logTails.isolationForest) + w.oneClassSVM * exp(logTails.oneClassSVM)
                        + w.zScore * exp(logTails.zScore)) / total
            let score = mean > 0 ? -log(mean) : terms.isolationForest + terms.oneClassSVM + terms.zScore
            return (score, DetectorTriple(isolationForest: terms.isolationForest / total,
                                          oneClassSVM: terms.oneClassSVM / total, zScore: terms.zScore / total))
        }
    }
}

/// One value per detector (no allocation, unlike a dictionary).
public struct DetectorTriple: Sendable, Equatable, Codable {
    /// Isolation Forest's value.
    public var isolationForest: Double
    /// One-class SVM's value.
    public var oneClassSVM: Double
    /// Z-score detector's value.
    public var zScore: Double

    /// Plain initializer.
    public init(isolationForest: Double, oneClassSVM: Double, zScore: Double) {
        self.isolationForest = isolationForest
        self.oneClassSVM = oneClassSVM
        self.zScore = zScore
    }

    /// Value of one detector.
    public subscript(kind: DetectorKind) -> Double {
        switch kind {
        case .isolationForest: return isolationForest
        case .oneClassSVM: return oneClassSVM
        case .zScore: return zScore
        }
    }
}
