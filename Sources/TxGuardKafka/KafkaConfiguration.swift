/// Settings shared by every Kafka client: where the cluster is, how to authenticate, and any
/// other librdkafka property by name (librdkafka's own error text is surfaced if it rejects one).
public struct KafkaClientConfiguration: Sendable, Equatable {
    /// `bootstrap.servers`: comma-separated `host:port` list.
    public var bootstrapServers: String
    /// `client.id`, shown in broker logs.
    public var clientID: String = "txguard"
    /// Authentication and encryption.
    public var security: KafkaSecurity = .plaintext
    /// Any other librdkafka property (see librdkafka's CONFIGURATION.md), applied last, to the
    /// clients it belongs to (consumer-only properties to consumers, producer-only to producers).
    public var properties: [String: String] = [:]

    public init(bootstrapServers: String, clientID: String = "txguard", security: KafkaSecurity = .plaintext, properties: [String: String] = [:]) {
        self.bootstrapServers = bootstrapServers
        self.clientID = clientID
        self.security = security
        self.properties = properties
    }

    var rdProperties: [(String, String)] {
        // Nagle's algorithm off: with it, a small request (a few alerts, a commit) can sit behind
        // the peer's delayed ACK for ~40 ms, which dominated acknowledgement waits and tail latency.
        var out: [(String, String)] = [("bootstrap.servers", bootstrapServers), ("client.id", clientID), ("socket.nagle.disable", "true")]
        out += security.rdProperties
        return out
    }
}

/// `security.protocol` and its SASL/SSL settings. `description` never prints the values librdkafka
/// marks sensitive (`SensitiveProperty`): the SASL username and password.
public struct KafkaSecurity: Sendable, Equatable, CustomStringConvertible {
    /// `PLAINTEXT`, `SSL`, `SASL_PLAINTEXT` or `SASL_SSL`.
    public var securityProtocol: String
    /// `sasl.mechanism`: `PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`, `OAUTHBEARER`, `GSSAPI`.
    public var saslMechanism: String?
    public var saslUsername: String?
    public var saslPassword: String?
    /// `ssl.ca.location`, `ssl.certificate.location`, `ssl.key.location`, `ssl.key.password`.
    public var sslCALocation: String?
    public var sslCertificateLocation: String?
    public var sslKeyLocation: String?
    public var sslKeyPassword: String?

    public static let plaintext = KafkaSecurity(securityProtocol: "PLAINTEXT")

    public init(securityProtocol: String, saslMechanism: String? = nil, saslUsername: String? = nil, saslPassword: String? = nil,
                sslCALocation: String? = nil, sslCertificateLocation: String? = nil, sslKeyLocation: String? = nil, sslKeyPassword: String? = nil) {
        self.securityProtocol = securityProtocol
        self.saslMechanism = saslMechanism
        self.saslUsername = saslUsername
        self.saslPassword = saslPassword
        self.sslCALocation = sslCALocation
        self.sslCertificateLocation = sslCertificateLocation
        self.sslKeyLocation = sslKeyLocation
        self.sslKeyPassword = sslKeyPassword
    }

    var rdProperties: [(String, String)] {
        var out = [("security.protocol", securityProtocol)]
        let optional: [(String, String?)] = [
            ("sasl.mechanism", saslMechanism), ("sasl.username", saslUsername), ("sasl.password", saslPassword),
            ("ssl.ca.location", sslCALocation), ("ssl.certificate.location", sslCertificateLocation),
            ("ssl.key.location", sslKeyLocation), ("ssl.key.password", sslKeyPassword),
        ]
        for case let (k, v?) in optional { out.append((k, v)) }
        return out
    }

    public var description: String {
        var parts = ["protocol=\(securityProtocol)"]
        if let m = saslMechanism { parts.append("sasl.mechanism=\(m)") }
        if saslUsername != nil { parts.append("sasl.username=\(SensitiveProperty.redacted)") }
        if saslPassword != nil { parts.append("sasl.password=\(SensitiveProperty.redacted)") }
        if let ca = sslCALocation { parts.append("ssl.ca.location=\(ca)") }
        return parts.joined(separator: " ")
    }
}

