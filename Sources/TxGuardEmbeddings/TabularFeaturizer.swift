import Foundation

/// Turns a `FeatureInput` (plus, optionally, its text embedding) into the fixed-length tabular
/// feature vector named by `FeatureSpec.featureNames`, reading and then updating the account's state
/// in an `AccountStore`. Per-account features describe the history *before* this event.
///
/// Definitions (x = sign(a)·log1p(|a|) of the amount a in base-currency units):
/// - windows: earlier events e with `t − w < e.time ≤ t` (an event exactly w old is outside), from
///   the exact ring of recent events (saturates at `recentEventCapacity`);
/// - `acct_amount_z = (x − m)/√(v + floor²)` against the EW mean m and variance v before this
///   event (0 for an account's first event); update `d = x − m; m += αd; v = (1 − α)(v + αd²)`;
/// - new merchant/country/device: 1 when the value is present and not among the account's last
///   `knownValueCapacity` distinct values (values compared ASCII-case-insensitively);
/// - `acct_surprisal_<field> = −ln[(k + α·P₀(v)) / (n + α)]` for the event's value v of
///   `surprisalField`: k the account's count of v and n its count of all values among its earlier events
///   except those of the last `surprisalSettleSeconds` still in the recent ring ("settled" history),
///   P₀ the smoothed training frequency (`CategoryPrior`), α = `surprisalAlpha`; 0 when v is absent;
/// - `acct_burst_<w>s = −ln P(K ≥ n)` (`BurstSurprisal`, when `accountRatePrior` is fitted; otherwise the raw
///   count `acct_count_<w>s = n`): n the account's earlier events in the window, K the negative binomial
///   count predicted from its events before the window over the time since its first event, and the
///   fitted mean rate per account scaled to w; 0 when n = 0;
/// - `merchant_accounts_surprisal = −ln P(K ≥ k)` (`BurstSurprisal`): k the distinct accounts of the
///   merchant's events in the last `merchantWindowSeconds` (this one included), K the negative
///   binomial count predicted from the merchant's earlier activity in the partition's `MerchantStore`
///   and the fitted mean rate (`EventRatePrior`); 0 when the merchant name is absent;
/// - `text_novelty = 1 − cos(p, c)`, p the PCA projection of this event's embedding, c the account's
///   EW centroid of earlier projections (0 without one).
public struct TabularFeaturizer: Sendable {
    /// The validated spec.
    public let spec: FeatureSpec
    /// Feature names in output order.
    public let featureNames: [String]
    /// Length of every feature vector.
    public var dimension: Int { featureNames.count }
    /// The store layout this spec needs.
    public let layout: AccountStore.Layout

    private let fieldSeeds: [UInt64]
    private let fieldSources: [FeatureInput.CategoricalSource]
    /// `textProjection` components flattened row-major, for contiguous SIMD dot products.
    private let projectionRows: [Float]
    /// Smoothed prior probability per value hash of the surprisal field, and of an unseen value.
    private let surprisalPrior: [UInt64: Double]
    private let surprisalUnseen: Double
    private let surprisalSource: FeatureInput.CategoricalSource?
    static let surprisalSeed: UInt64 = 0x5EED_CA7E

    /// Validates `spec` and prepares the featurizer.
    public init(spec: FeatureSpec) throws {
        try spec.validate()
        self.spec = spec
        self.featureNames = spec.featureNames
        self.layout = AccountStore.Layout(recentCapacity: spec.recentEventCapacity, knownCapacity: spec.knownValueCapacity,
                                          centroidDimension: spec.textProjection?.outputDimension ?? 0,
                                          categoryCapacity: spec.surprisalPrior == nil ? 0 : spec.surprisalCapacity,
                                          merchantCapacity: spec.merchantRatePrior == nil ? 0 : spec.merchantCapacity,
                                          merchantRecentCapacity: spec.merchantRatePrior == nil ? 0 : spec.merchantRecentCapacity)
        self.fieldSeeds = spec.categoricalFields.map { FeatureHash.hash($0) }
        self.fieldSources = spec.categoricalFields.map { FeatureInput.CategoricalSource($0) }
        self.projectionRows = spec.textProjection?.components.flatMap { $0 } ?? []
        if let prior = spec.surprisalPrior {
            var table: [UInt64: Double] = [:]
            for key in prior.counts.keys { table[Self.caseInsensitiveHash(key, seed: Self.surprisalSeed)] = prior.probability(key) }
            self.surprisalPrior = table
            self.surprisalUnseen = prior.unseenProbability
            self.surprisalSource = FeatureInput.CategoricalSource(prior.field)
        } else {
            self.surprisalPrior = [:]
            self.surprisalUnseen = 1
            self.surprisalSource = nil
        }
    }

