/// Plans every fraud scenario and legitimate look-alike over the simulated period, from its own
/// random stream. Accounts are drawn without replacement: an account is in at most one
/// scenario, which keeps ground truth unambiguous ("a device never seen before" holds).
struct ScenarioPlanner {
    let config: SimulatorConfig
    let accounts: [Account]
    let directory: MerchantDirectory
    let factory: EventFactory
    let accountFactory: AccountFactory
    let startMs: Int64
    let endMs: Int64
    private var rng: Xoshiro256StarStar
    private var tiebreak: UInt64 = 1 << 62
    private var plan = ScenarioPlan()

    static let day: Int64 = 86_400_000
    static let hour: Int64 = 3_600_000
    static let minute: Int64 = 60_000

    init(config: SimulatorConfig, accounts: [Account], directory: MerchantDirectory, factory: EventFactory,
         accountFactory: AccountFactory, startMs: Int64, endMs: Int64) {
        self.config = config
        self.accounts = accounts
        self.directory = directory
        self.factory = factory
        self.accountFactory = accountFactory
        self.startMs = startMs
        self.endMs = endMs
        rng = Xoshiro256StarStar(seed: config.seed, stream: 3)
    }

    /// Largest-remainder split of `total` by `weights` (deterministic, sums exactly to total).
    static func allocate(_ total: Int, weights: [Double]) -> [Int] {
        let sum = weights.reduce(0, +)
        guard sum > 0, total > 0 else { return weights.map { _ in 0 } }
        let exact = weights.map { Double(total) * $0 / sum }
        var counts = exact.map { Int($0.rounded(.down)) }
        let order = exact.indices.sorted { (exact[$0] - Double(counts[$0]), -$0) > (exact[$1] - Double(counts[$1]), -$1) }
        var left = total - counts.reduce(0, +)
        for i in order where left > 0 { counts[i] += 1; left -= 1 }
        return counts
    }

    mutating func makePlan() -> ScenarioPlan {
        var order = Array(accounts.indices)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
        let nFraud = min(order.count, Int((Double(accounts.count) * config.fraudRate).rounded()))
        let nLook = min(order.count - nFraud, Int((Double(accounts.count - nFraud) * config.lookalikeRate).rounded()))
        let types = FraudType.allCases
        let counts = Self.allocate(nFraud, weights: types.map { config.scenarioWeights[$0.rawValue] ?? 0 })
        var cursor = 0
        for (type, count) in zip(types, counts) {
            let chosen = Array(order[cursor..<cursor + count]).map { accounts[$0] }
            cursor += count
            plan.summary.fraudAccounts[type.rawValue] = count
            switch type {
            case .cardTesting: chosen.forEach { cardTesting($0) }
            case .accountTakeover: chosen.forEach { accountTakeover($0) }
            case .velocityBurst: chosen.forEach { velocityBurst($0) }
            case .outOfCharacter: chosen.forEach { outOfCharacter($0) }
            case .compromisedMerchant: compromisedMerchants(chosen)
            }
        }
        let lookCounts = Self.allocate(nLook, weights: [0.5, 0.5])
        for (kind, count) in zip(Lookalike.allCases, lookCounts) {
            let chosen = Array(order[cursor..<cursor + count]).map { accounts[$0] }
            cursor += count
            plan.summary.lookalikeAccounts[kind.rawValue] = count
            for a in chosen {
                switch kind {
                case .travel: travel(a)
                case .largePurchase: largePurchase(a)
                }
            }
        }
        plan.events = plan.events.filter { $0.timestampMillis >= startMs && $0.timestampMillis < endMs }
        plan.events.sort { ($0.timestampMillis, $0.tiebreak) < ($1.timestampMillis, $1.tiebreak) }
        plan.summary.fraudEvents = plan.events.count { $0.fraudType != nil }
        plan.summary.lookalikeEvents = plan.events.count { $0.lookalike != nil }
        return plan
    }

    // MARK: - Timing

    /// A start time after a warm-up (30% of the period, so accounts have history) that leaves
    /// room for `duration` before the end when it can.
    private mutating func startTime(duration: Int64) -> Int64 {
        let lo = startMs + (endMs - startMs) * 3 / 10
        let hi = max(lo, endMs - duration)
        return lo + Int64(rng.unit() * Double(hi - lo))
    }

    private mutating func add(_ account: Account, at ts: Int64, merchant: Merchant, euros: Double, channel: Channel,
                              countryIndex: Int, currencyIndex: Int? = nil, device: UInt64 = 0, cardIndex: Int? = nil,
                              fraud: FraudType? = nil, lookalike: Lookalike? = nil) {
        tiebreak += 1
        plan.events.append(factory.make(account, at: ts, merchant: merchant, euros: euros, channel: channel,
                                        countryIndex: countryIndex, currencyIndex: currencyIndex, device: device,
                                        cardIndex: cardIndex, fraud: fraud, lookalike: lookalike, tiebreak: tiebreak, rng: &rng))
    }

