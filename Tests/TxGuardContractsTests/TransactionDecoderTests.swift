import Foundation
import Testing
@testable import TxGuardContracts
import TxGuardTestSupport

/// Accepted inputs: every field's interpretation, checked against independent computations.
@Suite struct TransactionDecoderTests {
    let decoder = try! JSONTransactionDecoder()

    /// Epoch microseconds of an RFC 3339 string computed by Foundation (the independent reference).
    func foundationMicros(_ text: String) -> Int64 {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        let date = f.date(from: text) ?? plain.date(from: text)!
        return Int64((date.timeIntervalSince1970 * 1000).rounded()) * 1000
    }

    @Test func canonicalExampleDecodesEveryField() throws {
        let bytes = Array(try Data(contentsOf: TestSupport.repoFile("schemas/examples/transaction.canonical.json")))
        let t = try decoder.decode(bytes, context: SourceContext(topic: "tx", partition: 0, offset: 5))
        #expect(t.transactionID == "tx-2026-11-29-000184")
        #expect(t.accountID == "acct-7F3A91")
        #expect(t.timestampMicros == foundationMicros("2026-11-29T13:04:11.482+01:00"))
        #expect(t.amount == Money(minorUnits: 24990, exponent: 2))
        #expect(t.amount.description == "249.90")
        #expect(t.amountValue == 249.9)
        #expect(t.currency == "EUR")
        #expect(t.merchantName == "Müller Elektro GmbH")
        #expect(t.merchantCategory == "5732")
        #expect(t.description == "Kopfhörer \"Studio\" 2x")
        #expect(t.country == "DE")
        #expect(t.channel == "pos")
        #expect(t.cardID == "tok_4f9a22c1")
        #expect(t.deviceID == "term-0042")
        #expect(t.label == false)
        #expect(t.fraudType == nil)
        #expect(t.unknownFields.names == ["loyalty", "pos_entry_mode"])
        let parsed = t.unknownFields.parsed()
        #expect((parsed["loyalty"] as? [String: Any])?["tier"] as? String == "gold")
        #expect(parsed["pos_entry_mode"] as? String == "chip")
    }

    @Test func minimalExampleWithEpochMillisAndIntegerIDs() throws {
        let bytes = Array(try Data(contentsOf: TestSupport.repoFile("schemas/examples/transaction.minimal.json")))
        let t = try decoder.decode(bytes)
        #expect(t.transactionID == "918273645")
        #expect(t.timestampMicros == 1_764_421_451_482_000)
        #expect(t.timestampMillis == 1_764_421_451_482)
        #expect(t.amount == Money(minorUnits: 12800, exponent: 0))
        #expect(t.unknownFields.isEmpty)
        #expect(t.unknownFields.jsonObject == Array("{}".utf8))
    }

