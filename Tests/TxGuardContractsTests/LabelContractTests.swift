import Foundation
import Testing
@testable import TxGuardContracts

/// The label.v1 contract: the schema, the decoder's strict reading, hostile records refused with
/// the reason a dead letter carries.
@Suite(.serialized) struct LabelContractTests {
    let decoder = LabelDecoder()

    func decode(_ s: String) throws(DecodeError) -> Label { try decoder.decode(Array(s.utf8)) }

    @Test func examplesDecodeAndValidate() throws {
        let lines = try TestSupport.jsonLines("schemas/examples/labels.jsonl")
        #expect(lines.count == 3)
        let labels = try lines.map { try decoder.decode($0) }
        #expect(labels[0].transactionID == "tx-000123" && labels[0].isFraud && labels[0].source == .chargeback)
        #expect(labels[0].entities == [.account: "acct-42"])
        #expect(labels[0].eventTimeMicros == 1_772_460_665_000_000)
        #expect(labels[1].alertID == "9f0c2b1d7e6a4c3f8b2a1d0e9c8b7a65" && !labels[1].isFraud)
        // +01:00 offset: 07:00 UTC.
        #expect(labels[2].labeledAtMicros == 1_772_521_200_000_000)
        #expect(labels[2].entities == [.merchant: "ACME Electronics", .device: "dev-77"])
        let (status, output) = try TestSupport.validateSchema("label.v1.schema.json", [TestSupport.repoFile("schemas/examples/labels.jsonl")])
        #expect(status == 0, "\(output)")
    }

    @Test func encodedLabelsRoundTripAndValidate() throws {
        let label = Label(transactionID: "t\"1", isFraud: true, source: .analyst, labeledAtMicros: 1_700_000_100_000_000,
                          eventTimeMicros: 1_700_000_000_000_000, alertID: "a1", fraudType: "ato",
                          entities: [.account: "acct", .merchant: "Shop \u{e9}", .payee: "p9"])
        let bytes = label.encoded()
        #expect(try decoder.decode(bytes) == label)
        let file = try TestSupport.writeTemp("labels.jsonl", [bytes])
        let (status, output) = try TestSupport.validateSchema("label.v1.schema.json", [file])
        #expect(status == 0, "\(output)")
    }

    @Test func schemaRejectsWhatTheDecoderRejects() throws {
        let bad = [
            #"{"transaction_id":"t","is_fraud":"yes","source":"analyst","labeled_at":"2026-01-01T00:00:00Z"}"#,
            #"{"transaction_id":"t","is_fraud":true,"source":"robot","labeled_at":"2026-01-01T00:00:00Z"}"#,
            #"{"transaction_id":"t","is_fraud":true,"source":"analyst"}"#,
            #"{"transaction_id":"","is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z"}"#,
            #"{"transaction_id":"t","is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z","entities":{"shop":"x"}}"#,
        ]
        for line in bad {
            #expect(throws: DecodeError.self) { try decode(line) }
            let file = try TestSupport.writeTemp("bad-label.jsonl", [Array(line.utf8)])
            let (status, output) = try TestSupport.validateSchema("label.v1.schema.json", [file])
            #expect(status == 1, "schema accepted \(line): \(output)")
        }
    }

    @Test(arguments: [
        (#""#, ReasonCode.emptyPayload, nil as String?),
        (#"{"transaction_id":"t","is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z""#, .malformedJSON, nil),
        (#"{"transaction_id":"t","is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z"} x"#, .malformedJSON, nil),
        (#"[1,2]"#, .invalidType, ""),
        (#"{"transaction_id":"t","transaction_id":"u","is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z"}"#, .duplicateKey, "/transaction_id"),
        (#"{"is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z"}"#, .missingField, "/transaction_id"),
        (#"{"transaction_id":7,"is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z"}"#, .invalidType, "/transaction_id"),
        (#"{"transaction_id":"t","is_fraud":1,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z"}"#, .invalidType, "/is_fraud"),
        (#"{"transaction_id":"t","is_fraud":null,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z"}"#, .missingField, "/is_fraud"),
        (#"{"transaction_id":"t","is_fraud":true,"source":"bot","labeled_at":"2026-01-01T00:00:00Z"}"#, .invalidField, "/source"),
        (#"{"transaction_id":"t","is_fraud":true,"source":"analyst","labeled_at":"yesterday"}"#, .invalidTimestamp, "/labeled_at"),
        (#"{"transaction_id":"t","is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z","event_time":"2026-01-02T00:00:00Z"}"#, .invalidField, "/labeled_at"),
        (#"{"transaction_id":"t","is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z","entities":{"shop":"x"}}"#, .invalidField, "/entities/shop"),
        (#"{"transaction_id":"t","is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z","entities":[]}"#, .invalidType, "/entities"),
        (#"{"transaction_id":"t","is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z","account_id":"a","entities":{"account":"b"}}"#, .invalidField, "/entities/account"),
        (#"{"transaction_id":"t\u0001","is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z"}"#, .invalidField, "/transaction_id"),
        (#"{"transaction_id":"t","is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z","schema_version":"label.v2"}"#, .invalidField, "/schema_version"),
        (#"{"transaction_id":"\ud800","is_fraud":true,"source":"analyst","labeled_at":"2026-01-01T00:00:00Z"}"#, .invalidEscape, nil),
    ])
    func hostileLabelsAreRefusedWithAReason(_ input: String, _ code: ReasonCode, _ path: String?) {
        do {
            let l = try decode(input)
            Issue.record("accepted \(input) as \(l)")
        } catch {
            #expect(error.code == code, "\(input): \(error)")
            if let path { #expect(error.path == path, "\(input): \(error)") }
        }
    }

    @Test func hostileBytesAreRefusedNotCrashedOn() {
        let nonUTF8: [UInt8] = Array(#"{"transaction_id":"t"#.utf8) + [0xC3, 0x28] + Array(#"","is_fraud":true}"#.utf8)
        #expect(throws: DecodeError.self) { try decoder.decode(nonUTF8) }
        do { _ = try decoder.decode(nonUTF8) } catch { #expect(error.code == .invalidUTF8) }
        let huge = Array(#"{"transaction_id":""#.utf8) + [UInt8](repeating: 0x61, count: 2 << 20) + Array(#""}"#.utf8)
        do { _ = try decoder.decode(huge); Issue.record("accepted 2 MiB") } catch { #expect(error.code == .payloadTooLarge) }
        let deep = String(repeating: "[", count: 10_000)
        do { _ = try decode(#"{"x":"# + deep); Issue.record("accepted deep nesting") } catch { #expect(error.code == .nestingTooDeep || error.code == .malformedJSON) }
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let n = Int.random(in: 0..<64, using: &rng)
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = try? decoder.decode(bytes)
        }
    }
}
