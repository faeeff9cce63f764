/// Every merchant of the simulated world, grouped the way people meet them: physical stores by
/// city, websites by country. Built once from the seed; each pool from its own random stream,
/// so adding a country never renames another country's merchants.
struct MerchantDirectory: Sendable {
    /// Pools indexed by `key(country:city:category:)`.
    private let pools: [Int: [Merchant]]
    static let physicalPoolSize = 12
    static let onlinePoolSize = 16

    init(seed: UInt64) {
        var pools: [Int: [Merchant]] = [:]
        for (ci, country) in Country.all.enumerated() {
            for category in MerchantCategory.allCases {
                if category.isOnline {
                    var rng = Xoshiro256StarStar(seed: seed, stream: 10, UInt64(ci), UInt64(category.rawValue), 0xFFFF)
                    pools[Self.key(country: ci, city: -1, category: category)] =
                        Self.uniquePool(category, country, city: country.cities[0], size: Self.onlinePoolSize, rng: &rng)
                } else {
                    for (cityIndex, city) in country.cities.enumerated() {
                        var rng = Xoshiro256StarStar(seed: seed, stream: 10, UInt64(ci), UInt64(category.rawValue), UInt64(cityIndex))
                        pools[Self.key(country: ci, city: cityIndex, category: category)] =
                            Self.uniquePool(category, country, city: city, size: Self.physicalPoolSize, rng: &rng)
                    }
                }
            }
        }
        self.pools = pools
    }

    private static func uniquePool(_ category: MerchantCategory, _ country: Country, city: String, size: Int, rng: inout Xoshiro256StarStar) -> [Merchant] {
        var seen = Set<String>()
        var out: [Merchant] = []
        var attempts = 0
        while out.count < size && attempts < size * 4 {
            attempts += 1
            let m = Merchant.make(category, in: country, city: city, rng: &rng)
            if seen.insert(m.name).inserted { out.append(m) }
        }
        return out
    }

    private static func key(country: Int, city: Int, category: MerchantCategory) -> Int {
        (country * 64 + (city + 1)) * 64 + category.rawValue
    }

    /// The merchants of `category` a person living in (`country`, `city`) would use.
    func pool(_ category: MerchantCategory, country: Int, city: Int) -> [Merchant] {
        let k = Self.key(country: country, city: category.isOnline ? -1 : city, category: category)
        return pools[k] ?? []
    }
}
