import ArgumentParser
import Foundation
import Logging
import TxGuardKafka

/// `txguard produce`: loads JSON lines (a file or stdin) into a topic, keyed by a field.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Produce JSON lines from a file or stdin to a topic, keyed by account, and wait for every acknowledgement."
    )

    @OptionGroup var kafka: KafkaConnectionOptions
    @Option(name: .long, help: "Topic to write to.") var topic: String
    @Option(name: .long, help: "Top-level JSON string field used as the record key (records of one account stay in order).")
    var keyField: String = "account_id"
    @Option(name: .long, help: "Records per second (0 = as fast as possible). A steady rate feeds a live monitor the way production traffic does.")
    var rate: Double = 0
    @Argument(help: "JSON-lines file; '-' or nothing reads stdin.") var file: String?

    func run() async throws {
        let client = try kafka.client(environment: ProcessInfo.processInfo.environment)
        try requireBroker(client)
        var logger = Logger(label: "txguard.produce")
        logger.logLevel = .warning
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        let tracker = DeliveryTracker()
        let reader = try LineReader(path: file == "-" ? nil : file)
        var count = 0
        let start = Date()
        while let line = reader.next() {
            if line.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            if rate > 0 {
                // Paced against the start, so a slow moment is caught up instead of accumulating.
                let due = start.addingTimeInterval(Double(count) / rate)
                let wait = due.timeIntervalSinceNow
                if wait > 0 { try await Task.sleep(for: .microseconds(Int64(wait * 1e6))) }
            }
            try producer.send(OutgoingMessage(topic: topic, key: extractStringField(line, keyField), value: line), tracker: tracker)
            count += 1
        }
        let failures = await tracker.wait()
        producer.close()
        let secs = Date().timeIntervalSince(start)
        FileHandle.standardError.write(Data(String(format: "produced %d records to %@ in %.2f s (%.0f/s), %d failed\n", count, topic, secs, Double(count) / max(secs, 1e-9), failures.count).utf8))
        if let f = failures.first { throw f.error ?? KafkaError(code: -1, name: "UNKNOWN", message: "delivery failed") }
    }
}

/// The raw bytes of a top-level JSON string field (no unescaping; keys are ids), nil if absent.
func extractStringField(_ json: [UInt8], _ field: String) -> [UInt8]? {
    let needle = Array("\"\(field)\"".utf8)
    guard json.count > needle.count else { return nil }
    var i = 0
    outer: while i + needle.count <= json.count {
        for j in 0..<needle.count where json[i + j] != needle[j] { i += 1; continue outer }
        var k = i + needle.count
        while k < json.count, json[k] == 32 || json[k] == 9 { k += 1 }
        guard k < json.count, json[k] == 58 else { i += 1; continue }  // ':'
        k += 1
        while k < json.count, json[k] == 32 || json[k] == 9 { k += 1 }
        guard k < json.count, json[k] == 34 else { return nil }
        let s = k + 1
        var e = s
        while e < json.count, json[e] != 34 { e += json[e] == 92 ? 2 : 1 }
        return e <= json.count ? Array(json[s..<min(e, json.count)]) : nil
    }
    return nil
}
