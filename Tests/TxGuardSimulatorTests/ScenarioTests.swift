import Foundation
import Testing
@testable import TxGuardSimulator

/// Each fraud scenario and look-alike is present and has the signature it is meant to have.
@Suite struct ScenarioTests {
    let d = Dataset.shared

    /// Amount in euros (the simulator's own fixed rates) so accounts in any currency compare.
    func euros(_ e: ParsedEvent) -> Double {
        guard let c = Currency.named(e.currency) else { return .nan }
        return e.amountValue / c.perEuro
    }

    func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? .nan : s[s.count / 2]
    }

    func events(_ type: FraudType) -> [String: [ParsedEvent]] {
        Dictionary(grouping: d.events.filter { $0.fraudType == type.rawValue }, by: \.accountID)
    }

    @Test func everyFraudTypeAndLookalikeIsPresent() {
        for type in FraudType.allCases {
            #expect(events(type).count >= 5, "\(type.rawValue): \(events(type).count) accounts")
        }
        for kind in Lookalike.allCases {
            #expect(d.events.contains { $0.lookalike == kind.rawValue }, "\(kind.rawValue)")
        }
    }

    @Test func fraudRateMatchesTheConfiguredShareOfAccounts() {
        let fraudAccounts = Set(d.events.filter(\.isFraud).map(\.accountID))
        let rate = Double(fraudAccounts.count) / Double(d.config.accounts)
        #expect(abs(rate - d.config.fraudRate) <= 0.1 * d.config.fraudRate, "observed \(rate)")
        #expect(d.summary.fraudAccounts.values.reduce(0, +) == Int((Double(d.config.accounts) * d.config.fraudRate).rounded()))
    }

    @Test func cardTestingIsTinyBurstyOnlineFromANewDevice() {
        let byAccount = d.byAccount()
        for (account, fraud) in events(.cardTesting) {
            #expect(fraud.count >= 5)
            #expect(fraud.allSatisfy { euros($0) <= 4.01 && $0.channel == "ecom" }, "\(account)")
            let gaps = zip(fraud, fraud.dropFirst()).map { Double($1.timestampMillis - $0.timestampMillis) / 1000 }
            #expect(median(gaps) < 60, "\(account) median gap \(median(gaps)) s")
            let first = fraud[0].timestampMillis
            let priorDevices = Set((byAccount[account] ?? []).filter { $0.timestampMillis < first }.compactMap(\.deviceID))
            #expect(!priorDevices.contains(fraud[0].deviceID ?? ""), "\(account)")
        }
    }

    @Test func accountTakeoverUsesANewDeviceAndCountryThenHighAmounts() throws {
        let byAccount = d.byAccount()
        for (account, fraud) in events(.accountTakeover) {
            let first = fraud[0].timestampMillis
            let prior = (byAccount[account] ?? []).filter { $0.timestampMillis < first }
            #expect(prior.count >= 5, "\(account) has history")
            let device = try #require(fraud[0].deviceID)
            let country = try #require(fraud[0].country)
            #expect(!prior.contains { $0.deviceID == device }, "\(account) device seen before")
            #expect(!prior.contains { $0.country == country }, "\(account) country seen before")
            #expect(fraud.allSatisfy { $0.deviceID == device && $0.country == country })
            #expect(fraud.count >= 3)
            let usual = median(prior.filter { !$0.isFraud }.map(euros))
            #expect(fraud.allSatisfy { euros($0) > 2 * usual }, "\(account): \(fraud.map(euros)) vs usual \(usual)")
        }
    }

    @Test func compromisedMerchantHitsManyAccountsWithinAWindow() {
        let fraud = d.events.filter { $0.fraudType == FraudType.compromisedMerchant.rawValue }
        let byMerchant = Dictionary(grouping: fraud, by: { $0.merchantName ?? "" })
        #expect(byMerchant.count == d.summary.compromisedMerchants)
        for (merchant, es) in byMerchant {
            #expect(Set(es.map(\.accountID)).count >= 5, "\(merchant)")
            let span = (es.map(\.timestampMillis).max() ?? 0) - (es.map(\.timestampMillis).min() ?? 0)
            #expect(span <= 48 * 3_600_000, "\(merchant) window \(span) ms")
        }
    }

    @Test func velocityBurstIsManyTransactionsInMinutes() {
        for (account, fraud) in events(.velocityBurst) {
            #expect(fraud.count >= 10, "\(account)")
            let span = fraud.last!.timestampMillis - fraud[0].timestampMillis
            #expect(span <= 30 * 60_000, "\(account) span \(span) ms")
            #expect(fraud.allSatisfy { $0.channel == "pos" || $0.channel == "contactless" })
        }
    }

    @Test func outOfCharacterCategoriesAreAbsentFromTheAccountsHistory() {
        let byAccount = d.byAccount()
        let cashOut = Set(MerchantCategory.cashOut.map(\.mcc))
        for (account, fraud) in events(.outOfCharacter) {
            let first = fraud[0].timestampMillis
            let prior = (byAccount[account] ?? []).filter { $0.timestampMillis < first }
            #expect(prior.count >= 5)
            let history = Set(prior.compactMap(\.mcc))
            for e in fraud {
                #expect(!history.contains(e.mcc ?? ""), "\(account) \(e.mcc ?? "") seen before")
                #expect(cashOut.contains(e.mcc ?? ""))
                #expect(e.country == d.homeCountry[account], "own country: only what is bought gives it away")
            }
        }
    }

    @Test func lookalikesAreLegitimateAndPlausible() {
        let byAccount = d.byAccount()
        let travel = Dictionary(grouping: d.events.filter { $0.lookalike == "travel" }, by: \.accountID)
        #expect(travel.count >= 10)
        for (account, es) in travel {
            #expect(es.allSatisfy { !$0.isFraud })
            // A booking at home (airline), then spending abroad in one other country.
            let abroad = es.filter { $0.country != d.homeCountry[account] }
            #expect(Set(abroad.compactMap(\.country)).count <= 1, "\(account)")
            #expect(es.contains { $0.mcc == MerchantCategory.airlines.mcc })
        }
        #expect(travel.values.contains { es in es.contains { $0.country != d.homeCountry[$0.accountID] } })
        let large = d.events.filter { $0.lookalike == "large_purchase" }
        #expect(large.count >= 10)
        for e in large {
            #expect(!e.isFraud)
            #expect([MerchantCategory.electronics.mcc, MerchantCategory.furniture.mcc].contains(e.mcc ?? ""))
            let usual = median((byAccount[e.accountID] ?? []).filter { $0.lookalike == nil }.map(euros))
            #expect(euros(e) > 4 * usual, "\(e.accountID): \(euros(e)) vs usual \(usual)")
        }
    }

    /// In one time zone (GB, UTC+0), night hours (0–5) see far fewer events per hour than daytime (9–20).
    @Test func dailyCycleIsVisible() throws {
        var c = SimulatorConfig()
        c.accounts = 400
        c.days = 14
        c.countries = ["GB"]
        c.currencies = ["GBP"]
        var perHour = [Int](repeating: 0, count: 24)
        var perWeekday = [Int](repeating: 0, count: 7)
        for tx in try TransactionSimulator(config: c) where tx.lookalike == nil {
            let t = CivilTime(epochMillis: tx.timestampMillis)
            perHour[t.hour] += 1
            perWeekday[t.weekday] += 1
        }
        let night = Double(perHour[0..<6].reduce(0, +)) / 6
        let day = Double(perHour[9...20].reduce(0, +)) / 12
        #expect(night < 0.3 * day, "night \(night)/h vs day \(day)/h")
        // Weekly cycle: Saturday busier than Sunday (two of each in 14 days).
        #expect(perWeekday[5] > perWeekday[6])
    }
}
