import ArgumentParser
import Foundation
import Logging
import TxGuardKafka
import TxGuardSimulator

/// `txguard simulate`: a seeded, realistic transaction stream with fraud ground truth, to a
/// file (JSON lines, optionally .gz), stdout, or a Kafka topic at a given rate.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Generate seeded, realistic transactions with fraud scenarios and ground-truth labels.",
        discussion: """
        Same seed and options → byte-identical output. Events are in timestamp order and follow
        schemas/transaction.v1 plus ground truth (is_fraud, fraud_type, lookalike).
        --fraud-rate is the share of accounts hit by one fraud scenario (each account is in at most
        one scenario); the share of fraudulent events is much lower (about 0.1% at the default 1%).
        Examples:
          txguard simulate --accounts 10000 --days 30 --output tx.jsonl.gz --labels labels.jsonl
          txguard simulate --events 100000 --brokers 127.0.0.1:9092 --topic tx --rate 5000
        """
    )

    @Option(help: "Number of accounts.") var accounts: Int = 10_000
    @Option(help: "Days to simulate (ignored with --events).") var days: Int = 30
    @Option(help: "Stop after this many events (the period is sized to hold them).") var events: Int?
    @Option(help: "Start of the period, RFC 3339 (e.g. 2026-11-01T00:00:00Z).") var start: String = "2026-11-01T00:00:00Z"
    @Option(help: "Fraction of accounts hit by a fraud scenario.") var fraudRate: Double = 0.01
    @Option(help: "Fraction of the other accounts given a legitimate look-alike (travel, large purchase).") var lookalikeRate: Double = 0.02
    @Option(help: ArgumentHelp("Relative scenario frequencies, e.g. card_testing=1,account_takeover=2 (others 0).", valueName: "type=w,..."))
    var scenarios: String?
    @Option(help: "Random seed.") var seed: UInt64 = 42
    @Option(help: "Comma-separated ISO 4217 currencies.") var currencies: String = "EUR,GBP,USD,JPY,BHD,KWD"
    @Option(help: "Comma-separated ISO 3166-1 alpha-2 home countries.") var countries: String = "GB,IE,DE,FR,ES,IT,NL,US,JP,BH,KW"
    @Option(help: "Mean legitimate transactions per account per day.") var perDay: Double = 2.2
    @Option(help: "Share of amounts written as JSON numbers rather than strings.") var amountNumberShare: Double = 0.1

    @Option(name: .shortAndLong, help: "Output file (JSON lines; .gz compresses); '-' is stdout. Default stdout unless --topic.")
    var output: String?
    @Option(help: "gzip level 1–9 for .gz output (1 is fastest; 6 is about 20% smaller and half as fast).") var gzipLevel: Int = 1
    @Option(help: "Also write labels {transaction_id,is_fraud,fraud_type,lookalike} per line to this file (.gz allowed).")
    var labels: String?
    @Flag(help: "Leave is_fraud/fraud_type/lookalike out of the events (use with --labels).") var noLabelsInEvents = false
    @Flag(help: "Print the plan (scenario counts) as JSON on stderr and exit.") var planOnly = false
    @Flag(help: "No progress on stderr.") var quiet = false

    @OptionGroup var kafka: KafkaConnectionOptions
    @Option(help: "Kafka topic to produce to (keyed by account_id) instead of a file.") var topic: String?
    @Option(help: "Events per second to Kafka (0 = as fast as possible).") var rate: Double = 0
    @Flag(help: "Give Kafka records the event's timestamp (CreateTime) instead of now, for time-based replay. Mind the topic's retention.ms.")
    var eventTimestamps = false

    func makeConfig() throws -> SimulatorConfig {
        var config = SimulatorConfig()
        config.seed = seed
        config.accounts = accounts
        config.days = days
        config.maxEvents = events
        config.fraudRate = fraudRate
        config.lookalikeRate = lookalikeRate
        config.meanDailyTransactions = perDay
        config.amountAsNumberShare = amountNumberShare
        config.currencies = currencies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        config.countries = countries.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).uppercased() }
        guard let startMs = RFC3339.epochMillis(start) else {
            throw ValidationError("--start \(start.debugDescription): expected RFC 3339, e.g. 2026-11-01T00:00:00Z")
        }
        config.startEpochMillis = startMs
        if let scenarios {
            var weights: [String: Double] = [:]
            for part in scenarios.split(separator: ",") {
                let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2, let w = Double(kv[1]) else { throw ValidationError("--scenarios \(part): expected type=weight") }
                weights[kv[0]] = w
            }
            config.scenarioWeights = weights
        }
        do { try config.validate() } catch { throw ValidationError(error.description) }
        return config
    }

    func run() async throws {
        let config = try makeConfig()
        let simulator: TransactionSimulator
        do { simulator = try TransactionSimulator(config: config) } catch { throw ValidationError(error.description) }
        if planOnly {
            let enc = JSONEncoder()
            enc.outputFormatting = [.sortedKeys, .prettyPrinted]
            FileHandle.standardError.write(try enc.encode(simulator.summary) + Data("\n".utf8))
            return
        }
        if topic != nil, output != nil { throw ValidationError("use either --output or --topic, not both") }
        let progress = Progress(total: simulator.estimatedEventCount, enabled: !quiet)
        let labelSink = try labels.map { try LineSink(path: $0, gzipLevel: gzipLevel) }
        let includeLabels = !noLabelsInEvents
        var labelBuffer: [UInt8] = []
        labelBuffer.reserveCapacity(1 << 20)
        var count = 0

        if let topic {
            let client = try kafka.client(environment: ProcessInfo.processInfo.environment)
            try requireBroker(client)
            var logger = Logger(label: "txguard.simulate")
            logger.logLevel = .warning
            let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
            let tracker = DeliveryTracker()
            let pacer = Pacer(rate: rate)
            for tx in simulator {
                var value = tx.jsonLine(includeLabels: includeLabels)
                value.removeLast()  // one record per event: no newline
                try producer.send(OutgoingMessage(topic: topic, key: Array(tx.accountIDBytes), value: value,
                                                  timestampMs: eventTimestamps ? tx.timestampMillis : 0), tracker: tracker)
                if let labelSink { tx.appendLabelLine(to: &labelBuffer); if labelBuffer.count >= 1 << 20 { try labelSink.write(labelBuffer); labelBuffer.removeAll(keepingCapacity: true) } }
                count += 1
                await pacer.wait(after: count)
                progress.tick(count)
            }
            let failures = await tracker.wait()
            producer.close()
            try labelSink?.write(labelBuffer)
            try labelSink?.close()
            progress.finish(count, what: "to \(topic) (\(failures.count) failed)")
            if let f = failures.first { throw f.error ?? KafkaError(code: -1, name: "UNKNOWN", message: "delivery failed") }
        } else {
            let sink = BackgroundLineWriter(sink: try LineSink(path: output ?? "-", gzipLevel: gzipLevel))
            let labelWriter = labelSink.map { BackgroundLineWriter(sink: $0) }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(1 << 20 + 4096)
            for tx in simulator {
                tx.appendJSONLine(to: &buffer, includeLabels: includeLabels)
                if labelWriter != nil { tx.appendLabelLine(to: &labelBuffer) }
                count += 1
                if buffer.count >= 1 << 20 {
                    try sink.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                    if let labelWriter { try labelWriter.write(labelBuffer); labelBuffer.removeAll(keepingCapacity: true) }
                    progress.tick(count)
                }
            }
            try sink.write(buffer)
            try sink.close()
            try labelWriter?.write(labelBuffer)
            try labelWriter?.close()
            progress.finish(count, what: "to \(output ?? "stdout")")
        }
    }
}

