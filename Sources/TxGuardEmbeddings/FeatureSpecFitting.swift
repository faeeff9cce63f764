extension FeatureSpec {
    /// The log amount the featurizer uses: sign·log1p(|amount × rate|), rate from `currencyRates` (1 if unlisted).
    public func logAmount(_ amount: Double, currency: String) -> Double {
        TabularFeaturizer.signedLog1p((amount.isFinite ? amount : 0) * (currencyRates[currency] ?? 1))
    }

    /// A copy with the training-time parts fitted: `amountScaling` (median/IQR of the log amounts),
    /// `surprisalPrior` (frequencies of `surprisalField` in `categories`, when given), `merchantRatePrior` (from
    /// the merchants and times of `categories`, when given and `merchantBurst`), `accountRatePrior` (likewise, from the
    /// accounts, when `accountBurst`) and, when `textEmbeddings` holds at least two vectors, `textProjection` (PCA to
    /// `min(textComponents, 16, width)` dimensions).
    public func fitted(amounts: [(amount: Double, currency: String)], textEmbeddings: [[Float]] = [],
                       textComponents: Int = 16, categories: [FeatureInput]? = nil) throws -> FeatureSpec {
        var spec = self
        if let field = surprisalField, let inputs = categories {
            spec.surprisalPrior = CategoryPrior.fit(field: field, values: inputs.lazy.map { $0.categoricalValue(field) })
        }
        if accountBurst, let inputs = categories {
            spec.accountRatePrior = EventRatePrior.fit(keyed: inputs.lazy.map { (AccountStore.key($0.accountID), $0.timestampMillis) },
                                                       windowSeconds: accountRateWindowSeconds)
        }
        if merchantBurst, let inputs = categories {
            spec.merchantRatePrior = EventRatePrior.fit(inputs.lazy.map { ($0.merchantName, $0.timestampMillis) },
                                                           windowSeconds: merchantWindowSeconds)
        }
        spec.amountScaling = try RobustScaling.fit(amounts.map { logAmount($0.amount, currency: $0.currency) })
        if textEmbeddings.count >= 2, let width = textEmbeddings.first?.count {
            spec.textProjection = try PCAProjection.fit(textEmbeddings, componentCount: min(textComponents, 16, width))
        }
        try spec.validate()
        return spec
    }
}