    /// An empty account store sized for this spec.
    public func makeStore(capacity: Int, idleTTLSeconds: Int? = nil) -> AccountStore {
        AccountStore(capacity: capacity, idleTTLMillis: idleTTLSeconds.map { Int64($0) * 1000 }, layout: layout)
    }

    /// The feature vector of `input`; updates the account's state in `store`.
    public func features(for input: FeatureInput, textEmbedding: [Float]? = nil, store: inout AccountStore) throws -> [Float] {
        try featuresAndSlot(for: input, textEmbedding: textEmbedding, store: &store).features
    }

    /// The feature vector of `input` and the account's slot in `store` (whose state it updated), for
    /// a caller that goes on to read or update the account's statistics there.
    package func featuresAndSlot(for input: FeatureInput, textEmbedding: [Float]?, store: inout AccountStore) throws -> (features: [Float], slot: Int) {
        var out = [Float](repeating: 0, count: dimension)
        let slot = try out.withUnsafeMutableBufferPointer { try features(for: input, textEmbedding: textEmbedding, store: &store, into: $0) }
        return (out, slot)
    }

    /// Writes the feature vector of `input` into `out` (length `dimension`); updates `store`.
    /// Returns the account's slot in `store`.
    @discardableResult
    public func features(for input: FeatureInput, textEmbedding: [Float]?, store: inout AccountStore,
                         into out: UnsafeMutableBufferPointer<Float>) throws -> Int {
        guard store.layout == layout else {
            throw EmbeddingError.invalidConfiguration(reason: "account store layout \(store.layout) does not match the feature spec \(layout)")
        }
        guard out.count == dimension else {
            throw EmbeddingError.invalidConfiguration(reason: "output buffer has \(out.count) slots, \(dimension) features")
        }
        if let projection = spec.textProjection, let e = textEmbedding, e.count != projection.inputDimension {
            throw EmbeddingError.invalidConfiguration(reason: "text embedding width \(e.count), PCA expects \(projection.inputDimension)")
        }
        var f = 0
        @inline(__always) func put(_ v: Double) { out[f] = Float(v); f += 1 }

        // Amount.
        let rate = spec.currencyRates[input.currency]
        let amount = input.amount.isFinite ? input.amount : 0
        let base = amount * (rate ?? 1)
        let x = Self.signedLog1p(base)
        put(x)
        if let scaling = spec.amountScaling { put(scaling.apply(x)) }
        put(rate == nil && !spec.currencyRates.isEmpty ? 1 : 0)

        // Cyclic local time.
        let local = input.timestampMillis &+ Int64(input.utcOffsetMinutes ?? 0) * 60_000
        let dayMillis: Int64 = 86_400_000
        let millisOfDay = ((local % dayMillis) + dayMillis) % dayMillis
        let hourAngle = 2 * Double.pi * Double(millisOfDay) / Double(dayMillis)
        let days = (local - millisOfDay) / dayMillis
        let weekday = (((days + 3) % 7) + 7) % 7  // 1970-01-01 was a Thursday; Monday = 0
        let dayAngle = 2 * Double.pi * Double(weekday) / 7
        put(sin(hourAngle)); put(cos(hourAngle)); put(sin(dayAngle)); put(cos(dayAngle))

        // Hashed categoricals.
        let buckets = spec.hashBuckets
        for i in 0..<fieldSources.count {
            for b in 0..<buckets { out[f + b] = 0 }
            if let value = input.value(of: fieldSources[i]), !value.isEmpty {
                let h = Self.caseInsensitiveHash(value, seed: fieldSeeds[i])
                let bucket = Int((UInt64(UInt32(truncatingIfNeeded: h)) &* UInt64(buckets)) >> 32)
                out[f + bucket] = (h >> 63) == 0 ? 1 : -1
            }
            f += buckets
        }

        // User numeric fields.
        for field in spec.numericFields {
            var v = input.numeric[field.name] ?? field.defaultValue
            if !v.isFinite { v = field.defaultValue }
            put(field.log1p ? Self.signedLog1p(v) : v)
        }

        // Per-account behaviour (state before this event), then the update.
        let t = input.timestampMillis
        let (s, isNew) = store.acquire(AccountStore.key(input.accountID), now: t)
        // Every array of the account's state requested at once (read further down, one by one).
        store.prefetch(s)
        let record = store.records[s]
        let count = record.count
        put(isNew || count == 0 ? 1 : 0)
        put(log1p(Double(count)))
        put(count == 0 ? 0 : log1p(Double(max(0, t - record.lastTimestamp)) / 1000))
        let r = spec.recentEventCapacity
        let ringCount = Int(record.ringCount)
        // The stream's pace, read once per event for every burst window (account and merchant).
        let traffic = spec.accountRatePrior == nil && spec.merchantRatePrior == nil ? .neutral : store.traffic.factors(now: t)
        for w in spec.windowSeconds {
            let from = t - Int64(w) * 1000
            var n = 0
            var sum = 0.0
            for i in 0..<ringCount {
                let j = store.ringIndex(s, i, capacity: r)
                let e = store.ringTime(s, j)
                if e > from && e <= t { n += 1; sum += Double(store.ringAmounts[j]) }
            }
            if let prior = spec.accountRatePrior {
                // The account's own rate: its events before the window over the time from its first
                // event to the window's start, in windows; the prior mean scaled to this window; the
                // expected count scaled by the stream's current pace.
                let exposure = count == 0 ? 0 : Double(max(0, from - record.firstTimestamp)) / (Double(w) * 1000)
                put(BurstSurprisal.surprisal(windowCount: n, settledEvents: max(0, Int(count) - n), settledExposure: exposure,
                                             priorMean: prior.meanRate * Double(w) / Double(spec.accountRateWindowSeconds),
                                             alpha: spec.accountAlpha, trafficFactor: traffic.forWindow(seconds: w)))
            } else {
                put(Double(n))
            }
            put(Self.signedLog1p(sum))
        }
        let mean = record.mean, variance = record.variance
        put(count == 0 ? 0 : (x - mean) / (variance + spec.amountStdFloor * spec.amountStdFloor).squareRoot())
        put(novel(&store, s, .merchant, input.merchantName))
        put(novel(&store, s, .country, input.country))
        put(novel(&store, s, .device, input.deviceID))
        var categoryTag: UInt16 = 0
        if let source = surprisalSource {
            var surprisal = 0.0
            if let value = input.value(of: source), !value.isEmpty {
                let h = Self.caseInsensitiveHash(value, seed: Self.surprisalSeed)
                categoryTag = AccountStore.categoryTag(h)
                var (k, n) = store.countCategory(s, categoryTag)
                // Leave out the unsettled recent events (same value / any value).
                let from = t - Int64(spec.surprisalSettleSeconds) * 1000
                var recentSame: UInt32 = 0, recentAll: UInt32 = 0
                for i in 0..<ringCount {
                    let j = store.ringIndex(s, i, capacity: r)
                    let c = store.ringCategories[j]
                    if c != 0 && store.ringTime(s, j) > from {
                        recentAll += 1
                        if c == categoryTag { recentSame += 1 }
                    }
                }
                k -= min(k, recentSame); n -= min(n, recentAll)
                surprisal = CategoryPrior.surprisal(accountCount: Double(k), accountTotal: Double(n),
                                                    prior: surprisalPrior[h] ?? surprisalUnseen, alpha: spec.surprisalAlpha)
            }
            put(surprisal)
        }
        if let prior = spec.merchantRatePrior {
            var surprisal = 0.0
            if let name = input.merchantName, !name.isEmpty {
                let o = store.merchants.observe(BurstSurprisal.merchantKey(name), account: UInt32(truncatingIfNeeded: store.records[s].id),
                                                now: t, windowMillis: Int64(spec.merchantWindowSeconds) * 1000)
                surprisal = BurstSurprisal.surprisal(windowCount: o.windowAccounts, settledEvents: o.settledEvents,
                                                     settledExposure: o.settledExposure, priorMean: prior.meanRate, alpha: spec.merchantAlpha,
                                                     trafficFactor: traffic.forWindow(seconds: spec.merchantWindowSeconds))
            }
            put(surprisal)
        }

        if count == 0 {
            store.records[s].mean = x
            store.records[s].variance = 0
        } else {
            let d = x - mean, a = spec.ewmaAlpha
            store.records[s].mean = mean + a * d
            store.records[s].variance = (1 - a) * (variance + a * d * d)
        }
        store.records[s].count = count &+ 1
        store.setLatest(s, count == 0 ? t : max(record.lastTimestamp, t))
        if count == 0 { store.records[s].firstTimestamp = t }
        store.traffic.observe(t)
        store.pushRecent(s, time: t, amount: Float(base), category: categoryTag)

        // Text: novelty against the centroid, then the PCA components.
        if let projection = spec.textProjection {
            let k = projection.outputDimension
            let noveltyIndex = f
            put(0)
            for i in 0..<k { out[f + i] = 0 }
            if let embedding = textEmbedding {
                let projected = UnsafeMutableBufferPointer(rebasing: out[f..<(f + k)])
                project(embedding, projection, into: projected)
                var dot: Float = 0, pn: Float = 0, cn: Float = 0
                for i in 0..<k {
                    let c = store.centroids[s * k + i]
                    dot += projected[i] * c; pn += projected[i] * projected[i]; cn += c * c
                }
                if cn > 0 && pn > 0 { out[noveltyIndex] = 1 - dot / (pn * cn).squareRoot() }
                let a = Float(spec.ewmaAlpha)
                for i in 0..<k {
                    let c = store.centroids[s * k + i]
                    store.centroids[s * k + i] = cn > 0 ? c + a * (projected[i] - c) : projected[i]
                }
            }
            f += k
        }
        return s
    }

