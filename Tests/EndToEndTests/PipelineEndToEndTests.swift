import Foundation
import Testing
import TxGuardKafka
import TxGuardTestSupport

/// The `txguard` binary driven like a user would: simulate, train, backtest, replay, run.
@Suite(.serialized, .timeLimit(.minutes(8)))
struct PipelineEndToEndTests {
    /// Backtests are deterministic; a replay of a topic holding the same events reaches the same
    /// decisions as the backtest of the file; replay leaves a live group's offsets alone.
    @Test func backtestIsDeterministicAndReplayMatchesIt() async throws {
        let ws = try Workspace()
        try await ws.txguard(["simulate", "--accounts", "500", "--days", "8", "--seed", "11", "--output", ws.path("tx.jsonl")])
        let common = ["backtest", "--input", ws.path("tx.jsonl"), "--train-fraction", "0.5", "--text", "hashed"]
        try await ws.txguard(common + ["--scores", ws.path("s1.jsonl"), "--report", ws.path("r1.json"), "--html", ws.path("r1.html"), "--save-model", ws.path("m.txg")])
        try await ws.txguard(common + ["--scores", ws.path("s2.jsonl"), "--no-ablation", "--save-model", ws.path("m2.txg")])
        let s1 = try ws.bytes("s1.jsonl"), s2 = try ws.bytes("s2.jsonl")
        #expect(s1.count > 1000)
        #expect(s1 == s2, "the same backtest twice gives byte-identical scores")
        // And the same model, bit for bit, apart from when and how long it trained: each process has
        // its own hash seed, so a sum taken in a dictionary's order differs between the two runs.
        let trainedModel = { (name: String) throws -> String in
            String(decoding: try ws.bytes(name), as: UTF8.self).split(separator: "\n", maxSplits: 1).last.map(String.init)!
                .replacing(#/"trainedAt":"[^"]*"/#, with: "").replacing(#/"seconds":[0-9.eE+-]+/#, with: "")
        }
        let m1 = try trainedModel("m.txg"), m2 = try trainedModel("m2.txg")
        #expect(m1.count > 10_000 && m1 == m2, "two trainings on the same events give the same model")
        let html = String(decoding: try ws.bytes("r1.html"), as: UTF8.self)
        #expect(html.contains("<svg") && !html.contains("src=\"http"))

        // The model scores the whole file from cold state: backtest of the file vs replay of a topic.
        try await ws.txguard(["backtest", "--input", ws.path("tx.jsonl"), "--model", ws.path("m.txg"), "--scores", ws.path("s3.jsonl"), "--no-ablation"])
        let broker = try await BrokerProcess(topics: [("replay", 1)])
        try await ws.txguard(["produce", "--brokers", broker.bootstrap, "--topic", "replay", ws.path("tx.jsonl")])
        // A live group has committed offset 7; replay must not move it.
        let live = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: broker.bootstrap), groupID: "live"))
        try live.assign([TopicPartitionOffset("replay", 0, offset: 0)])
        try live.commit([TopicPartitionOffset("replay", 0, offset: 7)])
        try await ws.txguard(["replay", "--brokers", broker.bootstrap, "--topic", "replay", "--model", ws.path("m.txg"), "--scores", ws.path("s4.jsonl")])
        #expect(try ws.bytes("s4.jsonl") == ws.bytes("s3.jsonl"), "replay of the topic = backtest of the file")
        #expect(try live.committed([TopicPartition("replay", 0)]).first?.offset == 7)
        live.close()

        // Calibration on labelled data writes a new model version with the chosen weights.
        let (_, calErr) = try await ws.txguard(["calibrate", "--model", ws.path("m.txg"), "--input", ws.path("tx.jsonl"),
                                               "--objective", "recall", "--budget", "0.01", "--output", ws.path("cal.txg")])
        #expect(calErr.contains("recall at a 1.00% budget:") && calErr.contains("weights (IF/SVM/Z)"))
        let (inspect, _) = try await ws.txguard(["model", "inspect", ws.path("cal.txg")])
        #expect(inspect.contains("+cal") && inspect.contains("target alert rate 0.01"))

        // Training from a topic range works like training from the file.
        try await ws.txguard(["train", "--brokers", broker.bootstrap, "--topic", "replay", "--from", "0", "--to", "4000",
                              "--model", ws.path("from-topic.txg"), "--text", "hashed"])
        let (fromTopic, _) = try await ws.txguard(["model", "inspect", ws.path("from-topic.txg")])
        #expect(fromTopic.contains("training data  4000 events"))

        // A timestamp range selects by event time (records carry produce time here: all of them).
        try await ws.txguard(["replay", "--brokers", broker.bootstrap, "--topic", "replay", "--model", ws.path("m.txg"),
                              "--from", "2020-01-01T00:00:00Z", "--scores", ws.path("s5.jsonl")])
        #expect(try ws.bytes("s5.jsonl") == ws.bytes("s3.jsonl"))
    }

    /// N inputs (some malformed) → normal + alerts + dead letters = N, in metrics and on the topics;
    /// SIGTERM drains, commits and exits 0.
    @Test func runAccountsForEveryInputAndShutsDownCleanly() async throws {
        let ws = try Workspace()
        try await ws.txguard(["simulate", "--accounts", "400", "--days", "10", "--seed", "5", "--output", ws.path("tx.jsonl")])
        let lines = String(decoding: try ws.bytes("tx.jsonl"), as: UTF8.self).split(separator: "\n").map(String.init)
        let half = lines.count / 2
        try lines[..<half].joined(separator: "\n").write(toFile: ws.path("train.jsonl"), atomically: true, encoding: .utf8)
        let bad = ["{\"transaction_id\":\"x1\"}", "nope", "{\"transaction_id\":\"x2\",\"account_id\":\"a\",\"timestamp\":\"2026-11-20T10:00:00Z\",\"amount\":\"1e400\",\"currency\":\"EUR\"}",
                   "{\"transaction_id\":\"x3\",\"account_id\":\"a\",\"timestamp\":\"yesterday\",\"amount\":\"5.00\",\"currency\":\"EUR\"}",
                   "{\"transaction_id\":\"x4\",\"account_id\":\"a\",\"timestamp\":\"2026-11-20T10:00:00Z\",\"amount\":\"5.00\",\"currency\":\"XXY\"}"]
        let live = Array(lines[half...]) + bad
        try live.joined(separator: "\n").write(toFile: ws.path("live.jsonl"), atomically: true, encoding: .utf8)
        try await ws.txguard(["train", "--input", ws.path("train.jsonl"), "--model", ws.path("m.txg"), "--text", "hashed"])

        let broker = try await BrokerProcess(topics: [("tx", 4), ("alerts", 4), ("dlq", 4)])
        try await ws.txguard(["produce", "--brokers", broker.bootstrap, "--topic", "tx", ws.path("live.jsonl")])
        // One 3 MB record (over the decoder's 1 MiB limit): dead-lettered, truncated to fit, no stall.
        var big = KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: broker.bootstrap))
        big.client.properties["message.max.bytes"] = "10000000"
        let bigProducer = try KafkaProducer(configuration: big)
        let huge = Array("{\"transaction_id\":\"huge\",\"memo\":\"".utf8) + [UInt8](repeating: 65, count: 3_000_000) + Array("\"}".utf8)
        _ = try await bigProducer.send(OutgoingMessage(topic: "tx", key: Array("huge".utf8), value: huge))
        bigProducer.close()
        let svc = try ChildProcess(try txguardBinary(), ["run", "--brokers", broker.bootstrap, "--input-topic", "tx", "--alert-topic", "alerts",
                                                        "--dead-letter-topic", "dlq", "--group", "g", "--model", ws.path("m.txg"),
                                                        "--state-dir", ws.path("state"), "--metrics-port", "0"])
        let portLine = try await svc.firstLine(timeout: 60)
        let port = try #require(Int(portLine.split(separator: " ").last ?? ""))
        var text = ""
        _ = try await untilDone {
            text = (try? httpGet(port: port, path: "/metrics").1) ?? ""
            return (metric(text, "txguard_events_total") >= Double(live.count + 1), metric(text, "txguard_events_total"))
        }
        let n = Double(live.count + 1)
        #expect(metric(text, "txguard_events_total") == n)
        let normal = metric(text, "txguard_decisions_total", labels: "decision=\"normal\"")
        let alerts = metric(text, "txguard_decisions_total", labels: "decision=\"alert\"")
        let dead = metric(text, "txguard_decisions_total", labels: "decision=\"dead_letter\"")
        #expect(normal + alerts + dead == n)
        #expect(dead == Double(bad.count + 1))
        #expect(metric(text, "txguard_decisions_total", labels: "reason=\"payload_too_large\"") == 1)
        #expect(metric(text, "txguard_decisions_total", labels: "reason=\"malformed_json\"") == 1)
        for d in ["isolation_forest", "zscore", "ocsvm"] {
            #expect(text.contains("txguard_detector_score{detector=\"\(d)\"}"), "per-detector score gauge for \(d)")
            let p = metric(text, "txguard_detector_tail_probability", labels: "detector=\"\(d)\"")
            #expect(p > 0 && p <= 1)
        }
        #expect(metric(text, "txguard_threshold") > 0)
        #expect(try httpGet(port: port, path: "/healthz").0 == 200)
        #expect(try httpGet(port: port, path: "/readyz").0 == 200)

        let started = Date()
        #expect(await svc.terminate(signal: SIGTERM, timeout: 30) == 0)
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(svc.stderr.contains("monitor stopped"))
        let alertRecords = try await readTopic(broker.bootstrap, "alerts")
        let dlqRecords = try await readTopic(broker.bootstrap, "dlq")
        #expect(Double(alertRecords.count) == alerts)
        #expect(dlqRecords.count == bad.count + 1)
        let truncated = try #require(dlqRecords.first { $0.header("txguard.value.truncated_from") != nil })
        #expect(truncated.header("txguard.value.truncated_from").map { String(decoding: $0, as: UTF8.self) } == "\(huge.count)")
        #expect(truncated.value == Array(huge.prefix(truncated.value.count)))
        // Dead letters keep the original bytes and say why.
        let reasons = Set(dlqRecords.compactMap { $0.header("txguard.error.code").map { String(decoding: $0, as: UTF8.self) } })
        #expect(reasons.isSuperset(of: ["malformed_json", "missing_field", "invalid_amount", "invalid_timestamp", "invalid_currency", "payload_too_large"]))
        #expect(Set(dlqRecords.filter { $0.header("txguard.value.truncated_from") == nil }.map { String(decoding: $0.value, as: UTF8.self) }) == Set(bad))
        // Alerts are keyed by account and carry explanations.
        let first = try #require(alertRecords.first)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(first.value)) as? [String: Any])
        #expect(first.key.map { String(decoding: $0, as: UTF8.self) } == json["account_id"] as? String)
        #expect(!((json["reasons"] as? [Any]) ?? []).isEmpty)
        let (committed, end) = try committedAndEnd(broker.bootstrap, group: "g", topic: "tx")
        #expect(committed == end, "every input's offset committed after shutdown")
        // What a case-management engineer sees.
        let (tailOut, _) = try await ws.txguard(["tail", "--brokers", broker.bootstrap, "--topic", "alerts", "--from-beginning", "--count", "2"])
        #expect(tailOut.hasPrefix("ALERT ") && tailOut.contains("score ") && tailOut.contains("  - "))
    }

    /// kill -9 at moments during the run, restarts, and a second instance joining and leaving:
    /// the alerts (as a set of transactions) equal an uninterrupted run's, duplicates share alert_id.
    @Test func crashesAndRebalancesLoseNothingAndChangeNoDecision() async throws {
        let ws = try Workspace()
        // About 100k live events (the mock keeps ~4 MB per partition, so 16 partitions).
        let n = try await ws.trainedModelAndLiveEvents(accounts: 4500, days: 15, seed: 9)
        let broker = try await BrokerProcess(topics: [("tx", 16), ("a-ref", 16), ("a-crash", 16), ("dlq", 16)])
        try await ws.txguard(["produce", "--brokers", broker.bootstrap, "--topic", "tx", ws.path("live.jsonl")])

        func start(_ group: String, _ alerts: String) throws -> ChildProcess {
            try ChildProcess(try txguardBinary(), ["run", "--brokers", broker.bootstrap, "--input-topic", "tx", "--alert-topic", alerts,
                                                  "--dead-letter-topic", "dlq", "--group", group, "--model", ws.path("m.txg"),
                                                  "--state-dir", ws.path("state-\(group)"), "--batch-size", "2000"])
        }
        func waitCommitted(_ group: String, atLeast fraction: Double, log: ChildProcess? = nil) async throws -> Bool {
            do {
                try await EndToEndTests.waitCommitted(broker.bootstrap, group: group, topic: "tx", fraction: fraction) { log?.stderr.suffix(4000).description ?? "" }
                return true
            } catch {
                Issue.record("\(error)")
                return false
            }
        }

        // Reference: one uninterrupted instance.
        let ref = try start("ref", "a-ref")
        #expect(try await waitCommitted("ref", atLeast: 1))
        await ref.expectCleanExit("instance ref")

        // Crashes at several points, then a second member joins and leaves.
        for fraction in [0.1, 0.3, 0.5] {
            let p = try start("crash", "a-crash")
            #expect(try await waitCommitted("crash", atLeast: fraction))
            try await Task.sleep(for: .milliseconds(300))
            kill(p.process.processIdentifier, SIGKILL)
            p.process.waitUntilExit()
        }
        let a = try start("crash", "a-crash")
        #expect(try await waitCommitted("crash", atLeast: 0.7))
        let b = try start("crash", "a-crash")
        try await Task.sleep(for: .seconds(5))
        await b.expectCleanExit("instance b")
        // Generous: on a loaded 2-core machine the debug binary alone can take minutes here.
        #expect(try await waitCommitted("crash", atLeast: 1, log: a), "instance a's log ends:\n\(a.stderr.suffix(4000))")
        await a.expectCleanExit("instance a")

        let refAlerts = try await readTopic(broker.bootstrap, "a-ref")
        let crashAlerts = try await readTopic(broker.bootstrap, "a-crash")
        let refSet = alertIDsByTransaction(refAlerts), crashSet = alertIDsByTransaction(crashAlerts)
        #expect(!refSet.isEmpty)
        #expect(n >= 90_000)
        #expect(Set(crashSet.keys) == Set(refSet.keys), "same alerted transactions (ref \(refSet.count), crash \(crashSet.count), of \(n) events)")
        #expect(crashSet.values.allSatisfy { $0.count == 1 }, "a duplicate alert carries the same alert_id")
    }

    /// Exactly-once mode under kill -9: restarted instances (same transactional.id) lose no
    /// decision, reach the same decisions as an uninterrupted run, and re-sent alerts keep their
    /// alert_id; every batch goes through a committed transaction and none aborts while healthy.
    ///
    /// What librdkafka 2.0.2's mock cannot show: it neither stores TxnOffsetCommit offsets, nor
    /// writes abort markers, nor fences an old producer epoch. So here a restarted instance resumes
    /// from its state snapshot (not from the transaction's offsets) and an aborted or unfinished
    /// transaction's records stay visible: "no duplicate among committed alerts" needs a real
    /// broker and a read_committed consumer (README, "Delivery semantics" shows how to check it).
    @Test func exactlyOnceRunLosesNothingAcrossKill9() async throws {
        let ws = try Workspace()
        let n = Double(try await ws.trainedModelAndLiveEvents(accounts: 1500, days: 10, seed: 21))
        let broker = try await BrokerProcess(topics: [("tx", 8), ("a-ref", 8), ("a-eos", 8), ("dlq", 8)])
        // The input arrives in two parts: the crashes happen inside the first, and the second is
        // produced only after the last crash, so the instance that finishes the run certainly has
        // batches of its own to commit (a kill that came late could otherwise leave it nothing).
        let live = String(decoding: try ws.bytes("live.jsonl"), as: UTF8.self).split(separator: "\n")
        let firstPart = live.count * 6 / 10
        try live[..<firstPart].joined(separator: "\n").write(toFile: ws.path("live-1.jsonl"), atomically: true, encoding: .utf8)
        try live[firstPart...].joined(separator: "\n").write(toFile: ws.path("live-2.jsonl"), atomically: true, encoding: .utf8)
        try await ws.txguard(["produce", "--brokers", broker.bootstrap, "--topic", "tx", ws.path("live-1.jsonl")])

        func start(_ group: String, _ alerts: String) async throws -> (ChildProcess, Int) {
            let p = try ChildProcess(try txguardBinary(), ["run", "--brokers", broker.bootstrap, "--input-topic", "tx", "--alert-topic", alerts,
                                                          "--dead-letter-topic", "dlq", "--group", group, "--model", ws.path("m.txg"),
                                                          "--exactly-once", "--transactional-id", "txguard-\(group)-1",
                                                          "--state-dir", ws.path("state-\(group)"), "--batch-size", "500", "--metrics-port", "0"])
            let line = try await p.firstLine(timeout: 60)
            return (p, try #require(Int(line.split(separator: " ").last ?? "")))
        }
        func metrics(_ port: Int) -> String { (try? httpGet(port: port, path: "/metrics").1) ?? "" }
        func waitEvents(_ port: Int, atLeast count: Double) async throws -> String {
            var text = ""
            _ = try await untilDone(every: .milliseconds(100)) {
                text = metrics(port)
                return (metric(text, "txguard_events_total") >= count, metric(text, "txguard_events_total"))
            }
            return text
        }
        func alertIDs(_ topic: String) async throws -> [String: Set<String>] {
            alertIDsByTransaction(try await readTopic(broker.bootstrap, topic))
        }

        // kill -9 three times mid-run (mid-transaction, most likely), restart with the same id.
        // Each instance resumes from the last snapshot (written every few seconds), and its
        // counters start at zero: it is killed after 15% of the events of its own, or once it
        // has caught up with the first part.
        for _ in 0..<3 {
            let (p, port) = try await start("eos", "a-eos")
            _ = try await untilDone(every: .milliseconds(100)) {
                let text = metrics(port), events = metric(text, "txguard_events_total")
                let caughtUp = events > 0 && text.contains("txguard_consumer_lag{") && metric(text, "txguard_consumer_lag") == 0
                return (events >= 0.15 * n || caughtUp, events)
            }
            kill(p.process.processIdentifier, SIGKILL)
            p.process.waitUntilExit()
        }
        try await ws.txguard(["produce", "--brokers", broker.bootstrap, "--topic", "tx", ws.path("live-2.jsonl")])

        // Reference: one uninterrupted exactly-once instance over the same records.
        let (ref, refPort) = try await start("ref", "a-ref")
        let refMetrics = try await waitEvents(refPort, atLeast: n)
        #expect(metric(refMetrics, "txguard_events_total") == n)
        #expect(metric(refMetrics, "txguard_transactions_committed_total") > 0)
        #expect(metric(refMetrics, "txguard_transactions_aborted_total") == 0)
        await ref.expectCleanExit("instance ref")
        let refSet = try await alertIDs("a-ref")
        #expect(!refSet.isEmpty)

        let (last, port) = try await start("eos", "a-eos")
        var eosSet: [String: Set<String>] = [:]
        _ = try await untilDone(every: .milliseconds(500)) {
            eosSet = try await alertIDs("a-eos")
            return (Set(eosSet.keys).isSuperset(of: refSet.keys), Double(eosSet.count) + metric(metrics(port), "txguard_events_total"))
        }
        // The second part's alerts are visible before their transaction commits (the mock shows
        // uncommitted records), so wait for the instance to have read the whole second part.
        let lastMetrics = try await waitEvents(port, atLeast: Double(live.count - firstPart))
        #expect(metric(lastMetrics, "txguard_transactions_committed_total") > 0)
        #expect(metric(lastMetrics, "txguard_transactions_aborted_total") == 0)
        await last.expectCleanExit("instance last")
        #expect(last.stderr.contains("transactional producer ready"))
        #expect(Set(eosSet.keys) == Set(refSet.keys), "same alerted transactions (ref \(refSet.count), after crashes \(eosSet.count))")
        #expect(eosSet.values.allSatisfy { $0.count == 1 }, "an alert sent again carries the same alert_id")
    }

    /// A new model file is picked up while running, without stopping or losing events; alerts
    /// after the reload carry the new model version.
    @Test func modelHotReload() async throws {
        let ws = try Workspace()
        try await ws.txguard(["simulate", "--accounts", "400", "--days", "12", "--seed", "21", "--output", ws.path("tx.jsonl")])
        let lines = String(decoding: try ws.bytes("tx.jsonl"), as: UTF8.self).split(separator: "\n").map(String.init)
        let third = lines.count / 3
        try lines[..<third].joined(separator: "\n").write(toFile: ws.path("train.jsonl"), atomically: true, encoding: .utf8)
        try lines[third..<(2 * third)].joined(separator: "\n").write(toFile: ws.path("live1.jsonl"), atomically: true, encoding: .utf8)
        try lines[(2 * third)...].joined(separator: "\n").write(toFile: ws.path("live2.jsonl"), atomically: true, encoding: .utf8)
        try await ws.txguard(["train", "--input", ws.path("train.jsonl"), "--model", ws.path("m.txg"), "--text", "hashed", "--seed", "1"])
        try await ws.txguard(["train", "--input", ws.path("train.jsonl"), "--model", ws.path("m2.txg"), "--text", "hashed", "--seed", "2", "--alert-rate", "0.02"])
        let (inspect2, _) = try await ws.txguard(["model", "inspect", ws.path("m2.txg")])
        let version2 = try #require(inspect2.split(separator: "\n").first?.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init))

        let broker = try await BrokerProcess(topics: [("tx", 2), ("alerts", 2), ("dlq", 2)])
        let svc = try ChildProcess(try txguardBinary(), ["run", "--brokers", broker.bootstrap, "--input-topic", "tx", "--alert-topic", "alerts",
                                                        "--dead-letter-topic", "dlq", "--group", "g", "--model", ws.path("m.txg"),
                                                        "--state-dir", ws.path("state"), "--metrics-port", "0"])
        let port = try #require(Int(try await svc.firstLine(timeout: 60).split(separator: " ").last ?? ""))
        func events() -> Double { metric((try? httpGet(port: port, path: "/metrics").1) ?? "", "txguard_events_total") }
        try await ws.txguard(["produce", "--brokers", broker.bootstrap, "--topic", "tx", ws.path("live1.jsonl")])
        let n1 = Double(third)
        _ = try await untilDone { (events() >= n1, events()) }
        #expect(events() == n1)

        // Replace the model file atomically (as a deployment would) and wait for the reload.
        try FileManager.default.removeItem(atPath: ws.path("m.txg"))
        try FileManager.default.moveItem(atPath: ws.path("m2.txg"), toPath: ws.path("m.txg"))
        let reloadAsked = Date()
        while !svc.stderr.contains("model reloaded") && Date().timeIntervalSince(reloadAsked) < 120 { try await Task.sleep(for: .milliseconds(200)) }
        #expect(svc.stderr.contains("model reloaded"))
        try await ws.txguard(["produce", "--brokers", broker.bootstrap, "--topic", "tx", ws.path("live2.jsonl")])
        let n = Double(lines.count - third)
        _ = try await untilDone { (events() >= n, events()) }
        #expect(events() == n, "no event lost across the reload")
        await svc.expectCleanExit("instance svc")
        let alerts = try await readTopic(broker.bootstrap, "alerts")
        let versions = Set(alerts.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.value)) as? [String: Any])?["model_version"] as? String })
        #expect(versions.contains(version2), "alerts after the reload come from the new model (\(versions))")
    }
}