/// How a consumer group spreads partitions over its members.
public enum PartitionAssignment: String, Sendable, Equatable {
    /// Eager protocol: every rebalance revokes everything, then assigns.
    case range, roundrobin
    /// Incremental protocol: only moved partitions are revoked.
    case cooperativeSticky = "cooperative-sticky"
}

/// A consumer's settings. Offsets are never auto-committed: the application stores and commits
/// them after its outputs are acknowledged.
public struct KafkaConsumerConfiguration: Sendable, Equatable {
    public var client: KafkaClientConfiguration
    /// `group.id`. Required by librdkafka even for assign-only consumers (it never joins unless subscribing).
    public var groupID: String
    /// Where to start when the group has no committed offset: `earliest` or `latest`.
    public var autoOffsetReset: String = "earliest"
    public var assignment: PartitionAssignment = .range
    /// `isolation.level`: `read_committed` hides aborted transactional records.
    public var readCommitted: Bool = true
    public var sessionTimeoutMs: Int = 10_000
    /// `enable.auto.commit`. Off by default: txguard commits only acknowledged work.
    public var autoCommit: Bool = false
    /// `enable.auto.offset.store`. Off by default: offsets are stored explicitly after outputs are acknowledged.
    public var autoOffsetStore: Bool = false

    public init(client: KafkaClientConfiguration, groupID: String) {
        self.client = client
        self.groupID = groupID
    }

    var rdProperties: [(String, String)] {
        client.rdProperties + [
            ("group.id", groupID),
            ("auto.offset.reset", autoOffsetReset),
            ("partition.assignment.strategy", assignment.rawValue),
            ("isolation.level", readCommitted ? "read_committed" : "read_uncommitted"),
            ("session.timeout.ms", String(sessionTimeoutMs)),
            ("enable.auto.commit", autoCommit ? "true" : "false"),
            ("enable.auto.offset.store", autoOffsetStore ? "true" : "false"),
            ("enable.partition.eof", "false"),
        ] + PropertyScope.applicable(client.properties, to: .consumer)
    }
}

/// A producer's settings. Idempotence is on by default (no duplicates or reordering on retry).
public struct KafkaProducerConfiguration: Sendable, Equatable {
    public var client: KafkaClientConfiguration
    /// `enable.idempotence`.
    public var idempotent: Bool = true
    /// `linger.ms`: how long to wait to fill a batch.
    public var lingerMs: Int = 5
    /// `compression.type`: none, gzip, snappy, lz4, zstd.
    public var compression: String = "none"
    /// `message.timeout.ms`: delivery gives up (and reports failure) after this.
    public var messageTimeoutMs: Int = 300_000
    /// `transactional.id`: set to make a transactional producer (exactly-once mode).
    public var transactionalID: String?
    /// `transaction.timeout.ms`.
    public var transactionTimeoutMs: Int = 60_000

    public init(client: KafkaClientConfiguration) {
        self.client = client
    }

    var rdProperties: [(String, String)] {
        var out = client.rdProperties + [
            ("enable.idempotence", idempotent || transactionalID != nil ? "true" : "false"),
            ("linger.ms", String(lingerMs)),
            ("compression.type", compression),
            // A transactional producer must give up on a record before its transaction times out.
            ("message.timeout.ms", String(transactionalID == nil ? messageTimeoutMs : min(messageTimeoutMs, transactionTimeoutMs))),
            ("queue.buffering.max.messages", "1000000"),
            ("batch.num.messages", "10000"),
        ]
        if let t = transactionalID {
            out += [("transactional.id", t), ("transaction.timeout.ms", String(transactionTimeoutMs))]
        }
        return out + PropertyScope.applicable(client.properties, to: .producer)
    }
}
