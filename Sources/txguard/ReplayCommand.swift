import ArgumentParser
import Foundation
import Logging
import TxGuardContracts
import TxGuardKafka
import TxGuardPipeline

/// `txguard replay`: scores a topic range with a throwaway consumer that never commits.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Score a topic range (by offset or timestamp) with a model, like a backtest, without touching any live consumer group.",
        discussion: """
        --from/--to take an offset (applied to every partition), an RFC 3339 timestamp, or @EPOCH_MS. The range \
        is [from, to); --to defaults to the end of each partition at start. Each partition is scored in order \
        with its own state, exactly as `run` would; a 1-partition topic holding a file's events gives the same \
        decisions as `txguard backtest --model` on that file. Nothing is committed to any group.
        Which time a timestamp range selects by (--time): `record` (default) is the Kafka record's timestamp, \
        which is the produce time unless the producer set it (`simulate --event-timestamps` does); the range is \
        found with offsets_for_times and only it is read. `event` is the transaction's own `timestamp` field: \
        every partition is read from its start (so per-account state and thresholds are those a live run had) \
        and only events inside [from, to) are reported and counted.
        """
    )

    @OptionGroup var kafka: KafkaConnectionOptions
    @Option(name: .long, help: "Topic to replay.") var topic: String
    @Option(name: .long, help: "Start: offset, RFC 3339 timestamp or @epoch-ms (default: beginning).") var from: String?
    @Option(name: .long, help: "End (exclusive): offset, RFC 3339 timestamp or @epoch-ms (default: end at start).") var to: String?
    @Option(name: .long, help: "Model file.") var model: String
    @Option(name: .long, help: "Labels, JSON lines (label.v1, or {transaction_id, is_fraud, fraud_type, lookalike}): for evaluation, and with --label-delay for the pipeline.") var labels: String?
    @OptionGroup var labelFlags: LabelFlags
    @Option(name: .long, help: "Write one JSON line per scored event here.") var scores: String?
    @Option(name: .long, help: "Write the JSON report here.") var report: String?
    @Option(name: .long, help: "Write the HTML report here.") var html: String?
    @Option(name: .long, help: "Also produce the replay's alerts to this topic (never the live alert topic, please).") var alertTopic: String?
    @Option(name: .long, help: "Directory of the MiniLM files, if the model uses them.") var modelDir: String?
    @Option(name: .long, help: "What a timestamp --from/--to selects by: record (the Kafka record timestamp; produce time unless the producer set it) or event (the transaction's own timestamp; reads each partition from its start). Default record.")
    var time: ReplayTime = .record

    enum ReplayTime: String, ExpressibleByArgument, CaseIterable { case record, event }

    func validate() throws {
        if time == .event {
            for spec in [from, to].compactMap({ $0 }) where Int64(spec) != nil {
                throw ValidationError("--time event selects by the events' timestamps: give --from/--to as RFC 3339 or @epoch-ms, not offsets")
            }
        }
    }

    func run() async throws {
        let client = try kafka.client(environment: ProcessInfo.processInfo.environment)
        try requireBroker(client)
        var logger = Logger(label: "txguard.replay")
        logger.logLevel = .warning
        let m = try ModelFile.read(path: model)
        var runtime = try ScoringRuntime.load(model: m, modelDirectory: modelDir)
        if let delay = labelFlags.labelDelay {
            guard let labels else { throw ValidationError("--label-delay needs --labels") }
            let input = try LabelFileInput.loadForReplay(labels, delay: delay)
            log(input.summary + " (joined with their transactions as they are replayed, revealed \(delay) after them)")
            runtime.labels = input.book
            runtime.supervised = labelFlags.settings()
        }
        var conf = KafkaConsumerConfiguration(client: client, groupID: "txguard-replay-\(UUID().uuidString)")
        conf.readCommitted = true
        let consumer = try KafkaConsumer(configuration: conf, logger: logger)
        defer { consumer.close() }
        guard let parts = try consumer.partitionCount(topic) else { throw ValidationError("topic \(topic) does not exist") }
        let tps = (0..<Int32(parts)).map { TopicPartition(topic, $0) }
        // --time event: read everything, report only the events inside the window.
        var window: (from: Int64, to: Int64)?
        if time == .event {
            let start = try from.map(parseTimestampMicros) ?? .min
            let end = try to.map(parseTimestampMicros) ?? .max
            window = (start, end)
        }
        let ranges = try topicRanges(consumer, tps, from: window == nil ? from : nil, to: window == nil ? to : nil)
        let total = ranges.values.reduce(0) { $0 + max(0, $1.to - $1.from) }
        let basis = window != nil ? "events whose own timestamp is in [\(from ?? "start"), \(to ?? "end")) (all records read, in order)"
            : (from ?? to).map { Int64($0) == nil ? "by record timestamp (produce time unless the producer set it; --time event selects by the events' own time)" : "by offset" } ?? "all records"
        log("replaying \(total) records of \(topic) (\(parts) partitions) with model \(m.modelVersion), \(basis); no offsets are committed")
        if total == 0, window == nil, let spec = from ?? to, Int64(spec) == nil {
            log("no record of \(topic) has a record timestamp in that range: record timestamps are produce time unless the producer set them (txguard simulate --event-timestamps); add --time event to select by the transactions' own timestamps")
        }
        var inWindow = 0
        let active = tps.filter { ranges[$0]!.to > ranges[$0]!.from }
        try consumer.assign(active.map { TopicPartitionOffset($0, offset: ranges[$0]!.from) })
        var scorers: [TopicPartition: PartitionScorer] = [:]
        for tp in active { scorers[tp] = try PartitionScorer(runtime: runtime) }
        let recorder = try ScoreRecorder(scoresPath: scores, labels: try readLabels(labels, lenient: labelFlags.labelDelay != nil))
        let producer = try alertTopic.map { _ in try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger) }
        let tracker = DeliveryTracker()
        var done = 0, deadLetters = 0
        var finished = Set<TopicPartition>()
        let started = Date()
        var lastProgress = Date.distantPast
        var idle = 0
        while finished.count < active.count && idle < 300 {
            let batch = await consumer.nextBatch(maxMessages: 5000, timeoutMs: 100)
            if batch.isEmpty { idle += 1; continue }
            idle = 0
            var byPartition: [TopicPartition: [Int]] = [:]
            for i in 0..<batch.count { byPartition[TopicPartition(batch[i].topic, batch[i].partition), default: []].append(i) }
            for (tp, idx) in byPartition.sorted(by: { $0.key < $1.key }) {
                guard let scorer = scorers[tp], let range = ranges[tp] else { continue }
                let inRange = idx.filter { batch[$0].offset < range.to }
                let inputs = inRange.map { i in
                    PartitionScorer.RecordInput(value: batch[i].value, key: batch[i].key.map(Array.init), headers: [],
                                                source: SourceContext(topic: tp.topic, partition: tp.partition, offset: batch[i].offset), emit: alertTopic != nil)
                }
                for v in scorer.judgeBatch(inputs) {
                    if let window, let tx = v.transaction, !(window.from..<window.to).contains(tx.timestampMicros) { continue }
                    inWindow += 1
                    if v.kind == .deadLetter { deadLetters += 1 } else { recorder.record(v) }
                    if let a = v.alert, let producer, let t = alertTopic {
                        try producer.send(OutgoingMessage(topic: t, key: Array(a.accountID.utf8), value: AlertEncoder.encode(a)), tracker: tracker)
                    }
                }
                done += inRange.count
                if let last = idx.last, batch[last].offset >= range.to - 1 { finished.insert(tp) }
            }
            if Date().timeIntervalSince(lastProgress) >= 1 {
                lastProgress = Date()
                let rate = Double(done) / max(Date().timeIntervalSince(started), 1e-9)
                let pct = Double(done) / Double(max(total, 1))
                let bar = String(repeating: "█", count: Int(30 * pct)).padding(toLength: 30, withPad: "░", startingAt: 0)
                log(String(format: "%@ %d/%lld (%.0f%%)  %.0f events/s  ETA %.0f s", bar, done, total, 100 * pct, rate, Double(Int(total) - done) / max(rate, 1)))
            }
        }
        recorder.close()
        if let producer { let failed = await tracker.wait(); producer.close(); if !failed.isEmpty { throw failed[0].error! } }
        let secs = Date().timeIntervalSince(started)
        log(String(format: "replayed %d records in %.2f s (%.0f/s), %d dead-lettered", done, secs, Double(done) / max(secs, 1e-9), deadLetters))
        if runtime.labels != nil { log(supervisedSummary(scorers.sorted { $0.key < $1.key }.map(\.value), recorder)) }
        guard done == Int(total) else { throw CommandFailure("replay stopped at \(done) of \(total) records (records missing from the topic?)") }
        if window != nil {
            log("\(inWindow - deadLetters) events in the time window scored (\(recorder.events.filter(\.alert).count) alerts); \(done - inWindow) records outside it only warmed the state")
        }
        if report != nil || html != nil {
            let r = try BacktestReport.build(events: recorder.events, run: RunInfo(eventsPerSecond: Double(done) / max(secs, 1e-9), wallSeconds: secs))
            try writeReports(r, json: report, html: html)
            printSummary(r) { log($0) }
        }
    }

}

