import Synchronization
import Foundation
import Logging
import Testing
@testable import TxGuardKafka
import TxGuardTestSupport

/// A fresh in-process mock cluster with helpers to make clients against it.
final class TestCluster: @unchecked Sendable {
    let mock: MockCluster
    init(brokers: Int = 1) throws {
        mock = try MockCluster(brokers: brokers, logger: quietLogger("mock"))
    }
    var bootstrap: String { mock.bootstrapServers }

    func topic(_ name: String = "t-\(UUID().uuidString.prefix(8))", partitions: Int) throws -> String {
        try mock.createTopic(name, partitions: partitions)
        return name
    }

    func producer(_ configure: (inout KafkaProducerConfiguration) -> Void = { _ in }) throws -> KafkaProducer {
        var c = KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: bootstrap))
        configure(&c)
        return try KafkaProducer(configuration: c, logger: quietLogger("producer"))
    }

    func consumer(group: String = "g-\(UUID().uuidString.prefix(8))",
                  _ configure: (inout KafkaConsumerConfiguration) -> Void = { _ in },
                  onRebalance: (@Sendable (RebalanceEvent) -> Void)? = nil) throws -> KafkaConsumer {
        var c = KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: bootstrap), groupID: group)
        c.sessionTimeoutMs = 6000
        c.client.properties["heartbeat.interval.ms"] = "500"
        configure(&c)
        return try KafkaConsumer(configuration: c, logger: quietLogger("consumer"), onRebalance: onRebalance)
    }

    /// A one-partition topic holding `count` records (`messages`), and a consumer assigned to its
    /// beginning; the caller closes the producer.
    func filledTopic(records count: Int) async throws -> (topic: String, producer: KafkaProducer, consumer: KafkaConsumer) {
        let topic = try self.topic(partitions: 1)
        let producer = try self.producer()
        _ = try await producer.sendBatch(messages(topic: topic, count: count, partition: 0), keepReports: false)
        let c = try self.consumer()
        try c.assign([TopicPartitionOffset(topic, 0, offset: KafkaOffset.beginning)])
        return (topic, producer, c)
    }
}


func messages(topic: String, count: Int, keys: Int = 7, partition: Int32? = nil) -> [OutgoingMessage] {
    (0..<count).map { i in
        OutgoingMessage(topic: topic, partition: partition, key: Array("key-\(i % keys)".utf8), value: Array("value-\(i)".utf8),
                        headers: [KafkaHeader("seq", "\(i)"), KafkaHeader("bin", [0, 255, UInt8(i % 256)])])
    }
}

/// Polls until `count` records arrived or `timeout` passes; returns them in arrival order.
func drain(_ consumer: KafkaConsumer, count: Int, timeout: Duration = .seconds(30), commitEach: Bool = false) async -> [KafkaMessage] {
    var out: [KafkaMessage] = []
    let deadline = ContinuousClock.now + timeout
    while out.count < count && ContinuousClock.now < deadline {
        let batch = await consumer.nextBatch(maxMessages: 500, timeoutMs: 100)
        let ms = batch.materialize()
        out += ms
        if commitEach, !ms.isEmpty {
            try? consumer.storeOffsets(nextOffsets(ms))
        }
    }
    return out
}

/// The next offset to read for each partition present in `ms`.
func nextOffsets(_ ms: [KafkaMessage]) -> [TopicPartitionOffset] {
    var last: [TopicPartition: Int64] = [:]
    for m in ms { last[m.topicPartition] = max(last[m.topicPartition] ?? -1, m.offset) }
    return last.map { TopicPartitionOffset($0.key, offset: $0.value + 1) }
}

/// Fails the test if `body` does not finish within `seconds`.
func withDeadline<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .seconds(seconds))
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw DeadlineExceeded(seconds: seconds)
        }
        group.cancelAll()
        return value
    }
}

struct DeadlineExceeded: Error, CustomStringConvertible {
    let seconds: Double
    var description: String { "deadline of \(seconds) s exceeded" }
}

/// A lock-protected value that closures can capture (a `Mutex` cannot be captured).
final class Locked<T: Sendable>: Sendable {
    private let m: Mutex<T>
    init(_ v: T) { m = Mutex(v) }
    func withLock<R>(_ body: (inout T) -> R) -> R { m.withLock { body(&$0) } }
    var value: T { m.withLock { $0 } }
}
