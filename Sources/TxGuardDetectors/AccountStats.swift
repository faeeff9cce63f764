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
    @inlinable public func mean(_ i: Int) -> Float { moments[i] }
    /// Exponentially weighted mean of input i.
    @inlinable public func ewMean(_ i: Int) -> Float { moments[2 * width + i] }
    /// Exponentially weighted variance of input i.
    @inlinable public func ewVariance(_ i: Int) -> Float { moments[3 * width + i] }
    /// Welford sample variance of input i (0 before two events).
    @inlinable public func variance(_ i: Int) -> Float { count > 1 ? moments[width + i] / Float(count - 1) : 0 }

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
    /// `[mean | m2 | ewMean | ewVariance]`, `moments.count / 4` inputs, the first that many of `x`): the one implementation
    /// of the update, for `AccountStats` and for tables that keep many accounts' moments flat.
    public static func learn(_ x: UnsafeBufferPointer<Float>, count: inout UInt32, moments m: UnsafeMutableBufferPointer<Float>, alpha: Float) {
        count &+= 1
        let n = Float(count)
        let w = m.count / 4
        let first = count == 1
        for i in 0..<w {
            let v = x[i]
            let delta = v - m[i]
            m[i] += delta / n
            m[w + i] += delta * (v - m[i])
            if first {
                m[2 * w + i] = v
                m[3 * w + i] = 0
            } else {
                let d = v - m[2 * w + i]
                let inc = alpha * d
                m[2 * w + i] += inc
                m[3 * w + i] = (1 - alpha) * (m[3 * w + i] + d * inc)
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

/// A read-only view of one account's Z-score statistics, wherever they are stored (an
/// `AccountStats`, or a slot of a flat per-partition table): the count of events learned and the
/// moments `[mean | m2 | ewMean | ewVariance]`, `width` floats each.
public struct AccountMomentsView {
    /// Events learned.
    public let count: UInt32
    /// The moments, `4 * width` floats.
    public let moments: UnsafeBufferPointer<Float>

    /// A view of `moments` (4 × width floats) after `count` events.
    @inlinable
    public init(count: UInt32, moments: UnsafeBufferPointer<Float>) {
        self.count = count
        self.moments = moments
    }

    /// Number of inputs.
    @inlinable public var width: Int { moments.count / 4 }
    /// Welford running mean of input i.
    @inlinable public func mean(_ i: Int) -> Float { moments[i] }
    /// Exponentially weighted mean of input i.
    @inlinable public func ewMean(_ i: Int) -> Float { moments[2 * width + i] }
    /// Exponentially weighted variance of input i.
    @inlinable public func ewVariance(_ i: Int) -> Float { moments[3 * width + i] }
    /// Welford sample variance of input i (0 before two events).
    @inlinable public func variance(_ i: Int) -> Float { count > 1 ? moments[width + i] / Float(count - 1) : 0 }
}
