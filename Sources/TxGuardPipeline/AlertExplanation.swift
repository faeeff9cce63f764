import TxGuardContracts
import TxGuardDetectors

/// The reasons an alert gives: the ensemble's top feature contributions, one line per feature
/// (the strongest detector's, when several point at the same feature), each with a sentence that
/// names the transaction's own value where it helps.
enum AlertExplanation {
    static func reasons(_ scoring: ScoringModel, _ x: [Float], accountStats: AccountStats, transaction tx: Transaction, limit: Int = 5,
                        supervised: (row: [Float], attribution: [Double], names: [String])? = nil, evidence: Double? = nil) -> [AlertReason] {
        let ranked = (try? scoring.reasons(x, accountStats: accountStats, limit: 3 * limit)) ?? []
        var seen = Set<String>()
        var out = ranked.filter { seen.insert($0.featureName).inserted }.prefix(limit).map { r in
            AlertReason(feature: r.featureName, value: .number(Double(r.value)), contribution: Double(r.contribution),
                        detector: r.detector.name, description: describe(r.featureName, tx))
        }
        // Supervised evidence: the entity-risk features that pushed the trees' output up, first.
        if let supervised, let evidence, evidence > 0 {
            let entity = supervised.names.indices.filter { supervised.names[$0].hasPrefix("entity_") && supervised.attribution[$0] > 0 && supervised.row[$0] > 0 }
                .sorted { supervised.attribution[$0] > supervised.attribution[$1] }.prefix(2)
            var lines = entity.compactMap { i -> AlertReason? in
                guard let text = EntityRisk.describe(feature: supervised.names[i], value: supervised.row[i]) else { return nil }
                return AlertReason(feature: supervised.names[i], value: .number(Double(supervised.row[i])), contribution: supervised.attribution[i],
                                   detector: "supervised", description: text)
            }
            // No entity evidence: the feature the trees learned from labels weigh most for this event.
            if lines.isEmpty, let i = supervised.attribution.indices.max(by: { supervised.attribution[$0] < supervised.attribution[$1] }),
               supervised.attribution[i] > 0 {
                let name = supervised.names[i]
                let what = name.hasPrefix("detector_") ? "the detectors' score" : FeatureNames.describe(name)
                lines = [AlertReason(feature: name, value: .number(Double(supervised.row[i])), contribution: supervised.attribution[i],
                                     detector: "supervised", description: "confirmed frauds in the labelled history resemble this event (\(what))")]
            }
            out = Array((lines + out).prefix(limit))
        }
        return out
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
