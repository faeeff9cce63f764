/// Score histograms of legitimate, fraudulent and unlabelled events over shared bins.
public struct ScoreHistogram: Sendable, Hashable, Codable {
    /// `bins + 1` ascending bin edges; the last bin includes its right edge.
    public var edges: [Double]
    /// Counts of events labelled legitimate.
    public var normal: [Int]
    /// Counts of events labelled fraud.
    public var fraud: [Int]
    /// Counts of unlabelled events (all zero in a fully labelled backtest).
    public var unlabeled: [Int]
    /// Whether the count axis is meant to be log-scaled.
    public var logScale: Bool

    /// Bins `[min score, max score]` into `bins` equal bins.
    init(events: [ScoredEvent], bins: Int, logScale: Bool) {
        self.logScale = logScale
        guard let lo = events.map(\.score).min(), let hi0 = events.map(\.score).max() else {
            edges = []; normal = []; fraud = []; unlabeled = []
            return
        }
        let hi = hi0 > lo ? hi0 : lo + 1
        let width = (hi - lo) / Double(bins)
        edges = (0...bins).map { $0 == bins ? hi : lo + Double($0) * width }
        var normal = [Int](repeating: 0, count: bins)
        var fraud = normal
        var unlabeled = normal
        for e in events {
            let b = min(bins - 1, max(0, Int((e.score - lo) / width)))
            switch e.label {
            case true?: fraud[b] += 1
            case false?: normal[b] += 1
            case nil: unlabeled[b] += 1
            }
        }
        self.normal = normal
        self.fraud = fraud
        self.unlabeled = unlabeled
    }
}
