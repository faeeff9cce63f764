import ArgumentParser
import Foundation
import TxGuardKafka
import Logging
import TxGuardPipeline
import Synchronization

/// A failure while a command runs (not a mistake on its command line): printed as one
/// `Error: ...` line without the usage text, and exiting with the same code whichever command hit
/// it. Codes follow sysexits(3), so scripts can tell the cases apart:
///
/// | code | meaning | e.g. |
/// |---|---|---|
/// | 64 | command-line usage (ArgumentParser's own; usage is shown) | unknown flag |
/// | 65 | input data unusable | corrupt or incompatible model file, no valid transaction in a file |
/// | 69 | service unavailable | no Kafka broker answers at the address |
/// | 78 | configuration | bad `--config` file or TXGUARD_* value |
/// | 1 | anything else | |
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32

    static let dataError: Int32 = 65
    static let unavailable: Int32 = 69
    static let configuration: Int32 = 78

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }

    static func noBroker(_ bootstrap: String, _ error: any Error, timeoutMs: Int) -> CommandFailure {
        CommandFailure("no Kafka broker answers at \(bootstrap) within \(timeoutMs / 1000) s (\(error)). Is the address right, is the broker up, do --security-protocol/--sasl-* match its listener?",
                       exitCode: unavailable)
    }

    /// The exit code and message for an error thrown by a command's `run()`; nil leaves it to
    /// ArgumentParser (usage errors, help, clean exits).
    static func classify(_ error: any Error) -> CommandFailure? {
        switch error {
        case let f as CommandFailure: return f
        case let e as ModelFileError: return CommandFailure("model: \(e)", exitCode: dataError)
        default: return nil
        }
    }
}

/// Asks the cluster for metadata with a short timeout; the error when no broker answers. A bare
/// "Broker transport failure" says nothing about why, so the probe keeps what librdkafka logged
/// meanwhile (a TLS handshake refused, a SASL mechanism the broker lacks, an authentication
/// failure) and returns it with the error (`BrokerProbeError`). A configuration librdkafka refuses
/// (`KafkaError.isConfiguration`: a missing SASL password, an unreadable `ssl.ca.location`) comes
/// back as it is: no broker can fix it.
func brokerProblem(_ client: KafkaClientConfiguration, timeoutMs: Int) -> (any Error)? {
    let captured = CapturedLines()
    let logger = Logger(label: "txguard.probe") { _ in CapturingLogHandler(box: captured) }
    do {
        let admin = try KafkaAdmin(client: client, logger: logger)
        _ = try admin.partitionCount("__txguard_probe", timeoutMs: timeoutMs)
        return nil
    } catch where error.isConfiguration {
        return error
    } catch {
        let causes = captured.lines.withLock { $0 }
        return causes.isEmpty ? error : BrokerProbeError(error: error, causes: causes)
    }
}

/// A failed broker probe and what librdkafka logged during it (its last distinct messages).
struct BrokerProbeError: Error, CustomStringConvertible {
    var error: any Error
    var causes: [String]
    var description: String { "\(error); librdkafka says: \(causes.suffix(2).joined(separator: " | "))" }
}

/// Lines a `CapturingLogHandler` kept.
final class CapturedLines: Sendable {
    let lines = Mutex<[String]>([])
}

/// Keeps warning-and-above messages (distinct, at most 8, each cut to 300 characters) instead of
/// printing them.
struct CapturingLogHandler: LogHandler {
    let box: CapturedLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .warning
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        var text = "\(event.message)"
        if let code = event.metadata?["code"], let reason = event.metadata?["reason"] { text = "\(code): \(reason)" }
        // "[thrd:ssl://h:p/bootstrap]: ssl://h:p/bootstrap: SSL handshake failed: ... (after 1ms in state
        // SSL_HANDSHAKE, 1 identical error(s) suppressed)": keep the broker and the reason only.
        if text.hasPrefix("[thrd:"), let end = text.range(of: "]: ") { text = String(text[end.upperBound...]) }
        if let after = text.range(of: " (after ", options: .backwards) { text = String(text[..<after.lowerBound]) }
        text = String(text.prefix(300))
        box.lines.withLock { lines in
            guard !lines.contains(text) else { return }
            lines.append(text)
            if lines.count > 8 { lines.removeFirst() }
        }
    }
}

/// The failure for a broker problem: a configuration librdkafka refuses exits 78 with its text;
/// anything else is "no broker answers" (69).
func brokerFailure(_ client: KafkaClientConfiguration, _ error: any Error, timeoutMs: Int) -> CommandFailure {
    if let e = error as? KafkaError, e.isConfiguration {
        return CommandFailure("Kafka client configuration refused by librdkafka: \(e.message). Check --security-protocol, --sasl-*, TXGUARD_SASL_PASSWORD and --kafka-property ssl.*/sasl.*",
                              exitCode: CommandFailure.configuration)
    }
    return CommandFailure.noBroker(client.bootstrapServers, error, timeoutMs: timeoutMs)
}

/// One-shot commands: fail at once, with the address, when no broker answers (instead of waiting
/// out librdkafka's message timeout and reporting every record failed).
func requireBroker(_ client: KafkaClientConfiguration, timeoutMs: Int = 5_000) throws {
    if let error = brokerProblem(client, timeoutMs: timeoutMs) {
        throw brokerFailure(client, error, timeoutMs: timeoutMs)
    }
}
