/// Shared construction details of a transaction: currency conversion, JSON-number amounts,
/// descriptions, card choice. Used by the daily generator and the scenario planner alike.
struct EventFactory: Sendable {
    let amountAsNumberShare: Double
    static let descriptionShare = 0.35

    func make(_ account: Account, at ts: Int64, merchant: Merchant, euros: Double, channel: Channel,
              countryIndex: Int, currencyIndex: Int? = nil, device: UInt64 = 0, cardIndex: Int? = nil,
              fraud: FraudType? = nil, lookalike: Lookalike? = nil, tiebreak: UInt64,
              rng: inout Xoshiro256StarStar) -> SimulatedTransaction {
        let ci = currencyIndex ?? account.currencyIndex
        let currency = Currency.all[ci]
        var minor = currency.minorUnits(euros: euros)
        if channel == .atm {
            let step = Int64(currency.cashStep * currency.minorScale)
            minor = max(1, (minor + step / 2) / step) * step
        }
        return make(account, at: ts, merchant: merchant, minor: minor, channel: channel, countryIndex: countryIndex,
                    currencyIndex: ci, device: device, cardIndex: cardIndex, fraud: fraud, lookalike: lookalike,
                    tiebreak: tiebreak, rng: &rng)
    }

    func make(_ account: Account, at ts: Int64, merchant: Merchant, minor: Int64, channel: Channel,
              countryIndex: Int, currencyIndex: Int, device: UInt64, cardIndex: Int?,
              fraud: FraudType?, lookalike: Lookalike?, tiebreak: UInt64,
              rng: inout Xoshiro256StarStar) -> SimulatedTransaction {
        let card = cardIndex ?? (account.jsonCards.count > 1 && rng.chance(0.2) ? 1 : 0)
        return SimulatedTransaction(
            timestampMillis: ts, amountMinor: minor, merchant: merchant, channel: channel, fraudType: fraud,
            lookalike: lookalike, account: account, currencyIndex: currencyIndex, countryIndex: countryIndex,
            cardIndex: card, amountAsNumber: rng.chance(amountAsNumberShare),
            withDescription: rng.chance(Self.descriptionShare), device: device, tiebreak: tiebreak)
    }

    /// A channel drawn from the category's mix.
    static func channel(for category: MerchantCategory, _ rng: inout Xoshiro256StarStar) -> Channel {
        let cumulative = channelCumulative[category.rawValue]
        let x = rng.unit()
        for (i, c) in cumulative.enumerated() where x < c { return Channel(rawValue: UInt8(i)) ?? .pos }
        return .pos
    }

    /// A time within local day `day` (days since epoch) for an hour profile, in UTC millis.
    static func time(day: Int64, utcOffsetMinutes: Int, cumulative: [Double], _ rng: inout Xoshiro256StarStar) -> Int64 {
        let x = rng.unit()
        var hour = 23
        for (h, c) in cumulative.enumerated() where x < c { hour = h; break }
        let withinHour = Int64(rng.below(3_600_000))
        return day * 86_400_000 + Int64(hour) * 3_600_000 + withinHour - Int64(utcOffsetMinutes) * 60_000
    }
}

extension EventFactory {
    /// Cumulative hour-of-day distribution per category (indexed by raw value), computed once.
    static let cumulativeHours: [[Double]] = MerchantCategory.allCases.map { $0.hourProfile.cumulative }
    /// Cumulative channel mix per category (pos, contactless, ecom, atm), computed once.
    static let channelCumulative: [[Double]] = MerchantCategory.allCases.map { category in
        let w = category.channelWeights
        let total = w.reduce(0, +)
        var acc = 0.0
        return w.map { acc += $0 / total; return acc }
    }
    /// Relative activity Monday ... Sunday.
    static let weekdayFactor: [Double] = [0.92, 0.95, 0.98, 1.0, 1.12, 1.18, 0.85]
}
