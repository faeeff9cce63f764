import Foundation
import Testing
@testable import TxGuardContracts

/// Mapping configuration: validation at start, and three made-up payment systems read as they are.
@Suite struct FieldMappingTests {
    func micros(_ rfc3339: String) -> Int64 {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = f.date(from: rfc3339) ?? ISO8601DateFormatter().date(from: rfc3339)!
        return Int64((date.timeIntervalSince1970 * 1000).rounded()) * 1000
    }

    func decodeAll(_ system: String, limits: DecodeLimits = .default) throws -> [Transaction] {
        let mapping = try TestSupport.mapping("schemas/examples/mapped/\(system).mapping.json")
        let decoder = try JSONTransactionDecoder(mapping: mapping, limits: limits)
        return try TestSupport.jsonLines("schemas/examples/mapped/\(system).transactions.jsonl").enumerated().map { i, line in
            try decoder.decode(line, context: SourceContext(topic: system, partition: 0, offset: Int64(i)))
        }
    }

    @Test func cardProcessorNestedMinorUnits() throws {
        let t = try decodeAll("card-processor")
        #expect(t.count == 3)
        #expect(t[0].transactionID == "8815329842815468")
        #expect(t[0].accountID == "SHP-10293")
        #expect(t[0].timestampMicros == micros("2026-11-29T12:01:44+01:00"))
        #expect(t[0].amount == Money(minorUnits: 24990, exponent: 2))
        #expect(t[0].currency == "EUR")
        #expect(t[0].merchantName == "Zalando SE")
        #expect(t[0].merchantCategory == "5651")
        #expect(t[0].country == "DE")
        #expect(t[0].channel == "Ecommerce")
        #expect(t[0].cardID == "tok_visa_4242")
        #expect(t[0].deviceID == "fp-9f2c")
        #expect(t[0].unknownFields.names == ["eventCode"])
        #expect(t[1].amount == Money(minorUnits: 150_000, exponent: 0))
        #expect(t[1].currency == "JPY")
        #expect(t[1].merchantCategory == "5732")
        #expect(t[1].timestampMicros == micros("2026-11-29T12:02:03.250Z"))
        #expect(t[2].amount == Money(minorUnits: 12_500, exponent: 3))
        #expect(t[2].amount.description == "12.500")
    }

    @Test func bankCoreFlatNamesEpochMillisStringAmounts() throws {
        let t = try decodeAll("bank-core", limits: DecodeLimits(allowNegativeAmounts: true))
        #expect(t[0].transactionID == "FT2633401928")
        #expect(t[0].accountID == "40012345678")
        #expect(t[0].timestampMicros == 1_764_417_600_123_000)
        #expect(t[0].amount == Money(minorUnits: 150_000, exponent: 2))
        #expect(t[0].currency == "CHF")
        #expect(t[0].description == "SEPA transfer rent Dec")
        #expect(t[0].merchantName == "Immobilien Huber AG")
        #expect(t[0].country == "CH")
        #expect(t[0].channel == "online")
        #expect(t[0].label == false)
        #expect(t[0].unknownFields.names == ["branch_code", "value_date"])
        #expect(t[1].timestampMicros == 1_764_417_661_000_000)
        #expect(t[1].amount == Money(minorUnits: -7520, exponent: 2))
        #expect(t[1].channel == "branch") // default
        #expect(t[2].amount == Money(minorUnits: 9_999_999, exponent: 3))
        #expect(t[2].label == true)
    }

    @Test func bankCoreRefundIsRejectedUnlessAllowed() throws {
        let mapping = try TestSupport.mapping("schemas/examples/mapped/bank-core.mapping.json")
        let decoder = try JSONTransactionDecoder(mapping: mapping)
        let lines = try TestSupport.jsonLines("schemas/examples/mapped/bank-core.transactions.jsonl")
        do { _ = try decoder.decode(lines[1]); Issue.record("refund accepted") } catch {
            #expect(error.code == .invalidAmount)
            #expect(error.path == "/txn_amt")
        }
    }

    @Test func walletNestedGeoDefaultCurrencyEpochSeconds() throws {
        let t = try decodeAll("wallet")
        #expect(t[0].transactionID == "evt_01JDX3")
        #expect(t[0].accountID == "w_5521")
        #expect(t[0].timestampMicros == 1_764_421_200_000_000)
        #expect(t[0].amount == Money(minorUnits: 1999, exponent: 2))
        #expect(t[0].currency == "EUR") // default
        #expect(t[0].merchantName == "Spotify AB")
        #expect(t[0].country == "SE")
        #expect(t[0].deviceID == "ios-8c1e")
        #expect(t[0].channel == "p2p")
        #expect(t[0].label == false)
        #expect(t[0].unknownFields.isEmpty)
        #expect(t[1].timestampMicros == 1_764_421_260_500_000)
        #expect(t[1].amount == Money(minorUnits: 250_000, exponent: 2))
        #expect(t[1].label == true)
        #expect(t[1].fraudType == "account_takeover")
        #expect(t[1].unknownFields.names == ["risk_flags"])
        #expect(t[2].currency == "GBP")
        #expect(t[2].amount == Money(minorUnits: 320, exponent: 2))
        #expect(t[2].label == nil)
    }

    @Test(arguments: ["card-processor", "bank-core", "wallet"])
    func canonicalRoundTrip(_ system: String) throws {
        let canonical = try JSONTransactionDecoder(limits: DecodeLimits(allowNegativeAmounts: true))
        for t in try decodeAll(system, limits: DecodeLimits(allowNegativeAmounts: true)) {
            let back = try canonical.decode(TransactionEncoder.encode(t))
            #expect(back == t)
        }
    }

