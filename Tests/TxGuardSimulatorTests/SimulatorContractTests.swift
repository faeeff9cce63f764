import Foundation
import Testing
@testable import TxGuardSimulator

/// Determinism and the canonical transaction contract of every emitted line.
@Suite struct SimulatorContractTests {
    static func bytes(_ config: SimulatorConfig, labels: Bool = true) throws -> [UInt8] {
        var out: [UInt8] = []
        for tx in try TransactionSimulator(config: config) { tx.appendJSONLine(to: &out, includeLabels: labels) }
        return out
    }

    static var small: SimulatorConfig {
        var c = SimulatorConfig()
        c.accounts = 300
        c.days = 6
        c.fraudRate = 0.05
        return c
    }

    @Test func sameSeedSameBytesDifferentSeedDifferentBytes() throws {
        let a = try Self.bytes(Self.small)
        let b = try Self.bytes(Self.small)
        #expect(a.count > 100_000)
        #expect(a == b)
        var other = Self.small
        other.seed = 43
        let c = try Self.bytes(other)
        #expect(c != a)
        // jsonLine and appendJSONLine agree.
        var joined: [UInt8] = []
        for tx in try TransactionSimulator(config: Self.small) { joined += tx.jsonLine(includeLabels: true) }
        #expect(joined == a)
    }

    @Test func differentConfigsWithTheSameSeedDoNotShareTransactionIDs() throws {
        var other = Self.small
        other.accounts += 1
        let a = Set(try TransactionSimulator(config: Self.small).prefix(2000).map(\.transactionID))
        let b = Set(try TransactionSimulator(config: other).prefix(2000).map(\.transactionID))
        #expect(a.count == 2000 && b.count == 2000)
        #expect(a.isDisjoint(with: b))
    }

