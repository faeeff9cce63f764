import ArgumentParser

/// Placeholder replaced below in the same change set.
struct KafkaBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kafka", abstract: "Swift binding vs plain C librdkafka loop through the mock cluster.")
    func run() async throws { throw ValidationError("kafka benchmark: not built yet") }
}
