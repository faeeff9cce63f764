/// Streaming estimate of one quantile in constant memory: the P² algorithm (Jain & Chlamtac 1985).
///
/// Five markers track the minimum, p/2, p, (1+p)/2 quantiles and the maximum; each observation
/// moves marker positions and adjusts heights by piecewise-parabolic interpolation.
public struct P2Quantile: Sendable, Codable, Equatable {
    /// Target probability in (0, 1).
    public let probability: Double
    private var heights: [Double] = []
    private var positions: [Double] = [1, 2, 3, 4, 5]
    private var desired: [Double]
    private var increments: [Double]
    /// Observations seen.
    public private(set) var count: Int = 0

    /// Estimator of the `probability` quantile.
    public init(probability: Double) throws {
        guard probability > 0, probability < 1 else { throw DetectorError.invalidParameter(name: "probability", value: probability) }
        self.probability = probability
        let p = probability
        desired = [1, 1 + 2 * p, 1 + 4 * p, 3 + 2 * p, 5]
        increments = [0, p / 2, p, (1 + p) / 2, 1]
        heights.reserveCapacity(5)
    }

    /// Current estimate (exact order statistic while fewer than five values were seen; nil if none).
    public var estimate: Double? {
        if count == 0 { return nil }
        if count < 5 {
            let s = heights.sorted()
            let idx = min(s.count - 1, max(0, Int((probability * Double(s.count)).rounded(.up)) - 1))
            return s[idx]
        }
        return heights[2]
    }

    /// Height of marker `i` (0 = min … 4 = max) once five values were seen; before that the estimate.
    public func marker(_ i: Int) -> Double {
        guard heights.count == 5, (0..<5).contains(i) else { return estimate ?? 0 }
        return heights[i]
    }

    /// Adds one observation.
    public mutating func observe(_ x: Double) {
        count += 1
        if count <= 5 {
            heights.append(x)
            if count == 5 { heights.sort() }
            return
        }
        var k: Int
        if x < heights[0] {
            heights[0] = x
            k = 0
        } else if x >= heights[4] {
            heights[4] = x
            k = 3
        } else {
            k = 0
            while k < 3 && x >= heights[k + 1] { k += 1 }
        }
        for i in (k + 1)..<5 { positions[i] += 1 }
        for i in 0..<5 { desired[i] += increments[i] }
        for i in 1...3 {
            let d = desired[i] - positions[i]
            if (d >= 1 && positions[i + 1] - positions[i] > 1) || (d <= -1 && positions[i - 1] - positions[i] < -1) {
                let s: Double = d >= 0 ? 1 : -1
                let candidate = parabolic(i, s)
                if heights[i - 1] < candidate && candidate < heights[i + 1] {
                    heights[i] = candidate
                } else {
                    heights[i] = linear(i, s)
                }
                positions[i] += s
            }
        }
    }

    private func parabolic(_ i: Int, _ s: Double) -> Double {
        let q = heights, n = positions
        return q[i] + s / (n[i + 1] - n[i - 1]) * (
            (n[i] - n[i - 1] + s) * (q[i + 1] - q[i]) / (n[i + 1] - n[i])
                + (n[i + 1] - n[i] - s) * (q[i] - q[i - 1]) / (n[i] - n[i - 1]))
    }

    private func linear(_ i: Int, _ s: Double) -> Double {
        let j = i + Int(s)
        return heights[i] + s * (heights[j] - heights[i]) / (positions[j] - positions[i])
    }
}
