/// What the tabular featurizer computes, loaded from configuration (Codable) so deployments can add
/// their own numeric and categorical fields; the fitted parts (`amountScaling`, `textProjection`)
/// are filled in by training. A given spec always yields the same `featureNames`, in the same order.
public struct FeatureSpec: Codable, Sendable, Equatable {
    /// A user-defined numeric field read from `FeatureInput.numeric`.
    public struct NumericField: Codable, Sendable, Equatable {
        /// Key in `FeatureInput.numeric`; the feature is named `num_<name>`.
        public var name: String
        /// Apply sign(x)·log1p(|x|) before use.
        public var log1p: Bool
        /// Value used when the field is absent or not finite.
        public var defaultValue: Double

        /// Creates a numeric field.
        public init(name: String, log1p: Bool = false, defaultValue: Double = 0) {
            self.name = name
            self.log1p = log1p
            self.defaultValue = defaultValue
        }
    }

    /// Categorical fields hashed into `hashBuckets` signed buckets each (`<name>_h<i>`): built-in names
    /// (`merchant_category`, `channel`, `country`, `currency`, `merchant_name`, `device_id`) or keys of
    /// `FeatureInput.categorical`. An absent value contributes zeros.
    public var categoricalFields: [String] = ["merchant_category", "channel", "country", "currency"]
    /// Buckets per categorical field.
    public var hashBuckets: Int = 4
    /// User-defined numeric fields.
    public var numericFields: [NumericField] = []
    /// Units of the base currency per unit of each currency; amounts in unlisted currencies are used as
    /// they are and flagged by `currency_rate_unknown` (an empty table means "single currency").
    public var currencyRates: [String: Double] = [:]
    /// Velocity windows, seconds (`acct_count_<w>s` or `acct_burst_<w>s`, and `acct_sum_log1p_<w>s`),
    /// each at most `longestRingWindowSeconds`.
    public var windowSeconds: [Int] = [60, 3600, 86400]

    /// The longest window over the account's recent events (velocity windows, the surprisal's settle
    /// time): 20 days. The ring keeps each event's time as a 32-bit millisecond offset from the
    /// account's latest event, saturating 2³¹ ms (24.8 days) back, so an event less than 4.8 days
    /// late reads every window exactly.
    public static let longestRingWindowSeconds = 20 * 86_400
    /// Recent events kept per account for the windows: counts are exact while a window holds fewer
    /// than this many earlier events, and saturate at it beyond.
    public var recentEventCapacity: Int = 16
    /// Smoothing factor of the per-account exponentially weighted mean/variance of log amounts and of
    /// the text centroid.
    public var ewmaAlpha: Double = 0.1
    /// Standard-deviation floor (log-amount units) in `acct_amount_z = (x − mean)/√(var + floor²)`.
    public var amountStdFloor: Double = 0.1
    /// Distinct merchants / countries / devices remembered per account (least recently seen dropped).
    public var knownValueCapacity: Int = 8
    /// Categorical field whose per-account surprisal is a feature (`acct_surprisal_<field>`, present once
    /// training has fitted `surprisalPrior`); nil for none. See `CategoryPrior.surprisal`.
    public var surprisalField: String? = "merchant_category"
    /// Dirichlet concentration α of the per-account surprisal: the weight of the global prior, in
    /// pseudo-events (1: the global distribution counts as one earlier event; the usual uninformed choice).
    public var surprisalAlpha: Double = 1
    /// The account's events of the last this many seconds (as far as the recent-event ring reaches) are
    /// left out of the history the surprisal is measured against, so a burst of events in a value new
    /// to the account stays surprising for its first day instead of only at its first event.
    public var surprisalSettleSeconds: Int = 86_400
    /// Distinct values of `surprisalField` counted per account; when full, a new value replaces the
    /// least counted one (whose count is lost, which can only make values look rarer).
    public var surprisalCapacity: Int = 16
    /// Global frequencies of `surprisalField`, fitted at training (`acct_surprisal_<field>`; absent when nil).
    public var surprisalPrior: CategoryPrior?
    /// Whether training fits `accountRatePrior`, which turns the raw window counts `acct_count_<w>s`
    /// into `acct_burst_<w>s`: the surprisal of the account's earlier events in the window given its own
    /// rate so far (`BurstSurprisal`). Raw counts make every busy account look like a burst to the
    /// distance- and isolation-based detectors; the surprisal measures each account against itself.
    public var accountBurst: Bool = true
    /// Mean events per account per `accountRateWindowSeconds`, fitted at training (`acct_burst_<w>s`;
    /// raw counts when nil).
    public var accountRatePrior: EventRatePrior?
    /// Window the account rate prior is fitted in (its mean scales linearly to each velocity window).
    public var accountRateWindowSeconds: Int = 86_400
    /// Shape α of the Gamma prior on an account's event rate (1: exponential prior of the fitted mean).
    public var accountAlpha: Double = 1
    /// Whether training fits `merchantRatePrior`, which turns on `merchant_accounts_surprisal`: the
    /// surprisal of the number of distinct accounts a merchant charged in the last
    /// `merchantWindowSeconds`, given its age and earlier activity (`BurstSurprisal`).
    public var merchantBurst: Bool = true
    /// Window of the merchant burst feature, seconds (24 h: one daily cycle of traffic).
    public var merchantWindowSeconds: Int = 86_400
    /// Shape α of the Gamma prior on a merchant's event rate (1: exponential prior of the fitted mean).
    public var merchantAlpha: Double = 1
    /// Merchants whose activity is kept per partition (least recently active evicted first).
    public var merchantCapacity: Int = 100_000
    /// Recent events kept per merchant: distinct-account counts are exact while a window holds fewer.
    public var merchantRecentCapacity: Int = 32
    /// Mean events per merchant per window, fitted at training (`merchant_accounts_surprisal`; absent when nil).
    public var merchantRatePrior: EventRatePrior?
    /// Robust scaling of log1p(amount), fitted at training (`amount_robust`; absent when nil).
    public var amountScaling: RobustScaling?
    /// PCA of text embeddings, fitted at training (`text_pca_<i>` and `text_novelty`; absent when nil).
    public var textProjection: PCAProjection?