import TxGuardReport

/// [from, to) per partition: `from`/`to` are an offset, an RFC 3339 timestamp or @epoch-ms
/// (timestamps resolved with offsets_for_times); defaults are the log start and the end at call time.
func topicRanges(_ c: KafkaConsumer, _ tps: [TopicPartition], from: String?, to: String?) throws -> [TopicPartition: (from: Int64, to: Int64)] {
    func resolve(_ spec: String?, _ tp: TopicPartition, default d: Int64, end: Int64) throws -> Int64 {
        guard let spec else { return d }
        if let o = Int64(spec) { return o }
        let ms: Int64
        if spec.hasPrefix("@"), let v = Int64(spec.dropFirst()) { ms = v }
        else if let date = ISO8601DateFormatter().date(from: spec) ?? { let f = ISO8601DateFormatter(); f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]; return f.date(from: spec) }() {
            ms = Int64(date.timeIntervalSince1970 * 1000)
        } else {
            throw ValidationError("\(spec.debugDescription) is not an offset, an RFC 3339 timestamp or @epoch-ms")
        }
        let found = try c.offsetsForTimes([TopicPartitionOffset(tp, offset: ms)], lookup: .automatic).first?.offset ?? -1
        return found < 0 ? end : found
    }
    var ranges: [TopicPartition: (from: Int64, to: Int64)] = [:]
    for tp in tps {
        let wm = try c.watermarks(tp)
        let start = try resolve(from, tp, default: wm.low, end: wm.high)
        let end = try resolve(to, tp, default: wm.high, end: wm.high)
        ranges[tp] = (max(start, wm.low), min(end, wm.high))
    }
    return ranges
}

