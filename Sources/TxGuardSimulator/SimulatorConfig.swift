/// Everything that shapes a simulated stream. Same config (seed included) → same bytes.
public struct SimulatorConfig: Codable, Sendable, Equatable {
    /// Seed of every random choice.
    public var seed: UInt64 = 42
    /// Number of card accounts.
    public var accounts: Int = 10_000
    /// Length of the simulated period in days (ignored when `maxEvents` is set, which then sizes it).
    public var days: Int = 30
    /// Stop after this many events (nil: run the whole period).
    public var maxEvents: Int?
    /// Start of the period, Unix epoch milliseconds (UTC). Default 2026-11-01T00:00:00Z.
    public var startEpochMillis: Int64 = 1_793_491_200_000
    /// Fraction of accounts hit by a fraud scenario during the period.
    public var fraudRate: Double = 0.01
    /// Fraction of (non-fraud) accounts given a legitimate look-alike (travel or large purchase).
    public var lookalikeRate: Double = 0.02
    /// Relative frequency of each fraud scenario, by `FraudType` raw value; missing types get 0.
    public var scenarioWeights: [String: Double] = [
        "card_testing": 0.25, "account_takeover": 0.2, "compromised_merchant": 0.2,
        "velocity_burst": 0.15, "out_of_character": 0.2,
    ]
    /// Currencies accounts may hold (ISO 4217). An account in a country whose currency is not
    /// listed uses the first one.
    public var currencies: [String] = ["EUR", "GBP", "USD", "JPY", "BHD", "KWD"]
    /// Home countries of accounts (ISO 3166-1 alpha-2).
    public var countries: [String] = ["GB", "IE", "DE", "FR", "ES", "IT", "NL", "US", "JP", "BH", "KW"]
    /// Mean legitimate transactions per account per day (each account scatters around it).
    public var meanDailyTransactions: Double = 2.2
    /// Share of events whose amount is a JSON number instead of a decimal string.
    public var amountAsNumberShare: Double = 0.1

    /// The default configuration.
    public init() {}

    private enum CodingKeys: String, CodingKey {
        case seed, accounts, days, maxEvents, startEpochMillis, fraudRate, lookalikeRate, scenarioWeights
        case currencies, countries, meanDailyTransactions, amountAsNumberShare
    }

    /// Decodes a config in which every key is optional: missing keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = SimulatorConfig()
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        accounts = try c.decodeIfPresent(Int.self, forKey: .accounts) ?? d.accounts
        days = try c.decodeIfPresent(Int.self, forKey: .days) ?? d.days
        maxEvents = try c.decodeIfPresent(Int.self, forKey: .maxEvents)
        startEpochMillis = try c.decodeIfPresent(Int64.self, forKey: .startEpochMillis) ?? d.startEpochMillis
        fraudRate = try c.decodeIfPresent(Double.self, forKey: .fraudRate) ?? d.fraudRate
        lookalikeRate = try c.decodeIfPresent(Double.self, forKey: .lookalikeRate) ?? d.lookalikeRate
        scenarioWeights = try c.decodeIfPresent([String: Double].self, forKey: .scenarioWeights) ?? d.scenarioWeights
        currencies = try c.decodeIfPresent([String].self, forKey: .currencies) ?? d.currencies
        countries = try c.decodeIfPresent([String].self, forKey: .countries) ?? d.countries
        meanDailyTransactions = try c.decodeIfPresent(Double.self, forKey: .meanDailyTransactions) ?? d.meanDailyTransactions
        amountAsNumberShare = try c.decodeIfPresent(Double.self, forKey: .amountAsNumberShare) ?? d.amountAsNumberShare
    }
}

/// Why a `SimulatorConfig` cannot be simulated.
public enum SimulatorConfigError: Error, Equatable, CustomStringConvertible {
    case nonPositive(field: String, value: Int)
    case outOfRange(field: String, value: Double, range: ClosedRange<Double>)
    case unknownCurrency(String)
    case unknownCountry(String)
    case unknownFraudType(String)
    case emptyList(field: String)

    public var description: String {
        switch self {
        case let .nonPositive(field, value): return "\(field) must be positive (got \(value))"
        case let .outOfRange(field, value, range): return "\(field) must be in \(range.lowerBound)...\(range.upperBound) (got \(value))"
        case let .unknownCurrency(code): return "unknown currency \(code.debugDescription) (known: \(Currency.all.map(\.code).joined(separator: ",")))"
        case let .unknownCountry(code): return "unknown country \(code.debugDescription) (known: \(Country.all.map(\.code).joined(separator: ",")))"
        case let .unknownFraudType(name): return "unknown fraud type \(name.debugDescription) (known: \(FraudType.allCases.map(\.rawValue).joined(separator: ",")))"
        case let .emptyList(field): return "\(field) must not be empty"
        }
    }
}

extension SimulatorConfig {
    /// Checks every field; throws the first problem found.
    public func validate() throws(SimulatorConfigError) {
        if accounts <= 0 { throw .nonPositive(field: "accounts", value: accounts) }
        if maxEvents == nil, days <= 0 { throw .nonPositive(field: "days", value: days) }
        if let maxEvents, maxEvents <= 0 { throw .nonPositive(field: "maxEvents", value: maxEvents) }
        for (name, value) in [("fraudRate", fraudRate), ("lookalikeRate", lookalikeRate), ("amountAsNumberShare", amountAsNumberShare)]
            where !(0...1).contains(value) {
            throw .outOfRange(field: name, value: value, range: 0...1)
        }
        if !(0.05...200).contains(meanDailyTransactions) {
            throw .outOfRange(field: "meanDailyTransactions", value: meanDailyTransactions, range: 0.05...200)
        }
        if currencies.isEmpty { throw .emptyList(field: "currencies") }
        if countries.isEmpty { throw .emptyList(field: "countries") }
        for c in currencies where Currency.named(c) == nil { throw .unknownCurrency(c) }
        for c in countries where Country.named(c) == nil { throw .unknownCountry(c) }
        for (name, w) in scenarioWeights {
            if FraudType(rawValue: name) == nil { throw .unknownFraudType(name) }
            if !(w >= 0 && w.isFinite) { throw .outOfRange(field: "scenarioWeights[\(name)]", value: w, range: 0...Double.greatestFiniteMagnitude) }
        }
    }
}
