#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How busy a partition's whole stream is now compared with its long-run pace: the factor by which
/// the burst surprisals (`BurstSurprisal`) scale every key's expected count in a window.
///
/// When everyone buys more (a festival sale, payday, the evening peak) every merchant charges more
/// accounts and every account makes more purchases; measured against each key's own long-run rate
/// alone, that common rise would look like a burst everywhere at once. With the factor g the count in
/// a window is Poisson(g·λ) instead of Poisson(λ), so only a key that rises more than the whole
/// stream stands out; at night (g < 1) a burst stands out sooner.
///
/// g = (the stream's event rate over the same span as the window) / (its long-run rate). The recent
/// rate is a box count from 15-minute buckets over the last hour (windows up to an hour: a shorter
/// span is mostly noise) or the last 24 hours (longer windows; a whole day, so a day-long window is
/// not swayed by the time of day), the current bucket counted for its elapsed part. The long-run rate
/// is an exponentially weighted count of time constant one week, `c ← c·e^(−Δt/τ) + 1` per event,
/// divided by τ(1 − e^(−T/τ)) (T the stream's elapsed time: the bias correction for a young counter).
/// g is 1 until the stream has run for the whole span, and is kept within [1/20, 20]. An event older
/// than the newest seen counts in its own bucket (if within the last day) and in the long-run count
/// without decay. A value type owned by one partition's account store and snapshotted with it.
public struct TrafficLevel: Sendable, Equatable {
    static let bucketMillis: Int64 = 900_000
    static let bucketCount = 96
    /// Time constant of the long-run counter: one week.
    static let longMillis: Double = 7 * 86_400_000
    static let bounds: ClosedRange<Double> = (1.0 / 20)...20

    /// Time of the first event seen (nil before any).
    public internal(set) var start: Int64?
    /// Newest event time seen.
    public internal(set) var latest: Int64 = 0
    /// Bucket index (time / 15 min) of the newest bucket.
    var head: Int64 = 0
    /// Events per 15-minute bucket, ring indexed by bucket index modulo `bucketCount`.
    var buckets = [Double](repeating: 0, count: TrafficLevel.bucketCount)
    /// Long-run counter, as of `latest`.
    var long: Double = 0
    /// Sum of `buckets` (whole counts, so it equals their sum in any order exactly): the day's count
    /// without a 96-bucket loop per event.
    var ringTotal: Double = 0

    public init() {}

    static func bucket(_ t: Int64) -> Int64 { t >= 0 ? t / bucketMillis : (t - bucketMillis + 1) / bucketMillis }
    static func slot(_ b: Int64) -> Int { Int(((b % Int64(bucketCount)) + Int64(bucketCount)) % Int64(bucketCount)) }

    /// The factors of both spans as of one instant: what an event's windows read.
    public struct Factors: Sendable, Equatable {
        /// g over the last hour (windows up to an hour).
        public var hour: Double
        /// g over the last day (longer windows).
        public var day: Double
        /// Neutral factors (a stream too young to tell).
        public static let neutral = Factors(hour: 1, day: 1)

        /// g for a window of `windowSeconds`.
        public func forWindow(seconds: Int) -> Double { seconds <= 3600 ? hour : day }
    }

    /// Both factors as of `now` (before the event at `now` is observed), sharing the long-run rate.
    public func factors(now: Int64) -> Factors {
        guard let start else { return .neutral }
        let elapsed = Double(max(now, latest) - start)
        let dt = Double(max(0, now - latest))
        let longRate = long * exp(-dt / Self.longMillis) / (Self.longMillis * -expm1(-elapsed / Self.longMillis))
        guard longRate > 0 else { return .neutral }
        let current = Self.bucket(now)
        func factor(spanBuckets: Int64) -> Double {
            let span = Double((spanBuckets - 1) * Self.bucketMillis + (now - current * Self.bucketMillis))
            guard elapsed >= span, span > 0 else { return 1 }
            var recent = 0.0
            let from = max(current - spanBuckets + 1, head - Int64(Self.bucketCount) + 1), to = min(current, head)
            if to - from + 1 == Int64(Self.bucketCount) {
                recent = ringTotal  // every bucket of the ring
            } else if from <= to {
                for b in from...to { recent += buckets[Self.slot(b)] }
            }
            return min(max(recent / span / longRate, Self.bounds.lowerBound), Self.bounds.upperBound)
        }
        return Factors(hour: factor(spanBuckets: 4), day: factor(spanBuckets: Int64(Self.bucketCount)))
    }

    /// g for a window of `windowSeconds`, as of `now` (before the event at `now` is observed).
    public func factor(windowSeconds: Int, now: Int64) -> Double { factors(now: now).forWindow(seconds: windowSeconds) }

    /// Counts one event at `time`.
    public mutating func observe(_ time: Int64) {
        let b = Self.bucket(time)
        if start == nil { start = time; latest = time; head = b }
        if b > head {
            // The buckets between the old head and the new one start empty (all of them after a day's gap).
            for k in (head + 1)...min(b, head + Int64(Self.bucketCount)) {
                ringTotal -= buckets[Self.slot(k)]
                buckets[Self.slot(k)] = 0
            }
            head = b
        }
        if b > head - Int64(Self.bucketCount) {
            buckets[Self.slot(b)] += 1
            ringTotal += 1
        }
        let dt = Double(max(0, time - latest))
        long = long * exp(-dt / Self.longMillis) + 1
        latest = max(latest, time)
    }

    func write(to w: inout ByteWriter) {
        w.write(start ?? Int64.min); w.write(latest); w.write(head)
        for c in buckets { w.write(c) }
        w.write(long)
    }

    init(reading r: inout ByteReader) throws {
        let s = try r.read(Int64.self)
        start = s == Int64.min ? nil : s
        latest = try r.read(Int64.self)
        head = try r.read(Int64.self)
        buckets = try (0..<Self.bucketCount).map { _ in try r.readDouble() }
        long = try r.readDouble()
        guard (buckets + [long]).allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw EmbeddingError.corruptState(reason: "negative or non-finite traffic counts")
        }
        guard buckets.allSatisfy({ $0 < 0x1p53 && $0.rounded() == $0 }) else {
            throw EmbeddingError.corruptState(reason: "traffic bucket counts that are not whole numbers")
        }
        ringTotal = buckets.reduce(0, +)
    }
}