    @Test(arguments: [
        ("2026-11-29T12:00:00Z", "2026-11-29T12:00:00Z"),
        ("2026-11-29t12:00:00.5z", "2026-11-29T12:00:00.5Z"),
        ("2026-11-29 12:00:00.123456-05:30", "2026-11-29T12:00:00.123456-05:30"),
        ("2024-02-29T23:59:59.999+14:00", "2024-02-29T23:59:59.999+14:00"),
        ("2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z"),
        ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
    ])
    func rfc3339Timestamps(_ input: String, _ reference: String) throws {
        let t = try decoder.decode(TestSupport.document("\"x\":0").replacing(Array("2026-11-29T12:00:00Z".utf8), with: Array(input.utf8)))
        // Foundation resolves to milliseconds; compare at microsecond precision where Foundation is exact.
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let normalized = reference.contains(".") ? reference : reference.replacingOccurrences(of: "Z", with: ".000Z")
            .replacingOccurrences(of: ":00-", with: ":00.000-").replacingOccurrences(of: ":00+", with: ":00.000+")
        if let date = f.date(from: normalized) {
            let ms = Int64((date.timeIntervalSince1970 * 1000).rounded())
            #expect(t.timestampMicros / 1000 == ms, "\(input)")
        }
        if input.contains(".123456") { #expect(t.timestampMicros % 1_000_000 == 123_456) }
    }

    @Test func rfc3339RoundTripAgainstFoundationOverManyInstants() throws {
        var rng = SplitMix64(seed: 7)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        for _ in 0..<2000 {
            let micros = Int64(rng.next() % UInt64(Timestamps.maxMicros))
            let text = Timestamps.rfc3339(micros: micros)
            let parsed = try Array(text.utf8).withUnsafeBufferPointer { b in try Timestamps.parseRFC3339(b.baseAddress!, 0, b.count) }
            #expect(parsed == micros, "\(text)")
            let date = try #require(f.date(from: text), "\(text)")
            #expect(abs(Int64((date.timeIntervalSince1970 * 1_000_000).rounded()) - micros) < 2_000, "\(text)")
        }
    }

    @Test func epochUnits() throws {
        let s = try JSONTransactionDecoder(mapping: FieldMapping([.timestamp: FieldSource(epochUnit: .seconds)]))
        #expect(try s.decode(TestSupport.document().replacing(Array("\"2026-11-29T12:00:00Z\"".utf8), with: Array("1764417600.25".utf8))).timestampMicros == 1_764_417_600_250_000)
        let us = try JSONTransactionDecoder(mapping: FieldMapping([.timestamp: FieldSource(epochUnit: .microseconds)]))
        #expect(try us.decode(TestSupport.document().replacing(Array("\"2026-11-29T12:00:00Z\"".utf8), with: Array("1764417600123456".utf8))).timestampMicros == 1_764_417_600_123_456)
        // Digit strings count as epoch time too.
        #expect(try decoder.decode(TestSupport.document().replacing(Array("2026-11-29T12:00:00Z".utf8), with: Array("1764417600123".utf8))).timestampMicros == 1_764_417_600_123_000)
    }

    @Test(arguments: [
        ("\"12.50\"", "EUR", 1250, 2), ("12.5", "EUR", 1250, 2), ("\"12.500\"", "EUR", 1250, 2),
        ("1.25e1", "EUR", 1250, 2), ("\"1250E-2\"", "EUR", 1250, 2), ("0", "EUR", 0, 2), ("-0.00", "EUR", 0, 2),
        ("\"0e400\"", "EUR", 0, 2), ("12800", "JPY", 12800, 0), ("\"1.250\"", "BHD", 1250, 3), ("1.2345", "CLF", 12345, 4),
        ("1000000000000", "EUR", 100_000_000_000_000, 2), ("0.01", "USD", 1, 2), ("\"99999999.99\"", "KWD", 99_999_999_990, 3),
    ] as [(String, String, Int64, Int)])
    func exactAmounts(_ literal: String, _ currency: String, _ minor: Int64, _ exponent: Int) throws {
        let t = try decoder.decode(TestSupport.document(amount: literal, currency: "\"\(currency)\""))
        #expect(t.amount == Money(minorUnits: minor, exponent: exponent))
        #expect(t.amount.decimalValue == Decimal(string: t.amount.description)!)
    }

    @Test func moneyDescription() {
        #expect(Money(minorUnits: 5, exponent: 3).description == "0.005")
        #expect(Money(minorUnits: -5, exponent: 3).description == "-0.005")
        #expect(Money(minorUnits: 1250, exponent: 0).description == "1250")
        #expect(Money(minorUnits: 100, exponent: 2).description == "1.00")
        #expect(Money(minorUnits: Int64.min + 1, exponent: 2).description == "-92233720368547758.07")
    }

    @Test func negativeAmountsAndMagnitudeAreConfigurable() throws {
        let refunds = try JSONTransactionDecoder(limits: DecodeLimits(allowNegativeAmounts: true))
        #expect(try refunds.decode(TestSupport.document(amount: "-5.00")).amount == Money(minorUnits: -500, exponent: 2))
        let small = try JSONTransactionDecoder(limits: DecodeLimits(maxAmountMajorUnits: 1000))
        #expect(try small.decode(TestSupport.document(amount: "1000")).amount.minorUnits == 100_000)
        do { _ = try small.decode(TestSupport.document(amount: "1000.01")); Issue.record("accepted") } catch {
            #expect(error.code == .invalidAmount)
            #expect(error.path == "/amount")
        }
    }

    /// Every ISO 4217 code in the independent reference fixture is handled with its exponent.
    @Test func everyReferenceCurrencyHasTheReferenceExponent() throws {
        let data = try Data(contentsOf: TestSupport.fixtureURL("reference/iso4217.json"))
        let table = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(table.count == ISO4217.allCodes.count)
        for (code, exponent) in table {
            let doc = TestSupport.document(amount: "\"1\"", currency: "\"\(code)\"")
            if let e = exponent as? Int {
                let t = try decoder.decode(doc)
                #expect(t.amount.exponent == e, "\(code)")
                #expect(t.amount.minorUnits == Money.powersOfTen[e], "\(code)")
                #expect(ISO4217.minorUnitDigits(code) == e)
            } else {
                #expect(throws: DecodeError.self, "\(code) has no minor unit") { try decoder.decode(doc) }
                #expect(ISO4217.isKnown(code))
            }
        }
    }

    /// Exactly the two-letter codes of the independent reference fixture are accepted as countries.
    @Test func countriesMatchTheReferenceExactly() throws {
        let data = try Data(contentsOf: TestSupport.fixtureURL("reference/iso3166.json"))
        let reference = Set(try JSONSerialization.jsonObject(with: data) as! [String])
        #expect(reference.count == 249)
        var accepted: Set<String> = []
        for a in UInt8(ascii: "A")...UInt8(ascii: "Z") {
            for b in UInt8(ascii: "A")...UInt8(ascii: "Z") {
                let code = String(decoding: [a, b], as: UTF8.self)
                if (try? decoder.decode(TestSupport.document("\"country\":\"\(code)\""))) != nil { accepted.insert(code) }
            }
        }
        #expect(accepted == reference)
    }

    @Test func escapesAreResolved() throws {
        let t = try decoder.decode(TestSupport.document(#""merchant_name":"Caf\u00e9 \ud83d\ude00 \"Q\" \\ \/ \b\f\n\r\t","account_id2":1"#))
        #expect(t.merchantName == "Café 😀 \"Q\" \\ / \u{8}\u{c}\n\r\t")
    }

    @Test func nullOptionalFieldsAreAbsentAndMCCIsPadded() throws {
        let t = try decoder.decode(TestSupport.document(#""country":null,"merchant_category":742,"label":1,"is_fraud":true,"fraud_type":"ato""#))
        #expect(t.country == nil)
        #expect(t.merchantCategory == "0742")
        #expect(t.label == true)
        #expect(t.fraudType == "ato")
    }

    /// Amounts written by binary floating-point serializers (the double nearest 420.06 printed in
    /// full) are read as the minor units they stand for and marked rounded; real sub-minor-unit
    /// precision is still refused.
    @Test func binaryFloatNoiseIsRoundedAndRealPrecisionRefused() throws {
        let refunds = try JSONTransactionDecoder(limits: DecodeLimits(allowNegativeAmounts: true))
        let noisy: [(String, String, Int64)] = [("420.06000000000006", "BRL", 42006), ("89.39999999999998", "BRL", 8940),
                                           ("\"0.30000000000000004\"", "EUR", 30), ("1.0150000000000001", "KWD", 1015),
                                           ("-5.000000000000001", "EUR", -500)]
        for (literal, currency, minor) in noisy {
            let t = try refunds.decode(TestSupport.document(amount: literal, currency: "\"\(currency)\""))
            #expect(t.amount.minorUnits == minor, "\(literal) \(currency)")
            #expect(t.amountRoundedFromBinaryFloat, "\(literal) is marked rounded")
        }
        let exact = try decoder.decode(TestSupport.document(amount: "420.06", currency: "\"BRL\""))
        #expect(!exact.amountRoundedFromBinaryFloat)
        let precise: [(String, String)] = [("12.345", "BRL"), ("12.3450000001", "BRL"), ("0.001", "EUR"), ("1e-20", "EUR"),
                                           ("123456789012.00000001", "EUR"), ("1.0001", "JPY")]
        for (literal, currency) in precise {
            do {
                _ = try decoder.decode(TestSupport.document(amount: literal, currency: "\"\(currency)\""))
                Issue.record("\(literal) \(currency) accepted")
            } catch {
                #expect(error.code == .invalidAmount, "\(literal) \(currency)")
            }
        }
        // Closed form: sums of two cent amounts, printed as Swift (shortest round-trip) doubles,
        // decode to the exact sum of the cents, noisy or not.
        var rng = SplitMix64(seed: 11)
        var roundedCount = 0
        for _ in 0..<2000 {
            let a = Int64(rng.next() % 500_000), b = Int64(rng.next() % 500_000)
            let literal = "\(Double(a) / 100 + Double(b) / 100)"
            let t = try decoder.decode(TestSupport.document(amount: literal, currency: "\"EUR\""))
            #expect(t.amount.minorUnits == a + b, "\(literal)")
            if t.amountRoundedFromBinaryFloat { roundedCount += 1 }
        }
        #expect(roundedCount > 100, "the sums include float noise (\(roundedCount) of 2000)")
    }

    @Test func errorsCarryPathSourceAndAReadableMessage() throws {
        let mapping = FieldMapping([.amount: FieldSource(path: "/payment/amount/value")])
        let d = try JSONTransactionDecoder(mapping: mapping)
        let doc = Array(#"{"transaction_id":"t","account_id":"a","timestamp":1,"currency":"EUR","payment":{"amount":{"value":"12.505"}}}"#.utf8)
        do {
            _ = try d.decode(doc, context: SourceContext(topic: "payments", partition: 3, offset: 42))
            Issue.record("accepted")
        } catch {
            #expect(error.code == .invalidAmount)
            #expect(error.path == "/payment/amount/value")
            #expect(error.description == #"invalid_amount at /payment/amount/value byte 100 (payments/3@42): amount "12.505": more fractional digits than EUR allows (2)"#)
        }
    }

    @Test func syntaxErrorsNameTheByteAndReadWell() throws {
        let source = SourceContext(topic: "payments", partition: 0, offset: 7)
        func failure(_ text: String) -> DecodeError? {
            do { _ = try decoder.decode(Array(text.utf8), context: source); return nil } catch { return error }
        }
        #expect(failure(#"{"transaction_id":"t1" "x":1}"#)?.description
            == "malformed_json byte 23 (payments/0@7): expected ',' or '}', found '\"'")
        #expect(failure(#"{"amount":NaN}"#)?.description
            == "malformed_json byte 10 (payments/0@7): NaN and Infinity are not JSON values")
        #expect(failure(#"{"a":"\ud800"}"#)?.description
            == "invalid_escape byte 6 (payments/0@7): \\ud800 is a high surrogate not followed by a low surrogate")
        #expect(failure("[1]")?.description == "invalid_type at (document) byte 0 (payments/0@7): the document must be a JSON object")
    }

    @Test func duplicateAlongANestedMappedPathIsRejected() throws {
        let d = try JSONTransactionDecoder(mapping: FieldMapping([.amount: FieldSource(path: "/payment/amount")]))
        let doc = Array(#"{"transaction_id":"t","account_id":"a","timestamp":1,"currency":"EUR","payment":{"amount":1,"amount":2}}"#.utf8)
        do { _ = try d.decode(doc); Issue.record("accepted") } catch {
            #expect(error.code == .duplicateKey)
            #expect(error.path == "/payment/amount")
        }
    }

    @Test func unknownFieldsCanBeDropped() throws {
        let d = try JSONTransactionDecoder(limits: DecodeLimits(keepUnknownFields: false))
        #expect(try d.decode(TestSupport.document(#""memo":"x""#)).unknownFields.isEmpty)
    }

    @Test func manyUnknownFieldsAndTheirDuplicates() throws {
        let members = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let t = try decoder.decode(TestSupport.document(members))
        #expect(t.unknownFields.count == 40)
        #expect(t.unknownFields.names == (0..<40).map { "k\($0)" })
        do { _ = try decoder.decode(TestSupport.document(members + ",\"k3\":0")); Issue.record("accepted") } catch {
            #expect(error.code == .duplicateKey)
            #expect(error.path == "/k3")
        }
    }
}

extension Array where Element == UInt8 {
    func replacing(_ old: [UInt8], with new: [UInt8]) -> [UInt8] {
        guard let r = firstRange(of: old) else { return self }
        var copy = self
        copy.replaceSubrange(r, with: new)
        return copy
    }
}
