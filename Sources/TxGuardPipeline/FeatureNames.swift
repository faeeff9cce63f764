/// Human-readable descriptions of feature names, for alert reasons.
enum FeatureNames {
    static func describe(_ name: String) -> String {
        switch name {
        case "amount_log1p": return "transaction amount (log scale)"
        case "amount_robust": return "transaction amount relative to all training traffic"
        case "currency_rate_unknown": return "currency without a configured exchange rate"
        case "hour_sin", "hour_cos": return "time of day"
        case "dow_sin", "dow_cos": return "day of week"
        case "acct_first_seen": return "first transaction ever seen for this account"
        case "acct_history_log1p": return "number of earlier transactions of this account"
        case "acct_since_last_log1p_s": return "time since this account's previous transaction"
        case "acct_amount_z": return "amount compared with this account's usual amounts"
        case "acct_new_merchant": return "merchant never used before by this account"
        case "acct_new_country": return "country never used before by this account"
        case "acct_new_device": return "device never used before by this account"
        case "text_novelty": return "merchant text unlike this account's usual merchants"
        case "merchant_accounts_surprisal": return "many distinct accounts charged by this merchant recently (within the burst window) for its age and usual activity"
        default: break
        }
        if name.hasPrefix("acct_surprisal_") {
            return "\(name.dropFirst(15).replacingOccurrences(of: "_", with: " ")) unusual for this account (and rare overall)"
        }
        if name.hasPrefix("acct_count_"), let s = Int(name.dropFirst(11).dropLast()) { return "transactions of this account in the last \(window(s))" }
        if name.hasPrefix("acct_burst_"), let s = Int(name.dropFirst(11).dropLast()) {
            return "more transactions of this account in the last \(window(s)) than its own usual rate predicts"
        }
        if name.hasPrefix("acct_sum_log1p_"), let s = Int(name.dropFirst(15).dropLast()) { return "amount spent by this account in the last \(window(s))" }
        if name.hasPrefix("text_pca_") { return "what the merchant text is about (semantic component \(name.dropFirst(9)))" }
        if let r = name.range(of: "_h"), let _ = Int(name[r.upperBound...]) { return "\(name[..<r.lowerBound].replacingOccurrences(of: "_", with: " ")) (hashed category)" }
        if name.hasPrefix("num_") { return "field \(name.dropFirst(4))" }
        return name
    }

    static func window(_ seconds: Int) -> String {
        switch seconds {
        case 60: return "minute"
        case 3600: return "hour"
        case 86400: return "24 hours"
        default: return seconds % 3600 == 0 ? "\(seconds / 3600) hours" : seconds % 60 == 0 ? "\(seconds / 60) minutes" : "\(seconds) s"
        }
    }
}