    /// (embedding − mean) · componentsᵀ with contiguous SIMD dot products (same result as `PCAProjection.project`).
    @inline(__always)
    private func project(_ embedding: [Float], _ projection: PCAProjection, into out: UnsafeMutableBufferPointer<Float>) {
        let d = projection.inputDimension
        withUnsafeTemporaryAllocation(of: Float.self, capacity: d) { centered in
            embedding.withUnsafeBufferPointer { e in
                projection.mean.withUnsafeBufferPointer { m in
                    for j in 0..<d { centered[j] = e[j] - m[j] }
                }
            }
            // Non-empty buffers: validate() guarantees d ≥ 1 and d × outputDimension rows.
            projectionRows.withUnsafeBufferPointer { rows in
                for k in 0..<out.count {
                    out[k] = FastMath.dot(centered.baseAddress!, rows.baseAddress! + k * d, d)
                }
            }
        }
    }

    /// 1 when `value` is present and new to the account's set; records it either way.
    @inline(__always)
    private func novel(_ store: inout AccountStore, _ s: Int, _ set: AccountStore.KnownSet, _ value: String?) -> Double {
        guard let value, !value.isEmpty else { return 0 }
        var h = Self.caseInsensitiveHash(value, seed: UInt64(set.rawValue + 1))
        if h == 0 { h = 1 }
        return store.noteKnown(s, set, AccountStore.knownTag(h)) ? 0 : 1
    }

    /// sign(x)·log1p(|x|).
    @inline(__always)
    public static func signedLog1p(_ x: Double) -> Double {
        x < 0 ? -log1p(-x) : log1p(x)
    }

    /// FeatureHash of the UTF-8 bytes with ASCII letters lower-cased.
    @inline(__always)
    static func caseInsensitiveHash(_ text: String, seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ FeatureHash.finalize(seed)
        for b in text.utf8 {
            let lower = (b >= 0x41 && b <= 0x5A) ? b + 0x20 : b
            h = (h ^ UInt64(lower)) &* 0x0000_0100_0000_01b3
        }
        return FeatureHash.finalize(h)
    }
}
