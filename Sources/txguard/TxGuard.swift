import ArgumentParser
import Foundation
import TxGuardEmbeddings

/// The `txguard` command: real-time transaction monitoring on Kafka.
@main
struct TxGuard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "txguard",
        abstract: "Real-time financial transaction monitoring on Kafka.",
        version: "0.1.0",
        subcommands: [DemoCommand.self, BrokerCommand.self, SimulateCommand.self, TrainCommand.self, RunCommand.self, TailCommand.self, ReplayCommand.self, BacktestCommand.self, CalibrateCommand.self, ModelCommand.self, ConfigCommand.self, ReportCommand.self, ProduceCommand.self, ConsumeCommand.self, EmbedCommand.self, Bench.self]
    )

    /// ArgumentParser's `main`, except that errors thrown while a command runs are not command-line
    /// mistakes: they print as one line, without the usage text, with the exit code of their kind
    /// (`CommandFailure`). Errors from parsing and `validate()` keep ArgumentParser's handling.
    static func main() async {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            // OpenBLAS's thread count moves embeddings' last bits, so it is txguard's to fix.
            do { _ = try BLAS.pinned.get() } catch { throw CommandFailure("\(error)", exitCode: CommandFailure.configuration) }
            if var c = command as? any AsyncParsableCommand { try await c.run() } else { var c = command; try c.run() }
        } catch {
            if let f = CommandFailure.classify(error) {
                FileHandle.standardError.write(Data("Error: \(f.description)\n".utf8))
                Foundation.exit(f.exitCode)
            }
            if let v = error as? ValidationError {
                // Raised while running (a file, a topic, a setting): the usage text would not help.
                FileHandle.standardError.write(Data("Error: \(v.message)\n".utf8))
                Foundation.exit(1)
            }
            exit(withError: error)
        }
    }
}
