/// Per-account running statistics of the Z-score inputs; a small value the caller owns, stores per
/// account and snapshots (Codable). Holds both cumulative (Welford) and exponentially weighted moments.
///
/// The four moments of every input live in one array (`[mean | m2 | ewMean | ewVariance]`, each
/// `width` long): one heap allocation per account instead of four. With a million accounts in
/// state that is ~160 bytes an account less, and a snapshot's copy-on-write capture retains one
/// buffer per account, not four.
public struct AccountStats: Sendable, Codable, Equatable {
    /// Events learned.
    public internal(set) var count: UInt32
    /// The moments: mean, m2, EW mean, EW variance, `width` floats each.
    @usableFromInline internal var moments: [Float]

    /// Number of inputs.
    @inlinable public var width: Int { moments.count / 4 }

    /// Empty statistics for `inputCount` inputs.
    public init(inputCount: Int) {
        count = 0
        moments = [Float](repeating: 0, count: 4 * max(0, inputCount))
    }

    /// Statistics as saved (a snapshot's binary form); the four arrays must have one width.
    public init(count: UInt32, mean: [Float], m2: [Float], ewMean: [Float], ewVariance: [Float]) {
        precondition(m2.count == mean.count && ewMean.count == mean.count && ewVariance.count == mean.count)
        self.count = count
        moments = mean + m2 + ewMean + ewVariance
    }

    /// Statistics from the concatenated moments (`4 * width` floats, as `moments(into:)` writes them).
    public init(count: UInt32, moments: [Float]) {
        precondition(moments.count % 4 == 0)
        self.count = count
        self.moments = moments
    }

    /// Welford running mean of input i.
    @inlinable public func mean(_ i: Int) -> Float { withView { $0.mean(i) } }
    /// Exponentially weighted mean of input i.
    @inlinable public func ewMean(_ i: Int) -> Float { withView { $0.ewMean(i) } }
    /// Exponentially weighted variance of input i.
    @inlinable public func ewVariance(_ i: Int) -> Float { withView { $0.ewVariance(i) } }
    /// Welford sample variance of input i (0 before two events).
    @inlinable public func variance(_ i: Int) -> Float { withView { $0.variance(i) } }

    /// Welford running mean per input (a copy).
    public var mean: [Float] { Array(moments[0..<width]) }
    /// Welford sum of squared deviations per input (a copy).
    public var m2: [Float] { Array(moments[width..<(2 * width)]) }
    /// Exponentially weighted mean per input (a copy).
    public var ewMean: [Float] { Array(moments[(2 * width)..<(3 * width)]) }
    /// Exponentially weighted variance per input (a copy).
    public var ewVariance: [Float] { Array(moments[(3 * width)...]) }