    private mutating func freshDevice() -> UInt64 { rng.next() | 1 }

    private mutating func otherCountry(than home: Int, allowOrigins: Bool) -> Int {
        var candidates = accountFactory.homeCountries.filter { $0 != home }
        if candidates.isEmpty { candidates = Country.all.indices.filter { $0 != home && Country.all[$0].population > 0 } }
        if allowOrigins, candidates.isEmpty || rng.chance(0.4) {
            candidates = Country.takeoverOrigins.compactMap { code in Country.all.firstIndex { $0.code == code } }
        }
        return candidates[rng.below(candidates.count)]
    }

    // MARK: - Fraud

    /// Bursts of tiny amounts at odd online merchants from a fraudster's device.
    private mutating func cardTesting(_ a: Account) {
        let device = freshDevice()
        let merchantCountry = accountFactory.homeCountries[rng.below(accountFactory.homeCountries.count)]
        let pool = directory.pool(.oddOnline, country: merchantCountry, city: 0)
        let merchants = (0..<rng.int(in: 1...3)).map { _ in pool[rng.below(pool.count)] }
        let card = rng.below(a.jsonCards.count)
        var t = startTime(duration: 8 * Self.hour)
        for burst in 0..<(rng.chance(0.4) ? 2 : 1) {
            if burst > 0 { t += Int64(rng.uniform(1, 6) * Double(Self.hour)) }
            for _ in 0..<rng.int(in: 5...15) {
                t += 1000 + Int64(rng.exponential(mean: 15_000))
                let euros = min(4.0, rng.logNormal(median: 1.0, sigma: 0.6))
                add(a, at: t, merchant: merchants[rng.below(merchants.count)], euros: euros, channel: .ecom,
                    countryIndex: merchantCountry, device: device, cardIndex: card, fraud: .cardTesting)
            }
        }
    }

    /// A new device in a new country, then several high-value online purchases.
    private mutating func accountTakeover(_ a: Account) {
        let device = freshDevice()
        let country = otherCountry(than: a.countryIndex, allowOrigins: true)
        let categories: [MerchantCategory] = [.electronics, .giftCards, .onlineRetail, .jewelry, .moneyTransfer, .airlines]
        var t = startTime(duration: 8 * Self.hour)
        for _ in 0..<rng.int(in: 3...7) {
            t += Int64(rng.uniform(3, 60) * Double(Self.minute))
            let category = categories[rng.below(categories.count)]
            let pool = directory.pool(category, country: country, city: 0)
            // High for this account: several times its largest usual ticket, and never a small purchase.
            let base = max(category.amountMedianEuros * max(a.spendScale, 0.7), a.largestUsualTicketEuros)
            add(a, at: t, merchant: pool[rng.below(pool.count)], euros: base * rng.uniform(4, 12), channel: .ecom,
                countryIndex: country, device: device, fraud: .accountTakeover)
        }
    }

    /// Many card-present transactions within minutes around the account's city (a cloned card).
    private mutating func velocityBurst(_ a: Account) {
        let categories: [MerchantCategory] = [.fastFood, .groceries, .fuel, .electronics, .clothing, .pharmacy]
        let n = rng.int(in: 10...30)
        let span = rng.uniform(3, 15) * Double(Self.minute)
        let card = rng.below(a.jsonCards.count)
        var t = startTime(duration: Self.hour)
        for _ in 0..<n {
            t += 2000 + Int64(rng.exponential(mean: span / Double(n)))
            let category = categories[rng.below(categories.count)]
            let pool = directory.pool(category, country: a.countryIndex, city: a.cityIndex)
            let euros = category.amountMedianEuros * a.spendScale * rng.logNormal(median: 1, sigma: 0.4)
            add(a, at: t, merchant: pool[rng.below(pool.count)], euros: euros, channel: rng.chance(0.6) ? .contactless : .pos,
                countryIndex: a.countryIndex, cardIndex: card, fraud: .velocityBurst)
        }
    }

