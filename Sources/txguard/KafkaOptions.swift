import ArgumentParser
import TxGuardKafka

/// Connection flags shared by every command that talks to Kafka.
struct KafkaConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Kafka bootstrap servers (host:port,...). Env: TXGUARD_BROKERS.")
    var brokers: String?

    @Option(name: .long, help: "security.protocol: PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL.")
    var securityProtocol: String = "PLAINTEXT"

    @Option(name: .long, help: "sasl.mechanism, e.g. PLAIN, SCRAM-SHA-512.")
    var saslMechanism: String?

    @Option(name: .long, help: "sasl.username.")
    var saslUsername: String?

    @Option(name: .long, help: "ssl.ca.location (CA bundle path).")
    var sslCa: String?

    @Option(name: .customLong("kafka-property"), help: ArgumentHelp("Any librdkafka property, KEY=VALUE (repeatable).", valueName: "key=value"))
    var kafkaProperties: [String] = []

    /// Builds the client configuration; the SASL password comes only from TXGUARD_SASL_PASSWORD
    /// (never a flag, so it does not appear in process listings or shell history). `fileProperties`
    /// (`kafka_property` in `run --config`) apply under the `--kafka-property` flags.
    func client(environment: [String: String], fileProperties: [String: String] = [:]) throws -> KafkaClientConfiguration {
        guard let servers = brokers ?? environment["TXGUARD_BROKERS"], !servers.isEmpty else {
            throw ValidationError("no Kafka brokers: pass --brokers HOST:PORT or set TXGUARD_BROKERS (try `txguard broker` for a local one)")
        }
        var props = fileProperties
        for (key, value) in try parsedProperties() { props[key] = value }
        let security = KafkaSecurity(securityProtocol: securityProtocol, saslMechanism: saslMechanism, saslUsername: saslUsername,
                                     saslPassword: environment["TXGUARD_SASL_PASSWORD"], sslCALocation: sslCa)
        return KafkaClientConfiguration(bootstrapServers: servers, security: security, properties: props)
    }

    /// `--kafka-property KEY=VALUE` arguments as pairs. A malformed one is named by its position,
    /// never quoted: it may be a secret typed without its key (`--kafka-property S3cret`) or with
    /// the wrong separator (`sasl.password:S3cret`).
    func parsedProperties() throws -> [(String, String)] {
        try kafkaProperties.enumerated().map { i, kv in
            guard let eq = kv.firstIndex(of: "="), eq != kv.startIndex else {
                throw ValidationError("--kafka-property #\(i + 1) of \(kafkaProperties.count): expected KEY=VALUE (the argument is not shown: it may hold a secret)")
            }
            return (String(kv[..<eq]), String(kv[kv.index(after: eq)...]))
        }
    }
}

/// The monitor's output producer: alerts and dead letters are few, so batches are sent after
/// 1 ms instead of librdkafka's default wait; each input batch waits for their acknowledgement.
func lowLatencyProducer(_ client: KafkaClientConfiguration) -> KafkaProducerConfiguration {
    var p = KafkaProducerConfiguration(client: client)
    p.lingerMs = 1
    return p
}

/// The monitor's consumer. With `onMockBroker` (the in-process demo and benchmark),
/// `fetch.wait.max.ms` drops to 5 ms: librdkafka's mock cluster holds every fetch for the full
/// wait even when data arrives, where a real broker answers at once, so the 500 ms default would
/// only add latency there. Against real clusters librdkafka's default stays (fewer idle fetches).
func monitorConsumer(_ client: KafkaClientConfiguration, group: String, onMockBroker: Bool = false) -> KafkaConsumerConfiguration {
    var c = KafkaConsumerConfiguration(client: client, groupID: group)
    if onMockBroker && c.client.properties["fetch.wait.max.ms"] == nil { c.client.properties["fetch.wait.max.ms"] = "5" }
    if c.client.properties["max.poll.interval.ms"] == nil { c.client.properties["max.poll.interval.ms"] = "600000" }
    return c
}
