import Foundation
import Testing
import TxGuardTestSupport

/// TLS and SASL settings, exercised as far as librdkafka 2.0.2's mock cluster allows. The mock
/// speaks neither TLS nor SASL (no SaslHandshake/SaslAuthenticate handler, no TLS listener), so a
/// successful TLS or SASL session cannot be tested here; what can be, is:
/// - a configuration librdkafka refuses when it creates the client (SASL without a password, an
///   unreadable `ssl.ca.location`) stops `run` and one-shot commands at once with exit 78 and
///   librdkafka's reason, instead of being retried as "no broker answers";
/// - a TLS or SASL client pointed at a plaintext listener is told why it cannot connect (the
///   handshake librdkafka attempted and what the broker did), in the retry log of `run` and in the
///   error of a one-shot command (exit 69), and `run` still stops on SIGTERM within its deadline.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct TransportSecurityTests {
    func trainedModel(_ ws: Workspace) async throws {
        try await ws.txguard(["simulate", "--accounts", "100", "--days", "6", "--output", ws.path("tx.jsonl")])
        try await ws.txguard(["train", "--input", ws.path("tx.jsonl"), "--model", ws.path("m.txg"), "--text", "none"])
    }

    func runArgs(_ ws: Workspace, brokers: String) -> [String] {
        ["run", "--brokers", brokers, "--input-topic", "tx", "--alert-topic", "alerts", "--dead-letter-topic", "dlq",
         "--group", "g", "--model", ws.path("m.txg"), "--state-dir", ws.path("state"), "--metrics-port", "0",
         "--shutdown-deadline", "5"]
    }

    /// Settings no broker can fix: exit 78 at once, with librdkafka's reason and what to check.
    @Test func refusedClientConfigurationStopsAtOnce() async throws {
        let ws = try Workspace()
        try await trainedModel(ws)
        let broker = try await BrokerProcess(topics: [("tx", 1), ("alerts", 1), ("dlq", 1)])
        let cases: [(String, [String], String)] = [
            ("SASL without a password", ["--security-protocol", "SASL_PLAINTEXT", "--sasl-mechanism", "PLAIN", "--sasl-username", "u"],
             "sasl.username and sasl.password must be set"),
            ("unreadable CA file", ["--security-protocol", "SSL", "--kafka-property", "ssl.ca.location=\(ws.path("missing-ca.pem"))"],
             "ssl.ca.location"),
        ]
        for (label, flags, reason) in cases {
            // `run` would otherwise retry for ever: the timeout is the failure.
            let (status, _, err) = try await run(try txguardBinary(), runArgs(ws, brokers: broker.bootstrap) + flags, timeout: 120)
            #expect(status == 78, "\(label): exit \(status)\n\(err.suffix(2000))")
            #expect(err.contains("Kafka client configuration refused by librdkafka") && err.contains(reason), "\(label): \(err.suffix(2000))")
            #expect(!err.contains("no Kafka broker answers"), "\(label): retried a configuration error\n\(err.suffix(2000))")
            let (pStatus, _, pErr) = try await run(try txguardBinary(), ["produce", "--brokers", broker.bootstrap, "--topic", "tx"] + flags + [ws.path("tx.jsonl")],
                                                   timeout: 120)
            #expect(pStatus == 78 && pErr.contains(reason), "produce, \(label): exit \(pStatus)\n\(pErr.suffix(2000))")
        }
    }

    /// A TLS or SASL client at a plaintext listener: the reason is in the retry log of `run` and in
    /// a one-shot command's error; SIGTERM still stops `run` within its deadline.
    @Test func handshakeFailuresAreNamed() async throws {
        let ws = try Workspace()
        try await trainedModel(ws)
        let broker = try await BrokerProcess(topics: [("tx", 1), ("alerts", 1), ("dlq", 1)])
        let cases: [(String, [String], String)] = [
            ("TLS", ["--security-protocol", "SSL"], "SSL handshake failed"),
            ("SASL", ["--security-protocol", "SASL_PLAINTEXT", "--sasl-mechanism", "PLAIN", "--sasl-username", "u"],
             "SASL Handshake not supported by broker"),
        ]
        let env = ["TXGUARD_SASL_PASSWORD": "not-a-real-password"]
        for (label, flags, reason) in cases {
            let svc = try ChildProcess(try txguardBinary(), runArgs(ws, brokers: broker.bootstrap) + flags, environment: env)
            _ = try await svc.firstLine(timeout: 120)
            let named = try await untilDone(stallSeconds: 60) {
                (svc.stderr.contains("no Kafka broker answers; retrying") && svc.stderr.contains(reason), Double(svc.stderr.utf8.count))
            }
            #expect(named, "\(label): the retry log does not name the cause\n\(svc.stderr.suffix(3000))")
            #expect(!svc.stderr.contains("not-a-real-password"))
            let status = await svc.terminate(signal: SIGTERM, timeout: 5 + 30)
            #expect(status != nil, "\(label): still running after SIGTERM and the 5 s deadline")
            let (pStatus, _, pErr) = try await run(try txguardBinary(), ["produce", "--brokers", broker.bootstrap, "--topic", "tx"] + flags + [ws.path("tx.jsonl")],
                                                   timeout: 120, environment: env)
            #expect(pStatus == 69 && pErr.contains("no Kafka broker answers") && pErr.contains(reason), "produce, \(label): exit \(pStatus)\n\(pErr.suffix(2000))")
        }
    }
}