/// Every record of a topic range, per partition in offset order (partition by partition), read
/// with a throwaway assign-mode consumer that never commits.
func readTopicRange(client: KafkaClientConfiguration, topic: String, from: String?, to: String?) async throws -> [KafkaMessage] {
    var logger = Logger(label: "txguard.read")
    logger.logLevel = .warning
    let c = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client, groupID: "txguard-read-\(UUID().uuidString)"), logger: logger)
    defer { c.close() }
    guard let parts = try c.partitionCount(topic) else { throw ValidationError("topic \(topic) does not exist") }
    let tps = (0..<Int32(parts)).map { TopicPartition(topic, $0) }
    let ranges = try topicRanges(c, tps, from: from, to: to)
    let active = tps.filter { ranges[$0]!.to > ranges[$0]!.from }
    let total = active.reduce(0) { $0 + Int(ranges[$1]!.to - ranges[$1]!.from) }
    try c.assign(active.map { TopicPartitionOffset($0, offset: ranges[$0]!.from) })
    var byPartition: [TopicPartition: [KafkaMessage]] = [:]
    var got = 0, idle = 0
    while got < total && idle < 300 {
        let ms = await c.nextBatch(maxMessages: 5000, timeoutMs: 100).materialize()
        if ms.isEmpty { idle += 1; continue }
        idle = 0
        for m in ms where m.offset < ranges[m.topicPartition]!.to {
            byPartition[m.topicPartition, default: []].append(m)
            got += 1
        }
    }
    guard got == total else { throw ValidationError("read \(got) of \(total) records of \(topic)") }
    return active.flatMap { byPartition[$0] ?? [] }
}

/// Microseconds since the epoch of an RFC 3339 timestamp (with or without fractional seconds) or
/// @epoch-ms; an offset (a bare integer) is returned as is (callers that need a time refuse it first).
func parseTimestampMicros(_ spec: String) throws -> Int64 {
    if let o = Int64(spec) { return o }
    if spec.hasPrefix("@"), let v = Int64(spec.dropFirst()) { return v * 1000 }
    let plain = ISO8601DateFormatter()
    let fractional = ISO8601DateFormatter()
    fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    guard let date = plain.date(from: spec) ?? fractional.date(from: spec) else {
        throw ValidationError("\(spec.debugDescription) is not an offset, an RFC 3339 timestamp or @epoch-ms")
    }
    return Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
}
