/// A readable snapshot of one account's behaviour state, as kept by `AccountStore` (for
/// inspection, explanations and tests; the store itself keeps it in flat arrays).
public struct AccountState: Sendable, Equatable, Codable {
    /// Transactions seen.
    public var count: UInt32
    /// Event time of the first transaction seen, epoch milliseconds (0 before any).
    public var firstTimestampMillis: Int64 = 0
    /// Event time of the latest transaction, epoch milliseconds.
    public var lastTimestampMillis: Int64
    /// Exponentially weighted mean of signed log1p(base amount).
    public var amountMean: Double
    /// Exponentially weighted variance of signed log1p(base amount).
    public var amountVariance: Double
    /// Recent (timestamp millis, base amount), oldest first, at most `recentEventCapacity`.
    public var recentEvents: [RecentEvent]
    /// Tags (`AccountStore.knownTag`) of recently seen merchants, most recent first.
    public var knownMerchants: [UInt16]
    /// Tags of recently seen countries, most recent first.
    public var knownCountries: [UInt16]
    /// Tags of recently seen devices, most recent first.
    public var knownDevices: [UInt16]
    /// Exponentially weighted centroid of the account's projected text embeddings (empty without PCA).
    public var textCentroid: [Float]
    /// Events with a value of the surprisal field (`FeatureSpec.surprisalField`).
    public var categoryTotal: UInt32 = 0
    /// Counted values of the surprisal field (hash, count), in storage order.
    public var categoryCounts: [CategoryCount] = []

    /// One counted categorical value.
    public struct CategoryCount: Sendable, Equatable, Codable {
        /// The value's tag (`AccountStore.categoryTag`).
        public var valueHash: UInt16
        public var count: UInt32
    }

    /// One remembered transaction.
    public struct RecentEvent: Sendable, Equatable, Codable {
        public var timestampMillis: Int64
        public var amount: Float
        /// Tag (`AccountStore.categoryTag`) of the event's surprisal-field value (0: none, or no surprisal feature).
        public var categoryHash: UInt16 = 0
    }
}
