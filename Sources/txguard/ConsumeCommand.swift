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
        try requireBroker(client)
        try await followTopic(client: client, topic: topic, fromBeginning: fromBeginning, count: count, idleTimeout: idleTimeout) { m in
            let key = m.key.map { String(decoding: $0, as: UTF8.self) } ?? "null"
            print("\(m.topic)[\(m.partition)]@\(m.offset) key=\(key) \(String(decoding: m.value, as: UTF8.self))")
        }
    }
}

/// Reads every partition of `topic` (from the beginning or only new records) with a throwaway
/// read_committed consumer that never commits, until `count` records or `idleTimeout` seconds
/// without one (or forever).
func followTopic(client: KafkaClientConfiguration, topic: String, fromBeginning: Bool, count: Int?, idleTimeout: Double?,
                 _ handle: (KafkaMessage) -> Void) async throws {
    var logger = Logger(label: "txguard.follow")
    logger.logLevel = .warning
    var conf = KafkaConsumerConfiguration(client: client, groupID: "txguard-follow-\(UUID().uuidString)")
    conf.readCommitted = true
    let consumer = try KafkaConsumer(configuration: conf, logger: logger)
    defer { consumer.close() }
    guard let partitions = try consumer.partitionCount(topic) else { throw ValidationError("topic \(topic) does not exist") }
    try consumer.assign((0..<Int32(partitions)).map { TopicPartitionOffset(topic, $0, offset: fromBeginning ? KafkaOffset.beginning : KafkaOffset.end) })
    var seen = 0
    var last = Date()
    while count.map({ seen < $0 }) ?? true {
        if let idle = idleTimeout, Date().timeIntervalSince(last) > idle { break }
        for m in await consumer.nextBatch(maxMessages: 500, timeoutMs: 200).materialize() {
            handle(m)
            seen += 1
            last = Date()
            if let c = count, seen >= c { break }
        }
        fflush(nil)
    }
}
