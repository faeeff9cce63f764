/// The ground-truth kind of a fraudulent transaction.
public enum FraudType: String, Sendable, CaseIterable, Codable {
    /// Bursts of tiny amounts at odd online merchants, checking that a stolen card works.
    case cardTesting = "card_testing"
    /// A new device in a new country, then several high amounts.
    case accountTakeover = "account_takeover"
    /// One merchant whose transactions over a window are fraudulent across many accounts.
    case compromisedMerchant = "compromised_merchant"
    /// Many transactions within minutes.
    case velocityBurst = "velocity_burst"
    /// Spending in categories the account never uses (gift cards, crypto, ...).
    case outOfCharacter = "out_of_character"
}

/// A legitimate pattern that looks suspicious and should not alert.
public enum Lookalike: String, Sendable, CaseIterable, Codable {
    /// A trip abroad: new country, plausible merchants (hotels, restaurants, transport).
    case travel
    /// A one-off large purchase at an electronics or furniture merchant.
    case largePurchase = "large_purchase"
}
