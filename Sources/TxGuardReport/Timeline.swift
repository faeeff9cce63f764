/// Alert rate and threshold over event time, in buckets of equal width.
public struct Timeline: Sendable, Hashable, Codable {
    /// One bucket of event time; rates are `nil` for an empty bucket.
    public struct Bucket: Sendable, Hashable, Codable {
        /// Inclusive start, epoch milliseconds.
        public var startMillis: Int64
        /// Exclusive end, epoch milliseconds (inclusive for the last bucket).
        public var endMillis: Int64
        /// Events in the bucket.
        public var events: Int
        /// Alerts in the bucket.
        public var alerts: Int
        /// Labelled frauds in the bucket.
        public var frauds: Int
        /// alerts / events.
        public var alertRate: Double?
        /// Mean threshold in force.
        public var meanThreshold: Double?
        /// Lowest threshold in force.
        public var minThreshold: Double?
        /// Highest threshold in force.
        public var maxThreshold: Double?
    }

    /// Buckets in time order.
    public var buckets: [Bucket]

    /// Splits [first, last] event time into `bucketCount` equal buckets.
    init(events: [ScoredEvent], bucketCount: Int) {
        guard let first = events.map(\.eventTimeMillis).min(), let last = events.map(\.eventTimeMillis).max() else {
            buckets = []
            return
        }
        let n = first == last ? 1 : bucketCount
        let span = Double(last - first) + 1
        var acc = [(events: Int, alerts: Int, frauds: Int, sum: Double, lo: Double, hi: Double)](
            repeating: (0, 0, 0, 0, .infinity, -.infinity), count: n)
        for e in events {
            let b = min(n - 1, Int(Double(e.eventTimeMillis - first) / span * Double(n)))
            acc[b].events += 1
            if e.alert { acc[b].alerts += 1 }
            if e.label == true { acc[b].frauds += 1 }
            acc[b].sum += e.threshold
            acc[b].lo = min(acc[b].lo, e.threshold)
            acc[b].hi = max(acc[b].hi, e.threshold)
        }
        buckets = acc.enumerated().map { i, a in
            let start = first + Int64((Double(i) * span / Double(n)).rounded(.down))
            let end = i == n - 1 ? last : first + Int64((Double(i + 1) * span / Double(n)).rounded(.down))
            let filled = a.events > 0
            return Bucket(startMillis: start, endMillis: end, events: a.events, alerts: a.alerts, frauds: a.frauds,
                          alertRate: filled ? Double(a.alerts) / Double(a.events) : nil,
                          meanThreshold: filled ? a.sum / Double(a.events) : nil,
                          minThreshold: filled ? a.lo : nil, maxThreshold: filled ? a.hi : nil)
        }
    }
}
