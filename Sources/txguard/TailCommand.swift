import ArgumentParser
import Foundation
import Logging
import TxGuardContracts
import TxGuardKafka

/// `txguard tail`: follows an alert topic and prints alerts for people (or as JSON lines).
struct TailCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tail",
        abstract: "Follow an alert topic and print each alert readably (or as JSON lines with --json).",
        discussion: "Reads with isolation.level=read_committed and never commits to any group. Ctrl-C stops."
    )

    @OptionGroup var kafka: KafkaConnectionOptions
    @Option(name: .long, help: "Alert topic.") var topic = "alerts"
    @Flag(name: .long, help: "Start from the beginning instead of new alerts only.") var fromBeginning = false
    @Flag(name: .long, help: "Print the alert JSON, one per line.") var json = false
    @Option(name: .long, help: "Stop after this many alerts.") var count: Int?
    @Option(name: .long, help: "Stop after this many seconds without an alert.") var idleTimeout: Double?

    func run() async throws {
        let client = try kafka.client(environment: ProcessInfo.processInfo.environment)
        try requireBroker(client)
        // On stderr, so --json output stays clean: without this line an empty topic looks like a hang.
        FileHandle.standardError.write(Data((fromBeginning
            ? "reading all alerts on \(topic) from the beginning, then waiting for new ones (Ctrl-C stops)\n"
            : "waiting for new alerts on \(topic) (use --from-beginning for earlier ones; Ctrl-C stops)\n").utf8))
        try await followTopic(client: client, topic: topic, fromBeginning: fromBeginning, count: count, idleTimeout: idleTimeout) { m in
            if json { print(String(decoding: m.value, as: UTF8.self)); return }
            do {
                print(Self.render(try AlertDecoder.decode(m.value)))
            } catch {
                print("(unreadable record at \(m.topic)[\(m.partition)]@\(m.offset): \(error))")
            }
        }
    }

    static func render(_ a: Alert) -> String {
        let time = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(a.eventTimeMicros) / 1e6))
        var s = "ALERT \(a.alertID.prefix(12))  \(time)  account \(a.accountID)  tx \(a.transactionID)"
        if let amount = a.amount { s += "  \(amount) \(a.currency ?? "")" }
        s += String(format: "\n  score %.2f (threshold %.2f)  ", a.score, a.threshold)
        s += a.detectors.map { String(format: "%@ p=%.2g", $0.name, $0.probability) }.joined(separator: "  ")
        for r in a.reasons { s += "\n  - \(r.description)  [\(r.detector), +\(String(format: "%.2f", r.contribution))]" }
        return s
    }
}
