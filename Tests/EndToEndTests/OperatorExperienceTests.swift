import Foundation
import Testing
import TxGuardTestSupport

/// What a new operator meets first: the README's quick tour as written, messages that say what is
/// happening, failures that say what went wrong (once, with a stable exit code), and help that runs.
@Suite(.serialized, .timeLimit(.minutes(15)))
struct OperatorExperienceTests {
    /// A free TCP port on 127.0.0.1 (bound and released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Runs a bash script in `dir` with the built binary first on PATH; background jobs are killed
    /// when it ends, whatever happens. `|| true`: under `set -e` a failing command in the EXIT trap
    /// becomes the script's status, and a job that ends by itself between `jobs -p` and `kill` (the
    /// tour's broker, stopping after its SIGTERM) made a tour that had succeeded exit 1.
    static func bash(_ script: String, in dir: String, timeout: Double = 240) async throws -> (Int32, String, String) {
        let bin = URL(fileURLWithPath: try txguardBinary()).deletingLastPathComponent().path
        let wrapped = "set -em\ncd \(dir)\nexport PATH=\(bin):$PATH\ntrap 'kill -9 $(jobs -p) 2>/dev/null || true' EXIT\n" + script
        return try await run("/bin/bash", ["-c", wrapped], timeout: timeout)
    }

