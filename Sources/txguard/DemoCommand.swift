import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TxGuardContracts
import TxGuardKafka
import TxGuardPipeline
import TxGuardService
import TxGuardSimulator

/// `txguard demo` (what `make demo` runs): everything in one process, on a local mock broker.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "End-to-end demo: local broker, simulated transactions, training, the live monitor, alerts, a report.",
        discussion: """
        1. starts a local Kafka (librdkafka's mock cluster) with topics transactions, alerts, dead-letters;
        2. simulates accounts with habits, fraud scenarios and legitimate look-alikes;
        3. trains a model on the first half of the history;
        4. runs the monitor service (the same code as `txguard run`) while the second half is produced at a \
        steady rate, with a few malformed records mixed in;
        5. a simulated analyst closes each alert (fraud or false positive) an hour after the transaction, and \
        chargebacks for frauds arrive two days after them, on a labels topic the monitor reads (`run --labels-topic`); \
        other events count as legitimate for the supervised layer once two days old (`run --presume-legitimate-after 2d`);
        6. prints sample alerts with their explanations, precision/recall against the simulated labels for each \
        half of the live stream beside the same events scored without labels, and writes an HTML backtest report.
        """
    )

    @Option(help: "Simulated accounts.") var accounts = 3000
    @Option(help: "Simulated days (the first half trains the model).") var days = 14
    @Option(help: "Events per second produced to the live topic.") var rate = 4000
    @Option(help: "Text embedder: minilm, hashed or none.") var text: TextSettings.Embedder = .minilm
    @Option(help: "Directory for the model, scores and reports.") var output = "out/demo"
    @Option(help: "Random seed.") var seed: UInt64 = 7

    func run() async throws {
        let t0 = Date()
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var quiet = Logger(label: "txguard.demo")
        quiet.logLevel = .critical
        say("txguard demo — local broker, simulated card transactions, live monitoring\n")

        // 1. Broker.
        let cluster = try MockCluster(brokers: 1, logger: quiet)
        for t in ["transactions", "alerts", "dead-letters", "labels", "labels.resolved"] { try cluster.createTopic(t, partitions: 4) }
        say("• local Kafka (librdkafka mock) at \(cluster.bootstrapServers), topics transactions/alerts/dead-letters/labels (4 partitions)")

        // 2. Simulated history.
        var cfg = SimulatorConfig()
        cfg.accounts = accounts
        cfg.days = days
        cfg.seed = seed
        cfg.fraudRate = 0.02
        let sim = try TransactionSimulator(config: cfg)
        var lines: [[UInt8]] = []
        var labelOf: [String: (fraud: Bool, type: String?)] = [:]
        var times: [Int64] = []
        var ids: [String] = []
        for tx in sim {
            lines.append(Array(tx.jsonLine(includeLabels: false).dropLast()))
            labelOf[tx.transactionID] = (tx.isFraud, tx.fraudType?.rawValue)
            times.append(tx.timestampMillis * 1000)
            ids.append(tx.transactionID)
        }
        let frauds = labelOf.values.filter(\.fraud).count
        say("• simulated \(lines.count) transactions of \(accounts) accounts over \(days) days (\(frauds) fraudulent, types: \(Set(labelOf.values.compactMap(\.type)).sorted().joined(separator: ", ")))")

        // 3. Train on the first half.
        let decoder = try JSONTransactionDecoder()
        let half = lines.count / 2
        let trainTx = try lines[..<half].enumerated().map { i, l in try l.withUnsafeBytes { try decoder.decode($0, context: SourceContext(offset: Int64(i))) } }
        var opts = TrainingOptions()
        opts.seed = seed
        opts.text = TextSettings(embedder: text)
        opts.progress = { say("  \($0)") }
        say("• training on the first \(half) events (text: \(text.rawValue))")
        let (model, _) = try ModelTrainer.train(trainTx, source: "demo simulation", options: opts)
        let modelPath = "\(output)/model.txg"
        try ModelFile.write(model, to: modelPath)

        // 4. The monitor, live.
        let day: Int64 = 86_400_000_000, chargebackDelay = 2 * day
        var runtime = try ScoringRuntime.load(model: model)
        let book = LabelBook()
        book.joinsTransactions = true
        runtime.labels = book
        // The analysts label only alerts, so the other legitimate events are presumed so once
        // every chargeback for them would have arrived (`run --presume-legitimate-after 2d`).
        runtime.supervised.presumeLegitimateAfterMicros = chargebackDelay
        let boot = cluster.bootstrapServers
        let client = KafkaClientConfiguration(bootstrapServers: boot)
        var cc = monitorConsumer(client, group: "txguard-demo", onMockBroker: true)
        cc.client.properties["heartbeat.interval.ms"] = "500"
        var mconf = MonitorConfiguration(consumer: cc, producer: lowLatencyProducer(client), inputTopics: ["transactions"],
                                         alertTopic: "alerts", deadLetterTopic: "dead-letters")
        mconf.batchSize = 2000
        let stateDir = "\(output)/state-\(UUID().uuidString.prefix(8))"
        let service = MonitorService(configuration: mconf,
                                     processors: PipelineProcessorFactory(runtime: runtime, alertTopic: "alerts", deadLetterTopic: "dead-letters"),
                                     stateStore: DirectoryStateStore(directory: stateDir), logger: quiet)
        let feed = LabelFeed(configuration: LabelFeed.Configuration(client: client, labelsTopic: "labels", deadLetterTopic: "dead-letters"),
                             book: book, logger: quiet)
        let group = ServiceGroup(services: [service, feed], gracefulShutdownSignals: [.sigint, .sigterm], logger: quiet)
        let live = Array(lines[half...])
        let liveTimes = Array(times[half...]), liveIDs = Array(ids[half...])
        let malformed: [[UInt8]] = [Array("{\"transaction_id\":\"broken-1\",\"amount\":\"12.00\"}".utf8), Array("not json at all".utf8),
                                    Array("{\"transaction_id\":\"t\",\"account_id\":\"a\",\"timestamp\":\"2026-11-20T10:00:00Z\",\"amount\":\"NaN\",\"currency\":\"EUR\"}".utf8)]
        say("• monitor started (group txguard-demo) with the label feed; producing \(live.count) live events at \(rate)/s plus \(malformed.count) malformed records;")
        say("  analysts close each alert an hour after its transaction, chargebacks arrive two days after a fraud;")
        say("  events without a label are presumed legitimate after those two days (run --presume-legitimate-after 2d)\n")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: quiet)
        let total = live.count + malformed.count
        let alertReader = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client, groupID: "demo-reader"), logger: quiet)
        try alertReader.assign((0..<4).map { TopicPartitionOffset("alerts", $0, offset: KafkaOffset.beginning) })

        var alerts: [Alert] = []
        let analystTracker = DeliveryTracker()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let truth = labelOf
            tasks.addTask {
                let tracker = DeliveryTracker()
                var chargebackNext = 0
                let start = Date()
                for (i, line) in live.enumerated() {
                    if i == live.count / 3 || i == live.count / 2 || i == 2 * live.count / 3 {
                        try producer.send(OutgoingMessage(topic: "transactions", key: Array("broken".utf8), value: malformed[[live.count / 3, live.count / 2, 2 * live.count / 3].firstIndex(of: i)!]), tracker: tracker)
                    }
                    let key = extractStringField(line, "account_id")
                    try producer.send(OutgoingMessage(topic: "transactions", key: key, value: line), tracker: tracker)
                    // Chargebacks: every fraud is labelled two days after it happened, once the stream is there.
                    while chargebackNext < i, liveTimes[chargebackNext] + chargebackDelay <= liveTimes[i] {
                        let id = liveIDs[chargebackNext]
                        if truth[id]?.fraud == true {
                            let l = Label(transactionID: id, isFraud: true, source: .chargeback, labeledAtMicros: liveTimes[chargebackNext] + chargebackDelay,
                                          fraudType: truth[id]?.type)
                            try producer.send(OutgoingMessage(topic: "labels", key: nil, value: l.encoded()), tracker: tracker)
                        }
                        chargebackNext += 1
                    }
                    let due = start.addingTimeInterval(Double(i) / Double(rate))
                    let wait = due.timeIntervalSinceNow
                    if wait > 0.002 { try await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
                }
                _ = await tracker.wait()
            }
            // Progress display until every event has a decision.
            var lastEvents = 0
            var lastTime = Date(), lastProgress = Date()
            while service.totals.value.events < total {
                try await Task.sleep(for: .seconds(1))
                let new = await alertReader.nextBatch(maxMessages: 5000, timeoutMs: 10).materialize().compactMap { try? AlertDecoder.decode($0.value) }
                alerts += new
                // The analysts: each alert closed as fraud or false positive an hour after its transaction.
                for a in new {
                    let l = Label(transactionID: a.transactionID, isFraud: labelOf[a.transactionID]?.fraud ?? false, source: .analyst,
                                  labeledAtMicros: a.eventTimeMicros + 3_600_000_000, alertID: a.alertID)
                    _ = try? producer.send(OutgoingMessage(topic: "labels", key: Array(a.accountID.utf8), value: l.encoded()), tracker: analystTracker)
                }
                let t = service.totals.value
                let now = Date()
                let rateNow = Double(t.events - lastEvents) / now.timeIntervalSince(lastTime)
                if t.events > lastEvents { lastProgress = now }
                lastEvents = t.events
                lastTime = now
                let bar = String(repeating: "█", count: 30 * t.events / max(total, 1)).padding(toLength: 30, withPad: "░", startingAt: 0)
                say(String(format: "  %@ %6d/%d events  %6.0f ev/s  alerts %4d  dead letters %d  lag %d", bar, t.events, total, rateNow, t.alerts, t.deadLetters, max(0, total - t.events)), sameLine: true)
                // A stall, not a slow machine, ends the wait: no decision for two minutes.
                if now.timeIntervalSince(lastProgress) > 120 { break }
            }
            say("")
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        producer.close()
        let deadline = Date().addingTimeInterval(5)
        while alerts.count < service.totals.value.alerts && Date() < deadline {
            alerts += await alertReader.nextBatch(maxMessages: 5000, timeoutMs: 200).materialize().compactMap { try? AlertDecoder.decode($0.value) }
        }
        alertReader.close()

        // 5. What happened.
        let t = service.totals.value
        if t.events < total {
            say("\n• STOPPED: no decision for two minutes; \(t.events) of \(total) events decided (\(t.normal) normal + \(t.alerts) alerts + \(t.deadLetters) dead letters)")
        } else {
            say("\n• every input has a decision: \(t.events) events = \(t.normal) normal + \(t.alerts) alerts + \(t.deadLetters) dead letters")
        }
        let unique = Dictionary(alerts.map { ($0.transactionID, $0) }, uniquingKeysWith: { a, _ in a })
        let liveFrauds = live.compactMap { l -> String? in
            guard let id = extractStringField(l, "transaction_id").map({ String(decoding: $0, as: UTF8.self) }), labelOf[id]?.fraud == true else { return nil }
            return id
        }
        let tp = unique.keys.filter { labelOf[$0]?.fraud == true }.count
        let precision = Double(tp) / Double(max(unique.count, 1)), recall = Double(tp) / Double(max(liveFrauds.count, 1))
        say(String(format: "• against the simulated labels: %d alerts, %d true frauds caught of %d → precision %.2f, recall %.2f", unique.count, tp, liveFrauds.count, precision, recall))
        var byType: [String: (Int, Int)] = [:]
        for id in liveFrauds { let ty = labelOf[id]?.type ?? "?"; byType[ty, default: (0, 0)].1 += 1; if unique[id] != nil { byType[ty, default: (0, 0)].0 += 1 } }
        for (ty, (c, n)) in byType.sorted(by: { $0.key < $1.key }) { say("    \(ty.padding(toLength: 22, withPad: " ", startingAt: 0)) caught \(c) of \(n)") }

        say("\n• sample alerts (from the alerts topic):")
        for a in unique.values.sorted(by: { $0.score > $1.score }).prefix(3) {
            let truth = labelOf[a.transactionID].map { $0.fraud ? "fraud: \($0.type ?? "?")" : "legitimate" } ?? "?"
            say(String(format: "  %@  account %@  %@ %@  score %.1f (threshold %.1f)  [simulated truth: %@]", a.transactionID, a.accountID,
                       a.amount.map { "\($0)" } ?? "?", a.currency ?? "", a.score, a.threshold, truth))
            for r in a.reasons.prefix(3) { say("      - \(r.description) [\(r.detector)]") }
        }

        // 6. Backtest report on the same live half (no labels: the unsupervised ensemble alone).
        let liveTx = try live.enumerated().map { i, l in try l.withUnsafeBytes { try decoder.decode($0, context: SourceContext(offset: Int64(i))) } }
        let labels = Dictionary(labelOf.map { ($0.key, ScoreRecorder.LabelRecord(isFraud: $0.value.fraud, fraudType: $0.value.type, lookalike: nil)) }, uniquingKeysWith: { a, _ in a })
        let result = try Backtest.run(transactions: liveTx, source: "demo-live-half", deadLetters: 0, modelPath: modelPath, trainFraction: nil,
                                      options: opts, scoresPath: "\(output)/scores.jsonl", labels: labels, ablation: true)
        try writeReports(result.report, json: "\(output)/report.json", html: "\(output)/report.html")
        if let rk = result.report.ranking { say(String(format: "\n• backtest of the live half without labels: PR-AUC %.3f, ROC-AUC %.3f", rk.averagePrecision, rk.rocAUC ?? .nan)) }
        // What the labels did: each half of the live stream, the live monitor (with the label feed)
        // beside the same events scored without labels.
        var unsupervisedAlerts = Set<String>()
        for l in (FileManager.default.contents(atPath: "\(output)/scores.jsonl") ?? Data()).split(separator: UInt8(ascii: "\n"))
        where l.firstRange(of: Array("\"alert\":true".utf8)) != nil {
            if let id = extractStringField(Array(l), "transaction_id") { unsupervisedAlerts.insert(String(decoding: id, as: UTF8.self)) }
        }
        let labelCounts = feed.counts.value
        say("• labels read by the monitor: \(labelCounts.values.reduce(0, +)) (\(labelCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))")
        for (name, range) in [("first half ", 0..<(live.count / 2)), ("second half", (live.count / 2)..<live.count)] {
            let idsInHalf = Set(liveIDs[range])
            let fraudsInHalf = idsInHalf.filter { labelOf[$0]?.fraud == true }.count
            func line(_ alerted: Set<String>, _ who: String) -> String {
                let a = alerted.intersection(idsInHalf)
                let tp = a.filter { labelOf[$0]?.fraud == true }.count
                return String(format: "%@ %4d alerts, precision %.2f, recall %.2f", who, a.count, Double(tp) / Double(max(a.count, 1)), Double(tp) / Double(max(fraudsInHalf, 1)))
            }
            say("  \(name): " + line(Set(unique.keys), "with labels:") + "   |   " + line(unsupervisedAlerts, "without:"))
        }
        say("• model \(model.modelVersion): \(modelPath); report: \(output)/report.html")
        say(String(format: "• done in %.0f s", Date().timeIntervalSince(t0)))
        try? FileManager.default.removeItem(atPath: stateDir)
    }
}

/// Progress lines overwrite each other on a terminal; elsewhere (CI logs) every fifth is printed.
private func say(_ s: String, sameLine: Bool = false) {
    if sameLine && isatty(1) == 0 {
        progressLines += 1
        guard progressLines % 5 == 1 else { return }
        FileHandle.standardOutput.write(Data((s + "\n").utf8))
        return
    }
    FileHandle.standardOutput.write(Data(((sameLine ? "\r" : "") + s + (sameLine ? "" : "\n")).utf8))
}
nonisolated(unsafe) private var progressLines = 0
