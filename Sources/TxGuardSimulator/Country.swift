/// A country the simulator places accounts and merchants in: ISO 3166-1 alpha-2 code, its
/// currency, a fixed UTC offset for daily cycles (no DST), cities and local bank names.
public struct Country: Sendable, Hashable {
    /// ISO 3166-1 alpha-2 code.
    public let code: String
    /// ISO 4217 code of the local currency.
    public let currencyCode: String
    /// Standard-time offset from UTC in minutes.
    public let utcOffsetMinutes: Int
    let cities: [String]
    let banks: [String]
    /// Relative share of accounts homed here when the user does not restrict countries.
    let population: Double

    /// Every country the simulator knows.
    public static let all: [Country] = [
        Country(code: "GB", currencyCode: "GBP", utcOffsetMinutes: 0, cities: ["LONDON", "MANCHESTER", "LEEDS", "BRISTOL", "GLASGOW", "BIRMINGHAM"], banks: ["HSBC", "BARCLAYS", "LLOYDS BANK", "NATWEST"], population: 6),
        Country(code: "IE", currencyCode: "EUR", utcOffsetMinutes: 0, cities: ["DUBLIN", "CORK", "GALWAY"], banks: ["AIB", "BANK OF IRELAND"], population: 1),
        Country(code: "DE", currencyCode: "EUR", utcOffsetMinutes: 60, cities: ["BERLIN", "MUENCHEN", "HAMBURG", "KOELN", "FRANKFURT"], banks: ["SPARKASSE", "DEUTSCHE BANK", "COMMERZBANK"], population: 6),
        Country(code: "FR", currencyCode: "EUR", utcOffsetMinutes: 60, cities: ["PARIS", "LYON", "MARSEILLE", "TOULOUSE", "NANTES"], banks: ["BNP PARIBAS", "SOCIETE GENERALE", "CREDIT AGRICOLE"], population: 5),
        Country(code: "ES", currencyCode: "EUR", utcOffsetMinutes: 60, cities: ["MADRID", "BARCELONA", "VALENCIA", "SEVILLA"], banks: ["SANTANDER", "BBVA", "CAIXABANK"], population: 4),
        Country(code: "IT", currencyCode: "EUR", utcOffsetMinutes: 60, cities: ["MILANO", "ROMA", "TORINO", "NAPOLI"], banks: ["INTESA SANPAOLO", "UNICREDIT"], population: 4),
        Country(code: "NL", currencyCode: "EUR", utcOffsetMinutes: 60, cities: ["AMSTERDAM", "ROTTERDAM", "UTRECHT"], banks: ["ING", "RABOBANK", "ABN AMRO"], population: 2),
        Country(code: "CH", currencyCode: "CHF", utcOffsetMinutes: 60, cities: ["ZURICH", "GENEVE", "BASEL"], banks: ["UBS", "ZKB"], population: 1),
        Country(code: "SE", currencyCode: "SEK", utcOffsetMinutes: 60, cities: ["STOCKHOLM", "GOTEBORG"], banks: ["SEB", "SWEDBANK"], population: 1),
        Country(code: "PL", currencyCode: "PLN", utcOffsetMinutes: 60, cities: ["WARSZAWA", "KRAKOW"], banks: ["PKO BP", "MBANK"], population: 2),
        Country(code: "US", currencyCode: "USD", utcOffsetMinutes: -300, cities: ["NEW YORK", "CHICAGO", "BOSTON", "SAN FRANCISCO", "AUSTIN"], banks: ["CHASE", "BANK OF AMERICA", "WELLS FARGO"], population: 8),
        Country(code: "CA", currencyCode: "CAD", utcOffsetMinutes: -300, cities: ["TORONTO", "MONTREAL", "VANCOUVER"], banks: ["RBC", "TD BANK"], population: 2),
        Country(code: "JP", currencyCode: "JPY", utcOffsetMinutes: 540, cities: ["TOKYO", "OSAKA", "KYOTO", "YOKOHAMA"], banks: ["MUFG", "SMBC", "SEVEN BANK"], population: 4),
        Country(code: "KR", currencyCode: "KRW", utcOffsetMinutes: 540, cities: ["SEOUL", "BUSAN"], banks: ["KB KOOKMIN", "SHINHAN"], population: 2),
        Country(code: "SG", currencyCode: "SGD", utcOffsetMinutes: 480, cities: ["SINGAPORE"], banks: ["DBS", "OCBC"], population: 1),
        Country(code: "IN", currencyCode: "INR", utcOffsetMinutes: 330, cities: ["MUMBAI", "BENGALURU", "DELHI"], banks: ["HDFC BANK", "ICICI BANK", "SBI"], population: 3),
        Country(code: "AU", currencyCode: "AUD", utcOffsetMinutes: 600, cities: ["SYDNEY", "MELBOURNE", "BRISBANE"], banks: ["CBA", "WESTPAC"], population: 2),
        Country(code: "AE", currencyCode: "AED", utcOffsetMinutes: 240, cities: ["DUBAI", "ABU DHABI"], banks: ["EMIRATES NBD", "FAB"], population: 1),
        Country(code: "BH", currencyCode: "BHD", utcOffsetMinutes: 180, cities: ["MANAMA", "MUHARRAQ"], banks: ["NBB", "BBK"], population: 1),
        Country(code: "KW", currencyCode: "KWD", utcOffsetMinutes: 180, cities: ["KUWAIT CITY", "HAWALLI"], banks: ["NBK", "KFH"], population: 1),
        Country(code: "OM", currencyCode: "OMR", utcOffsetMinutes: 240, cities: ["MUSCAT"], banks: ["BANK MUSCAT"], population: 1),
        Country(code: "PT", currencyCode: "EUR", utcOffsetMinutes: 0, cities: ["LISBOA", "PORTO"], banks: ["MILLENNIUM BCP", "CGD"], population: 1),
        // Destinations that appear as account-takeover origins even when not configured as homes.
        Country(code: "NG", currencyCode: "USD", utcOffsetMinutes: 60, cities: ["LAGOS"], banks: ["GTBANK"], population: 0),
        Country(code: "RU", currencyCode: "USD", utcOffsetMinutes: 180, cities: ["MOSKVA"], banks: ["SBERBANK"], population: 0),
        Country(code: "BR", currencyCode: "USD", utcOffsetMinutes: -180, cities: ["SAO PAULO"], banks: ["ITAU"], population: 0),
        Country(code: "VN", currencyCode: "USD", utcOffsetMinutes: 420, cities: ["HO CHI MINH"], banks: ["VIETCOMBANK"], population: 0),
    ]

    /// The country with this alpha-2 code, or nil.
    public static func named(_ code: String) -> Country? { all.first { $0.code == code.uppercased() } }

    /// Countries account takeovers appear to come from when the configured list offers none.
    static let takeoverOrigins = ["NG", "RU", "BR", "VN"]
}
