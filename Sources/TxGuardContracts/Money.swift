import Foundation

/// An exact monetary amount: an integer count of minor units and the currency's minor-unit exponent.
///
/// `Money(minorUnits: 1250, exponent: 2)` is 12.50 (EUR), `Money(minorUnits: 1250, exponent: 0)`
/// is 1250 (JPY), `Money(minorUnits: 1250, exponent: 3)` is 1.250 (BHD). No binary floating
/// point is involved, so amounts compare and sum exactly; `doubleValue` exists for features.
public struct Money: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The amount in minor units (cents for EUR, yen for JPY, fils for BHD).
    public var minorUnits: Int64
    /// Number of minor-unit digits (ISO 4217 exponent, 0...4).
    public var exponent: Int

    /// An amount of `minorUnits` with `exponent` decimal digits.
    public init(minorUnits: Int64, exponent: Int) {
        self.minorUnits = minorUnits
        self.exponent = exponent
    }

    static let powersOfTen: [Int64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000]

    /// The amount as a Double (major units), for feature extraction; exact up to 2^53 minor units.
    @inline(__always)
    public var doubleValue: Double {
        Double(minorUnits) / Double(Money.powersOfTen[min(max(exponent, 0), 8)])
    }

    /// The amount as a Foundation `Decimal` (major units), exact.
    public var decimalValue: Decimal {
        Decimal(sign: minorUnits < 0 ? .minus : .plus, exponent: -exponent,
                significand: Decimal(minorUnits.magnitude))
    }

    /// Plain decimal notation with exactly `exponent` fraction digits: `12.50`, `-0.005`, `1250`.
    public var description: String {
        let magnitude = String(minorUnits.magnitude)
        let sign = minorUnits < 0 ? "-" : ""
        guard exponent > 0 else { return sign + magnitude }
        let padded = magnitude.count <= exponent
            ? String(repeating: "0", count: exponent - magnitude.count + 1) + magnitude
            : magnitude
        let split = padded.index(padded.endIndex, offsetBy: -exponent)
        return sign + padded[..<split] + "." + padded[split...]
    }
}
