import Foundation
import Testing
@testable import TxGuardContracts

/// txguard's own output and the committed examples validate against schemas/ with Python's
/// `jsonschema` (scripts/validate_schema.py), and deliberately invalid documents are rejected.
@Suite(.serialized) struct SchemaValidationTests {
    func expectValid(_ schema: String, _ files: [URL]) throws {
        let (status, output) = try TestSupport.validateSchema(schema, files)
        #expect(status == 0, "\(output)")
    }

    func expectInvalid(_ schema: String, _ lines: [[UInt8]]) throws {
        let file = try TestSupport.writeTemp("invalid.jsonl", lines)
        let (status, output) = try TestSupport.validateSchema(schema, [file])
        #expect(status == 1, "\(output)")
    }

    @Test func encodedTransactionsAndExamplesAreValid() throws {
        var encoded: [[UInt8]] = []
        for system in ["card-processor", "bank-core", "wallet"] {
            let mapping = try TestSupport.mapping("schemas/examples/mapped/\(system).mapping.json")
            let decoder = try JSONTransactionDecoder(mapping: mapping, limits: DecodeLimits(allowNegativeAmounts: true))
            for line in try TestSupport.jsonLines("schemas/examples/mapped/\(system).transactions.jsonl") {
                encoded.append(TransactionEncoder.encode(try decoder.decode(line)))
            }
        }
        #expect(encoded.count == 9)
        let file = try TestSupport.writeTemp("transactions.jsonl", encoded)
        try expectValid("transaction.v1.schema.json", [
            file,
            TestSupport.repoFile("schemas/examples/transaction.canonical.json"),
            TestSupport.repoFile("schemas/examples/transaction.minimal.json"),
            TestSupport.repoFile("schemas/examples/transactions.jsonl"),
        ])
    }

    @Test func invalidTransactionsAreRejectedBySchema() throws {
        let good = TransactionEncoder.encode(try JSONTransactionDecoder().decode(TestSupport.document()))
        try expectInvalid("transaction.v1.schema.json", [good.replacing(Array(#""EUR""#.utf8), with: Array(#""EURO""#.utf8))])
        try expectInvalid("transaction.v1.schema.json", [good.replacing(Array(#""transaction_id":"t1","#.utf8), with: [])])
        try expectInvalid("transaction.v1.schema.json", [TestSupport.document(#""country":"DEU""#)])
    }

    @Test func encodedAlertsAndExampleAreValid() throws {
        var alerts: [[UInt8]] = [AlertEncoder.encode(Samples.alert)]
        var fileAlert = Samples.alert
        fileAlert.source = .unknown
        fileAlert.amount = nil
        fileAlert.currency = nil
        fileAlert.reasons = []
        fileAlert.extra = try JSONTransactionDecoder().decode(Array(try Data(contentsOf: TestSupport.repoFile("schemas/examples/transaction.canonical.json")))).unknownFields
        alerts.append(AlertEncoder.encode(fileAlert))
        let file = try TestSupport.writeTemp("alerts.jsonl", alerts)
        try expectValid("alert.v1.schema.json", [file, TestSupport.repoFile("schemas/examples/alert.json")])
    }

    @Test func invalidAlertsAreRejectedBySchema() throws {
        let good = AlertEncoder.encode(Samples.alert)
        var nan = Samples.alert
        nan.score = .nan // written as null, which the schema refuses
        var noDetectors = Samples.alert
        noDetectors.detectors = []
        try expectInvalid("alert.v1.schema.json", [AlertEncoder.encode(nan)])
        try expectInvalid("alert.v1.schema.json", [AlertEncoder.encode(noDetectors)])
        try expectInvalid("alert.v1.schema.json", [good.replacing(Array(#""schema_version":"1","#.utf8), with: [])])
    }

    @Test func deadLetterLinesAreValid() throws {
        let d = try DeadLetterTests.make()
        let empty = DeadLetter(key: nil, value: [], headers: [], error: DecodeError(code: .emptyPayload, message: "empty"), source: .unknown)
        let file = try TestSupport.writeTemp("dead.jsonl", [d.jsonLine(), empty.jsonLine()])
        try expectValid("dead-letter.v1.schema.json", [file, TestSupport.repoFile("schemas/examples/dead-letter.jsonl")])
        try expectInvalid("dead-letter.v1.schema.json", [d.jsonLine().replacing(Array("invalid_amount".utf8), with: Array("bad_amount".utf8))])
    }

    /// The schema enums and the dead-letter code list agree with the Swift tables.
    @Test func schemaEnumsMatchTheDecoderTables() throws {
        func load(_ name: String) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(contentsOf: TestSupport.repoFile("schemas/" + name))) as! [String: Any]
        }
        let tx = try load("transaction.v1.schema.json")
        let props = tx["properties"] as! [String: Any]
        let currencies = (props["currency"] as! [String: Any])["enum"] as! [String]
        #expect(Set(currencies) == Set(ISO4217.allCodes.filter { ISO4217.minorUnitDigits($0) != nil }))
        let countryOptions = (props["country"] as! [String: Any])["oneOf"] as! [[String: Any]]
        #expect(Set(countryOptions[0]["enum"] as! [String]) == Set(ISO3166.allCodes))
        let dl = try load("dead-letter.v1.schema.json")
        let error = ((dl["properties"] as! [String: Any])["error"] as! [String: Any])["properties"] as! [String: Any]
        #expect(Set((error["code"] as! [String: Any])["enum"] as! [String]) == Set(ReasonCode.allCases.map(\.rawValue)))
    }
}
