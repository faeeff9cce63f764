/// One merchant (a store, a website, an ATM): its statement name, category and country.
/// Immutable and shared by every transaction made there.
public final class Merchant: Sendable {
    /// The name as it appears on a statement, e.g. "TESCO STORES 2231".
    public let name: String
    /// What kind of merchant it is.
    public let category: MerchantCategory
    /// ISO 3166-1 alpha-2 country of the merchant.
    public let countryCode: String
    /// The name as a JSON string literal (quotes included), rendered once.
    let jsonName: [UInt8]

    init(name: String, category: MerchantCategory, countryCode: String) {
        self.name = name
        self.category = category
        self.countryCode = countryCode
        var bytes: [UInt8] = []
        JSONWriter.appendString(name, to: &bytes)
        jsonName = bytes
    }

    /// A new merchant of `category` in `country`, named from the category's templates.
    static func make(_ category: MerchantCategory, in country: Country, city: String, rng: inout Xoshiro256StarStar) -> Merchant {
        let templates = category.nameTemplates
        let local = templates.filter { $0.countries.contains(country.code) }
        let global = templates.filter { $0.countries.isEmpty }
        // Prefer local chains where the country has them; global ones fill in.
        let pool = !local.isEmpty && (global.isEmpty || rng.chance(0.7)) ? local : (global.isEmpty ? templates : global)
        let template = pool[rng.below(pool.count)]
        return Merchant(name: render(template.pattern, city: city, bank: rng.pick(country.banks) ?? "BANK", rng: &rng),
                        category: category, countryCode: country.code)
    }

    static func render(_ pattern: String, city: String, bank: String, rng: inout Xoshiro256StarStar) -> String {
        let alnum = Array("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
        var out = ""
        var rest = Substring(pattern)
        while let c = rest.first {
            if rest.hasPrefix("{CITY}") { out += city; rest = rest.dropFirst(6); continue }
            if rest.hasPrefix("{BANK}") { out += bank; rest = rest.dropFirst(6); continue }
            switch c {
            case "#": out.append(Character(String(rng.below(10))))
            case "@": out.append(alnum[rng.below(alnum.count)])
            default: out.append(c)
            }
            rest = rest.dropFirst()
        }
        return out
    }
}
