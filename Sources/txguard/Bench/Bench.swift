import ArgumentParser

/// `txguard bench …`: measured throughput and latency of each hot path.
/// Build with `swift build -c release` (or `make bench`) before trusting a figure.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks: events/s and p50/p99 latency of each hot path (run a release build).",
        subcommands: [KafkaBench.self, DecodeBench.self, DetectorsBench.self, EmbedBench.self, SimulatorBench.self, ReportBench.self, PipelineBench.self, StateBench.self, ScorerBench.self]
    )
}

/// The text a C function wrote into a NUL-terminated error buffer.
func cErrorText(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