    /// The default spec.
    public init() {}

    /// Checks ranges; the featurizer refuses an invalid spec.
    public func validate() throws {
        func fail(_ r: String) -> EmbeddingError { .invalidConfiguration(reason: r) }
        guard hashBuckets >= 1, hashBuckets <= 64 else { throw fail("hashBuckets \(hashBuckets) outside 1...64") }
        guard windowSeconds.allSatisfy({ $0 > 0 }) else { throw fail("windowSeconds must be positive") }
        guard windowSeconds.allSatisfy({ $0 <= Self.longestRingWindowSeconds }) else {
            throw fail("windowSeconds must be at most \(Self.longestRingWindowSeconds) (20 days): the account's recent events keep their times as 32-bit offsets from its latest event")
        }
        guard recentEventCapacity >= 1, recentEventCapacity <= 255 else { throw fail("recentEventCapacity outside 1...255") }
        guard knownValueCapacity >= 1, knownValueCapacity <= 255 else { throw fail("knownValueCapacity outside 1...255") }
        guard surprisalAlpha > 0, surprisalAlpha.isFinite else { throw fail("surprisalAlpha \(surprisalAlpha) must be positive") }
        guard surprisalSettleSeconds >= 0 else { throw fail("surprisalSettleSeconds must not be negative") }
        guard surprisalSettleSeconds <= Self.longestRingWindowSeconds else {
            throw fail("surprisalSettleSeconds must be at most \(Self.longestRingWindowSeconds) (20 days): the account's recent events keep their times as 32-bit offsets from its latest event")
        }
        guard surprisalCapacity >= 1, surprisalCapacity <= 255 else { throw fail("surprisalCapacity outside 1...255") }
        if let p = surprisalPrior, p.field != surprisalField || p.total < 0 || p.counts.values.contains(where: { $0 < 0 }) {
            throw fail("surprisalPrior must be fitted for surprisalField with non-negative counts")
        }
        guard merchantWindowSeconds > 0 else { throw fail("merchantWindowSeconds must be positive") }
        guard merchantAlpha > 0, merchantAlpha.isFinite else { throw fail("merchantAlpha \(merchantAlpha) must be positive") }
        guard merchantCapacity >= 1, merchantCapacity <= SlotIndex.slotLimit else { throw fail("merchantCapacity outside 1...\(SlotIndex.slotLimit)") }
        guard merchantRecentCapacity >= 1, merchantRecentCapacity <= 255 else { throw fail("merchantRecentCapacity outside 1...255") }
        for (name, prior) in [("merchantRatePrior", merchantRatePrior), ("accountRatePrior", accountRatePrior)] {
            if let p = prior, !(p.meanRate > 0 && p.meanRate.isFinite) || p.events < 0 || p.keys < 0 {
                throw fail("\(name) must have a positive finite mean rate")
            }
        }
        guard accountRateWindowSeconds > 0 else { throw fail("accountRateWindowSeconds must be positive") }
        guard accountAlpha > 0, accountAlpha.isFinite else { throw fail("accountAlpha \(accountAlpha) must be positive") }
        guard ewmaAlpha > 0, ewmaAlpha <= 1 else { throw fail("ewmaAlpha \(ewmaAlpha) outside (0, 1]") }
        guard amountStdFloor > 0 else { throw fail("amountStdFloor must be positive") }
        guard currencyRates.values.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw fail("currency rates must be positive") }
        if let p = textProjection, p.inputDimension < 1 || p.outputDimension < 1 || p.outputDimension > 16
            || p.components.contains(where: { $0.count != p.inputDimension }) {
            throw fail("textProjection must have 1...16 components of the (non-zero) width of its mean")
        }
        guard Set(categoricalFields).count == categoricalFields.count,
              Set(numericFields.map(\.name)).count == numericFields.count else { throw fail("duplicate field names") }
    }

    /// Names of the features, in output order.
    public var featureNames: [String] {
        var names = ["amount_log1p"]
        if amountScaling != nil { names.append("amount_robust") }
        names += ["currency_rate_unknown", "hour_sin", "hour_cos", "dow_sin", "dow_cos"]
        for field in categoricalFields { names += (0..<hashBuckets).map { "\(field)_h\($0)" } }
        names += numericFields.map { "num_\($0.name)" }
        names += ["acct_first_seen", "acct_history_log1p", "acct_since_last_log1p_s"]
        let velocity = accountRatePrior == nil ? "acct_count" : "acct_burst"
        for w in windowSeconds { names += ["\(velocity)_\(w)s", "acct_sum_log1p_\(w)s"] }
        names += ["acct_amount_z", "acct_new_merchant", "acct_new_country", "acct_new_device"]
        if let p = surprisalPrior { names.append("acct_surprisal_\(p.field)") }
        if merchantRatePrior != nil { names.append("merchant_accounts_surprisal") }
        if let p = textProjection {
            names.append("text_novelty")
            names += (0..<p.outputDimension).map { "text_pca_\($0)" }
        }
        return names
    }
}
