/// Per-account running statistics of the Z-score inputs; a small value the caller owns, stores per
/// account and snapshots (Codable). Holds both cumulative (Welford) and exponentially weighted moments.
public struct AccountStats: Sendable, Codable, Equatable {
    /// Events learned.
    public internal(set) var count: UInt32
    /// Welford running mean per input.
    public internal(set) var mean: [Float]
    /// Welford sum of squared deviations per input.
    public internal(set) var m2: [Float]
    /// Exponentially weighted mean per input.
    public internal(set) var ewMean: [Float]
    /// Exponentially weighted variance per input.
    public internal(set) var ewVariance: [Float]

    /// Empty statistics for `inputCount` inputs.
    public init(inputCount: Int) {
        count = 0
        mean = [Float](repeating: 0, count: inputCount)
        m2 = mean
        ewMean = mean
        ewVariance = mean
    }

    /// Statistics as saved (a snapshot's binary form); the four arrays must have one width.
    public init(count: UInt32, mean: [Float], m2: [Float], ewMean: [Float], ewVariance: [Float]) {
        precondition(m2.count == mean.count && ewMean.count == mean.count && ewVariance.count == mean.count)
        self.count = count
        self.mean = mean
        self.m2 = m2
        self.ewMean = ewMean
        self.ewVariance = ewVariance
    }

    /// Welford sample variance of input i (0 before two events).
    public func variance(_ i: Int) -> Float { count > 1 ? m2[i] / Float(count - 1) : 0 }

    /// Learns one event (Welford + exponentially weighted moments with weight `alpha`).
    mutating func learn(_ x: UnsafeBufferPointer<Float>, alpha: Float) {
        count &+= 1
        let n = Float(count)
        for i in 0..<mean.count {
            let v = x[i]
            let delta = v - mean[i]
            mean[i] += delta / n
            m2[i] += delta * (v - mean[i])
            if count == 1 {
                ewMean[i] = v
                ewVariance[i] = 0
            } else {
                let d = v - ewMean[i]
                let inc = alpha * d
                ewMean[i] += inc
                ewVariance[i] = (1 - alpha) * (ewVariance[i] + d * inc)
            }
        }
    }
}