    @Test func missingNestedRequiredFieldNamesThePath() throws {
        let mapping = try TestSupport.mapping("schemas/examples/mapped/card-processor.mapping.json")
        let decoder = try JSONTransactionDecoder(mapping: mapping)
        let doc = Array(#"{"pspReference":"p","eventDate":"2026-11-29T12:00:00Z","shopper":{"reference":"s"},"payment":{"amount":"oops"}}"#.utf8)
        do { _ = try decoder.decode(doc); Issue.record("accepted") } catch {
            #expect(error.code == .missingField)
            #expect(error.path == "/payment/amount/currency")
        }
    }

    @Test func mappingIsCodableBothWays() throws {
        let mapping = try TestSupport.mapping("schemas/examples/mapped/wallet.mapping.json")
        let again = try JSONDecoder().decode(FieldMapping.self, from: JSONEncoder().encode(mapping))
        #expect(again == mapping)
        #expect(mapping.source(for: .timestamp).epochUnit == .seconds)
        #expect(mapping.source(for: .currency).defaultValue == .string("EUR"))
        #expect(mapping.source(for: .cardID).path == "/card_id")
    }

    @Test(arguments: [
        (#"{"amout": "/a"}"#, "amout"),
        (#"{"amount": "payment/amount"}"#, "amount.path"),
        (#"{"amount": "/a~2b"}"#, "amount.path"),
        (#"{"amount": ""}"#, "amount.path"),
        (#"{"amount": "/p", "currency": "/p/c"}"#, "amount.path"),
        (#"{"merchant_name": "/x", "description": "/x"}"#, "merchant_name.path"),
        (#"{"amount": {"default": "1"}}"#, "amount.default"),
        (#"{"currency": {"default": "EURO"}}"#, "currency.default"),
        (#"{"country": {"default": "de"}}"#, "country.default"),
        (#"{"label": {"default": "no"}}"#, "label.default"),
        (#"{"merchant_category": {"default": "12"}}"#, "merchant_category.default"),
        (#"{"channel": {"default": 5}}"#, "channel.default"),
        (#"{"amount": {"path": "/a", "epoch_unit": "s"}}"#, "amount.epoch_unit"),
        (#"{"timestamp": {"path": "/t", "amount_units": "minor"}}"#, "timestamp.amount_units"),
    ])
    func invalidMappingsAreRejectedAtStartWithTheirKey(_ json: String, _ key: String) throws {
        let mapping = try JSONDecoder().decode(FieldMapping.self, from: Data(json.utf8))
        do {
            _ = try JSONTransactionDecoder(mapping: mapping)
            Issue.record("\(json) accepted")
        } catch {
            #expect(error.key == key, "\(json): \(error)")
            #expect(!error.problem.isEmpty)
        }
    }

    @Test func limitsReadSnakeCaseWithDefaults() throws {
        let limits = try JSONDecoder().decode(DecodeLimits.self, from: Data(#"{"allow_negative_amounts": true, "max_depth": 10}"#.utf8))
        #expect(limits == DecodeLimits(maxDepth: 10, allowNegativeAmounts: true))
        #expect(try JSONDecoder().decode(DecodeLimits.self, from: JSONEncoder().encode(limits)) == limits)
    }

    @Test func invalidLimitsAreRejected() {
        #expect(throws: ConfigurationError.self) { try JSONTransactionDecoder(limits: DecodeLimits(maxDepth: 0)) }
        #expect(throws: ConfigurationError.self) { try JSONTransactionDecoder(limits: DecodeLimits(maxAmountMajorUnits: -1)) }
    }

    @Test func jsonPointerEscapesAndArrayIndices() throws {
        #expect(try JSONPointer("/a~1b/c~0d/0").tokens == ["a/b", "c~d", "0"])
        #expect(JSONPointer(tokens: ["a/b", "c~d"]).description == "/a~1b/c~0d")
        let d = try JSONTransactionDecoder(mapping: FieldMapping([.amount: FieldSource(path: "/legs/1/a~1mt")]))
        let doc = Array(#"{"transaction_id":"t","account_id":"a","timestamp":1,"currency":"EUR","legs":[{"a/mt":1},{"a/mt":"2.50"}]}"#.utf8)
        #expect(try d.decode(doc).amount == Money(minorUnits: 250, exponent: 2))
    }
}

/// Unknown fields under a custom mapping, and their canonical re-encoding.
@Suite struct UnknownFieldTests {
    @Test func escapedNamesAndCanonicalCollisionsAreHandled() throws {
        let d = try JSONTransactionDecoder(mapping: FieldMapping([.amount: FieldSource(path: "/value")]))
        // Under this mapping a top-level "amount" is just an unknown field.
        let doc = Array(#"{"transaction_id":"t","account_id":"a","timestamp":1,"currency":"EUR","value":"3.10","amount":"ignored","caf\u00e9":[1,{"x":null}]}"#.utf8)
        let t = try d.decode(doc)
        #expect(t.amount == Money(minorUnits: 310, exponent: 2))
        #expect(t.unknownFields.names == ["amount", "café"])
        #expect(t.unknownFields.jsonObject == Array(#"{"amount":"ignored","caf\u00e9":[1,{"x":null}]}"#.utf8))
        // The canonical form keeps "café" but must not emit a second "amount".
        let back = try JSONTransactionDecoder().decode(TransactionEncoder.encode(t))
        #expect(back.amount == t.amount)
        #expect(back.unknownFields.names == ["café"])
    }
}