    @Test func everyEventParsesWithRequiredFields() throws {
        let d = Dataset.shared
        #expect(d.parseFailures.isEmpty, "\(d.parseFailures.prefix(3))")
        #expect(d.events.count > 50_000)
        let currencies = Set(d.config.currencies)
        var ids = Set<String>()
        let channels: Set<String> = ["pos", "contactless", "ecom", "atm"]
        for e in d.events {
            ids.insert(e.transactionID)
            #expect(currencies.contains(e.currency), "\(e.raw)")
            #expect(e.timestamp.count == 24 && e.timestamp.hasSuffix("Z"), "\(e.raw)")
            #expect(e.accountID.hasPrefix("acct_"))
            let mcc = try #require(e.mcc)
            #expect(mcc.count == 4 && mcc.allSatisfy(\.isASCII) && Int(mcc) != nil, "\(e.raw)")
            let country = try #require(e.country)
            #expect(country.count == 2 && country == country.uppercased())
            #expect(channels.contains(try #require(e.channel)))
            #expect(try #require(e.cardID).hasPrefix("card_"))
            #expect(e.merchantName?.isEmpty == false)
            #expect(e.amountValue > 0)
            // device_id only on card-not-present payments.
            if e.deviceID != nil { #expect(e.channel == "ecom", "\(e.raw)") }
            #expect(e.isFraud == (e.fraudType != nil))
            if e.lookalike != nil { #expect(!e.isFraud) }
        }
        #expect(ids.count == d.events.count, "transaction_id must be unique")
    }

    @Test func amountsCarryTheCurrencysMinorDigits() throws {
        let d = Dataset.shared
        var numbers = 0
        var perCurrency: [String: Int] = [:]
        for e in d.events {
            let digits = try #require(Currency.named(e.currency)).minorDigits
            let parts = e.amountText.split(separator: ".", omittingEmptySubsequences: false)
            #expect(parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }, "\(e.amountText)")
            if digits == 0 { #expect(parts.count == 1, "\(e.currency) \(e.amountText)") }
            else { #expect(parts.count == 2 && parts[1].count == digits, "\(e.currency) \(e.amountText)") }
            if e.amountIsNumber { numbers += 1 }
            perCurrency[e.currency, default: 0] += 1
        }
        // Some (about 10%) as JSON numbers, most as strings; 0-, 2- and 3-digit currencies all occur.
        let share = Double(numbers) / Double(d.events.count)
        #expect(share > 0.07 && share < 0.13)
        for code in ["EUR", "GBP", "USD", "JPY", "BHD", "KWD"] { #expect(perCurrency[code, default: 0] > 100, "\(code)") }
    }

    @Test func timestampsAreNonDecreasingAndInsideThePeriod() {
        let d = Dataset.shared
        let start = d.config.startEpochMillis
        let end = start + Int64(d.config.days) * 86_400_000
        for (a, b) in zip(d.events, d.events.dropFirst()) {
            #expect(a.timestampMillis <= b.timestampMillis, "\(a.timestamp) > \(b.timestamp)")
        }
        #expect(d.events.allSatisfy { $0.timestampMillis >= start && $0.timestampMillis < end })
    }

    @Test func labelsCanBeStrippedAndWrittenSeparately() throws {
        let sim = try TransactionSimulator(config: Self.small)
        var n = 0
        for tx in sim {
            let line = tx.jsonLine(includeLabels: false)
            let obj = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
            #expect(obj["is_fraud"] == nil && obj["fraud_type"] == nil && obj["lookalike"] == nil)
            var label: [UInt8] = []
            tx.appendLabelLine(to: &label)
            let l = try #require(try JSONSerialization.jsonObject(with: Data(label)) as? [String: Any])
            #expect(l["transaction_id"] as? String == obj["transaction_id"] as? String)
            #expect(l["is_fraud"] as? Bool == tx.isFraud)
            #expect((l["fraud_type"] as? String) == tx.fraudType?.rawValue)
            n += 1
        }
        #expect(n > 1000)
    }

    @Test func maxEventsStopsExactly() throws {
        var c = Self.small
        c.maxEvents = 12_345
        #expect(Array(try TransactionSimulator(config: c)).count == 12_345)
    }

    @Test func invalidConfigsAreRejected() {
        var c = SimulatorConfig()
        c.currencies = ["EUR", "XYZ"]
        #expect(throws: SimulatorConfigError.unknownCurrency("XYZ")) { try TransactionSimulator(config: c) }
        c = SimulatorConfig()
        c.countries = ["ZZ"]
        #expect(throws: SimulatorConfigError.unknownCountry("ZZ")) { try TransactionSimulator(config: c) }
        c = SimulatorConfig()
        c.fraudRate = 1.5
        #expect(throws: SimulatorConfigError.self) { try TransactionSimulator(config: c) }
        c = SimulatorConfig()
        c.accounts = 0
        #expect(throws: SimulatorConfigError.nonPositive(field: "accounts", value: 0)) { try TransactionSimulator(config: c) }
        c = SimulatorConfig()
        c.scenarioWeights = ["phishing": 1]
        #expect(throws: SimulatorConfigError.unknownFraudType("phishing")) { try TransactionSimulator(config: c) }
    }

    @Test func configRoundTripsThroughCodable() throws {
        var c = Self.small
        c.maxEvents = 10
        let back = try JSONDecoder().decode(SimulatorConfig.self, from: JSONEncoder().encode(c))
        #expect(back == c)
        let partial = try JSONDecoder().decode(SimulatorConfig.self, from: Data(#"{"seed": 7, "accounts": 50}"#.utf8))
        var expected = SimulatorConfig()
        expected.seed = 7
        expected.accounts = 50
        #expect(partial == expected)
    }
}

/// Byte-for-byte regression against a committed stream, so a platform (libm, Foundation) or code
/// change that alters output is caught. Regenerate after an intended change with:
/// `txguard simulate --quiet --seed 42 --accounts 60 --days 4 --fraud-rate 0.1 --events 300 -o Tests/TxGuardSimulatorTests/Fixtures/golden-seed42.jsonl`
@Suite struct GoldenOutputTests {
    @Test func matchesCommittedStream() throws {
        let url = try #require(Bundle.module.url(forResource: "golden-seed42", withExtension: "jsonl", subdirectory: "Fixtures"))
        let golden = try [UInt8](Data(contentsOf: url))
        var c = SimulatorConfig()
        c.seed = 42
        c.accounts = 60
        c.days = 4
        c.fraudRate = 0.1
        c.maxEvents = 300
        var out: [UInt8] = []
        for tx in try TransactionSimulator(config: c) { tx.appendJSONLine(to: &out, includeLabels: true) }
        // Report the first differing line, not two 100 kB arrays.
        let ours = String(decoding: out, as: UTF8.self).split(separator: "\n")
        let theirs = String(decoding: golden, as: UTF8.self).split(separator: "\n")
        #expect(ours.count == theirs.count)
        if let i = zip(ours, theirs).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset {
            Issue.record("line \(i + 1) differs:\n ours:   \(ours[i])\n golden: \(theirs[i])")
        }
        let identical = out == golden
        #expect(identical, "byte-identical")
    }
}
