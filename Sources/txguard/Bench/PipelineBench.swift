import ArgumentParser
import CKafkaLoop
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TxGuardContracts
import TxGuardKafka
import TxGuardPipeline
import TxGuardService
import TxGuardSimulator

/// `txguard bench pipeline`: the whole per-event pipeline, alone and end to end through a broker.
struct PipelineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Pipeline throughput (scorer alone; the monitor service through the mock broker vs a C consume loop) and produce-to-decision latency at a fixed rate."
    )

    @Option(help: "Text embedder: hashed, minilm or none.") var text: TextSettings.Embedder = .hashed
    @Option(help: "Events scored (simulated, after training on as many).") var events = 200_000
    @Option(help: "Partitions of the input topic.") var partitions = 64
    @Option(help: "Rate for the latency run (events/s).") var rate = 5000
    @Option(help: "Seconds of the latency run.") var latencySeconds = 10

    func run() async throws {
        var quiet = Logger(label: "bench")
        quiet.logLevel = .critical
        print("txguard bench pipeline: text=\(text.rawValue), \(events) events, \(partitions) partitions")
        // Data: simulated transactions; train on the first part.
        var cfg = SimulatorConfig()
        cfg.accounts = 20_000
        cfg.maxEvents = events * 2
        cfg.days = 60
        let lines = try TransactionSimulator(config: cfg).map { Array($0.jsonLine(includeLabels: false).dropLast()) }
        let decoder = try JSONTransactionDecoder()
        let train = try lines[..<min(50_000, lines.count / 2)].map { l in try l.withUnsafeBytes { try decoder.decode($0, context: .unknown) } }
        var opts = TrainingOptions()
        opts.text = TextSettings(embedder: text)
        let (model, _) = try ModelTrainer.train(train, source: "bench", options: opts)
        let runtime = try ScoringRuntime.load(model: model)
        let live = Array(lines[(lines.count - events)...])

        // 1. Scorer alone, one core, batches of 1000.
        let scorer = try PartitionScorer(runtime: runtime)
        let t0 = monotonicNanos()
        let lat = Self.judgeInChunks(live[...], scorer: scorer, emit: true)
        print(BenchResult(name: "scorer alone (decode..alert), 1 core", operations: live.count, seconds: Double(monotonicNanos() - t0) / 1e9, latenciesNanos: lat).line + "  [per event, per 1000-batch]")

        // 2. End to end through the mock broker: C consume loop vs the monitor service.
        let cluster = try MockCluster(brokers: 1, logger: quiet)
        let boot = cluster.bootstrapServers
        for t in ["in", "alerts", "dlq"] { try cluster.createTopic(t, partitions: t == "in" ? partitions : 4) }
        let client = KafkaClientConfiguration(bootstrapServers: boot)
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: quiet)
        let tracker = DeliveryTracker()
        for l in live { try producer.send(OutgoingMessage(topic: "in", key: extractStringField(l, "account_id"), value: l), tracker: tracker) }
        _ = await tracker.wait()
        var err = [CChar](repeating: 0, count: 512)
        var bytes: Int64 = 0
        let c0 = monotonicNanos()
        let got = ckl_consume(boot, "in", Int32(partitions), Int64(live.count), &bytes, &err, err.count)
        let cSeconds = Double(monotonicNanos() - c0) / 1e9
        guard got == live.count else { throw ValidationError("C consume: \(cErrorText(err))") }
        print(BenchResult(name: "C librdkafka consume loop (baseline)", operations: live.count, seconds: cSeconds).line)

        let cpu0 = processCPUSeconds()
        // A fresh runtime: the text embedding cache starts cold, as in a newly started service.
        let (svcSeconds, _, _) = try await runService(boot: boot, group: "bench", runtime: try ScoringRuntime.load(model: model),
                                                      until: live.count, quiet: quiet)
        let cpu = processCPUSeconds() - cpu0
        print(BenchResult(name: "monitor service end to end (consume..commit)", operations: live.count, seconds: svcSeconds).line
              + String(format: "  = %.0f%% of the C loop, CPU %.1f s", 100 * cSeconds / svcSeconds, cpu))

        // 3. Latency at a fixed rate: from the producer's send to the moment the monitor's decision
        // is final (its outputs acknowledged by the broker and its offset stored). Each record
        // carries its send time (monotonic ns) in a header.
        try cluster.createTopic("lat", partitions: 8)
        let probe = LatencyProbe()
        let total = rate * latencySeconds
        // The first second warms up (partition fetchers start, caches fill) and is not measured.
        let warmup = rate
        let feed = Array(live.prefix(total + warmup))
        let ready = Locked(false)
        // The service here has been running: its text cache has seen the traffic before the live
        // part (not the live events themselves, which would make every lookup a hit).
        let latencyRuntime = try ScoringRuntime.load(model: model)
        let before = lines[..<(lines.count - events)]
        _ = Self.judgeInChunks(before, scorer: try PartitionScorer(runtime: latencyRuntime), emit: false)
        async let service = runService(boot: boot, group: "lat", runtime: latencyRuntime, until: feed.count, topic: "lat", probe: probe, ready: ready, quiet: quiet)
        while !ready.value { try await Task.sleep(for: .milliseconds(20)) }
        let start = Date()
        let t2 = DeliveryTracker()
        let p2 = try KafkaProducer(configuration: lowLatencyProducer(client), logger: quiet)
        for (i, l) in feed.enumerated() {
            let sent = i < warmup ? 0 : monotonicNanos()
            try p2.send(OutgoingMessage(topic: "lat", key: extractStringField(l, "account_id"), value: l,
                                        headers: [KafkaHeader(LatencyProbe.header, withUnsafeBytes(of: sent.littleEndian, Array.init))]), tracker: t2)
            let wait = start.addingTimeInterval(Double(i + 1) / Double(rate)).timeIntervalSinceNow
            if wait > 0.001 { try await Task.sleep(for: .microseconds(Int(wait * 1e6))) }
        }
        _ = await t2.wait()
        let (_, _, cpuAtRate) = try await service
        p2.close()
        producer.close()
        let l = probe.values
        print(BenchResult(name: "send->final decision latency at \(rate)/s", operations: l.count, seconds: Double(latencySeconds), latenciesNanos: l).line
              + String(format: "  [outputs acknowledged, offset stored]  CPU %.0f%% of one core", 100 * cpuAtRate))
        print(String(format: "peak RSS %.0f MiB", peakRSSMiB()))
    }

    /// Judges `lines` in order, 1000 records per `judgeBatch`; returns each chunk's time per record (ns).
    private static func judgeInChunks(_ lines: ArraySlice<[UInt8]>, scorer: PartitionScorer, emit: Bool) -> [Double] {
        var perRecord: [Double] = []
        for start in stride(from: lines.startIndex, to: lines.endIndex, by: 1000) {
            let chunk = lines[start..<min(start + 1000, lines.endIndex)]
            let s = monotonicNanos()
            // The inputs point into the chunk's arrays, which stay alive (and unmoved) meanwhile.
            withExtendedLifetime(chunk) {
                _ = scorer.judgeBatch(chunk.map { l in
                    l.withUnsafeBytes { PartitionScorer.RecordInput(value: $0, key: nil, headers: [], source: .unknown, emit: emit) }
                })
            }
            perRecord.append(Double(monotonicNanos() - s) / Double(chunk.count))
        }
        return perRecord
    }

    /// Runs the monitor until `until` events were decided; returns the seconds taken from the
    /// first event (from start with a probe), the alerts, and the process CPU used per second.
    private func runService(boot: String, group: String, runtime: ScoringRuntime, until: Int, topic: String = "in",
                            probe: LatencyProbe? = nil, ready: Locked<Bool>? = nil, quiet: Logger) async throws -> (Double, Int, Double) {
        let client = KafkaClientConfiguration(bootstrapServers: boot)
        let conf = MonitorConfiguration(consumer: monitorConsumer(client, group: group, onMockBroker: true),
                                        producer: lowLatencyProducer(client), inputTopics: [topic], alertTopic: "alerts", deadLetterTopic: "dlq")
        let factory = PipelineProcessorFactory(runtime: runtime, alertTopic: "alerts", deadLetterTopic: "dlq")
        let service = MonitorService(configuration: conf, processors: factory, stateStore: nil, logger: quiet)
        if let probe { service.acknowledgedBatches.value = { batch in probe.record(batch) } }
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [], logger: quiet)
        let t0 = monotonicNanos()
        let cpu0 = processCPUSeconds()
        var firstEvent: UInt64?
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            while service.rebalanceCount == 0 { try await Task.sleep(for: .milliseconds(5)) }
            ready?.value = true
            while service.totals.value.events < until {
                if firstEvent == nil && service.totals.value.events > 0 { firstEvent = monotonicNanos() }
                try await Task.sleep(for: .milliseconds(2))
            }
            let seconds = Double(monotonicNanos() - (probe == nil ? (firstEvent ?? t0) : t0)) / 1e9
            let cpu = (processCPUSeconds() - cpu0) / (Double(monotonicNanos() - t0) / 1e9)
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return (seconds, service.totals.value.alerts, cpu)
        }
    }
}

/// Records, per event, the time from its send (a monotonic-ns header) to its final decision.
final class LatencyProbe: Sendable {
    static let header = "bench.sent.ns"
    private let m = Mutex<[Double]>([])
    func record(_ batch: KafkaMessageBatch) {
        let now = monotonicNanos()
        var out: [Double] = []
        for i in 0..<batch.count {
            guard let h = batch[i].headers.first(where: { $0.name == Self.header }), h.value.count == 8 else { continue }
            let sent = h.value.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
            if sent > 0 && now >= sent { out.append(Double(now - sent)) }
        }
        m.withLock { $0 += out }
    }
    var values: [Double] { m.withLock { $0 } }
}
