/// ISO 3166-1 alpha-2 country codes, for validating `Transaction.country`.
///
/// The table is the officially assigned alpha-2 list as published in `pycountry` 26.2.16;
/// `Tests/TxGuardContractsTests/Fixtures/reference/iso3166.json` is the independent copy the tests
/// compare against. User-assigned codes (AA, QM-QZ, XA-XZ, ZZ) are not accepted.
public enum ISO3166 {
    static let table: [String] = [
        "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ",
        "BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR",
        "CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR",
        "GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU",
        "ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ",
        "LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ",
        "MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF",
        "PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI",
        "SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR",
        "TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW",
    ]

    private static let lookup: [Bool] = {
        var t = [Bool](repeating: false, count: 26 * 26)
        for line in table {
            for code in line.split(separator: " ") {
                let b = Array(code.utf8)
                t[(Int(b[0]) - 65) * 26 + Int(b[1]) - 65] = true
            }
        }
        return t
    }()

    /// Every assigned alpha-2 code, sorted.
    public static var allCodes: [String] {
        table.flatMap { $0.split(separator: " ").map(String.init) }
    }

    /// Whether `code` is an assigned ISO 3166-1 alpha-2 code (upper case).
    public static func isAssigned(_ code: String) -> Bool {
        let b = Array(code.utf8)
        return b.count == 2 && isAssigned(b[0], b[1])
    }

    @inline(__always)
    static func isAssigned(_ a: UInt8, _ b: UInt8) -> Bool {
        guard a &- 65 < 26, b &- 65 < 26 else { return false }
        return lookup[Int(a - 65) * 26 + Int(b - 65)]
    }
}