    /// Cash-out spending (gift cards, crypto, ...) in categories the account has never used,
    /// from its own device and country: only what is bought gives it away.
    private mutating func outOfCharacter(_ a: Account) {
        let habits = a.habitCategories
        var candidates = MerchantCategory.cashOut.filter { !habits.contains($0) }
        if candidates.isEmpty { candidates = [.giftCards] }  // unreachable: an account has at most one cash-out habit
        let chosen = (0..<(rng.chance(0.3) ? 2 : 1)).map { _ in candidates[rng.below(candidates.count)] }
        var t = startTime(duration: 2 * Self.day)
        for _ in 0..<rng.int(in: 1...4) {
            t += Int64(rng.uniform(10, 720) * Double(Self.minute))
            let category = chosen[rng.below(chosen.count)]
            let pool = directory.pool(category, country: a.countryIndex, city: a.cityIndex)
            let channel = EventFactory.channel(for: category, &rng)
            let device = channel == .ecom ? a.devices[rng.below(a.devices.count)] : 0
            let euros = category.amountMedianEuros * a.spendScale * rng.uniform(1, 4)
            add(a, at: t, merchant: pool[rng.below(pool.count)], euros: euros, channel: channel,
                countryIndex: a.countryIndex, device: device, fraud: .outOfCharacter)
        }
    }

    /// Webshops whose every charge in a window is fraudulent, each across many accounts.
    private mutating func compromisedMerchants(_ victims: [Account]) {
        var rest = victims[...]
        while !rest.isEmpty {
            var size = rng.int(in: 8...40)
            if rest.count - size < 5 { size = rest.count }
            let group = rest.prefix(size)
            rest = rest.dropFirst(size)
            guard let first = group.first else { break }
            let category: MerchantCategory = [.onlineRetail, .electronics, .clothing][rng.below(3)]
            let country = Country.all[first.countryIndex]
            let merchant = Merchant.make(category, in: country, city: first.city, rng: &rng)
            plan.summary.compromisedMerchants += 1
            let maxWindow = Double(min(48 * Self.hour, max(Self.hour, (endMs - startMs) * 7 / 20)))
            let window = Int64(rng.uniform(min(6 * Double(Self.hour), maxWindow), maxWindow))
            let t0 = startTime(duration: window)
            let center = rng.uniform(40, 300)
            for a in group {
                for _ in 0..<rng.int(in: 1...2) {
                    let t = t0 + Int64(rng.unit() * Double(window))
                    add(a, at: t, merchant: merchant, euros: center * rng.logNormal(median: 1, sigma: 0.25), channel: .ecom,
                        countryIndex: first.countryIndex, device: a.devices[rng.below(a.devices.count)], fraud: .compromisedMerchant)
                }
            }
        }
    }

    // MARK: - Look-alikes

    /// A plausible trip: a flight booked beforehand, then days of local spending abroad.
    private mutating func travel(_ a: Account) {
        let dest = otherCountry(than: a.countryIndex, allowOrigins: false)
        let destCountry = Country.all[dest]
        let length = Int64(rng.int(in: 2...7))
        let startDay = startTime(duration: length * Self.day) / Self.day
        let city = rng.below(destCountry.cities.count)
        // Abroad, card payments are in the local currency when it is configured, else the card's own.
        let local = accountFactory.currencyIndex(forCountry: dest)
        let currency = Currency.all[local].code == destCountry.currencyCode ? local : a.currencyIndex
        plan.trips[a.index] = .init(startDay: startDay, endDay: startDay + length, countryIndex: dest, cityIndex: city,
                                    currencyIndex: currency)
        // Booked 1 hour to 30 days ahead, but within the period.
        let tripStart = startDay * Self.day
        let lead = rng.uniform(Double(Self.hour), Double(max(Self.hour + 1, min(30 * Self.day, tripStart - startMs))))
        let booked = max(startMs, tripStart - Int64(lead))
        let pool = directory.pool(.airlines, country: a.countryIndex, city: 0)
        add(a, at: booked, merchant: pool[rng.below(pool.count)],
            euros: MerchantCategory.airlines.amountMedianEuros * a.spendScale * rng.uniform(1, 3), channel: .ecom,
            countryIndex: a.countryIndex, device: a.devices[0], lookalike: .travel)
    }

    /// One large purchase at an electronics or furniture store in the account's city.
    private mutating func largePurchase(_ a: Account) {
        let category: MerchantCategory = rng.chance(0.6) ? .electronics : .furniture
        let day = startTime(duration: Self.day) / Self.day
        let t = EventFactory.time(day: day, utcOffsetMinutes: a.country.utcOffsetMinutes,
                                  cumulative: EventFactory.cumulativeHours[category.rawValue], &rng)
        let pool = directory.pool(category, country: a.countryIndex, city: a.cityIndex)
        let channel: Channel = rng.chance(0.6) ? .pos : .ecom
        add(a, at: t, merchant: pool[rng.below(pool.count)],
            euros: category.amountMedianEuros * max(a.spendScale, 0.8) * rng.uniform(8, 20), channel: channel,
            countryIndex: a.countryIndex, device: channel == .ecom ? a.devices[0] : 0, lookalike: .largePurchase)
    }
}
