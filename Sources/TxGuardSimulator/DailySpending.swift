/// Generates one account's everyday (legitimate) spending for one local calendar day: habits,
/// usual merchants, daily and weekly cycles, subscriptions, and trips abroad when planned.
/// Each (account, day) has its own random stream, so days can be generated in any order.
struct DailySpending: Sendable {
    let seed: UInt64
    let directory: MerchantDirectory
    let factory: EventFactory
    let startMs: Int64
    let endMs: Int64
    /// Chance that a purchase goes to a merchant other than the account's usual ones.
    static let exploreShare = 0.12
    static let travelMix: [(MerchantCategory, Double)] = [
        (.restaurants, 3), (.fastFood, 1.5), (.hotels, 0.6), (.rideshare, 1.2), (.publicTransport, 0.8),
        (.groceries, 1), (.pharmacy, 0.3), (.clothing, 0.5), (.atmCash, 0.5),
    ]
    static let travelWeights = travelMix.map(\.1)

    /// Appends the account's transactions of local day `day` (days since epoch) to `out`.
    func generate(_ a: Account, day: Int64, trip: ScenarioPlan.Trip?, tiebreak: inout UInt64, into out: inout [SimulatedTransaction]) {
        var rng = Xoshiro256StarStar(seed: seed, stream: 2, UInt64(bitPattern: day), UInt64(a.index))
        let civil = CivilTime(epochMillis: day * 86_400_000)
        let onTrip = trip.map { day >= $0.startDay && day < $0.endDay } ?? false
        let n = rng.poisson(mean: a.dailyRate * EventFactory.weekdayFactor[civil.weekday] * (onTrip ? 1.3 : 1))
        for _ in 0..<n {
            if onTrip, let trip {
                let category = Self.travelMix[rng.weightedIndex(Self.travelWeights)].0
                let pool = directory.pool(category, country: trip.countryIndex, city: trip.cityIndex)
                let channel = EventFactory.channel(for: category, &rng)
                let ts = EventFactory.time(day: day, utcOffsetMinutes: Country.all[trip.countryIndex].utcOffsetMinutes,
                                           cumulative: EventFactory.cumulativeHours[category.rawValue], &rng)
                let euros = rng.logNormal(median: category.amountMedianEuros * a.spendScale, sigma: category.amountSigma)
                tiebreak += 1
                let e = factory.make(a, at: ts, merchant: pool[rng.below(pool.count)], euros: euros, channel: channel,
                                     countryIndex: trip.countryIndex, currencyIndex: trip.currencyIndex,
                                     device: channel == .ecom ? a.devices[rng.below(a.devices.count)] : 0,
                                     lookalike: .travel, tiebreak: tiebreak, rng: &rng)
                if ts >= startMs && ts < endMs { out.append(e) }
                continue
            }
            let habit = a.pickHabit(&rng)
            let merchant: Merchant
            if rng.chance(Self.exploreShare) {
                let pool = directory.pool(habit.category, country: a.countryIndex, city: a.cityIndex)
                merchant = pool[rng.below(pool.count)]
            } else {
                merchant = habit.usual[rng.below(habit.usual.count)]
            }
            let channel = EventFactory.channel(for: habit.category, &rng)
            let ts = EventFactory.time(day: day, utcOffsetMinutes: a.utcOffsetMinutes,
                                       cumulative: EventFactory.cumulativeHours[habit.category.rawValue], &rng)
            let euros = rng.logNormal(median: habit.medianEuros, sigma: habit.category.amountSigma)
            tiebreak += 1
            let e = factory.make(a, at: ts, merchant: merchant, euros: euros, channel: channel, countryIndex: a.countryIndex,
                                 device: channel == .ecom ? a.devices[rng.below(a.devices.count)] : 0,
                                 tiebreak: tiebreak, rng: &rng)
            if ts >= startMs && ts < endMs { out.append(e) }
        }
        for sub in a.subscriptions where sub.billingDay == civil.day {
            let ts = EventFactory.time(day: day, utcOffsetMinutes: a.utcOffsetMinutes,
                                       cumulative: EventFactory.cumulativeHours[MerchantCategory.subscriptions.rawValue], &rng)
            tiebreak += 1
            // Merchant-initiated: no device, always the first card.
            let e = factory.make(a, at: ts, merchant: sub.merchant, minor: sub.amountMinor, channel: .ecom,
                                 countryIndex: a.countryIndex, currencyIndex: a.currencyIndex, device: 0, cardIndex: 0,
                                 fraud: nil, lookalike: nil, tiebreak: tiebreak, rng: &rng)
            if ts >= startMs && ts < endMs { out.append(e) }
        }
    }
}
