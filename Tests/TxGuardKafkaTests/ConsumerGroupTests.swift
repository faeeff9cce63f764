import Foundation
import Synchronization
import Testing
@testable import TxGuardKafka

/// Records which member processed each (partition, offset), like a pipeline would.
final class Ledger: Sendable {
    let seen = Mutex<[String: [TopicPartitionOffset]]>([:])
    /// Records whose commit failed, so they were delivered again.
    let redelivered = Mutex(0)
    func record(_ who: String, _ ms: [KafkaMessage]) {
        seen.withLock { $0[who, default: []] += ms.map { TopicPartitionOffset($0.topicPartition, offset: $0.offset) } }
    }
    var all: [TopicPartitionOffset] { seen.withLock { $0.values.flatMap { $0 } } }
    func of(_ who: String) -> [TopicPartitionOffset] { seen.withLock { $0[who] ?? [] } }
}

@Suite(.timeLimit(.minutes(3)))
struct ConsumerGroupTests {
    /// One at-least-once step: consume a batch, "process" it, store its offsets and commit them
    /// synchronously. A record counts as processed by a member only once that member's commit
    /// covering it succeeded; if the commit fails (librdkafka 2.0.2's mock answers
    /// REBALANCE_IN_PROGRESS to every commit while a group is re-forming, where a real broker
    /// accepts commits of the current generation), the record is redelivered and processed again,
    /// by whichever member owns its partition next: at-least-once, never lost.
    static func step(_ c: KafkaConsumer, _ who: String, _ ledger: Ledger) async throws -> Int {
        let batch = await c.nextBatch(maxMessages: 50, timeoutMs: 100)
        let ms = batch.materialize()
        guard !ms.isEmpty else { return 0 }
        try c.storeOffsets(nextOffsets(ms))
        do {
            try c.commit(nextOffsets(ms))
            ledger.record(who, ms)
        } catch {
            // REBALANCE_IN_PROGRESS (27) / ILLEGAL_GENERATION (22): not committed, will be redelivered.
            guard [27, 22].contains(error.code) || error.isRetriable else { throw error }
            ledger.redelivered.withLock { $0 += ms.count }
        }
        return ms.count
    }

    /// A partition paused (backpressure) when a rebalance takes it away must not come back
    /// paused: librdkafka keeps the application's pause flag across a revoke and a later
    /// re-assignment, which stranded a partition after a second member joined and left.
    @Test func aPartitionPausedWhenRevokedComesBackFetching() async throws {
        let cluster = try TestCluster()
        let topic = try cluster.topic(partitions: 4)
        let producer = try cluster.producer()
        _ = try await producer.sendBatch(messages(topic: topic, count: 400, keys: 41), keepReports: false)
        producer.close()
        let group = "g-paused"
        let a = try cluster.consumer(group: group)
        try a.subscribe([topic])
        let deadline = ContinuousClock.now + .seconds(90)
        var assigned: [TopicPartition] = []
        while assigned.count < 4 && ContinuousClock.now < deadline {
            _ = await a.nextBatch(maxMessages: 1, timeoutMs: 100).materialize()
            assigned = (try? a.assignment()) ?? []
        }
        #expect(assigned.count == 4)
        try a.pause(assigned)
        #expect(a.pausedPartitions == assigned)
        // A second member joins (everything is revoked from A, half comes back), then leaves.
        let b = try cluster.consumer(group: group)
        try b.subscribe([topic])
        while b.rebalanceEvents.isEmpty && ContinuousClock.now < deadline {
            _ = await a.nextBatch(maxMessages: 1, timeoutMs: 100).materialize()
            _ = await b.nextBatch(maxMessages: 1, timeoutMs: 100).materialize()
        }
        b.close()
        #expect(a.pausedPartitions.isEmpty, "revoked partitions are resumed before they go")
        // A owns all four again and must fetch every record of each.
        var seen = Set<TopicPartition>()
        while seen.count < 4 && ContinuousClock.now < deadline {
            for m in await a.nextBatch(maxMessages: 100, timeoutMs: 100).materialize() { seen.insert(m.topicPartition) }
        }
        #expect(seen.count == 4, "records from every partition after the re-assignment (got \(seen.sorted()))")
        a.close()
    }

