import Foundation
import Testing
@testable import TxGuardContracts

/// The committed bad-input corpus (Fixtures/bad/<expected_code>__<name>.json): every file is
/// rejected with exactly the reason code its name states, with a message and the source attached.
@Suite struct BadInputCorpusTests {
    static func corpusFiles() -> [String] {
        let dir = TestSupport.fixtureURL("bad")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }

    static let decoder = try! JSONTransactionDecoder()
    static let source = SourceContext(topic: "payments", partition: 7, offset: 123_456)

    @Test func corpusIsLargeAndCoversEveryReasonCode() {
        let files = Self.corpusFiles()
        #expect(files.count >= 60)
        let codes = Set(files.compactMap { $0.components(separatedBy: "__").first }.compactMap(ReasonCode.init(rawValue:)))
        // payload_too_large needs > 1 MiB, generated below instead of committed.
        #expect(codes == Set(ReasonCode.allCases).subtracting([.payloadTooLarge]))
    }

    @Test(arguments: corpusFiles())
    func rejectedWithTheExpectedCode(_ file: String) throws {
        let expected = try #require(ReasonCode(rawValue: String(file.split(separator: "_").isEmpty ? "" : file.components(separatedBy: "__")[0])))
        let bytes = try TestSupport.fixtureBytes("bad/" + file)
        do {
            let t = try Self.decoder.decode(bytes, context: Self.source)
            Issue.record("\(file) was accepted as \(t)")
        } catch {
            #expect(error.code == expected, "\(file): \(error)")
            #expect(!error.message.isEmpty)
            #expect(error.source == Self.source)
            #expect(error.description.contains("payments/7@123456"))
        }
    }

    @Test func tenMegabyteValueIsTooLarge() {
        var big = Array(#"{"transaction_id":"t1","account_id":"a1","timestamp":1,"amount":1,"currency":"EUR","memo":""#.utf8)
        big += [UInt8](repeating: UInt8(ascii: "x"), count: 10 * 1024 * 1024)
        big += Array(#""}"#.utf8)
        #expect(throws: DecodeError.self) { try Self.decoder.decode(big) }
        do { _ = try Self.decoder.decode(big) } catch { #expect(error.code == .payloadTooLarge) }
    }

    @Test func limitIsExactlyOneMebibyteByDefault() throws {
        // A valid document padded to exactly 1 MiB is accepted; one byte more is rejected.
        let head = Array(#"{"transaction_id":"t1","account_id":"a1","timestamp":1,"amount":1,"currency":"EUR","memo":""#.utf8)
        let tail = Array(#""}"#.utf8)
        let pad = (1 << 20) - head.count - tail.count
        let exact = head + [UInt8](repeating: UInt8(ascii: "y"), count: pad) + tail
        #expect(exact.count == 1 << 20)
        let t = try Self.decoder.decode(exact)
        #expect(t.unknownFields.count == 1)
        let over = head + [UInt8](repeating: UInt8(ascii: "y"), count: pad + 1) + tail
        do { _ = try Self.decoder.decode(over); Issue.record("accepted") } catch { #expect(error.code == .payloadTooLarge) }
    }

    @Test func configuredPayloadLimit() throws {
        let small = try JSONTransactionDecoder(limits: DecodeLimits(maxPayloadBytes: 64))
        do { _ = try small.decode(TestSupport.document()); Issue.record("accepted") } catch { #expect(error.code == .payloadTooLarge) }
    }

    @Test func deepNestingWithinTheLimitIsAccepted() throws {
        // 60 levels inside an unknown field (root object is level 1) stays within the default 64.
        let doc = TestSupport.document("\"x\":" + String(repeating: "[", count: 60) + String(repeating: "]", count: 60))
        let t = try Self.decoder.decode(doc)
        #expect(t.unknownFields.count == 1)
    }

    @Test func everyTruncationOfAValidDocumentIsRejectedWithoutCrashing() throws {
        let full = Array(try Data(contentsOf: TestSupport.repoFile("schemas/examples/transaction.canonical.json")))
        _ = try Self.decoder.decode(full)
        let trimmedEnd = full.lastIndex(of: UInt8(ascii: "}"))!
        for n in 0..<trimmedEnd {
            do {
                _ = try Self.decoder.decode(Array(full[0..<n]))
                Issue.record("prefix of \(n) bytes accepted")
            } catch {
                #expect([.malformedJSON, .emptyPayload, .invalidUTF8].contains(error.code), "prefix \(n): \(error)")
            }
        }
    }
}
