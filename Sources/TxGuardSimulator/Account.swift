/// A simulated card holder and their habits: where they live, what they buy and where,
/// how much they usually spend, how often, and on which cards and devices.
/// Immutable once built; transactions keep a reference to it.
final class Account: Sendable {
    struct Habit: Sendable {
        let category: MerchantCategory
        let weight: Double
        /// The account's usual merchants in this category.
        let usual: [Merchant]
        /// Median spend in euros for this account and category.
        let medianEuros: Double
    }

    struct Subscription: Sendable {
        let merchant: Merchant
        let amountMinor: Int64
        /// Day of month it is billed (1–28).
        let billingDay: Int
    }

    let index: Int
    let countryIndex: Int
    let cityIndex: Int
    let currencyIndex: Int
    /// The home country's UTC offset, cached (reading `country` copies a struct).
    let utcOffsetMinutes: Int
    let dailyRate: Double
    /// Overall spend multiplier of this person (log-normal around 1).
    let spendScale: Double
    let habits: [Habit]
    let habitCumulative: [Double]
    let subscriptions: [Subscription]
    /// Rendered JSON string literals (quotes included).
    let jsonAccountID: [UInt8]
    let jsonCards: [[UInt8]]
    let devices: [UInt64]

    var country: Country { Country.all[countryIndex] }
    var city: String { country.cities[cityIndex] }
    var currency: Currency { Currency.all[currencyIndex] }
    var habitCategories: Set<MerchantCategory> { Set(habits.map(\.category)) }
    /// The largest median spend among the account's habits, in euros.
    var largestUsualTicketEuros: Double { habits.map(\.medianEuros).max() ?? 30 * spendScale }

    /// The account_id string.
    var accountID: String { String(decoding: jsonAccountID.dropFirst().dropLast(), as: UTF8.self) }

    init(index: Int, countryIndex: Int, cityIndex: Int, currencyIndex: Int, dailyRate: Double, spendScale: Double,
         habits: [Habit], subscriptions: [Subscription], cards: [UInt64], devices: [UInt64]) {
        self.index = index
        self.countryIndex = countryIndex
        self.cityIndex = cityIndex
        self.currencyIndex = currencyIndex
        utcOffsetMinutes = Country.all[countryIndex].utcOffsetMinutes
        self.dailyRate = dailyRate
        self.spendScale = spendScale
        self.habits = habits
        let total = habits.reduce(0) { $0 + $1.weight }
        var acc = 0.0
        habitCumulative = habits.map { acc += $0.weight / total; return acc }
        self.subscriptions = subscriptions
        var id: [UInt8] = []
        JSONWriter.appendString("acct_" + Self.padded(index + 1, 8), to: &id)
        jsonAccountID = id
        jsonCards = cards.map { c in
            var out: [UInt8] = []
            JSONWriter.appendString("card_" + Self.hex(c, 12), to: &out)
            return out
        }
        self.devices = devices
    }

    /// Picks a habit by weight.
    func pickHabit(_ rng: inout Xoshiro256StarStar) -> Habit {
        let x = rng.unit()
        for (i, c) in habitCumulative.enumerated() where x < c { return habits[i] }
        return habits[habits.count - 1]
    }

    static func padded(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    static func hex(_ v: UInt64, _ digits: Int) -> String {
        let s = String(v, radix: 16)
        let t = s.count >= 16 ? s : String(repeating: "0", count: 16 - s.count) + s
        return String(t.suffix(digits))
    }
}
