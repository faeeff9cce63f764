import Foundation
import Testing
@testable import TxGuardContracts

enum Samples {
    static let source = SourceContext(topic: "payments.card.v1", partition: 3, offset: 1_234_567)

    static var alert: Alert {
        Alert(
            alertID: AlertID.make(source: source, transactionID: "tx-2026-11-29-000184", modelVersion: "2026.11.29-1"),
            transactionID: "tx-2026-11-29-000184", accountID: "acct-7F3A91",
            eventTimeMicros: 1_764_417_851_482_000, detectionTimeMicros: 1_764_417_851_497_311,
            score: 0.9137, threshold: 0.8521,
            detectors: [
                DetectorScore(name: "isolation_forest", score: 0.71, probability: 0.0021),
                DetectorScore(name: "ocsvm", score: 1.84, probability: 0.0140),
                DetectorScore(name: "zscore", score: 6.1, probability: 0.000_001),
            ],
            reasons: [
                AlertReason(feature: "amount_zscore_account", value: .number(6.1), contribution: 0.42, detector: "zscore",
                            description: "amount 249.90 EUR is 6.1σ above this account's mean"),
                AlertReason(feature: "new_country", value: .string("DE"), contribution: 0.18, detector: "isolation_forest",
                            description: "first transaction of this account in DE"),
                AlertReason(feature: "night_time", value: .bool(true), contribution: 0.05, detector: "ocsvm",
                            description: "\"night\" window 00:00–05:00 local"),
            ],
            modelVersion: "2026.11.29-1", source: source,
            amount: Money(minorUnits: 24990, exponent: 2), currency: "EUR")
    }
}

/// Alert ids, encoding, decoding, and the committed example.
@Suite struct AlertTests {
    @Test func fnv1a128MatchesTheReferenceVectors() throws {
        let data = try Data(contentsOf: TestSupport.fixtureURL("reference/fnv1a128.json"))
        let vectors = try JSONSerialization.jsonObject(with: data) as! [[String: String]]
        #expect(vectors.count >= 5)
        for v in vectors {
            #expect(AlertID.hex(AlertID.fnv1a128(Array(v["input"]!.utf8))) == v["hex"]!, "\(v["input"]!)")
        }
    }

    @Test func alertIDIsDeterministicAndSensitiveToItsInputs() {
        let s = Samples.source
        let a = AlertID.make(source: s, transactionID: "t", modelVersion: "m1")
        #expect(a == AlertID.make(source: s, transactionID: "other", modelVersion: "m1")) // coordinates win over the id
        #expect(a.count == 32 && a.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(a != AlertID.make(source: SourceContext(topic: s.topic, partition: 3, offset: 1_234_568), transactionID: "t", modelVersion: "m1"))
        #expect(a != AlertID.make(source: s, transactionID: "t", modelVersion: "m2"))
        let file = AlertID.make(source: .unknown, transactionID: "t", modelVersion: "m1")
        #expect(file == AlertID.hex(AlertID.fnv1a128(Array("txguard-alert-v1|tx|t|m1".utf8))))
        #expect(file != AlertID.make(source: .unknown, transactionID: "u", modelVersion: "m1"))
    }

    @Test func encodeThenDecodeGivesTheSameAlert() throws {
        let alert = Samples.alert
        let back = try AlertDecoder.decode(AlertEncoder.encode(alert))
        #expect(back == alert)
    }

    @Test func encodedFieldsReadByFoundation() throws {
        let object = try JSONSerialization.jsonObject(with: Data(AlertEncoder.encode(Samples.alert))) as! [String: Any]
        #expect(object["schema_version"] as? String == "1")
        #expect(object["event_time"] as? String == "2025-11-29T12:04:11.482000Z")
        #expect(object["detection_time"] as? String == "2025-11-29T12:04:11.497311Z")
        #expect(object["amount"] as? String == "249.90")
        #expect((object["detectors"] as? [String: [String: Double]])?["zscore"]?["probability"] == 0.000_001)
        #expect((object["source"] as? [String: Any])?["offset"] as? Int == 1_234_567)
    }

    @Test func extraFieldsAreEmbeddedVerbatim() throws {
        let t = try JSONTransactionDecoder().decode(Array(try Data(contentsOf: TestSupport.repoFile("schemas/examples/transaction.canonical.json"))))
        var alert = Samples.alert
        alert.extra = t.unknownFields
        let object = try JSONSerialization.jsonObject(with: Data(AlertEncoder.encode(alert))) as! [String: Any]
        let extra = object["extra"] as! [String: Any]
        #expect(extra["pos_entry_mode"] as? String == "chip")
        #expect((extra["loyalty"] as? [String: Any])?["points"] as? Int == 1240)
        #expect(try AlertDecoder.decode(AlertEncoder.encode(alert)).extra?.count == 2)
    }

    @Test func decoderRejectsBrokenAlerts() {
        #expect(throws: AlertDecoder.Failure.self) { try AlertDecoder.decode(Array("[]".utf8)) }
        #expect(throws: AlertDecoder.Failure.self) { try AlertDecoder.decode(Array(#"{"schema_version":"2"}"#.utf8)) }
        var bytes = AlertEncoder.encode(Samples.alert)
        bytes = bytes.replacing(Array(#""score":0.9137"#.utf8), with: Array(#""score":"high""#.utf8))
        do { _ = try AlertDecoder.decode(bytes); Issue.record("accepted") } catch { #expect(error.path == "/score") }
    }

    /// schemas/examples/alert.json is exactly what the encoder writes for `Samples.alert`
    /// (regenerate with TXGUARD_REGENERATE_EXAMPLES=1).
    @Test func committedExampleIsEncoderOutput() throws {
        let url = TestSupport.repoFile("schemas/examples/alert.json")
        var encoded = AlertEncoder.encode(Samples.alert)
        encoded.append(UInt8(ascii: "\n"))
        if ProcessInfo.processInfo.environment["TXGUARD_REGENERATE_EXAMPLES"] == "1" { try Data(encoded).write(to: url) }
        #expect(Array(try Data(contentsOf: url)) == encoded)
    }
}
