import Foundation
import Logging
import ServiceLifecycle
import Testing
@testable import TxGuardKafka
@testable import TxGuardService

@Suite(.timeLimit(.minutes(3)))
struct MonitorServiceTests {
    /// Decisions as (input partition:offset -> alert text), independent of which member made them.
    static func alertKeys(_ ms: [KafkaMessage]) -> Set<String> { Set(ms.map { String(decoding: $0.value, as: UTF8.self) }) }

    /// Runs `service` until `done()` holds, then shuts it down gracefully.
    static func runUntil(_ service: MonitorService, timeout: Double = 60, _ done: @escaping @Sendable () async throws -> Bool) async throws {
        let group = ServiceGroup(services: [service], gracefulShutdownSignals: [], logger: quiet("group"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = Date().addingTimeInterval(timeout)
            while Date() < deadline, try await !done() { try await Task.sleep(for: .milliseconds(200)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func everyInputEndsAsNormalAlertOrDeadLetter() async throws {
        let mock = try MockCluster(brokers: 1, logger: quiet("mock"))
        let boot = mock.bootstrapServers
        for (t, p) in [("in", 4), ("alerts", 2), ("dlq", 1)] { try mock.createTopic(t, partitions: p) }
        let n = 3000
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: boot)), logger: quiet("p"))
        _ = try await producer.sendBatch(inputRecords(topic: "in", count: n), keepReports: false)
        producer.close()
        let dir = NSTemporaryDirectory() + "txg-state-\(UUID())"
        let service = makeService(bootstrap: boot, group: "acct", input: "in", alerts: "alerts", dlq: "dlq", stateDir: dir)
        try await Self.runUntil(service) { service.totals.value.events >= n }
        let t = service.totals.value
        #expect(t.events == n)
        #expect(t.normal + t.alerts + t.deadLetters == n)
        let alerts = try await readAll(boot, "alerts", partitions: 2)
        let dlq = try await readAll(boot, "dlq", partitions: 1)
        #expect(alerts.count == t.alerts)
        #expect(dlq.count == t.deadLetters)
        #expect(t.deadLetters == (0..<n).filter { $0 % 101 == 100 }.count)
        #expect(t.alerts > 100, "the planted spikes alert")
        #expect(try await waitCommitted(boot, group: "acct", topic: "in", partitions: 4, timeout: 10), "offsets committed to the end at shutdown")
    }

    /// Restart from snapshot + committed offsets: decisions equal one uninterrupted run's.
    @Test func restartAndRebalanceGiveTheSameDecisionsAsOneInstance() async throws {
        let mock = try MockCluster(brokers: 1, logger: quiet("mock"))
        let boot = mock.bootstrapServers
        for (t, p) in [("in", 4), ("a1", 1), ("a2", 1), ("dlq", 1)] { try mock.createTopic(t, partitions: p) }
        let n = 4000
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: boot)), logger: quiet("p"))
        _ = try await producer.sendBatch(inputRecords(topic: "in", count: n), keepReports: false)
        producer.close()

        // Reference: one instance, start to end.
        let refDir = NSTemporaryDirectory() + "txg-ref-\(UUID())"
        let ref = makeService(bootstrap: boot, group: "ref", input: "in", alerts: "a1", dlq: "dlq", stateDir: refDir)
        try await Self.runUntil(ref) { ref.totals.value.events >= n }
        let expected = Self.alertKeys(try await readAll(boot, "a1", partitions: 1))
        #expect(!expected.isEmpty)

        // Same input: instance A alone, then B joins (rebalance), then A stops (B takes over).
        let dir = NSTemporaryDirectory() + "txg-pair-\(UUID())"
        let a = makeService(bootstrap: boot, group: "pair", input: "in", alerts: "a2", dlq: "dlq", stateDir: dir)
        let b = makeService(bootstrap: boot, group: "pair", input: "in", alerts: "a2", dlq: "dlq", stateDir: dir)
        let ga = ServiceGroup(services: [a], gracefulShutdownSignals: [], logger: quiet("ga"))
        let gb = ServiceGroup(services: [b], gracefulShutdownSignals: [], logger: quiet("gb"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await ga.run() }
            while a.totals.value.events < 800 { try await Task.sleep(for: .milliseconds(20)) }
            tasks.addTask { try await gb.run() }
            while b.totals.value.events == 0 { try await Task.sleep(for: .milliseconds(50)) }
            await ga.triggerGracefulShutdown()
            #expect(try await waitCommitted(boot, group: "pair", topic: "in", partitions: 4, timeout: 60))
            await gb.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let got = try await readAll(boot, "a2", partitions: 1)
        // At-least-once: duplicates are possible, but the set of decisions is the reference's.
        #expect(Self.alertKeys(got) == expected)
        #expect(a.totals.value.events > 0 && b.totals.value.events > 0)
    }
}