    /// Calls `body` with the concatenated moments (mean, m2, EW mean, EW variance), no copy.
    public func withMoments<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try moments.withUnsafeBufferPointer(body)
    }

    /// A read-only view of these statistics (what the Z-score detector reads).
    @inlinable
    public func withView<R>(_ body: (AccountMomentsView) throws -> R) rethrows -> R {
        try moments.withUnsafeBufferPointer { try body(AccountMomentsView(count: count, moments: $0)) }
    }

    /// Learns one event (Welford + exponentially weighted moments with weight `alpha`).
    mutating func learn(_ x: UnsafeBufferPointer<Float>, alpha: Float) {
        moments.withUnsafeMutableBufferPointer { m in
            Self.learn(x, count: &count, moments: m, alpha: alpha)
        }
    }

    /// Learns one event into statistics held elsewhere (`count`, and `moments` laid out as
    /// `[mean | m2 | ewMean | ewVariance]`, `moments.count / 4` inputs, the first that many of `x`).
    public static func learn(_ x: UnsafeBufferPointer<Float>, count: inout UInt32, moments m: UnsafeMutableBufferPointer<Float>, alpha: Float) {
        count &+= 1
        let w = m.count / 4
        learnCumulative(x, count: count, m, at: 0, width: w)
        learnExponential(x, first: count == 1, m, at: 2 * w, width: w, alpha: alpha)
    }

    /// Learns one event into the one pair of moments a `baseline` reads (`pair` laid out as
    /// `[mean | m2]` or `[ewMean | ewVariance]`, `pair.count / 2` inputs): the same values as
    /// `learn` gives those moments, for tables that keep only the pair in use.
    public static func learn(_ x: UnsafeBufferPointer<Float>, count: inout UInt32, pair m: UnsafeMutableBufferPointer<Float>,
                             baseline: ZScoreDetector.AccountBaseline, alpha: Float) {
        count &+= 1
        switch baseline {
        case .cumulative: learnCumulative(x, count: count, m, at: 0, width: m.count / 2)
        case .exponential: learnExponential(x, first: count == 1, m, at: 0, width: m.count / 2, alpha: alpha)
        }
    }

    /// Welford's update of `[mean | m2]` at `at` after the `count`-th event.
    @inline(__always)
    private static func learnCumulative(_ x: UnsafeBufferPointer<Float>, count: UInt32, _ m: UnsafeMutableBufferPointer<Float>, at a: Int, width w: Int) {
        let n = Float(count)
        for i in 0..<w {
            let v = x[i]
            let delta = v - m[a + i]
            m[a + i] += delta / n
            m[a + w + i] += delta * (v - m[a + i])
        }
    }

    /// The exponentially weighted update of `[ewMean | ewVariance]` at `at` (weight `alpha`).
    @inline(__always)
    private static func learnExponential(_ x: UnsafeBufferPointer<Float>, first: Bool, _ m: UnsafeMutableBufferPointer<Float>, at a: Int,
                                         width w: Int, alpha: Float) {
        for i in 0..<w {
            let v = x[i]
            if first {
                m[a + i] = v
                m[a + w + i] = 0
            } else {
                let d = v - m[a + i]
                let inc = alpha * d
                m[a + i] += inc
                m[a + w + i] = (1 - alpha) * (m[a + w + i] + d * inc)
            }
        }
    }

    // The JSON form (a model file's population statistics) is unchanged: count and four arrays.
    private enum CodingKeys: String, CodingKey { case count, mean, m2, ewMean, ewVariance }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let mean = try c.decode([Float].self, forKey: .mean)
        let m2 = try c.decode([Float].self, forKey: .m2)
        let ewMean = try c.decode([Float].self, forKey: .ewMean)
        let ewVariance = try c.decode([Float].self, forKey: .ewVariance)
        guard m2.count == mean.count, ewMean.count == mean.count, ewVariance.count == mean.count else {
            throw DecodingError.dataCorruptedError(forKey: .m2, in: c, debugDescription:
                "account statistics arrays of different lengths: \(mean.count), \(m2.count), \(ewMean.count), \(ewVariance.count)")
        }
        self.init(count: try c.decode(UInt32.self, forKey: .count), mean: mean, m2: m2, ewMean: ewMean, ewVariance: ewVariance)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(count, forKey: .count)
        try c.encode(mean, forKey: .mean)
        try c.encode(m2, forKey: .m2)
        try c.encode(ewMean, forKey: .ewMean)
        try c.encode(ewVariance, forKey: .ewVariance)
    }
}

/// A read-only view of one account's Z-score statistics, wherever they are stored: all four
/// moments (`[mean | m2 | ewMean | ewVariance]`, as `AccountStats` keeps them) or only the pair one
/// baseline reads (as the per-partition `AccountStatsTable` keeps them). Reading a moment the view
/// does not hold traps: the Z-score reads only its baseline's pair.
public struct AccountMomentsView {
    /// Events learned.
    public let count: UInt32
    /// The moments held.
    public let moments: UnsafeBufferPointer<Float>
    /// Number of inputs.
    public let width: Int
    /// Start of `[mean | m2]` in `moments`, or −1 when not held.
    @usableFromInline let cumulativeAt: Int
    /// Start of `[ewMean | ewVariance]` in `moments`, or −1 when not held.
    @usableFromInline let exponentialAt: Int

    /// A view of all four moments (`4 × width` floats) after `count` events.
    @inlinable
    public init(count: UInt32, moments: UnsafeBufferPointer<Float>) {
        self.count = count
        self.moments = moments
        width = moments.count / 4
        cumulativeAt = 0
        exponentialAt = 2 * width
    }

    /// A view of the one pair `baseline` reads (`2 × width` floats) after `count` events.
    @inlinable
    public init(count: UInt32, pair: UnsafeBufferPointer<Float>, baseline: ZScoreDetector.AccountBaseline) {
        self.count = count
        moments = pair
        width = pair.count / 2
        cumulativeAt = baseline == .cumulative ? 0 : -1
        exponentialAt = baseline == .exponential ? 0 : -1
    }

    /// Welford running mean of input i.
    @inlinable public func mean(_ i: Int) -> Float {
        precondition(cumulativeAt >= 0, "cumulative moments not held")
        return moments[cumulativeAt + i]
    }
    /// Exponentially weighted mean of input i.
    @inlinable public func ewMean(_ i: Int) -> Float {
        precondition(exponentialAt >= 0, "exponential moments not held")
        return moments[exponentialAt + i]
    }
    /// Exponentially weighted variance of input i.
    @inlinable public func ewVariance(_ i: Int) -> Float {
        precondition(exponentialAt >= 0, "exponential moments not held")
        return moments[exponentialAt + width + i]
    }
    /// Welford sample variance of input i (0 before two events).
    @inlinable public func variance(_ i: Int) -> Float {
        precondition(cumulativeAt >= 0, "cumulative moments not held")
        return count > 1 ? moments[cumulativeAt + width + i] / Float(count - 1) : 0
    }
}
