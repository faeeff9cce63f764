import ArgumentParser
import TxGuardSimulator

/// `txguard bench simulator`: generation + JSON rendering rate of the transaction simulator
/// (no I/O), with per-event latency from batches of 1,000.
struct SimulatorBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulator",
        abstract: "Transaction simulator: events/s generated and rendered to JSON lines in memory."
    )

    @Option(help: "Accounts.") var accounts: Int = 10_000
    @Option(help: "Events to generate.") var events: Int = 2_000_000
    @Option(help: "Seed.") var seed: UInt64 = 42

    func run() async throws {
        var config = SimulatorConfig()
        config.accounts = accounts
        config.maxEvents = events
        config.seed = seed
        let t0 = monotonicNanos()
        let simulator = try TransactionSimulator(config: config)
        let setup = Double(monotonicNanos() - t0) / 1e9
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 21)
        var latencies: [Double] = []
        var bytes = 0
        var count = 0
        var batchStart = monotonicNanos()
        let start = batchStart
        for tx in simulator {
            tx.appendJSONLine(to: &buffer, includeLabels: true)
            count += 1
            if count % 1000 == 0 {
                let now = monotonicNanos()
                latencies.append(Double(now - batchStart) / 1000)
                batchStart = now
                bytes += buffer.count
                buffer.removeAll(keepingCapacity: true)
            }
        }
        bytes += buffer.count
        let secs = Double(monotonicNanos() - start) / 1e9
        print(String(format: "setup (accounts, merchants, scenario plan): %.3f s; %.1f MB of JSON, %.0f bytes/event", setup, Double(bytes) / 1e6, Double(bytes) / Double(max(count, 1))))
        print(BenchResult(name: "simulate+render (\(accounts) accounts)", operations: count, seconds: secs, latenciesNanos: latencies).line)
    }
}
