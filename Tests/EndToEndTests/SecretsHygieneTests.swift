import Foundation
import Testing
import TxGuardTestSupport

/// Secrets never appear in logs, metrics, error messages or `config check` output, whichever way
/// they are given (`--kafka-property`, `kafka_property` in a configuration file, the
/// TXGUARD_SASL_PASSWORD environment variable); a configuration file holding a secret that its
/// group or others can read gets a warning naming the file and `chmod 600`.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct SecretsHygieneTests {
    static let flagCanary = "Flag-Canary-7f3a"
    static let fileCanary = "File-Canary-91c2"
    static let envCanary = "Env-Canary-5d0e"
    static let allCanaries = [flagCanary, fileCanary, envCanary]

    func expectNoCanary(_ text: String, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for c in Self.allCanaries {
            #expect(!text.contains(c), "\(what) shows the secret \(c):\n\(text.suffix(4000))", sourceLocation: sourceLocation)
        }
        // Parts of a value must not leak either.
        #expect(!text.contains("Canary-"), "\(what):\n\(text.suffix(4000))", sourceLocation: sourceLocation)
    }

    func trainedModel(_ ws: Workspace) async throws {
        try await ws.txguard(["simulate", "--accounts", "100", "--days", "6", "--output", ws.path("tx.jsonl")])
        try await ws.txguard(["train", "--input", ws.path("tx.jsonl"), "--model", ws.path("m.txg"), "--text", "none"])
    }

    func writeConfig(_ ws: Workspace, _ name: String, brokers: String, secretKey: String = "ssl.key.password", mode: Int) throws -> String {
        let path = ws.path(name)
        let text: String
        if name.hasSuffix(".yaml") {
            text = """
            brokers: \(brokers)
            input_topic: [tx]
            alert_topic: alerts
            dead_letter_topic: dlq
            group: g
            model: \(ws.path("m.txg"))
            state_dir: \(ws.path("state"))
            kafka_property:
              \(secretKey): "\(Self.fileCanary)"
              fetch.wait.max.ms: 5
            """
        } else {
            text = """
            {"brokers": "\(brokers)", "input_topic": ["tx"], "alert_topic": "alerts", "dead_letter_topic": "dlq", "group": "g",
             "model": "\(ws.path("m.txg"))", "state_dir": "\(ws.path("state"))",
             "kafka_property": {"\(secretKey)": "\(Self.fileCanary)", "fetch.wait.max.ms": 5}}
            """
        }
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(chmod(path, mode_t(mode)) == 0)
        return path
    }

    /// `config check`: the file's secret is shown as [redacted]; a readable file gets the warning,
    /// a 0600 file and a file without secrets do not.
    @Test func configCheckRedactsAndWarnsAboutReadableSecretFiles() async throws {
        let ws = try Workspace()
        try await trainedModel(ws)
        for name in ["open.json", "open.yaml"] {
            let path = try writeConfig(ws, name, brokers: "127.0.0.1:9092", mode: 0o644)
            let (status, out, err) = try await run(try txguardBinary(), ["config", "check", path])
            #expect(status == 0, "\(err)")
            expectNoCanary(out + err, "config check \(name)")
            #expect(out.contains("ssl.key.password=[redacted]") && out.contains("fetch.wait.max.ms=5"), "\(out)")
            #expect(err.contains("warning:") && err.contains(path) && err.contains("chmod 600") && err.contains("0644"), "\(err)")
        }
        for mode in [0o640, 0o604] {
            let path = try writeConfig(ws, "mode-\(String(mode, radix: 8)).json", brokers: "127.0.0.1:9092", mode: mode)
            let (_, _, err) = try await run(try txguardBinary(), ["config", "check", path])
            #expect(err.contains("chmod 600"), "mode \(String(mode, radix: 8)): \(err)")
        }
        let closed = try writeConfig(ws, "closed.json", brokers: "127.0.0.1:9092", mode: 0o600)
        let (s1, o1, e1) = try await run(try txguardBinary(), ["config", "check", closed])
        #expect(s1 == 0 && !e1.contains("warning") && o1.contains("ssl.key.password=[redacted]"), "\(o1)\(e1)")
        // No secret in the file: no warning whatever its mode.
        let plain = ws.path("plain.json")
        try """
        {"brokers": "127.0.0.1:9092", "input_topic": ["tx"], "alert_topic": "alerts", "dead_letter_topic": "dlq", "group": "g",
         "model": "\(ws.path("m.txg"))", "kafka_property": {"fetch.wait.max.ms": 5}}
        """.write(toFile: plain, atomically: true, encoding: .utf8)
        #expect(chmod(plain, 0o644) == 0)
        let (s2, _, e2) = try await run(try txguardBinary(), ["config", "check", plain])
        #expect(s2 == 0 && !e2.contains("warning"), "\(e2)")
    }

    /// Invalid values and malformed settings are reported without the secret: a `--kafka-property`
    /// without `=` (never quoted), a misspelt secret property (unknown to librdkafka), a secret of
    /// the wrong type in the file, and a YAML syntax error on the secret's own line.
    @Test func errorsNeverQuoteASecret() async throws {
        let ws = try Workspace()
        try await trainedModel(ws)
        let base = ["run", "--brokers", "127.0.0.1:1", "--input-topic", "tx", "--alert-topic", "a", "--dead-letter-topic", "d",
                    "--group", "g", "--model", ws.path("m.txg")]
        let (s1, o1, e1) = try await run(try txguardBinary(), base + ["--kafka-property", "sasl.password:\(Self.flagCanary)"])
        #expect(s1 != 0 && e1.contains("--kafka-property #1 of 1: expected KEY=VALUE"), "\(e1)")
        expectNoCanary(o1 + e1, "malformed --kafka-property")
        let (s2, o2, e2) = try await run(try txguardBinary(), base + ["--kafka-property", "sasl.pasword=\(Self.flagCanary)"])
        #expect(s2 == 78 && e2.contains("sasl.pasword=[redacted]") && e2.contains("No such configuration property"), "\(e2)")
        expectNoCanary(o2 + e2, "misspelt secret property")

        let wrongType = ws.path("wrong-type.json")
        try """
        {"brokers": "127.0.0.1:1", "input_topic": ["tx"], "alert_topic": "a", "dead_letter_topic": "d", "group": "g", "model": "\(ws.path("m.txg"))",
         "kafka_property": {"sasl.password": ["\(Self.fileCanary)"]}}
        """.write(toFile: wrongType, atomically: true, encoding: .utf8)
        let brokenYAML = ws.path("broken.yaml")
        try "brokers: 127.0.0.1:1\nkafka_property:\n  sasl.password: \"\(Self.fileCanary)\n  linger.ms: 5\n".write(toFile: brokenYAML, atomically: true, encoding: .utf8)
        for (path, expected) in [(wrongType, "has the wrong type"), (brokenYAML, "not valid YAML")] {
            for args in [["config", "check", path], ["run", "--config", path]] {
                let (status, out, err) = try await run(try txguardBinary(), args)
                #expect(status == 78 && err.contains(expected), "\(args): \(err)")
                expectNoCanary(out + err, "\(args)")
            }
        }
    }

    /// `run` with a secret from each source, librdkafka's debug logging on (`debug=conf,security`
    /// at log level debug, so librdkafka dumps its whole configuration into the log), against a
    /// local broker: neither its output, nor /metrics, /healthz or /readyz show a secret; the
    /// start-up line shows the property as [redacted]; the readable configuration file is warned
    /// about. Then the same against no broker at all (the retry messages).
    @Test func runNeverShowsASecret() async throws {
        let ws = try Workspace()
        try await trainedModel(ws)
        let broker = try await BrokerProcess(topics: [("tx", 2), ("alerts", 1), ("dlq", 1)])
        try await ws.txguard(["produce", "--brokers", broker.bootstrap, "--topic", "tx", ws.path("tx.jsonl")])
        let env = ["TXGUARD_SASL_PASSWORD": Self.envCanary]
        for (label, brokers) in [("broker", broker.bootstrap), ("no broker", "127.0.0.1:1")] {
            let config = try writeConfig(ws, "run-\(label == "broker" ? "b" : "n").yaml", brokers: brokers, mode: 0o644)
            let svc = try ChildProcess(try txguardBinary(), [
                "run", "--config", config, "--metrics-port", "0", "--log-level", "debug", "--shutdown-deadline", "5",
                "--kafka-property", "sasl.password=\(Self.flagCanary)", "--kafka-property", "debug=conf,security,broker",
            ], environment: env)
            let port = try #require(Int(try await svc.firstLine(timeout: 60).replacingOccurrences(of: "metrics-port ", with: "")))
            var scraped = ""
            if label == "broker" {
                // Until the monitor has judged some records (so every client exists and has logged).
                let working = try await untilDone(stallSeconds: 60) {
                    scraped = (try? httpGet(port: port, path: "/metrics").1) ?? ""
                    let decided = scraped.split(separator: "\n").filter { $0.hasPrefix("txguard_decisions_total") }
                        .compactMap { Double($0.split(separator: " ").last ?? "") }.reduce(0, +)
                    return (decided > 0, Double(svc.stderr.utf8.count))
                }
                #expect(working, "no decisions: \(svc.stderr.suffix(3000))")
            } else {
                let retried = try await untilDone(stallSeconds: 30) {
                    (svc.stderr.contains("no Kafka broker answers; retrying"), Double(svc.stderr.utf8.count))
                }
                #expect(retried, "\(svc.stderr.suffix(3000))")
                let (code, body) = try httpGet(port: port, path: "/metrics")
                #expect(code == 200)
                scraped = body  // empty: nothing is registered before the broker answers
            }
            let probes = ["/healthz", "/readyz"].map { (try? httpGet(port: port, path: $0).1) ?? "" }.joined(separator: "\n")
            let status = await svc.terminate(signal: SIGTERM, timeout: 60)
            #expect(status != nil, "\(label): still running after SIGTERM")
            let everything = svc.stdout + svc.stderr + scraped + probes
            expectNoCanary(everything, "run (\(label))")
            let err = svc.stderr
            #expect(err.contains("sasl.password=[redacted]") && err.contains("ssl.key.password=[redacted]"), "\(label): \(err.prefix(3000))")
            #expect(err.contains("warning") && err.contains(config) && err.contains("chmod 600"), "\(label): \(err.prefix(3000))")
            if label == "broker" {
                // librdkafka's own configuration dump ran and redacted.
                #expect(err.contains("Client configuration") && err.contains("sasl.password = [redacted]"), "\(err.prefix(3000))")
            }
        }
    }
}
