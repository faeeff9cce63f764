import ArgumentParser
import Foundation
import Logging
import TxGuardKafka

/// `txguard consume`: prints records of a topic (all partitions), without joining or committing
/// to any consumer group.
struct ConsumeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consume",
        abstract: "Print a topic's records (partition, offset, key, value) without touching any consumer group."
    )

    @OptionGroup var kafka: KafkaConnectionOptions
    @Option(name: .long, help: "Topic to read.") var topic: String
    @Flag(name: .long, help: "Start at the beginning of each partition (default: only new records).") var fromBeginning = false
    @Option(name: .long, help: "Stop after this many records.") var count: Int?
    @Option(name: .long, help: "Stop after this many seconds without a record.") var idleTimeout: Double?

    func run() async throws {
        let client = try kafka.client(environment: ProcessInfo.processInfo.environment)
        var logger = Logger(label: "txguard.consume")
        logger.logLevel = .warning
        var conf = KafkaConsumerConfiguration(client: client, groupID: "txguard-consume-\(UUID().uuidString)")
        conf.readCommitted = true
        let consumer = try KafkaConsumer(configuration: conf, logger: logger)
        defer { consumer.close() }
        guard let partitions = try consumer.partitionCount(topic) else { throw ValidationError("topic \(topic) does not exist") }
        try consumer.assign((0..<Int32(partitions)).map { TopicPartitionOffset(topic, $0, offset: fromBeginning ? KafkaOffset.beginning : KafkaOffset.end) })
        var seen = 0
        var lastRecord = Date()
        while count.map({ seen < $0 }) ?? true {
            if let idle = idleTimeout, Date().timeIntervalSince(lastRecord) > idle { break }
            let batch = await consumer.nextBatch(maxMessages: 500, timeoutMs: 200)
            for m in batch.materialize() {
                let key = m.key.map { String(decoding: $0, as: UTF8.self) } ?? "null"
                print("\(m.topic)[\(m.partition)]@\(m.offset) key=\(key) \(String(decoding: m.value, as: UTF8.self))")
                seen += 1
                lastRecord = Date()
                if let c = count, seen >= c { break }
            }
        }
    }
}
