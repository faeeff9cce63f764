import ArgumentParser
import CKafkaLoop
import Foundation
import Logging
import TxGuardKafka

/// `txguard bench kafka`: the Swift binding against a plain C librdkafka loop, same messages,
/// same in-process mock cluster, same run.
struct KafkaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Produce/consume throughput of the Swift binding vs a plain C librdkafka loop (mock cluster).",
        discussion: """
        librdkafka's mock keeps only the last ~4-5 MB of each partition, so the messages are spread \
        over enough partitions to keep them all (messages x size / partitions should stay under ~3 MB).
        """
    )

    @Option(help: "Messages per direction per round.") var messages: Int = 1_000_000
    @Option(help: "Message value size in bytes.") var size: Int = 300
    @Option(help: "Partitions of each benchmark topic.") var partitions: Int = 128
    @Option(help: "Rounds (the median is reported).") var rounds: Int = 3

    func validate() throws {
        guard messages > 0, size > 0, partitions > 0, rounds > 0 else { throw ValidationError("all values must be positive") }
        if messages * size / partitions > 3_500_000 {
            throw ValidationError("\(messages) x \(size) B over \(partitions) partitions exceeds what the mock keeps per partition; raise --partitions")
        }
    }

    func run() async throws {
        var logger = Logger(label: "txguard.bench")
        logger.logLevel = .critical
        print("txguard bench kafka: \(messages) messages x \(size) B, \(partitions) partitions, \(rounds) rounds, 1 mock broker")
        var results: [String: [Double]] = [:]
        for round in 1...rounds {
            let cluster = try MockCluster(brokers: 1, logger: logger)
            let boot = cluster.bootstrapServers
            try cluster.createTopic("bench-c", partitions: partitions)
            try cluster.createTopic("bench-swift", partitions: partitions)

            let cp = try measure { try cProduce(boot, "bench-c") }
            let sp = try await measureAsync { try await swiftProduce(boot, "bench-swift", logger) }
            let cc = try measure { try cConsume(boot, "bench-c") }
            let sc = try await measureAsync { try await swiftConsume(boot, "bench-swift", logger, copy: false) }
            let sm = try await measureAsync { try await swiftConsume(boot, "bench-swift", logger, copy: true) }
            for (k, v) in [("produce C", cp), ("produce Swift", sp), ("consume C", cc), ("consume Swift (zero-copy)", sc), ("consume Swift (copied)", sm)] {
                results[k, default: []].append(Double(messages) / v)
            }
            print(String(format: "  round %d: produce C %.0f/s Swift %.0f/s | consume C %.0f/s Swift %.0f/s (copied %.0f/s)",
                         round, Double(messages) / cp, Double(messages) / sp, Double(messages) / cc, Double(messages) / sc, Double(messages) / sm))
        }
        func median(_ k: String) -> Double { let v = results[k]!.sorted(); return v[v.count / 2] }
        print("")
        for k in ["produce C", "produce Swift", "consume C", "consume Swift (zero-copy)", "consume Swift (copied)"] {
            print(BenchResult(name: k, operations: Int(median(k)), seconds: 1, unit: "msg").line)
        }
        print(String(format: "Swift/C produce: %.0f%%   consume: %.0f%% (zero-copy), %.0f%% (copied)   [target >= 80%%]",
                     100 * median("produce Swift") / median("produce C"),
                     100 * median("consume Swift (zero-copy)") / median("consume C"),
                     100 * median("consume Swift (copied)") / median("consume C")))

        // Per-record acknowledged latency (send one, await its delivery report), unbatched.
        let cluster = try MockCluster(brokers: 1, logger: logger)
        try cluster.createTopic("bench-latency", partitions: 1)
        var pconf = KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: cluster.bootstrapServers))
        pconf.lingerMs = 0
        let producer = try KafkaProducer(configuration: pconf, logger: logger)
        let value = [UInt8](repeating: 120, count: size)
        var lat: [Double] = []
        let t0 = monotonicNanos()
        for i in 0..<2000 {
            let s = monotonicNanos()
            _ = try await producer.send(OutgoingMessage(topic: "bench-latency", key: Array("k\(i)".utf8), value: value))
            lat.append(Double(monotonicNanos() - s))
        }
        let r = BenchResult(name: "produce+ack one at a time (linger 0)", operations: 2000, seconds: Double(monotonicNanos() - t0) / 1e9, latenciesNanos: lat, unit: "msg")
        print(r.line)
        producer.close()
        print(String(format: "CPU %.1f s, peak RSS %.0f MiB", processCPUSeconds(), peakRSSMiB()))
    }

    private func cProduce(_ boot: String, _ topic: String) throws {
        var err = [CChar](repeating: 0, count: 512)
        let n = ckl_produce(boot, topic, Int64(messages), Int32(size), &err, err.count)
        guard n == messages else { throw ValidationError("C produce: \(n) of \(messages): \(cErrorText(err))") }
    }

    private func cConsume(_ boot: String, _ topic: String) throws {
        var err = [CChar](repeating: 0, count: 512)
        var bytes: Int64 = 0
        let n = ckl_consume(boot, topic, Int32(partitions), Int64(messages), &bytes, &err, err.count)
        guard n == messages else { throw ValidationError("C consume: \(n) of \(messages): \(cErrorText(err))") }
    }

    private func swiftProduce(_ boot: String, _ topic: String, _ logger: Logger) async throws {
        var conf = KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: boot))
        conf.lingerMs = 5
        let producer = try KafkaProducer(configuration: conf, logger: logger)
        let tracker = DeliveryTracker()
        let value = [UInt8](repeating: 120, count: size)
        // Keys are formatted up front (the C loop formats into a stack buffer; not the binding's cost).
        let keys = (0..<10007).map { Array("acct-\($0)".utf8) }
        for i in 0..<messages {
            try producer.send(OutgoingMessage(topic: topic, key: keys[i % 10007], value: value), tracker: tracker)
        }
        let failures = await tracker.wait()
        producer.close()
        guard failures.isEmpty else { throw ValidationError("Swift produce: \(failures.count) failures, first: \(failures[0])") }
    }

    private func swiftConsume(_ boot: String, _ topic: String, _ logger: Logger, copy: Bool) async throws {
        var conf = KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: boot), groupID: "bench-swift")
        conf.readCommitted = false
        let consumer = try KafkaConsumer(configuration: conf, logger: logger)
        try consumer.assign((0..<Int32(partitions)).map { TopicPartitionOffset(topic, $0, offset: KafkaOffset.beginning) })
        var got = 0, bytes = 0, idle = 0
        while got < messages && idle < 300 {
            let batch = consumer.poll(maxMessages: 4096, timeoutMs: 100)
            if batch.isEmpty { idle += 1; continue }
            idle = 0
            if copy {
                for m in batch.materialize() { bytes &+= m.value.count }
            } else {
                for i in 0..<batch.count { bytes &+= batch[i].value.count }
            }
            got += batch.count
        }
        consumer.close()
        guard got == messages else { throw ValidationError("Swift consume: \(got) of \(messages)") }
        _ = bytes
    }
}

private func measure(_ body: () throws -> Void) throws -> Double {
    let t = monotonicNanos()
    try body()
    return Double(monotonicNanos() - t) / 1e9
}

private func measureAsync(_ body: () async throws -> Void) async throws -> Double {
    let t = monotonicNanos()
    try await body()
    return Double(monotonicNanos() - t) / 1e9
}