/// transaction_id → the alert_ids seen for it (one, when re-sent alerts keep their id).
func alertIDsByTransaction(_ ms: [KafkaMessage]) -> [String: Set<String>] {
    var out: [String: Set<String>] = [:]
    for m in ms {
        guard let o = try? JSONSerialization.jsonObject(with: Data(m.value)) as? [String: Any],
              let tx = o["transaction_id"] as? String, let id = o["alert_id"] as? String else { continue }
        out[tx, default: []].insert(id)
    }
    return out
}

extension Workspace {
    /// Simulates `accounts` × `days` (seed), trains `m.txg` (hashed text) on the first third and
    /// writes the rest to `live.jsonl`; returns the number of live events.
    func trainedModelAndLiveEvents(accounts: Int, days: Int, seed: Int) async throws -> Int {
        try await txguard(["simulate", "--accounts", "\(accounts)", "--days", "\(days)", "--seed", "\(seed)", "--output", path("tx.jsonl")])
        let lines = String(decoding: try bytes("tx.jsonl"), as: UTF8.self).split(separator: "\n").map(String.init)
        let third = lines.count / 3
        try lines[..<third].joined(separator: "\n").write(toFile: path("train.jsonl"), atomically: true, encoding: .utf8)
        try lines[third...].joined(separator: "\n").write(toFile: path("live.jsonl"), atomically: true, encoding: .utf8)
        try await txguard(["train", "--input", path("train.jsonl"), "--model", path("m.txg"), "--text", "hashed"])
        return lines.count - third
    }
}
