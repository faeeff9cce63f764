import Foundation
import Testing
@testable import TxGuardKafka

/// Faults injected through librdkafka's mock API: nothing is lost, retriable errors are retried,
/// permanent ones surface as typed errors, and nothing hangs (every test has a time limit).
@Suite(.timeLimit(.minutes(2)))
struct FaultTests {
    @Test func retriableProduceErrorsAreRetriedAndEverythingIsDelivered() async throws {
        let cluster = try TestCluster()
        let topic = try cluster.topic(partitions: 1)
        // NOT_LEADER_FOR_PARTITION, REQUEST_TIMED_OUT, NOT_ENOUGH_REPLICAS: all retriable.
        cluster.mock.pushRequestErrors(apiKey: KafkaAPIKey.produce, errors: [6, 7, 19, 6])
        let producer = try cluster.producer()
        let reports = try await producer.sendBatch(messages(topic: topic, count: 200, partition: 0))
        #expect(reports.count == 200 && reports.allSatisfy(\.isSuccess))
        // Idempotence: no duplicates and no gaps despite the retries.
        #expect(reports.map(\.offset).sorted() == Array(0..<200))
        producer.close()
    }

    @Test func permanentProduceErrorSurfacesAsTypedError() async throws {
        let cluster = try TestCluster()
        let topic = try cluster.topic(partitions: 1)
        // TOPIC_AUTHORIZATION_FAILED (29) is not retriable.
        cluster.mock.pushRequestErrors(apiKey: KafkaAPIKey.produce, errors: [29])
        let producer = try cluster.producer { $0.idempotent = false }
        do {
            _ = try await producer.sendBatch([OutgoingMessage(topic: topic, partition: 0, key: nil, value: [1])])
            Issue.record("expected the delivery to fail")
        } catch let e as KafkaError {
            #expect(e.code == 29)
            #expect(e.name == "TOPIC_AUTHORIZATION_FAILED")
            #expect(!e.isRetriable)
        }
        producer.close()
    }

    @Test func brokerDownThenUpLosesNothing() async throws {
        let cluster = try TestCluster(brokers: 1)
        let topic = try cluster.topic(partitions: 2)
        let producer = try cluster.producer()
        _ = try await producer.sendBatch(messages(topic: topic, count: 10))  // connected and warmed up
        try cluster.mock.setBrokerDown(1)
        let tracker = DeliveryTracker(keepReports: true)
        for m in messages(topic: topic, count: 300) { try producer.send(m, tracker: tracker) }
        try await Task.sleep(for: .milliseconds(1500))
        #expect(tracker.pending > 0, "nothing can be acknowledged while the broker is down")
        try cluster.mock.setBrokerUp(1)
        let reports = await tracker.wait()
        #expect(reports.count == 300 && reports.allSatisfy(\.isSuccess))

        let consumer = try cluster.consumer()
        try consumer.assign([TopicPartitionOffset(topic, 0, offset: KafkaOffset.beginning), TopicPartitionOffset(topic, 1, offset: KafkaOffset.beginning)])
        let got = await drain(consumer, count: 310)
        #expect(got.count == 310)
        consumer.close()
        producer.close()
    }

    @Test func retriableFetchErrorsDoNotLoseRecords() async throws {
        let cluster = try TestCluster()
        let topic = try cluster.topic(partitions: 1)
        let producer = try cluster.producer()
        _ = try await producer.sendBatch(messages(topic: topic, count: 500, partition: 0))
        // NOT_LEADER_FOR_PARTITION, UNKNOWN_TOPIC_OR_PART, REQUEST_TIMED_OUT on Fetch.
        cluster.mock.pushRequestErrors(apiKey: KafkaAPIKey.fetch, errors: [6, 3, 7])
        let consumer = try cluster.consumer()
        try consumer.assign([TopicPartitionOffset(topic, 0, offset: KafkaOffset.beginning)])
        let got = await drain(consumer, count: 500)
        #expect(got.map(\.offset) == Array(0..<500))
        consumer.close()
        producer.close()
    }

    @Test func commitFailureIsReportedNotSwallowed() async throws {
        let cluster = try TestCluster()
        let topic = try cluster.topic(partitions: 1)
        let producer = try cluster.producer()
        _ = try await producer.sendBatch(messages(topic: topic, count: 5, partition: 0))
        let consumer = try cluster.consumer()
        try consumer.assign([TopicPartitionOffset(topic, 0, offset: KafkaOffset.beginning)])
        _ = await drain(consumer, count: 5)
        // GROUP_AUTHORIZATION_FAILED (30): permanent.
        cluster.mock.pushRequestErrors(apiKey: KafkaAPIKey.offsetCommit, errors: [30])
        #expect(throws: KafkaError.self) { try consumer.commit([TopicPartitionOffset(topic, 0, offset: 5)]) }
        // The next commit goes through and is visible.
        try consumer.commit([TopicPartitionOffset(topic, 0, offset: 5)])
        #expect(try consumer.committed([TopicPartition(topic, 0)]).first?.offset == 5)
        consumer.close()
        producer.close()
    }
}
