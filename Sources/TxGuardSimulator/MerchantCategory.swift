/// A kind of merchant the simulator knows: its ISO 18245 MCC, how people pay there, typical
/// spend (log-normal, in euros), when in the day it happens, and real-looking name templates.
///
/// Name templates: `#` becomes a digit, `@` an upper-case letter or digit, `{CITY}` the city.
/// A template may be restricted to countries; the rest are used everywhere.
public enum MerchantCategory: Int, Sendable, CaseIterable {
    case groceries, fuel, restaurants, fastFood, rideshare, publicTransport, onlineRetail
    case subscriptions, pharmacy, clothing, airlines, hotels, electronics, furniture
    case giftCards, cryptoExchange, gambling, moneyTransfer, jewelry, atmCash, oddOnline

    /// Snake-case name, e.g. "online_retail".
    public var name: String {
        switch self {
        case .groceries: return "groceries"
        case .fuel: return "fuel"
        case .restaurants: return "restaurants"
        case .fastFood: return "fast_food"
        case .rideshare: return "rideshare"
        case .publicTransport: return "public_transport"
        case .onlineRetail: return "online_retail"
        case .subscriptions: return "subscriptions"
        case .pharmacy: return "pharmacy"
        case .clothing: return "clothing"
        case .airlines: return "airlines"
        case .hotels: return "hotels"
        case .electronics: return "electronics"
        case .furniture: return "furniture"
        case .giftCards: return "gift_cards"
        case .cryptoExchange: return "crypto_exchange"
        case .gambling: return "gambling"
        case .moneyTransfer: return "money_transfer"
        case .jewelry: return "jewelry"
        case .atmCash: return "atm_cash"
        case .oddOnline: return "odd_online"
        }
    }

    /// The 4-digit merchant category code.
    public var mcc: String {
        switch self {
        case .groceries: return "5411"
        case .fuel: return "5541"
        case .restaurants: return "5812"
        case .fastFood: return "5814"
        case .rideshare: return "4121"
        case .publicTransport: return "4111"
        case .onlineRetail: return "5942"
        case .subscriptions: return "5815"
        case .pharmacy: return "5912"
        case .clothing: return "5651"
        case .airlines: return "4511"
        case .hotels: return "7011"
        case .electronics: return "5732"
        case .furniture: return "5712"
        case .giftCards: return "5947"
        case .cryptoExchange: return "6051"
        case .gambling: return "7995"
        case .moneyTransfer: return "4829"
        case .jewelry: return "5944"
        case .atmCash: return "6011"
        case .oddOnline: return "5818"
        }
    }

    /// Median spend in euros and log-space spread of one purchase.
    var amountMedianEuros: Double {
        switch self {
        case .groceries: return 28
        case .fuel: return 55
        case .restaurants: return 34
        case .fastFood: return 9
        case .rideshare: return 16
        case .publicTransport: return 4.5
        case .onlineRetail: return 32
        case .subscriptions: return 11
        case .pharmacy: return 14
        case .clothing: return 45
        case .airlines: return 180
        case .hotels: return 140
        case .electronics: return 120
        case .furniture: return 220
        case .giftCards: return 50
        case .cryptoExchange: return 250
        case .gambling: return 25
        case .moneyTransfer: return 150
        case .jewelry: return 180
        case .atmCash: return 80
        case .oddOnline: return 1.2
        }
    }

    var amountSigma: Double {
        switch self {
        case .groceries: return 0.75
        case .fuel: return 0.35
        case .restaurants: return 0.6
        case .fastFood: return 0.45
        case .rideshare: return 0.55
        case .publicTransport: return 0.5
        case .onlineRetail: return 0.9
        case .subscriptions: return 0.5
        case .pharmacy: return 0.7
        case .clothing: return 0.7
        case .airlines: return 0.7
        case .hotels: return 0.6
        case .electronics: return 0.9
        case .furniture: return 0.8
        case .giftCards: return 0.6
        case .cryptoExchange: return 0.9
        case .gambling: return 0.8
        case .moneyTransfer: return 0.8
        case .jewelry: return 0.8
        case .atmCash: return 0.6
        case .oddOnline: return 0.5
        }
    }

    /// Channel mix, weights for pos, contactless, ecom, atm.
    var channelWeights: [Double] {
        switch self {
        case .groceries: return [0.35, 0.58, 0.07, 0]
        case .fuel: return [0.55, 0.45, 0, 0]
        case .restaurants: return [0.4, 0.6, 0, 0]
        case .fastFood: return [0.2, 0.7, 0.1, 0]
        case .rideshare, .onlineRetail, .subscriptions, .airlines, .giftCards, .cryptoExchange, .gambling, .oddOnline:
            return [0, 0, 1, 0]
        case .publicTransport: return [0.1, 0.85, 0.05, 0]
        case .pharmacy: return [0.45, 0.5, 0.05, 0]
        case .clothing: return [0.4, 0.4, 0.2, 0]
        case .hotels: return [0.5, 0.2, 0.3, 0]
        case .electronics: return [0.5, 0.1, 0.4, 0]
        case .furniture: return [0.6, 0.05, 0.35, 0]
        case .moneyTransfer: return [0.1, 0, 0.9, 0]
        case .jewelry: return [0.8, 0.1, 0.1, 0]
        case .atmCash: return [0, 0, 0, 1]
        }
    }

    var hourProfile: HourProfile {
        switch self {
        case .groceries, .pharmacy, .clothing, .electronics, .furniture, .jewelry: return .shopping
        case .restaurants, .fastFood: return .dining
        case .rideshare, .publicTransport, .fuel: return .commute
        case .onlineRetail, .airlines, .hotels, .giftCards, .cryptoExchange, .gambling, .moneyTransfer, .oddOnline: return .online
        case .subscriptions: return .nightly
        case .atmCash: return .cash
        }
    }

    /// Whether merchants of this kind are websites (name not tied to a city).
    var isOnline: Bool { channelWeights[3] == 0 && channelWeights[0] == 0 && channelWeights[1] == 0 }

    /// Categories a fraudster cashes out through, unlike everyday spending.
    static let cashOut: [MerchantCategory] = [.giftCards, .cryptoExchange, .gambling, .moneyTransfer, .jewelry]
}
