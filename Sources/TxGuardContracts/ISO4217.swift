/// ISO 4217 currency codes with their minor-unit exponents (JPY 0, EUR 2, BHD 3, CLF 4).
///
/// The table is the ISO 4217 list as published in the `iso4217` data package (2026-01-01);
/// `Tests/TxGuardContractsTests/Fixtures/reference/iso4217.json` is the independent copy the
/// tests compare against. Codes whose minor unit is "N.A." (precious metals, bond units, SDR,
/// XTS, XXX) are known but not accepted as transaction currencies.
public enum ISO4217 {
    /// `CODE` + exponent digit, or `-` when ISO gives no minor unit.
    static let table: [String] = [
        "AED2 AFN2 ALL2 AMD2 AOA2 ARS2 AUD2 AWG2 AZN2 BAM2 BBD2 BDT2 BHD3 BIF0 BMD2 BND2",
        "BOB2 BOV2 BRL2 BSD2 BTN2 BWP2 BYN2 BZD2 CAD2 CDF2 CHE2 CHF2 CHW2 CLF4 CLP0 CNY2",
        "COP2 COU2 CRC2 CUP2 CVE2 CZK2 DJF0 DKK2 DOP2 DZD2 EGP2 ERN2 ETB2 EUR2 FJD2 FKP2",
        "GBP2 GEL2 GHS2 GIP2 GMD2 GNF0 GTQ2 GYD2 HKD2 HNL2 HTG2 HUF2 IDR2 ILS2 INR2 IQD3",
        "IRR2 ISK0 JMD2 JOD3 JPY0 KES2 KGS2 KHR2 KMF0 KPW2 KRW0 KWD3 KYD2 KZT2 LAK2 LBP2",
        "LKR2 LRD2 LSL2 LYD3 MAD2 MDL2 MGA2 MKD2 MMK2 MNT2 MOP2 MRU2 MUR2 MVR2 MWK2 MXN2",
        "MXV2 MYR2 MZN2 NAD2 NGN2 NIO2 NOK2 NPR2 NZD2 OMR3 PAB2 PEN2 PGK2 PHP2 PKR2 PLN2",
        "PYG0 QAR2 RON2 RSD2 RUB2 RWF0 SAR2 SBD2 SCR2 SDG2 SEK2 SGD2 SHP2 SLE2 SOS2 SRD2",
        "SSP2 STN2 SVC2 SYP2 SZL2 THB2 TJS2 TMT2 TND3 TOP2 TRY2 TTD2 TWD2 TZS2 UAH2 UGX0",
        "USD2 USN2 UYI0 UYU2 UYW4 UZS2 VED2 VES2 VND0 VUV0 WST2 XAD2 XAF0 XAG- XAU- XBA-",
        "XBB- XBC- XBD- XCD2 XCG2 XDR- XOF0 XPD- XPF0 XPT- XSU- XTS- XUA- XXX- YER2 ZAR2",
        "ZMW2 ZWG2",
    ]

    // 26^3 entries indexed by the three letters; 0xFF unknown, 0xFE known without minor unit.
    private static let lookup: [UInt8] = {
        var t = [UInt8](repeating: 0xFF, count: 26 * 26 * 26)
        for line in table {
            for entry in line.split(separator: " ") {
                let b = Array(entry.utf8)
                let i = (Int(b[0]) - 65) * 676 + (Int(b[1]) - 65) * 26 + (Int(b[2]) - 65)
                t[i] = b[3] == UInt8(ascii: "-") ? 0xFE : b[3] - 48
            }
        }
        return t
    }()

    /// Every code in the table, sorted.
    public static var allCodes: [String] {
        table.flatMap { $0.split(separator: " ").map { String($0.prefix(3)) } }
    }

    /// Minor-unit digits for an active code with a defined minor unit, else nil.
    public static func minorUnitDigits(_ code: String) -> Int? {
        let b = Array(code.utf8)
        guard b.count == 3 else { return nil }
        switch entry(b[0], b[1], b[2]) {
        case .some(let e) where e < 0xFE: return Int(e)
        default: return nil
        }
    }

    /// Whether `code` is in the ISO 4217 list at all (including codes without a minor unit).
    public static func isKnown(_ code: String) -> Bool {
        let b = Array(code.utf8)
        return b.count == 3 && entry(b[0], b[1], b[2]) != nil
    }

    /// Raw table entry for three bytes: nil unknown, 0xFE no minor unit, else the digits.
    @inline(__always)
    static func entry(_ a: UInt8, _ b: UInt8, _ c: UInt8) -> UInt8? {
        guard a &- 65 < 26, b &- 65 < 26, c &- 65 < 26 else { return nil }
        let v = lookup[Int(a - 65) * 676 + Int(b - 65) * 26 + Int(c - 65)]
        return v == 0xFF ? nil : v
    }
}
