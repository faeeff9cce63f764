import Foundation
import Testing
import TxGuardKafka
import TxGuardTestSupport

/// Same input, same decisions, end to end: a topic fed at a steady rate while `txguard run`
/// consumes it live (one instance undisturbed, one killed with SIGKILL and restarted during the
/// feed) alerts exactly the transactions that `replay` of the filled topic and `backtest` of the
/// same events split into the same partitions alert.
@Suite(.serialized, .timeLimit(.minutes(10)))
struct DeterminismEndToEndTests {
    @Test func liveKilledReplayAndBacktestAlertTheSameTransactions() async throws {
        let ws = try Workspace()
        let n = try await ws.trainedModelAndLiveEvents(accounts: 700, days: 10, seed: 31)
        let partitions = 3
        let broker = try await BrokerProcess(topics: [("tx", partitions), ("a-live", partitions), ("a-kill", partitions), ("dlq", 1)])
        func start(_ group: String, _ alerts: String) throws -> ChildProcess {
            try ChildProcess(try txguardBinary(), ["run", "--brokers", broker.bootstrap, "--input-topic", "tx", "--alert-topic", alerts,
                                                  "--dead-letter-topic", "dlq", "--group", group, "--model", ws.path("m.txg"),
                                                  "--state-dir", ws.path("state-\(group)")])
        }
        // Both instances join before the first record exists, as a live deployment does.
        let live = try start("live", "a-live")
        var killed = try start("kill", "a-kill")
        let produce = ["produce", "--brokers", broker.bootstrap, "--topic", "tx", "--rate", "1200", ws.path("live.jsonl")]
        let feed = Task { [ws] in try await ws.txguard(produce) }
        // Kill -9 the second instance twice while records arrive, each time after it has made
        // progress (not while it is still joining), and restart it.
        var kills = 0
        for share in [0.25, 0.6] {
            // fraction 0: on the share of all n records, not of those produced so far (waiting for
            // the group to catch up with the topic's end could delay the kill past the feed's end).
            try await waitCommitted(broker.bootstrap, group: "kill", topic: "tx", fraction: 0, atLeast: Int64(Double(n) * share)) { killed.stderr.suffix(3000).description }
            kill(killed.process.processIdentifier, SIGKILL)
            killed.process.waitUntilExit()
            kills += 1
            killed = try start("kill", "a-kill")
        }
        _ = try await feed.value
        try await waitCommitted(broker.bootstrap, group: "live", topic: "tx", atLeast: Int64(n)) { live.stderr.suffix(3000).description }
        try await waitCommitted(broker.bootstrap, group: "kill", topic: "tx", atLeast: Int64(n)) { killed.stderr.suffix(3000).description }
        await live.expectCleanExit("undisturbed instance")
        await killed.expectCleanExit("instance restarted after the second kill")
        #expect(kills == 2)

        try await ws.txguard(["replay", "--brokers", broker.bootstrap, "--topic", "tx", "--model", ws.path("m.txg"), "--scores", ws.path("replay.jsonl")])
        try await ws.txguard(["backtest", "--input", ws.path("live.jsonl"), "--model", ws.path("m.txg"), "--partitions", "\(partitions)",
                              "--scores", ws.path("backtest.jsonl"), "--no-ablation"])

        let liveAlerts = alertIDsByTransaction(try await readTopic(broker.bootstrap, "a-live"))
        let killedAlerts = alertIDsByTransaction(try await readTopic(broker.bootstrap, "a-kill"))
        let replayed = try alertedInScores(ws.path("replay.jsonl"))
        let backtested = try alertedInScores(ws.path("backtest.jsonl"))
        #expect(liveAlerts.count > 10, "enough alerts to compare (\(liveAlerts.count) of \(n) events)")
        let liveSet = Set(liveAlerts.keys)
        #expect(liveSet == replayed, "live vs replay: \(liveSet.subtracting(replayed).count) only live, \(replayed.subtracting(liveSet).count) only replayed")
        #expect(liveSet == backtested, "live vs backtest: \(liveSet.subtracting(backtested).count) only live, \(backtested.subtracting(liveSet).count) only backtested")
        #expect(Set(killedAlerts.keys) == liveSet, "killed twice vs undisturbed: \(Set(killedAlerts.keys).subtracting(liveSet).count) only killed, \(liveSet.subtracting(killedAlerts.keys).count) only undisturbed")
        #expect(killedAlerts.values.allSatisfy { $0.count == 1 }, "a re-sent alert keeps its alert_id")
        #expect(liveAlerts == killedAlerts.filter { liveSet.contains($0.key) }, "the same alert_ids (deterministic from source and model)")
    }
}

/// The MiniLM path gives the same decisions whatever OpenBLAS's own thread default: txguard fixes
/// the count (`TXGUARD_BLAS_THREADS`, 1 when unset), since OpenBLAS's split of a product's sums
/// moves embeddings' last bits. Before, a backtest with one thread and one with two differed in
/// every score.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct BLASThreadDeterminismTests {
    @Test func miniLMBacktestIsTheSameWithOneOrTwoOpenBLASThreads() async throws {
        let ws = try Workspace()
        try await ws.txguard(["simulate", "--accounts", "300", "--days", "5", "--seed", "5", "--output", ws.path("tx.jsonl")])
        var outputs: [[UInt8]] = []
        for threads in ["1", "2"] {
            let args = ["backtest", "--input", ws.path("tx.jsonl"), "--train-fraction", "0.5", "--text", "minilm",
                        "--model-dir", miniLMModelDirectory, "--scores", ws.path("s\(threads).jsonl"), "--no-ablation"]
            let (status, _, err) = try await run(try txguardBinary(), args, timeout: 240, environment: ["OPENBLAS_NUM_THREADS": threads])
            #expect(status == 0, "\(err.suffix(2000))")
            outputs.append(try ws.bytes("s\(threads).jsonl"))
        }
        #expect(outputs[0].count > 10_000, "a score file to compare")
        // Compared as text lines, so that a failure names the first line that differs (not two
        // whole files as byte lists).
        let one = String(decoding: outputs[0], as: UTF8.self).split(separator: "\n")
        let two = String(decoding: outputs[1], as: UTF8.self).split(separator: "\n")
        let firstDifference = zip(one, two).enumerated().first { $0.element.0 != $0.element.1 }.map { $0.offset }.map { "line \($0 + 1): \(one[$0]) | \(two[$0])" }
        let identical = one.count == two.count && firstDifference == nil
        #expect(identical, "one vs two OpenBLAS threads: \(one.count) vs \(two.count) lines; first difference: \(firstDifference ?? "none")")
        let (status, _, err) = try await run(try txguardBinary(), ["backtest", "--input", ws.path("tx.jsonl"), "--train-fraction", "0.5",
                                                                   "--text", "hashed", "--no-ablation"],
                                             environment: ["TXGUARD_BLAS_THREADS": "lots"])
        #expect(status == 78)
        #expect(err.contains("TXGUARD_BLAS_THREADS must be a whole number of threads in 1...256"), "\(err)")
        #expect(!err.contains("lots"), "the value is not echoed: \(err)")
    }
}
