import Foundation
import Testing
import TxGuardContracts
import TxGuardKafka
import TxGuardTestSupport

/// `txguard run --labels-topic`: labels are read by the instance, joined with the transactions it
/// judged and published to the compacted resolved topic; labels carrying their entity keys are used
/// as they are; bad label records are dead-lettered with a reason; the metrics count each outcome.
@Suite(.serialized) struct LabelsEndToEndTests {
    @Test func runReadsLabelsJoinsThemAndDeadLettersBadOnes() async throws {
        let ws = try Workspace()
        try await ws.txguard(["simulate", "--accounts", "300", "--days", "8", "--seed", "8", "--output", ws.path("tx.jsonl")])
        let lines = String(decoding: try ws.bytes("tx.jsonl"), as: UTF8.self).split(separator: "\n").map(String.init)
        let half = lines.count / 2
        try lines[..<half].joined(separator: "\n").write(toFile: ws.path("train.jsonl"), atomically: true, encoding: .utf8)
        let live = Array(lines[half...])
        try live.joined(separator: "\n").write(toFile: ws.path("live.jsonl"), atomically: true, encoding: .utf8)
        try await ws.txguard(["train", "--input", ws.path("train.jsonl"), "--model", ws.path("m.txg"), "--text", "hashed"])

        let broker = try await BrokerProcess(topics: [("tx", 3), ("alerts", 3), ("dlq", 3), ("labels", 2), ("labels.resolved", 2)])
        try await ws.txguard(["produce", "--brokers", broker.bootstrap, "--topic", "tx", ws.path("live.jsonl")])
        let svc = try ChildProcess(try txguardBinary(), ["run", "--brokers", broker.bootstrap, "--input-topic", "tx", "--alert-topic", "alerts",
                                                        "--dead-letter-topic", "dlq", "--group", "g", "--model", ws.path("m.txg"),
                                                        "--labels-topic", "labels", "--state-dir", ws.path("state"), "--metrics-port", "0",
                                                        "--supervised-weight", "2", "--retrain-every", "12h", "--no-feedback"])
        let port = try #require(Int((try await svc.firstLine(timeout: 60)).split(separator: " ").last ?? ""))
        _ = try await untilDone {
            let text = (try? httpGet(port: port, path: "/metrics").1) ?? ""
            return (metric(text, "txguard_events_total") >= Double(live.count), metric(text, "txguard_events_total"))
        }
        // The supervised settings given to `run` are the ones in force, and stay in force when the
        // model file is replaced (a hot reload once fell back to the defaults).
        let inForce = "supervised=weight 2, retrain every 12h, false-positive weight 4, feedback off, presume legitimate after never"
        #expect(svc.stderr.split(separator: "\n").contains { $0.contains("model loaded") && $0.contains(inForce) }, "\(svc.stderr)")
        let model = try Data(contentsOf: URL(fileURLWithPath: ws.path("m.txg")))
        try model.write(to: URL(fileURLWithPath: ws.path("m.next")))
        try FileManager.default.removeItem(atPath: ws.path("m.txg"))
        try FileManager.default.moveItem(atPath: ws.path("m.next"), toPath: ws.path("m.txg"))
        // The service looks for a new file every 2 s; wait as long as it keeps running.
        _ = try await untilDone { (svc.stderr.contains("model reloaded") || !svc.process.isRunning, Double(svc.stderr.utf8.count)) }
        #expect(svc.stderr.split(separator: "\n").contains { $0.contains("model reloaded") && $0.contains(inForce) }, "\(svc.stderr)")

        // Labels for 40 judged transactions (no entity keys: the instance joins them), one for a
        // transaction txguard never saw but with its entities and time, and three bad records.
        let txDecoder = try JSONTransactionDecoder()
        let decoded = try live.prefix(40).map { try txDecoder.decode(Array($0.utf8)) }
        var records: [[UInt8]] = decoded.map { tx in
            Label(transactionID: tx.transactionID, isFraud: tx.transactionID.hasSuffix("7"), source: .analyst,
                  labeledAtMicros: tx.timestampMicros + 3_600_000_000).encoded()
        }
        records.append(Label(transactionID: "elsewhere-1", isFraud: true, source: .chargeback, labeledAtMicros: 1_800_000_000_000_000,
                             eventTimeMicros: 1_799_000_000_000_000, entities: [.merchant: "Corner Shop", .account: "acct-x"]).encoded())
        let bad = [
            "{not json",
            #"{"transaction_id":"t","source":"analyst","labeled_at":"2026-01-01T00:00:00Z"}"#,
            // Made an hour before its (judged) transaction happened.
            String(decoding: Label(transactionID: decoded[1].transactionID, isFraud: true, source: .analyst,
                                   labeledAtMicros: decoded[1].timestampMicros - 3_600_000_000).encoded(), as: UTF8.self),
        ]
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: broker.bootstrap)))
        for r in records + bad.map({ Array($0.utf8) }) {
            _ = try await producer.send(OutgoingMessage(topic: "labels", key: nil, value: r))
        }
        producer.close()

        var text = ""
        _ = try await untilDone {
            text = (try? httpGet(port: port, path: "/metrics").1) ?? ""
            let seen = metric(text, "txguard_labels_total")
            // 41 raw labels + 3 bad + the 40 joined ones read back from the resolved topic.
            return (seen >= 84, seen)
        }
        #expect(metric(text, "txguard_labels_total", labels: "outcome=\"dead_letter\"") == 3)
        // The 40 joined labels are added once (when joined) and read back from the resolved topic as duplicates.
        #expect(metric(text, "txguard_labels_total", labels: "outcome=\"added\"") == 41)
        #expect(metric(text, "txguard_labels_total", labels: "outcome=\"duplicate\"") == 40)
        #expect(metric(text, "txguard_labels_total", labels: "outcome=\"pending\"") == 0)

        #expect(await svc.terminate(signal: SIGTERM, timeout: 30) == 0)
        let resolved = try await readTopic(broker.bootstrap, "labels.resolved", expect: 40)
        #expect(resolved.count == 40)
        let joined = try resolved.map { try LabelDecoder().decode($0.value) }
        #expect(joined.allSatisfy { $0.entities[.account] != nil && $0.eventTimeMicros != nil })
        #expect(Set(resolved.compactMap { $0.key.map { String(decoding: $0, as: UTF8.self) } }) == Set(joined.map { "\($0.transactionID)@\($0.labeledAtMicros)" }))
        let dlq = try await readTopic(broker.bootstrap, "dlq", expect: 3)
        let reasons = dlq.compactMap { $0.header("txguard.error.code").map { String(decoding: $0, as: UTF8.self) } }.sorted()
        #expect(reasons == ["invalid_field", "malformed_json", "missing_field"])
        #expect(dlq.allSatisfy { $0.header("txguard.source.topic").map { String(decoding: $0, as: UTF8.self) } == "labels" })
    }

    /// Labels revealed one day after their transactions: a backtest of the file and a replay of the
    /// topic (one partition: the same order) make the same decisions, and the labels do change them.
    @Test func replayWithLabelsMatchesBacktestWithLabels() async throws {
        let ws = try Workspace()
        try await ws.txguard(["simulate", "--accounts", "500", "--days", "10", "--seed", "21", "--fraud-rate", "0.1",
                              "--output", ws.path("tx.jsonl"), "--labels", ws.path("labels.jsonl"), "--no-labels-in-events"])
        let lines = String(decoding: try ws.bytes("tx.jsonl"), as: UTF8.self).split(separator: "\n")
        // The local broker keeps about 4 MB per partition: the whole file must fit for the replay to see it.
        #expect(try ws.bytes("tx.jsonl").count < 3_500_000)
        try lines[..<(lines.count / 3)].joined(separator: "\n").write(toFile: ws.path("train.jsonl"), atomically: true, encoding: .utf8)
        try await ws.txguard(["train", "--input", ws.path("train.jsonl"), "--model", ws.path("m.txg"), "--text", "hashed"])
        let labelled = ["--labels", ws.path("labels.jsonl"), "--label-delay", "1d", "--retrain-every", "12h"]
        let (_, err) = try await ws.txguard(["backtest", "--input", ws.path("tx.jsonl"), "--model", ws.path("m.txg"), "--no-ablation",
                                             "--scores", ws.path("b.jsonl")] + labelled)
        #expect(err.contains("supervised layer:") && !err.contains("supervised layer: 0 retrains"), "\(err.suffix(1500))")
        try await ws.txguard(["backtest", "--input", ws.path("tx.jsonl"), "--model", ws.path("m.txg"), "--no-ablation",
                              "--scores", ws.path("plain.jsonl"), "--labels", ws.path("labels.jsonl")])
        let broker = try await BrokerProcess(topics: [("replay", 1)])
        try await ws.txguard(["produce", "--brokers", broker.bootstrap, "--topic", "replay", ws.path("tx.jsonl")])
        try await ws.txguard(["replay", "--brokers", broker.bootstrap, "--topic", "replay", "--model", ws.path("m.txg"),
                              "--scores", ws.path("r.jsonl")] + labelled)
        #expect(try ws.bytes("r.jsonl") == ws.bytes("b.jsonl"), "replay with labels = backtest with labels")
        #expect(try ws.bytes("plain.jsonl") != ws.bytes("b.jsonl"), "the labels changed the scores")
    }
}