    @Test(arguments: [PartitionAssignment.range, .roundrobin, .cooperativeSticky])
    func rebalanceMidRunProcessesEveryRecordExactlyOnce(strategy: PartitionAssignment) async throws {
        let cluster = try TestCluster()
        let topic = try cluster.topic(partitions: 6)
        let total = 3000
        let producer = try cluster.producer()
        _ = try await producer.sendBatch(messages(topic: topic, count: total, keys: 97), keepReports: false)
        producer.close()

        let group = "g-\(strategy.rawValue)"
        let ledger = Ledger()
        let revokedAt = Locked<[TopicPartition: Int64]>([:])
        let a = try cluster.consumer(group: group, { $0.assignment = strategy }) { event in
            if case .revoked(let tps, _, _) = event {
                // What A has processed and committed for the partitions it loses.
                let done = ledger.of("A")
                revokedAt.withLock { m in
                    for tp in tps { m[tp] = (done.filter { $0.topicPartition == tp }.map(\.offset).max() ?? -1) + 1 }
                }
            }
        }
        try a.subscribe([topic])
        var processed = 0
        let deadline = ContinuousClock.now + .seconds(60)
        while processed < 1000 && ContinuousClock.now < deadline { processed += try await Self.step(a, "A", ledger) }
        #expect(processed >= 1000)

        let b = try cluster.consumer(group: group, { $0.assignment = strategy })
        try b.subscribe([topic])
        while ledger.all.count < total && ContinuousClock.now < deadline + .seconds(60) {
            _ = try await Self.step(a, "A", ledger)
            _ = try await Self.step(b, "B", ledger)
        }

        let all = ledger.all
        #expect(all.count == total, "every record processed once (got \(all.count) of \(total), \(ledger.redelivered.withLock { $0 }) redelivered)")
        #expect(Set(all).count == all.count, "no record processed twice")
        #expect(!ledger.of("B").isEmpty, "the second member took over some partitions")
        #expect(a.rebalanceEvents.contains { if case .revoked = $0 { true } else { false } })

        // B started each partition it took from A exactly where A had stopped: A's offsets were
        // committed before the revoke completed.
        let bFirst = Dictionary(grouping: ledger.of("B"), by: \.topicPartition).mapValues { $0.map(\.offset).min()! }
        let moved = revokedAt.withLock { $0 }
        for (tp, first) in bFirst {
            if let handedOver = moved[tp] { #expect(first == handedOver, "\(tp): B began at \(first), A had stored \(handedOver)") }
        }
        // The group's committed offsets now cover the whole topic.
        let committed = try a.committed((0..<6).map { TopicPartition(topic, $0) })
        let produced = try (0..<6).map { try a.watermarks(TopicPartition(topic, $0)).high }
        #expect(committed.map(\.offset) == produced)
        a.close()
        b.close()
    }

    @Test func pauseResumeAndSeek() async throws {
        let cluster = try TestCluster()
        let topic = try cluster.topic(partitions: 2)
        let producer = try cluster.producer()
        _ = try await producer.sendBatch(messages(topic: topic, count: 20, partition: 0) + messages(topic: topic, count: 20, partition: 1))
        let c = try cluster.consumer()
        try c.assign([TopicPartitionOffset(topic, 0, offset: KafkaOffset.beginning), TopicPartitionOffset(topic, 1, offset: KafkaOffset.beginning)])
        try c.pause([TopicPartition(topic, 1)])
        let first = await drain(c, count: 20, timeout: .seconds(10))
        #expect(first.count == 20 && first.allSatisfy { $0.partition == 0 })
        // Nothing more arrives while partition 1 is paused.
        let none = await c.nextBatch(maxMessages: 100, timeoutMs: 500)
        #expect(none.isEmpty)
        try c.resume([TopicPartition(topic, 1)])
        let second = await drain(c, count: 20, timeout: .seconds(10))
        #expect(second.count == 20 && second.allSatisfy { $0.partition == 1 })
        try c.seek([TopicPartitionOffset(topic, 0, offset: 15)])
        let again = await drain(c, count: 5, timeout: .seconds(10))
        #expect(again.map(\.offset) == [15, 16, 17, 18, 19])
        #expect(try c.position([TopicPartition(topic, 0)]).first?.offset == 20)
        c.close()
        producer.close()
    }

    /// A batch larger than the poll's 1,024-record chunk: filled chunk by chunk up to exactly
    /// `maxMessages`, in offset order, and the rest comes in the next batch, none lost or repeated.
    @Test func aBatchLargerThanOneChunkFillsToItsCapInOrder() async throws {
        let cluster = try TestCluster()
        let (_, producer, c) = try await cluster.filledTopic(records: 3000)
        // The fill time only bounds the wait: the batch returns as soon as it holds 2,500.
        let first = await c.nextBatch(maxMessages: 2500, timeoutMs: 30_000, fillMs: 30_000).materialize()
        #expect(first.count == 2500)
        #expect(first.map(\.offset) == (0..<2500).map(Int64.init))
        let rest = await drain(c, count: 500, timeout: .seconds(30))
        #expect(rest.map(\.offset) == (2500..<3000).map(Int64.init))
        let none = await c.nextBatch(maxMessages: 2500, timeoutMs: 200)
        #expect(none.isEmpty)
        c.close()
        producer.close()
    }

    /// The loop's own-thread poll (`pollOnCallersThread`, what `MonitorService` uses at a steady
    /// rate): records in offset order, none lost or repeated across polls; an empty poll waits its
    /// timeout out (a lower bound, which load cannot break); a close from another thread while a
    /// poll may be running (the test does not force the overlap) neither crashes nor hangs, and
    /// later polls return nothing.
    @Test func pollingOnTheCallersThreadTakesEveryRecordInOrderAndYieldsToClose() async throws {
        let cluster = try TestCluster()
        let (_, producer, c) = try await cluster.filledTopic(records: 700)
        var got: [Int64] = []
        var idlePolls = 0
        // Stops on lack of progress (50 empty polls in a row), not on a wall-clock total.
        while got.count < 700 && idlePolls < 50 {
            let ms = c.pollOnCallersThread(maxMessages: 256, timeoutMs: 100).materialize()
            #expect(ms.count <= 256)
            idlePolls = ms.isEmpty ? idlePolls + 1 : 0
            got += ms.map(\.offset)
        }
        #expect(got == (0..<700).map(Int64.init))
        let waitStart = ContinuousClock.now
        #expect(c.pollOnCallersThread(maxMessages: 256, timeoutMs: 50).isEmpty)
        #expect(ContinuousClock.now - waitStart >= .milliseconds(45))
        let closer = Thread { c.close() }
        let polling = Task.detached { c.pollOnCallersThread(maxMessages: 10, timeoutMs: 1_000).isEmpty }
        closer.start()
        #expect(await polling.value)
        while !closer.isFinished { try await Task.sleep(for: .milliseconds(10)) }
        #expect(c.pollOnCallersThread(maxMessages: 10, timeoutMs: 1_000).isEmpty)
        producer.close()
    }

    @Test func offsetsForTimesReturnsFirstOffsetAtOrAfterTimestamp() async throws {
        let cluster = try TestCluster()
        let topic = try cluster.topic(partitions: 1)
        let producer = try cluster.producer()
        let base: Int64 = 1_700_000_000_000
        let ms = (0..<10).map { i in OutgoingMessage(topic: topic, partition: 0, key: nil, value: [UInt8(i)], timestampMs: base + Int64(i) * 1000) }
        _ = try await producer.sendBatch(ms)
        let c = try cluster.consumer()
        let q = [base - 5, base, base + 2500, base + 9000, base + 9001].map { TopicPartitionOffset(topic, 0, offset: $0) }
        // ts <= first -> 0; exact -> that record; between -> the next one; past the end -> end (-1).
        let expected: [Int64] = [0, 0, 3, 9, KafkaOffset.end]
        #expect(try c.offsetsForTimes(q, lookup: .automatic).map(\.offset) == expected)
        #expect(try c.offsetsForTimes(q, lookup: .scan).map(\.offset) == expected)
        // librdkafka 2.0.2's mock does not implement the broker-side lookup (answers -1): this is
        // why `.automatic` verifies a "no record" answer against the partition's last record.
        #expect(try c.offsetsForTimes(q, lookup: .broker).map(\.offset) == [-1, -1, -1, -1, -1])
        let wm = try c.watermarks(TopicPartition(topic, 0))
        #expect(wm.low == 0 && wm.high == 10)
        c.close()
        producer.close()
    }
}
