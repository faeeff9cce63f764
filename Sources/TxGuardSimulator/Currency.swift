/// An ISO 4217 currency the simulator can emit, with its minor-unit digits and a fixed,
/// approximate rate from EUR used only to scale amounts realistically.
public struct Currency: Sendable, Hashable {
    /// ISO 4217 alphabetic code, e.g. "EUR".
    public let code: String
    /// Digits after the decimal point (ISO 4217 minor unit): JPY 0, EUR 2, BHD 3.
    public let minorDigits: Int
    /// Units of this currency per euro (approximate, for amount scaling only).
    let perEuro: Double
    /// Smallest "nice" cash amount for ATM withdrawals, in major units.
    let cashStep: Double

    /// Every currency the simulator knows.
    public static let all: [Currency] = [
        Currency(code: "EUR", minorDigits: 2, perEuro: 1.0, cashStep: 10),
        Currency(code: "GBP", minorDigits: 2, perEuro: 0.85, cashStep: 10),
        Currency(code: "USD", minorDigits: 2, perEuro: 1.08, cashStep: 20),
        Currency(code: "JPY", minorDigits: 0, perEuro: 160, cashStep: 1000),
        Currency(code: "CHF", minorDigits: 2, perEuro: 0.95, cashStep: 10),
        Currency(code: "SEK", minorDigits: 2, perEuro: 11.5, cashStep: 100),
        Currency(code: "PLN", minorDigits: 2, perEuro: 4.3, cashStep: 50),
        Currency(code: "AUD", minorDigits: 2, perEuro: 1.65, cashStep: 20),
        Currency(code: "CAD", minorDigits: 2, perEuro: 1.48, cashStep: 20),
        Currency(code: "SGD", minorDigits: 2, perEuro: 1.45, cashStep: 10),
        Currency(code: "AED", minorDigits: 2, perEuro: 3.97, cashStep: 50),
        Currency(code: "INR", minorDigits: 2, perEuro: 90, cashStep: 500),
        Currency(code: "KRW", minorDigits: 0, perEuro: 1450, cashStep: 10000),
        Currency(code: "BHD", minorDigits: 3, perEuro: 0.41, cashStep: 5),
        Currency(code: "KWD", minorDigits: 3, perEuro: 0.33, cashStep: 5),
        Currency(code: "OMR", minorDigits: 3, perEuro: 0.42, cashStep: 5),
    ]

    /// The currency with this code, or nil.
    public static func named(_ code: String) -> Currency? { all.first { $0.code == code.uppercased() } }

    /// 10^minorDigits.
    var minorScale: Double {
        switch minorDigits {
        case 0: return 1
        case 3: return 1000
        default: return 100
        }
    }

    /// A euro amount converted and rounded to whole minor units (at least one minor unit).
    func minorUnits(euros: Double) -> Int64 {
        max(1, Int64((euros * perEuro * minorScale).rounded()))
    }
}
