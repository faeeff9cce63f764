import Foundation
import Logging
import Testing
@testable import TxGuardKafka
import TxGuardTestSupport

@Suite(.timeLimit(.minutes(2)))
struct ProducerTests {
    @Test func everyRecordAcknowledgedAndOrderKeptPerPartition() async throws {
        let cluster = try TestCluster()
        let topic = try cluster.topic(partitions: 4)
        let producer = try cluster.producer()
        let sent = messages(topic: topic, count: 2000)
        let reports = try await producer.sendBatch(sent)
        #expect(reports.count == 2000)
        #expect(reports.allSatisfy { $0.isSuccess && $0.offset >= 0 })
        producer.close()

        let consumer = try cluster.consumer()
        try consumer.assign((0..<4).map { TopicPartitionOffset(topic, $0, offset: KafkaOffset.beginning) })
        let got = await drain(consumer, count: 2000)
        #expect(got.count == 2000)
        // Keys and headers round-trip byte for byte.
        let bySeq = Dictionary(uniqueKeysWithValues: got.map { (String(decoding: $0.header("seq") ?? [], as: UTF8.self), $0) })
        for (i, m) in sent.enumerated() {
            let r = try #require(bySeq["\(i)"])
            #expect(r.key == m.key)
            #expect(r.value == m.value)
            #expect(r.headers == m.headers)
        }
        // Same key -> same partition, and per partition the send order is kept.
        var partitionOfKey: [[UInt8]: Int32] = [:]
        var lastSeq: [Int32: Int] = [:]
        for m in got.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            let key = try #require(m.key)
            if let p = partitionOfKey[key] { #expect(p == m.partition) } else { partitionOfKey[key] = m.partition }
            let seq = Int(String(decoding: m.header("seq")!, as: UTF8.self))!
            #expect(seq > (lastSeq[m.partition] ?? -1))
            lastSeq[m.partition] = seq
        }
        consumer.close()
    }

    @Test func nullKeyAndEmptyValueRoundTrip() async throws {
        let cluster = try TestCluster()
        let topic = try cluster.topic(partitions: 1)
        let producer = try cluster.producer()
        let r = try await producer.send(OutgoingMessage(topic: topic, key: nil, value: [], timestampMs: 1_700_000_000_123))
        #expect(r.offset == 0)
        let consumer = try cluster.consumer()
        try consumer.assign([TopicPartitionOffset(topic, 0, offset: KafkaOffset.beginning)])
        let got = await drain(consumer, count: 1)
        #expect(got.first?.key == nil)
        #expect(got.first?.value == [])
        #expect(got.first?.timestampMs == 1_700_000_000_123)
        consumer.close()
    }

    @Test func rejectedPropertyReportsLibrdkafkaText() throws {
        let cluster = try TestCluster()
        #expect {
            _ = try cluster.producer { $0.client.properties["no.such.property"] = "1" }
        } throws: { error in
            let e = try #require(error as? KafkaError)
            return e.message.contains("no.such.property") && e.message.contains("No such configuration property")
        }
        #expect {
            _ = try cluster.producer { $0.compression = "rot13" }
        } throws: { error in
            (error as? KafkaError)?.message.contains("compression.type") == true
        }
    }

    @Test func passwordsNeverAppearInErrorsOrDescriptions() throws {
        let sec = KafkaSecurity(securityProtocol: "SASL_SSL", saslMechanism: "PLAIN", saslUsername: "u", saslPassword: "hunter2")
        #expect(!sec.description.contains("hunter2"))
        #expect(sec.description.contains("sasl.password=[redacted]"))
        // A rejected property whose name says "password" is reported by name, its value redacted.
        var c = KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1", security: sec))
        c.client.properties["bogus.password"] = "hunter2-bis"
        do {
            _ = try KafkaProducer(configuration: c, logger: quietLogger("p"))
            Issue.record("expected the unknown property to be rejected")
        } catch {
            #expect("\(error)".contains("bogus.password=[redacted]"))
            #expect(!"\(error)".contains("hunter2"))
        }
    }
    /// `--kafka-property` settings reach only the clients they belong to: a consumer setting makes
    /// no producer warn, and a producer setting no consumer (librdkafka's own scope table decides).
    @Test func clientPropertiesGoOnlyToTheClientsTheyBelongTo() throws {
        #expect(PropertyScope.of("max.poll.interval.ms") == .consumer)
        #expect(PropertyScope.of("linger.ms") == .producer)
        #expect(PropertyScope.of("socket.keepalive.enable") == .both)
        let client = KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1", properties: [
            "max.poll.interval.ms": "600000", "fetch.wait.max.ms": "5", "linger.ms": "2", "socket.keepalive.enable": "true",
        ])
        let records = RecordedLogs()
        var logger = Logger(label: "test.scope") { _ in records }
        logger.logLevel = .debug
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: logger)
        producer.close()
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client, groupID: "scope"), logger: logger)
        consumer.close()
        let warnings = records.messages.filter { $0.contains("will be ignored") }
        #expect(warnings.isEmpty, "\(warnings)")
    }
}
