import Foundation
import Testing
@testable import TxGuardContracts

/// Dead-letter records keep the original bytes and carry the reason in headers.
@Suite struct DeadLetterTests {
    static let badValue: [UInt8] = Array(#"{"transaction_id":"t1","account_id":"a1","timestamp":"2026-11-29T12:00:00Z","amount":"12.505","currency":"EUR"}"#.utf8)

    static func make() throws -> DeadLetter {
        let source = SourceContext(topic: "payments", partition: 2, offset: 99)
        var failure: DecodeError?
        let decoder = try JSONTransactionDecoder()
        do throws(DecodeError) { _ = try decoder.decode(badValue, context: source) } catch { failure = error }
        let e = try #require(failure)
        return DeadLetter(key: Array("a1".utf8), value: badValue,
                          headers: [("traceparent", Array("00-abc-def-01".utf8)), ("bin", [0, 255, 10])], error: e, source: source)
    }

    @Test func originalBytesAndHeadersAreKeptAndReasonIsAdded() throws {
        let d = try Self.make()
        #expect(d.key == Array("a1".utf8))
        #expect(d.value == Self.badValue)
        #expect(d.headers[0].name == "traceparent" && d.headers[0].value == Array("00-abc-def-01".utf8))
        #expect(d.headers[1].name == "bin" && d.headers[1].value == [0, 255, 10])
        #expect(d.header("txguard.error.code") == "invalid_amount")
        #expect(d.header("txguard.error.message") == #"amount "12.505": more fractional digits than EUR allows (2)"#)
        #expect(d.header("txguard.error.path") == "/amount")
        #expect(d.header("txguard.source.topic") == "payments")
        #expect(d.header("txguard.source.partition") == "2")
        #expect(d.header("txguard.source.offset") == "99")
        #expect(d.header("txguard.schema.version") == "1")
        #expect(d.headers.count == 9)
    }

    @Test func fileSourceOmitsCoordinates() {
        let e = DecodeError(code: .emptyPayload, message: "empty payload")
        let d = DeadLetter(key: nil, value: nil, headers: [], error: e, source: .unknown)
        #expect(d.header("txguard.source.topic") == nil)
        #expect(d.headers.map(\.name) == ["txguard.error.code", "txguard.error.message", "txguard.schema.version"])
    }

    @Test func jsonLineCarriesTheBytesInBase64() throws {
        let d = try Self.make()
        let object = try JSONSerialization.jsonObject(with: Data(d.jsonLine())) as! [String: Any]
        #expect(Data(base64Encoded: object["value_base64"] as! String).map(Array.init) == Self.badValue)
        #expect(Data(base64Encoded: object["key_base64"] as! String).map(Array.init) == Array("a1".utf8))
        let headers = object["headers"] as! [[String: String]]
        #expect(Data(base64Encoded: headers[1]["value_base64"]!).map(Array.init) == [0, 255, 10])
        #expect((object["error"] as! [String: Any])["code"] as? String == "invalid_amount")
        for n in 0..<7 {
            let bytes = [UInt8](0..<UInt8(n))
            #expect(Data(base64Encoded: Base64.encode(bytes)).map(Array.init) == bytes)
        }
    }

    /// schemas/examples/dead-letter.jsonl is `make().jsonLine()` (regenerate with TXGUARD_REGENERATE_EXAMPLES=1).
    @Test func committedExampleIsEncoderOutput() throws {
        let url = TestSupport.repoFile("schemas/examples/dead-letter.jsonl")
        var line = try Self.make().jsonLine()
        line.append(UInt8(ascii: "\n"))
        if ProcessInfo.processInfo.environment["TXGUARD_REGENERATE_EXAMPLES"] == "1" { try Data(line).write(to: url) }
        #expect(Array(try Data(contentsOf: url)) == line)
    }
}
