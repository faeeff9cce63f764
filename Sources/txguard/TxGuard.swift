import ArgumentParser

/// The `txguard` command: real-time transaction monitoring on Kafka.
@main
struct TxGuard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "txguard",
        abstract: "Real-time financial transaction monitoring on Kafka.",
        version: "0.1.0",
        subcommands: [DemoCommand.self, BrokerCommand.self, SimulateCommand.self, TrainCommand.self, RunCommand.self, TailCommand.self, ReplayCommand.self, BacktestCommand.self, CalibrateCommand.self, ModelCommand.self, ConfigCommand.self, ReportCommand.self, ProduceCommand.self, ConsumeCommand.self, EmbedCommand.self, Bench.self]
    )
}
