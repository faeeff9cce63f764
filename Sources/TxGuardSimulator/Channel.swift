/// How a card transaction was made.
public enum Channel: UInt8, Sendable, CaseIterable {
    case pos, contactless, ecom, atm

    /// The wire value ("pos", "contactless", "ecom", "atm").
    public var name: String {
        switch self {
        case .pos: return "pos"
        case .contactless: return "contactless"
        case .ecom: return "ecom"
        case .atm: return "atm"
        }
    }
}

/// When in the (local) day a kind of spending happens: relative intensity per hour 0–23.
enum HourProfile: Sendable {
    case shopping, dining, commute, online, nightly, cash

    var weights: [Double] {
        switch self {
        case .shopping: return [0.2, 0.1, 0.05, 0.03, 0.03, 0.1, 0.4, 1.2, 2.5, 3.5, 4.5, 5.0, 5.5, 5.0, 4.5, 4.5, 5.0, 6.0, 6.0, 5.0, 3.5, 2.0, 1.0, 0.5]
        case .dining: return [0.5, 0.3, 0.15, 0.05, 0.03, 0.05, 0.3, 1.5, 2.5, 1.5, 1.5, 3.5, 7.0, 6.5, 2.5, 1.5, 1.8, 3.0, 5.5, 6.5, 5.0, 3.0, 1.8, 1.0]
        case .commute: return [0.6, 0.4, 0.2, 0.1, 0.2, 0.8, 2.5, 6.0, 7.0, 3.5, 2.0, 2.0, 2.5, 2.0, 2.0, 2.5, 3.5, 6.0, 6.5, 4.0, 2.5, 2.0, 1.5, 1.0]
        case .online: return [1.0, 0.6, 0.3, 0.2, 0.2, 0.3, 0.6, 1.2, 2.0, 2.5, 2.8, 3.0, 3.5, 3.2, 3.0, 3.0, 3.2, 3.5, 4.0, 4.8, 5.5, 5.5, 4.0, 2.2]
        case .nightly: return [2, 3, 4, 4, 3, 2, 1, 0.5, 0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 1]
        case .cash: return [0.3, 0.2, 0.1, 0.05, 0.05, 0.1, 0.4, 1.2, 2.5, 3.0, 3.5, 4.0, 4.5, 4.0, 3.5, 3.5, 4.0, 4.5, 4.5, 3.5, 2.5, 1.5, 1.0, 0.6]
        }
    }

    /// Cumulative distribution over the 24 hours, for sampling.
    var cumulative: [Double] {
        var acc = 0.0
        let w = weights
        let total = w.reduce(0, +)
        return w.map { acc += $0 / total; return acc }
    }
}
