import ArgumentParser
import Foundation
import Logging
import TxGuardKafka

/// `txguard broker`: a local Kafka (librdkafka's mock cluster) for the demo, the tests and trying
/// txguard without a cluster.
struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Serve a local mock Kafka cluster on 127.0.0.1 until SIGINT/SIGTERM.",
        discussion: """
        Prints the bootstrap string (e.g. 127.0.0.1:39211) as the first line of stdout, so scripts \
        can read it. The cluster is librdkafka's mock (in memory, nothing persisted, roughly the \
        last 4-5 MB of each partition kept). Topics not declared with --topic are created on first \
        use with --partitions partitions; txguard-state (the monitor's default state-snapshot \
        topic) is always created.

        Example (sh):
          txguard broker --topic tx --bootstrap-file broker.txt &
          until [ -s broker.txt ]; do sleep 0.1; done
          B=$(cat broker.txt); echo "broker at $B"
        """
    )

    @Option(name: .long, help: "Number of mock brokers.")
    var brokers: Int = 1

    @Option(name: .long, help: "Topic to create up front (repeatable).")
    var topic: [String] = []

    @Option(name: .long, help: "Partitions for declared topics and for topics auto-created on first use.")
    var partitions: Int = 4

    @Option(name: .long, help: "Also write the bootstrap string to this file (written after the cluster is up).")
    var bootstrapFile: String?

    func validate() throws {
        guard (1...16).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 16, got \(brokers)") }
        guard (1...1024).contains(partitions) else { throw ValidationError("--partitions must be between 1 and 1024, got \(partitions)") }
        for t in topic where !isValidTopicName(t) {
            throw ValidationError("--topic \(t.debugDescription): a topic name is 1-249 characters of [a-zA-Z0-9._-]")
        }
    }

    func run() async throws {
        var logger = Logger(label: "txguard.broker")
        logger.logLevel = .info
        let cluster = try MockCluster(brokers: brokers, defaultPartitions: partitions, logger: logger)
        if !cluster.defaultPartitionsApplied {
            logger.warning("this librdkafka's mock cluster does not allow changing the partition count of auto-created topics; they get 4. Declare topics with --topic to control it.")
        }
        // txguard's default state-snapshot topic is always there, so `txguard run` needs no set-up.
        for t in topic + (topic.contains("txguard-state") ? [] : ["txguard-state"]) {
            try cluster.createTopic(t, partitions: partitions, replicationFactor: brokers)
        }
        let bootstrap = cluster.bootstrapServers
        if let path = bootstrapFile {
            let tmp = path + ".tmp"
            try (bootstrap + "\n").write(toFile: tmp, atomically: false, encoding: .utf8)
            _ = rename(tmp, path)
        }
        FileHandle.standardOutput.write(Data((bootstrap + "\n").utf8))
        logger.info("mock Kafka cluster up", metadata: [
            "bootstrap": "\(bootstrap)", "brokers": "\(brokers)", "topics": "\(topic)", "partitions": "\(partitions)",
        ])
        let signal = await waitForTerminationSignal()
        logger.info("stopping mock cluster", metadata: ["signal": "\(signal)"])
        withExtendedLifetime(cluster) {}
    }
}

/// Kafka's topic name rule.
func isValidTopicName(_ name: String) -> Bool {
    !name.isEmpty && name.count <= 249 && name != "." && name != ".."
        && name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0)) }
}
