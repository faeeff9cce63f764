import Foundation
import TxGuardTestSupport
import Testing
import TxGuardKafka

/// `txguard broker` as a separate process, driven like a user would: kcat (Debian's package,
/// an independent librdkafka client) reads what the binding produced and vice versa.
@Suite(.timeLimit(.minutes(2)))
struct BrokerInteropTests {
    static let kcat = "/usr/bin/kcat"

    @Test func brokerPrintsBootstrapFirstAndStopsOnSigterm() async throws {
        let dir = URL(fileURLWithPath: scratchPath("interop"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("bootstrap").path
        let broker = try ChildProcess(try txguardBinary(), ["broker", "--topic", "a", "--topic", "b", "--partitions", "5", "--bootstrap-file", file])
        let bootstrap = try await broker.firstLine()
        #expect(bootstrap.hasPrefix("127.0.0.1:"))
        #expect(try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) == bootstrap)
        let (status, meta, _) = try await run(Self.kcat, ["-L", "-b", bootstrap, "-m", "10"])
        #expect(status == 0)
        #expect(meta.contains("topic \"a\" with 5 partitions"))
        #expect(meta.contains("topic \"b\" with 5 partitions"))
        // A topic created on first use gets --partitions too.
        _ = try await run(Self.kcat, ["-P", "-b", bootstrap, "-t", "fresh"], stdin: Data("x\n".utf8))
        let (_, meta2, _) = try await run(Self.kcat, ["-L", "-b", bootstrap, "-t", "fresh", "-m", "10"])
        #expect(meta2.contains("with 5 partitions"), "\(meta2)")
        #expect(await broker.terminate() == 0)
    }

    @Test func brokerRejectsBadFlagsWithAClearMessage() async throws {
        let (status, _, err) = try await run(try txguardBinary(), ["broker", "--partitions", "0"])
        #expect(status != 0)
        #expect(err.contains("--partitions must be between 1 and 1024"))
        let (status2, _, err2) = try await run(try txguardBinary(), ["broker", "--topic", "bad topic!"])
        #expect(status2 != 0)
        #expect(err2.contains("topic name"))
    }

    @Test func kcatReadsWhatTheBindingProducedAndViceVersa() async throws {
        let broker = try ChildProcess(try txguardBinary(), ["broker", "--topic", "interop", "--partitions", "3"])
        let bootstrap = try await broker.firstLine()

        // Binding -> kcat.
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: bootstrap)))
        let sent = (0..<50).map { i in
            OutgoingMessage(topic: "interop", key: Array("k\(i % 5)".utf8), value: Array("{\"n\":\(i)}".utf8), headers: [KafkaHeader("src", "swift")])
        }
        _ = try await producer.sendBatch(sent)
        producer.close()
        let (status, out, err) = try await run(Self.kcat, ["-C", "-b", bootstrap, "-t", "interop", "-e", "-q", "-f", "%k|%s|%h\\n"])
        #expect(status == 0, "\(err)")
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.count == 50)
        #expect(Set(lines) == Set((0..<50).map { "k\($0 % 5)|{\"n\":\($0)}|src=swift" }))

        // kcat -> binding.
        let input = (0..<40).map { "key\($0 % 4):kcat-\($0)" }.joined(separator: "\n") + "\n"
        let (pstatus, _, perr) = try await run(Self.kcat, ["-P", "-b", bootstrap, "-t", "from-kcat", "-K", ":", "-H", "origin=kcat"], stdin: Data(input.utf8))
        #expect(pstatus == 0, "\(perr)")
        let consumer = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: bootstrap), groupID: "interop"))
        let parts = try consumer.partitionCount("from-kcat") ?? 0
        #expect(parts == 3)
        try consumer.assign((0..<Int32(parts)).map { TopicPartitionOffset("from-kcat", $0, offset: KafkaOffset.beginning) })
        var got: [KafkaMessage] = []
        let deadline = Date().addingTimeInterval(20)
        while got.count < 40 && Date() < deadline { got += await consumer.nextBatch().materialize() }
        #expect(got.count == 40)
        #expect(Set(got.map { String(decoding: $0.value, as: UTF8.self) }) == Set((0..<40).map { "kcat-\($0)" }))
        #expect(got.allSatisfy { $0.header("origin") == Array("kcat".utf8) })
        #expect(got.allSatisfy { m in String(decoding: m.key ?? [], as: UTF8.self) == "key\(Int(String(decoding: m.value, as: UTF8.self).dropFirst(5))! % 4)" })
        consumer.close()
        #expect(await broker.terminate(signal: SIGINT) == 0)
    }
}