/// Progress on stderr at most once a second: events, events/s, ETA.
final class Progress {
    let total: Int
    let enabled: Bool
    let startNanos = monotonicNanos()
    var lastNanos = monotonicNanos()

    init(total: Int, enabled: Bool) {
        self.total = max(1, total)
        self.enabled = enabled
    }

    func tick(_ count: Int) {
        guard enabled else { return }
        let now = monotonicNanos()
        guard now - lastNanos >= 1_000_000_000 else { return }
        lastNanos = now
        let secs = Double(now - startNanos) / 1e9
        let rate = Double(count) / max(secs, 1e-9)
        let eta = Double(max(0, total - count)) / max(rate, 1e-9)
        FileHandle.standardError.write(Data(String(format: "simulate: %d events (~%.0f%%), %.0f events/s, ETA %.0f s\n",
                                                   count, 100 * Double(count) / Double(total), rate, eta).utf8))
    }

    func finish(_ count: Int, what: String) {
        guard enabled else { return }
        let secs = Double(monotonicNanos() - startNanos) / 1e9
        FileHandle.standardError.write(Data(String(format: "simulate: wrote %d events %@ in %.2f s (%.0f events/s)\n",
                                                   count, what, secs, Double(count) / max(secs, 1e-9)).utf8))
    }
}

/// Keeps a producer at a target events/s by sleeping when ahead of schedule.
struct Pacer {
    let rate: Double
    let startNanos = monotonicNanos()

    func wait(after count: Int) async {
        guard rate > 0 else { return }
        let due = startNanos + UInt64(Double(count) / rate * 1e9)
        let now = monotonicNanos()
        if due > now + 2_000_000 { try? await Task.sleep(nanoseconds: due - now) }
    }
}
