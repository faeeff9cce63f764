import TxGuardContracts
import TxGuardDetectors

/// The reasons an alert gives: the ensemble's top feature contributions, one line per feature
/// (the strongest detector's, when several point at the same feature), each with a sentence that
/// names the transaction's own value where it helps.
enum AlertExplanation {
    static func reasons(_ scoring: ScoringModel, _ x: [Float], accountStats: AccountStats, transaction tx: Transaction, limit: Int = 5) -> [AlertReason] {
        let ranked = (try? scoring.reasons(x, accountStats: accountStats, limit: 3 * limit)) ?? []
        var seen = Set<String>()
        return ranked.filter { seen.insert($0.featureName).inserted }.prefix(limit).map { r in
            AlertReason(feature: r.featureName, value: .number(Double(r.value)), contribution: Double(r.contribution),
                        detector: r.detector.name, description: describe(r.featureName, tx))
        }
    }

    /// The sentence for `feature`, with the transaction's value where it says more than the name.
    static func describe(_ feature: String, _ tx: Transaction) -> String {
        let base = FeatureNames.describe(feature)
        if feature.hasPrefix("amount") || feature == "acct_amount_z" { return "\(base): \(tx.amount) \(tx.currency)" }
        if feature == "acct_new_country", let c = tx.country { return "\(base): \(c)" }
        if feature == "acct_new_merchant" || feature == "merchant_accounts_surprisal" || feature == "text_novelty" || feature.hasPrefix("text_pca"),
           let m = tx.merchantName { return "\(base): \(m)" }
        if feature == "acct_new_device", let d = tx.deviceID { return "\(base): \(d)" }
        return base
    }
}
