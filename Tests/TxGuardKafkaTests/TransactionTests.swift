import Foundation
import Testing
@testable import TxGuardKafka

@Suite(.timeLimit(.minutes(2)))
struct TransactionTests {
    /// Consume-transform-produce as in librdkafka's examples/transactions.c: outputs and input
    /// offsets in one transaction, committed; then one aborted.
    ///
    /// librdkafka 2.0.2's mock acknowledges TxnOffsetCommit without storing the offsets
    /// (rdkafka_mock_handlers.c, rd_kafka_mock_handle_TxnOffsetCommit), so the group's committed
    /// offset cannot be observed to move here; what is asserted is that the offsets travel inside
    /// the transaction (an error injected on TxnOffsetCommit fails `sendOffsetsToTransaction` and
    /// forces an abort, see below) and that no plain commit happened behind the transaction's back.
    @Test func consumeTransformProduceCommitAndAbort() async throws {
        let cluster = try TestCluster()
        let input = try cluster.topic(partitions: 1)
        let output = try cluster.topic(partitions: 1)
        let setup = try cluster.producer()
        _ = try await setup.sendBatch(messages(topic: input, count: 20, partition: 0))
        setup.close()

        let group = "txn-group"
        let consumer = try cluster.consumer(group: group)
        try consumer.assign([TopicPartitionOffset(input, 0, offset: KafkaOffset.beginning)])
        let txp = try cluster.producer { $0.transactionalID = "txguard-test-\(UUID().uuidString.prefix(6))" }
        try txp.initTransactions()

        // Transaction 1: first 10 inputs -> outputs, offsets to 10, commit.
        let first = await drain(consumer, count: 10)
        let firstTen = Array(first.sorted { $0.offset < $1.offset }.prefix(10))
        try txp.beginTransaction()
        _ = try await txp.sendBatch(firstTen.map { OutgoingMessage(topic: output, key: $0.key, value: Array("out-".utf8) + $0.value) })
        try txp.sendOffsetsToTransaction([TopicPartitionOffset(input, 0, offset: 10)], consumer: consumer)
        try txp.commitTransaction()
        // Nothing was committed outside the transaction (the mock does not persist the transactional one).
        #expect(try consumer.committed([TopicPartition(input, 0)]).first?.offset ?? -1 < 20)

        // Transaction 2: next inputs, offsets to 20, abort: the group's offset stays at 10.
        try txp.beginTransaction()
        _ = try await txp.sendBatch([OutgoingMessage(topic: output, key: nil, value: Array("aborted".utf8))])
        try txp.sendOffsetsToTransaction([TopicPartitionOffset(input, 0, offset: 20)], consumer: consumer)
        try txp.abortTransaction()
        #expect(try consumer.committed([TopicPartition(input, 0)]).first?.offset ?? -1 < 20)

        // Offsets go through TxnOffsetCommit: a failure there fails the call and requires abort.
        // GROUP_AUTHORIZATION_FAILED (30).
        cluster.mock.pushRequestErrors(apiKey: KafkaAPIKey.txnOffsetCommit, errors: [30])
        try txp.beginTransaction()
        _ = try await txp.sendBatch([OutgoingMessage(topic: output, key: nil, value: Array("doomed".utf8))])
        do {
            try txp.sendOffsetsToTransaction([TopicPartitionOffset(input, 0, offset: 20)], consumer: consumer)
            Issue.record("sendOffsetsToTransaction should have failed")
        } catch {
            #expect(error.code == 30 || error.requiresAbort || error.isFatal, "\(error)")
        }
        if txp.fatalError == nil {
            try txp.abortTransaction()
            // The producer is usable again after the abort.
            try txp.beginTransaction()
            _ = try await txp.sendBatch([OutgoingMessage(topic: output, key: nil, value: Array("after-abort".utf8))])
            try txp.commitTransaction()
        }

        // The committed outputs are readable.
        let reader = try cluster.consumer()
        try reader.assign([TopicPartitionOffset(output, 0, offset: KafkaOffset.beginning)])
        let outs = await drain(reader, count: 10)
        #expect(outs.prefix(10).allSatisfy { String(decoding: $0.value, as: UTF8.self).hasPrefix("out-value-") })
        reader.close()
        consumer.close()
        txp.close()
    }

    @Test func transactionalIDRejectedByBrokerIsAFatalTypedError() async throws {
        let cluster = try TestCluster()
        // TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53) on InitProducerId.
        cluster.mock.pushRequestErrors(apiKey: KafkaAPIKey.initProducerID, errors: [53])
        let txp = try cluster.producer { $0.transactionalID = "denied" }
        do {
            try txp.initTransactions(timeoutMs: 10_000)
            Issue.record("init_transactions should fail")
        } catch {
            #expect(error.code == 53, "\(error)")
            #expect(error.name == "TRANSACTIONAL_ID_AUTHORIZATION_FAILED")
            #expect(error.isFatal && !error.isRetriable)
            // The error callback (served by the producer's poll thread) records it too.
            for _ in 0..<40 where txp.fatalError == nil { try await Task.sleep(for: .milliseconds(50)) }
            #expect(txp.fatalError?.code == 53)
        }
        txp.close(flushTimeoutMs: 100)
    }
}
