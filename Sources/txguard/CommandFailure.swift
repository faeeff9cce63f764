import ArgumentParser
import Foundation
import TxGuardKafka
import Logging
import TxGuardPipeline

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

/// Asks the cluster for metadata with a short timeout; the error when no broker answers.
func brokerProblem(_ client: KafkaClientConfiguration, timeoutMs: Int) -> (any Error)? {
    var logger = Logger(label: "txguard.probe")
    logger.logLevel = .critical  // "connection refused" is reported once, by the caller
    do {
        let admin = try KafkaAdmin(client: client, logger: logger)
        _ = try admin.partitionCount("__txguard_probe", timeoutMs: timeoutMs)
        return nil
    } catch {
        return error
    }
}

/// One-shot commands: fail at once, with the address, when no broker answers (instead of waiting
/// out librdkafka's message timeout and reporting every record failed).
func requireBroker(_ client: KafkaClientConfiguration, timeoutMs: Int = 5_000) throws {
    if let error = brokerProblem(client, timeoutMs: timeoutMs) {
        throw CommandFailure.noBroker(client.bootstrapServers, error, timeoutMs: timeoutMs)
    }
}
