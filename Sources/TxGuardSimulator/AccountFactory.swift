/// Builds the simulated population: each account from its own random stream (seed, index), so
/// an account's habits do not depend on how many accounts come before or after it.
struct AccountFactory {
    let seed: UInt64
    let directory: MerchantDirectory
    /// Indices into `Country.all` of the configured home countries, and their population weights.
    let homeCountries: [Int]
    let homeWeights: [Double]
    /// Indices into `Currency.all` of the configured currencies.
    let currencies: [Int]
    let meanDailyTransactions: Double

    init(config: SimulatorConfig, directory: MerchantDirectory) {
        seed = config.seed
        self.directory = directory
        homeCountries = config.countries.compactMap { code in Country.all.firstIndex { $0.code == code.uppercased() } }
        homeWeights = homeCountries.map { max(Country.all[$0].population, 0.5) }
        currencies = config.currencies.compactMap { code in Currency.all.firstIndex { $0.code == code.uppercased() } }
        meanDailyTransactions = config.meanDailyTransactions
    }

    /// The currency index used in `country`: its own if configured, else the first configured one.
    func currencyIndex(forCountry ci: Int) -> Int {
        let local = Country.all[ci].currencyCode
        return currencies.first { Currency.all[$0].code == local } ?? currencies[0]
    }

    func make(index: Int) -> Account {
        var rng = Xoshiro256StarStar(seed: seed, stream: 1, UInt64(index))
        let ci = homeCountries[rng.weightedIndex(homeWeights)]
        let country = Country.all[ci]
        let city = rng.weightedIndex(country.cities.indices.map { 1.0 / Double($0 + 1) })  // capitals are bigger

        // Lifestyle decides which categories are habits and how much weight each gets.
        var weights: [MerchantCategory: Double] = [:]
        switch rng.weightedIndex([0.15, 0.45, 0.40]) {
        case 0:  // narrow: groceries (and a little pharmacy / fuel) only
            weights[.groceries] = 10
            if rng.chance(0.5) { weights[.pharmacy] = 1.5 }
            if rng.chance(0.3) { weights[.fuel] = 1.5 }
        case 1:  // urban
            weights[.groceries] = 5
            weights[.restaurants] = rng.uniform(1.5, 3.5)
            weights[.fastFood] = rng.uniform(1, 3)
            weights[rng.chance(0.5) ? .rideshare : .publicTransport] = rng.uniform(1.5, 4)
            if rng.chance(0.8) { weights[.onlineRetail] = rng.uniform(1, 3) }
            if rng.chance(0.6) { weights[.clothing] = rng.uniform(0.3, 1) }
            if rng.chance(0.6) { weights[.pharmacy] = rng.uniform(0.3, 1) }
        default:  // suburban, drives
            weights[.groceries] = 6
            weights[.fuel] = rng.uniform(1.5, 3)
            if rng.chance(0.7) { weights[.fastFood] = rng.uniform(0.5, 2) }
            if rng.chance(0.7) { weights[.onlineRetail] = rng.uniform(1, 3) }
            if rng.chance(0.6) { weights[.restaurants] = rng.uniform(0.5, 2) }
            if rng.chance(0.5) { weights[.pharmacy] = rng.uniform(0.3, 1) }
            if rng.chance(0.5) { weights[.clothing] = rng.uniform(0.3, 1) }
        }
        if rng.chance(0.5) { weights[.atmCash] = rng.uniform(0.2, 0.8) }
        if rng.chance(0.15) { weights[.electronics] = rng.uniform(0.1, 0.4) }
        // A few people legitimately buy crypto, bet or send money abroad: it must not be a giveaway.
        if rng.chance(0.05), let c = rng.pick(MerchantCategory.cashOut) { weights[c] = rng.uniform(0.2, 0.8) }

        let spendScale = rng.logNormal(median: 1, sigma: 0.45)
        var habits: [Account.Habit] = []
        for category in MerchantCategory.allCases {  // fixed order keeps streams aligned
            guard let w = weights[category] else { continue }
            let pool = directory.pool(category, country: ci, city: city)
            guard !pool.isEmpty else { continue }
            var usual: [Merchant] = []
            for _ in 0..<rng.int(in: 1...3) {
                let m = pool[rng.below(pool.count)]
                if !usual.contains(where: { $0 === m }) { usual.append(m) }
            }
            habits.append(.init(category: category, weight: w, usual: usual,
                                medianEuros: category.amountMedianEuros * spendScale * rng.logNormal(median: 1, sigma: 0.25)))
        }

        let currencyIndex = currencyIndex(forCountry: ci)
        let currency = Currency.all[currencyIndex]
        var subscriptions: [Account.Subscription] = []
        let subPool = directory.pool(.subscriptions, country: ci, city: city)
        for _ in 0..<rng.weightedIndex([0.25, 0.35, 0.25, 0.15]) where !subPool.isEmpty {
            let m = subPool[rng.below(subPool.count)]
            guard !subscriptions.contains(where: { $0.merchant === m }) else { continue }
            let euros = [4.99, 6.99, 7.99, 9.99, 10.99, 12.99, 14.99, 17.99][rng.below(8)]
            subscriptions.append(.init(merchant: m, amountMinor: Self.priceEnding99(euros: euros, currency), billingDay: rng.int(in: 1...28)))
        }

        let cards = (0..<rng.int(in: 1...2)).map { _ in rng.next() }
        let devices = (0..<rng.int(in: 1...2)).map { _ in rng.next() }
        // Mean of a log-normal is median·e^(σ²/2): divide it out so the population mean holds.
        let rate = rng.logNormal(median: meanDailyTransactions / 1.133, sigma: 0.5)
        return Account(index: index, countryIndex: ci, cityIndex: city, currencyIndex: currencyIndex, dailyRate: rate,
                       spendScale: spendScale, habits: habits, subscriptions: subscriptions, cards: cards, devices: devices)
    }

    /// A retail-style price (x.99, or a round figure in zero-decimal currencies).
    static func priceEnding99(euros: Double, _ currency: Currency) -> Int64 {
        let major = euros * currency.perEuro
        switch currency.minorDigits {
        case 0: return max(10, Int64((major / 10).rounded()) * 10)
        case 3: return max(500, Int64((major * 2).rounded()) * 500)  // to the half unit, e.g. 4.500
        default: return max(99, Int64(major.rounded(.down)) * 100 + 99)
        }
    }
}
