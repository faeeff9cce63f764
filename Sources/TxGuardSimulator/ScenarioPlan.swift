/// What the scenario planner decided: the fraud and look-alike events (sorted by time), the
/// trips that reshape some accounts' daily spending, and counts for reports.
struct ScenarioPlan: Sendable {
    /// A legitimate trip abroad over whole local days [startDay, endDay) of the destination.
    struct Trip: Sendable {
        let startDay: Int64
        let endDay: Int64
        let countryIndex: Int
        let cityIndex: Int
        let currencyIndex: Int
    }

    var events: [SimulatedTransaction] = []
    var trips: [Int: Trip] = [:]
    var summary = ScenarioSummary()
}

/// How many accounts (and merchants) each scenario touched in a simulated stream.
public struct ScenarioSummary: Sendable, Equatable, Codable {
    /// Accounts hit by each fraud type, keyed by `FraudType` raw value.
    public var fraudAccounts: [String: Int] = [:]
    /// Accounts given each look-alike, keyed by `Lookalike` raw value.
    public var lookalikeAccounts: [String: Int] = [:]
    /// Distinct compromised merchants.
    public var compromisedMerchants: Int = 0
    /// Planned fraud events inside the simulated period.
    public var fraudEvents: Int = 0
    /// Planned look-alike events (trips count their in-trip spending only as it is generated).
    public var lookalikeEvents: Int = 0
}
