/// Exact conversion of a decimal literal (`12.50`, `1.25e1`, `"0.10"`) to minor units of a currency.
///
/// Policy (documented in schemas/README.md): the literal must follow the JSON number grammar;
/// digits beyond the currency's minor unit are accepted only when they are zeros (`12.500` EUR is
/// 1250 cents, `12.505` EUR is `invalid_amount`), except the noise binary floating-point
/// serializers leave (`420.06000000000006` is the double nearest 420.06: it is read as 420.06 and
/// reported as rounded); more than 18 significant digits, a magnitude above the configured
/// maximum, NaN/Infinity and (unless allowed) negative values are rejected.
enum AmountParser {
    struct Problem: Error { var message: String }

    /// An amount in minor units, and whether it was rounded from a binary floating-point rendering.
    struct Parsed: Equatable {
        var minor: Int64
        var roundedFromBinaryFloat: Bool
    }

    /// Minor units of the decimal in `p[start..<end]` for a currency with `exponent` minor digits.
    /// `inMinorUnits` means the literal already counts minor units (must then be an integer).
    static func minorUnits(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, exponent: Int, inMinorUnits: Bool,
        maxMajor: Int64, allowNegative: Bool, currency: String
    ) throws(Problem) -> Int64 {
        try parse(p, start, end, exponent: exponent, inMinorUnits: inMinorUnits, maxMajor: maxMajor,
                  allowNegative: allowNegative, currency: currency).minor
    }

    /// As `minorUnits`, accepting binary floating-point noise (see the type's note).
    static func parse(
        _ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, exponent: Int, inMinorUnits: Bool,
        maxMajor: Int64, allowNegative: Bool, currency: String
    ) throws(Problem) -> Parsed {
        var i = start
        let notDecimal = Problem(message: "not a finite decimal number")
        var negative = false
        if i < end, p[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        let intStart = i
        while i < end, p[i] &- 0x30 < 10 { i += 1 }
        let intEnd = i
        guard intEnd > intStart else { throw notDecimal }
        guard p[intStart] != UInt8(ascii: "0") || intEnd - intStart == 1 else { throw Problem(message: "leading zeros are not allowed") }
        var fracStart = i, fracEnd = i
        if i < end, p[i] == UInt8(ascii: ".") {
            i += 1
            fracStart = i
            while i < end, p[i] &- 0x30 < 10 { i += 1 }
            fracEnd = i
            guard fracEnd > fracStart else { throw notDecimal }
        }
        var exp10 = 0
        if i < end, p[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            var expNegative = false
            if i < end, p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-") { expNegative = p[i] == UInt8(ascii: "-"); i += 1 }
            let expStart = i
            while i < end, p[i] &- 0x30 < 10 {
                exp10 = min(exp10 * 10 + Int(p[i] - 0x30), 1_000_000) // saturate: beyond this everything is out of range
                i += 1
            }
            guard i > expStart else { throw notDecimal }
            if expNegative { exp10 = -exp10 }
        }
        guard i == end else { throw notDecimal }

        // Digits of int ++ frac; find the first and last non-zero ones (virtual index k).
        let nInt = intEnd - intStart, nFrac = fracEnd - fracStart
        @inline(__always) func digit(_ k: Int) -> UInt8 { k < nInt ? p[intStart + k] - 0x30 : p[fracStart + k - nInt] - 0x30 }
        var first = -1, last = -1
        for k in 0..<(nInt + nFrac) where digit(k) != 0 {
            if first < 0 { first = k }
            last = k
        }
        guard first >= 0 else { return Parsed(minor: 0, roundedFromBinaryFloat: false) } // zero, whatever the exponent or sign
        if negative && !allowNegative {
            throw Problem(message: "negative amounts are not allowed (set allowNegativeAmounts to accept refunds)")
        }
        let significant = last - first + 1
        guard significant <= 18 else { throw Problem(message: "\(significant) significant digits; at most 18 are kept exactly") }
        var d: Int64 = 0
        for k in first...last { d = d * 10 + Int64(digit(k)) }
        // value = d * 10^(nInt - 1 - last + exp10); minor = value * 10^exponent (unless already minor).
        let scale = nInt - 1 - last + exp10 + (inMinorUnits ? 0 : exponent)
        if scale < 0 {
            if inMinorUnits { throw Problem(message: "amount in minor units must be a whole number") }
            let literal = String(decoding: UnsafeBufferPointer(start: p + start, count: end - start), as: UTF8.self)
            guard let minor = binaryFloatNoise(literal, exponent: exponent) else {
                throw Problem(message: "more fractional digits than \(currency) allows (\(exponent))")
            }
            guard abs(minor) <= maxMajor * Money.powersOfTen[exponent] else {
                throw Problem(message: "magnitude above the maximum of \(maxMajor) \(currency)")
            }
            return Parsed(minor: minor, roundedFromBinaryFloat: true)
        }
        let maxMinor = maxMajor * Money.powersOfTen[exponent]
        guard scale <= 18 else { throw Problem(message: "magnitude above the maximum of \(maxMajor) \(currency)") }
        var minor = d
        for _ in 0..<scale {
            let (m, o) = minor.multipliedReportingOverflow(by: 10)
            guard !o else { throw Problem(message: "magnitude above the maximum of \(maxMajor) \(currency)") }
            minor = m
        }
        guard minor <= maxMinor else { throw Problem(message: "magnitude above the maximum of \(maxMajor) \(currency)") }
        return Parsed(minor: negative ? -minor : minor, roundedFromBinaryFloat: false)
    }

    /// The minor units a binary64 serializer meant when it wrote `literal` (e.g. `89.39999999999998`
    /// for 89.40), or nil when the extra digits are real precision (`12.345` for a 2-digit currency).
    /// Accepted when the literal, read as a double, is within 4 ulps of the double nearest a whole
    /// number of minor units, and doubles at that magnitude resolve the minor unit a thousand times
    /// over (so float noise cannot be mistaken for a sub-minor-unit amount).
    static func binaryFloatNoise(_ literal: String, exponent: Int) -> Int64? {
        guard let value = Double(literal), value.isFinite, exponent >= 0, exponent < Money.powersOfTen.count else { return nil }
        let scaled = (value * Double(Money.powersOfTen[exponent])).rounded()
        guard abs(scaled) < 9.0e15 else { return nil }
        let minor = Int64(scaled)
        guard let nearest = Double("\(minor)e-\(exponent)"), nearest != 0 else { return nil }
        let unit = 1 / Double(Money.powersOfTen[exponent])
        guard nearest.ulp * 1000 <= unit, abs(value - nearest) <= 4 * nearest.ulp else { return nil }
        return minor
    }
}