    /// The README's "Quick tour with a local broker" block, run as written except for the build
    /// line (the test uses the built binary), fewer accounts and a free metrics port.
    @Test func readmeQuickTourRunsAsWritten() async throws {
        let readme = try repoFile("README.md")
        let section = try #require(readme.components(separatedBy: "## Quick tour with a local broker").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```sh\n").dropFirst().first?.components(separatedBy: "```").first)
        var lines = block.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines.first?.hasPrefix("swift build -c release") == true)
        lines.removeFirst()
        let port = try Self.freePort()
        // Before `tail`, the test waits until the monitor has raised an alert (progress, not time):
        // tail's 10 s idle timeout is the tour's, and a debug build embedding with MiniLM on a loaded
        // 2-core machine can take longer than that for its first batch (seen: 0 decisions by then).
        if let at = lines.firstIndex(where: { $0.hasPrefix("txguard tail ") }) {
            lines.insert("for i in $(seq 1200); do curl -s localhost:9464/metrics | grep -q '^txguard_decisions_total{decision=\"alert\"[^}]*} [1-9]' && break; sleep 0.5; done",
                         at: at)
        }
        let script = lines.joined(separator: "\n")
            .replacingOccurrences(of: "--accounts 5000 --days 30", with: "--accounts 300 --days 8")
            .replacingOccurrences(of: "--accounts 5000 --days 2", with: "--accounts 300 --days 2")
            .replacingOccurrences(of: "9464", with: "\(port)")
        #expect(script.contains("--accounts 300 --days 8") && script.contains("--accounts 300 --days 2") && script.contains("localhost:\(port)"))
        let ws = try Workspace()
        // The tour runs from a clone, where scripts/bootstrap.sh put the text model in ./models.
        try FileManager.default.createSymbolicLink(atPath: ws.path("models"), withDestinationPath: "\(repositoryRoot)/models")
        let (status, out, err) = try await Self.bash(script, in: ws.dir, timeout: 900)
        #expect(status == 0, "the tour failed (\(status)):\n\(out.suffix(2000))\n\(err.suffix(4000))")
        #expect(err.contains("reading all alerts on alerts from the beginning"))
        #expect(out.contains("ALERT "), "tail printed no alert:\n\(out.suffix(1000))")
        #expect(out.contains("txguard_decisions_total{decision=\"alert\"}") || out.contains("txguard_decisions_total{"), "metrics: \(out.suffix(500))")
        // replay --time event selected the window by the events' own time.
        let scored = err.split(separator: "\n").first { $0.contains("events in the time window scored") }
        let count = scored.flatMap { Int($0.split(separator: " ").dropFirst().first ?? "") } ?? 0
        #expect(count > 100, "replay: \(scored ?? "no summary line")\n\(err.suffix(1500))")
        #expect(FileManager.default.fileExists(atPath: ws.path("replay.json")) && FileManager.default.fileExists(atPath: ws.path("report.html")))
        #expect(!err.contains("Usage:"))
        #expect(err.contains("monitor stopped"), "the monitor did not shut down cleanly")
    }

    /// Following only new alerts says so on its first line (stderr, so --json stays clean).
    @Test func tailSaysWhatItWaitsFor() async throws {
        let broker = try await BrokerProcess(topics: [("alerts", 1)])
        let (status, out, err) = try await run(try txguardBinary(), ["tail", "--brokers", broker.bootstrap, "--topic", "alerts", "--idle-timeout", "1", "--json"])
        #expect(status == 0, "\(err)")
        #expect(err.contains("waiting for new alerts on alerts (use --from-beginning for earlier ones"), "\(err)")
        #expect(out.isEmpty)
    }

    /// A file with nothing valid: which lines were rejected, why, examples; non-zero exit, no usage text.
    @Test func backtestOfGarbageSaysWhatWasRejected() async throws {
        let ws = try Workspace()
        let garbage = (1...200).map { "garbage line \($0) <<<" }.joined(separator: "\n")
        try garbage.write(toFile: ws.path("g.jsonl"), atomically: true, encoding: .utf8)
        let (status, _, err) = try await run(try txguardBinary(), ["backtest", "--input", ws.path("g.jsonl"), "--train-fraction", "0.5"])
        #expect(status == 65, "\(err)")
        #expect(err.contains("read 200 lines: 0 valid, 200 rejected (malformed_json 200)"), "\(err)")
        #expect(err.contains("rejected lines: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, ... (200 in all)"), "\(err)")
        #expect(err.contains("line 1: malformed_json") && err.contains("| garbage line 1 <<<"), "\(err)")
        #expect(err.contains("no valid transaction in 200 lines"))
        #expect(!err.contains("Usage:") && !err.contains("[:]"), "\(err)")

        // A clean file: no empty reason dictionary.
        try await ws.txguard(["simulate", "--accounts", "150", "--days", "6", "--output", ws.path("ok.jsonl")])
        let (_, err2) = try await ws.txguard(["backtest", "--input", ws.path("ok.jsonl"), "--train-fraction", "0.5", "--text", "none", "--no-ablation"])
        #expect(err2.contains(" valid, 0 rejected\n") && !err2.contains("[:]"), "\(err2)")
    }

    /// The same failure exits with the same code from every command, with one line and no usage text.
    @Test func aCorruptModelGivesTheSameExitCodeEverywhere() async throws {
        let ws = try Workspace()
        try await ws.txguard(["simulate", "--accounts", "150", "--days", "6", "--output", ws.path("tx.jsonl")])
        try await ws.txguard(["train", "--input", ws.path("tx.jsonl"), "--model", ws.path("m.txg"), "--text", "none"])
        var bytes = try ws.bytes("m.txg")
        bytes[bytes.count / 2] ^= 0x20
        try Data(bytes).write(to: URL(fileURLWithPath: ws.path("bad.txg")))
        try "{\"brokers\": \"127.0.0.1:1\", \"input_topic\": [\"tx\"], \"alert_topic\": \"a\", \"dead_letter_topic\": \"d\", \"group\": \"g\", \"model\": \"\(ws.path("bad.txg"))\"}"
            .write(toFile: ws.path("c.json"), atomically: true, encoding: .utf8)
        let commands: [[String]] = [
            ["backtest", "--input", ws.path("tx.jsonl"), "--model", ws.path("bad.txg")],
            ["run", "--brokers", "127.0.0.1:1", "--input-topic", "tx", "--alert-topic", "a", "--dead-letter-topic", "d", "--group", "g", "--model", ws.path("bad.txg")],
            ["config", "check", ws.path("c.json")],
            ["model", "inspect", ws.path("bad.txg")],
        ]
        for args in commands {
            let (status, _, err) = try await run(try txguardBinary(), args)
            #expect(status == 65, "\(args[0]): exit \(status): \(err)")
            #expect(err.contains("corrupt") && !err.contains("Usage:") && !err.contains("See 'txguard"), "\(args[0]): \(err)")
        }
        // A command-line mistake still shows the usage.
        let (u, _, ue) = try await run(try txguardBinary(), ["backtest", "--input", ws.path("tx.jsonl")])
        #expect(u == 64 && ue.contains("Usage:"), "\(ue)")
        // A bad setting in the file is a configuration error (78), named, without usage.
        try "{\"brokers\": \"b:1\", \"input_topic\": [\"tx\"], \"alert_topic\": \"a\", \"dead_letter_topic\": \"d\", \"group\": \"g\", \"model\": \"m\", \"batch_size\": 0}"
            .write(toFile: ws.path("c2.json"), atomically: true, encoding: .utf8)
        let (c, _, ce) = try await run(try txguardBinary(), ["run", "--config", ws.path("c2.json")])
        #expect(c == 78 && ce.contains("batch_size must be 1...100000") && !ce.contains("Usage:"), "\(ce)")
    }

    /// One-shot commands fail fast when no broker listens; `run` serves its endpoints at once, says
    /// it waits for the broker, and retries with a growing back-off.
    @Test func noBrokerIsReportedAtOnce() async throws {
        let ws = try Workspace()
        let dead = "127.0.0.1:\(try Self.freePort())"
        try "{\"transaction_id\":\"t\",\"account_id\":\"a\",\"timestamp\":\"2026-11-01T00:00:00Z\",\"amount\":\"1.00\",\"currency\":\"EUR\"}\n"
            .write(toFile: ws.path("one.jsonl"), atomically: true, encoding: .utf8)
        for args in [["produce", "--brokers", dead, "--topic", "tx", ws.path("one.jsonl")],
                     ["simulate", "--brokers", dead, "--topic", "tx", "--accounts", "10", "--days", "1"],
                     ["tail", "--brokers", dead, "--topic", "alerts"]] {
            // The probe waits 5 s at most; librdkafka's own message timeout would be 300 s.
            let (status, _, err) = try await run(try txguardBinary(), args, timeout: 60)
            #expect(status == 69, "\(args[0]): \(status) \(err)")
            #expect(err.contains("no Kafka broker answers at \(dead)") && !err.contains("Usage:"), "\(args[0]): \(err)")
        }

        try await ws.txguard(["simulate", "--accounts", "150", "--days", "6", "--output", ws.path("tx.jsonl")])
        try await ws.txguard(["train", "--input", ws.path("tx.jsonl"), "--model", ws.path("m.txg"), "--text", "none"])
        let svc = try ChildProcess(try txguardBinary(), ["run", "--brokers", dead, "--input-topic", "tx", "--alert-topic", "a",
                                                        "--dead-letter-topic", "d", "--group", "g", "--model", ws.path("m.txg"), "--metrics-port", "0"])
        let port = try #require(Int(try await svc.firstLine().replacingOccurrences(of: "metrics-port ", with: "")))
        // Wait (on progress: new log lines) until the second attempt is logged.
        var seen = 0
        let retried = try await untilDone(stallSeconds: 30) {
            let attempts = svc.stderr.components(separatedBy: "no Kafka broker answers; retrying").count - 1
            seen = attempts
            return (attempts >= 2, Double(svc.stderr.utf8.count))
        }
        #expect(retried, "attempts logged: \(seen)\n\(svc.stderr)")
        #expect(svc.stderr.contains("retry_in_s=1") && svc.stderr.contains("retry_in_s=2"), "\(svc.stderr)")
        let (ready, readyBody) = try httpGet(port: port, path: "/readyz")
        #expect(ready == 503 && readyBody.contains("waiting for broker at \(dead)"), "\(ready) \(readyBody)")
        let (alive, _) = try httpGet(port: port, path: "/healthz")
        #expect(alive == 200)
        let (m, _) = try httpGet(port: port, path: "/metrics")
        #expect(m == 200)
        #expect(svc.process.isRunning)
        // SIGTERM while it waits: nothing is consumed yet, so it ends the start-up at once, exit 0.
        await svc.expectCleanExit("run waiting for its broker")
        #expect(svc.stderr.contains("stop requested during start-up"), "\(svc.stderr.suffix(2000))")
    }

    /// Help that helps: defaults shown, the broker example runs as printed, every command in the
    /// README's table.
    @Test func helpShowsDefaultsAndItsExampleRuns() async throws {
        let (_, runHelp, _) = try await run(try txguardBinary(), ["run", "--help"])
        let flat = runHelp.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        // Each option's own help text names its default.
        for (option, expected) in [("--batch-size", "Default 20000."), ("--state-store", "Default kafka"),
                                   ("--shutdown-deadline", "Default 30.")] {
            let text = flat.components(separatedBy: "\(option) <").dropFirst().first?.components(separatedBy: " --").first ?? ""
            #expect(text.contains(expected), "run --help: \(option) lacks \(expected.debugDescription): \(text)")
        }
        let (_, brokerHelp, _) = try await run(try txguardBinary(), ["broker", "--help"])
        let example = try #require(brokerHelp.components(separatedBy: "Example (sh):\n").dropFirst().first)
        let exampleLines = example.split(separator: "\n").prefix { $0.hasPrefix("  ") }.map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(exampleLines.count == 3, "\(example)")
        let ws = try Workspace()
        let (status, out, err) = try await Self.bash(exampleLines.joined(separator: "\n"), in: ws.dir, timeout: 60)
        #expect(status == 0 && out.contains("broker at 127.0.0.1:"), "\(out)\(err)")

        let (_, top, _) = try await run(try txguardBinary(), ["--help"])
        let readme = try repoFile("README.md")
        // Command lines are indented by two spaces; wrapped descriptions by many more.
        let subcommands = top.components(separatedBy: "SUBCOMMANDS:\n").last?.components(separatedBy: "\n\n").first?.split(separator: "\n")
            .filter { $0.hasPrefix("  ") && !$0.hasPrefix("   ") }
            .compactMap { $0.split(separator: " ").first.map(String.init) } ?? []
        #expect(subcommands.count >= 15, "\(subcommands)")
        for c in subcommands where c != "help" {
            #expect(readme.contains("| `\(c)") || readme.contains("`\(c)`,") || readme.contains(", `\(c)`"), "README's command table lacks \(c)")
        }
    }
}
