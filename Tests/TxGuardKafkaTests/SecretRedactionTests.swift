import Foundation
import Logging
import Testing
@testable import TxGuardKafka
import TxGuardTestSupport

/// Secrets hygiene in the Kafka binding: which properties are sensitive (librdkafka's own
/// `_RK_SENSITIVE` set and a name rule), and that their values never reach an error message or a
/// log line, including librdkafka's own texts.
@Suite(.timeLimit(.minutes(2)))
struct SecretRedactionTests {
    /// Keeps every message with its metadata (librdkafka's error callback puts its text in metadata).
    final class Capture: LogHandler, @unchecked Sendable {
        // Sendable: `lines` is guarded by `lock`.
        private let lock = NSLock()
        private var lines: [String] = []
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let meta = (event.metadata ?? [:]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            lock.withLock { lines.append("\(event.message) \(meta)") }
        }
        var text: String { lock.withLock { lines.joined(separator: "\n") } }
        var logger: Logger {
            var l = Logger(label: "test.secrets") { _ in self }
            l.logLevel = .trace
            return l
        }
    }

    /// librdkafka 2.0.2's `_RK_SENSITIVE` properties (src/rdkafka_conf.c), the later releases'
    /// additions, and the names in issue 15 are all redacted; ordinary settings are not.
    @Test func redactionRuleCoversLibrdkafkasSensitiveSet() {
        let v202 = ["ssl.key.location", "ssl.key.password", "ssl.key.pem", "ssl_key", "ssl.ca.pem", "ssl.keystore.password",
                    "sasl.username", "sasl.password", "sasl.oauthbearer.config"]
        let later = ["sasl.oauthbearer.client.secret", "sasl.oauthbearer.assertion.private.key.file",
                     "sasl.oauthbearer.assertion.private.key.passphrase", "sasl.oauthbearer.assertion.private.key.pem"]
        let habits = ["ssl.truststore.password", "SASL.PASSWORD", "schema.registry.basic.auth.secret"]
        for name in v202 + later + habits {
            #expect(SensitiveProperty.isSensitive(name), "\(name)")
            #expect(SensitiveProperty.shown(name, "v4lue") == "[redacted]", "\(name)")
        }
        for name in ["bootstrap.servers", "security.protocol", "sasl.mechanism", "ssl.ca.location", "ssl.certificate.location",
                     "fetch.wait.max.ms", "client.id", "debug", "enable.ssl.certificate.verification"] {
            #expect(!SensitiveProperty.isSensitive(name), "\(name)")
            #expect(SensitiveProperty.shown(name, "v4lue") == "v4lue")
        }
        #expect(SensitiveProperty.describe(["sasl.password": "S3cr3t-Canary", "linger.ms": "2"]) == "linger.ms=2, sasl.password=[redacted]")
    }

    @Test func scrubRemovesWholeValuesAndTheirParts() {
        let secrets = SensitiveProperty.secrets(in: [
            ("sasl.password", "S3cr3t-Canary"), ("sasl.oauthbearer.config", "principal=admin lifeSeconds=OAuth-Canary"),
            ("sasl.username", "txguard"), ("ssl.key.location", "/etc/key.pem"), ("linger.ms", "12345678"), ("ssl.key.password", "abc"),
        ])
        #expect(secrets.contains("S3cr3t-Canary") && secrets.contains("OAuth-Canary") && secrets.contains("principal=admin lifeSeconds=OAuth-Canary"))
        #expect(!secrets.contains("12345678"), "not a sensitive property")
        #expect(!secrets.contains("txguard") && !secrets.contains("/etc/key.pem"), "identifiers and paths are not scrubbed from librdkafka's texts")
        #expect(!secrets.contains("abc"), "parts under 4 characters would garble every message")
        let text = "Invalid sasl.oauthbearer.config: non-integral 'lifeSeconds': OAuth-Canary; password S3cr3t-Canary twice S3cr3t-Canary"
        let scrubbed = SensitiveProperty.scrub(text, secrets: secrets)
        #expect(scrubbed == "Invalid sasl.oauthbearer.config: non-integral 'lifeSeconds': [redacted]; password [redacted] twice [redacted]")
    }

    /// A property librdkafka does not know (a misspelt secret) or refuses is named, never quoted.
    @Test func rejectedPropertiesNeverShowASecretValue() throws {
        for (key, value) in [("sasl.pasword", "S3cr3t-Canary"), ("ssl.key.passwrd", "S3cr3t-Canary")] {
            let client = KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1", properties: [key: value])
            #expect(throws: KafkaError.self) { try client.validate() }
            do { try client.validate() } catch {
                #expect("\(error)".contains("\(key)=[redacted]") && "\(error)".contains("No such configuration property"), "\(error)")
                #expect(!"\(error)".contains("Canary"), "\(error)")
            }
        }
        // A known, non-sensitive property keeps librdkafka's full text, value included.
        let plain = KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1", properties: ["security.protocol": "rot13"])
        do { try plain.validate(); Issue.record("expected rot13 to be refused") } catch {
            #expect("\(error)".contains("security.protocol=rot13"), "\(error)")
        }
    }

    /// An invalid value of a sensitive property: librdkafka's error quotes part of it
    /// ("Invalid sasl.oauthbearer.config: non-integral 'lifeSeconds': <value>"); the binding's
    /// error callback must log the error without the value.
    @Test func invalidSensitiveValueIsReportedWithoutTheValue() async throws {
        let capture = Capture()
        let client = KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1", properties: [
            "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "OAUTHBEARER", "enable.sasl.oauthbearer.unsecure.jwt": "true",
            "sasl.oauthbearer.config": "principal=admin lifeSeconds=OAuth-Canary-9",
        ])
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: client), logger: capture.logger)
        let deadline = Date().addingTimeInterval(30)
        while !capture.text.contains("sasl.oauthbearer.config") && Date() < deadline { try await Task.sleep(for: .milliseconds(100)) }
        producer.close(flushTimeoutMs: 0)
        let text = capture.text
        #expect(text.contains("Invalid sasl.oauthbearer.config"), "librdkafka reported no error: \(text)")
        #expect(text.contains("[redacted]"), "the quoted value was not replaced: \(text)")
        #expect(!text.contains("Canary"), "\(text)")
    }

    /// librdkafka's own configuration dump (`debug=conf`) reaches the log with every sensitive
    /// value hidden: what librdkafka redacts itself must be sensitive to txguard too (the rule covers
    /// the linked library's set for every sensitive name the build accepts).
    @Test func librdkafkaDebugDumpShowsNoSecret() async throws {
        let capture = Capture()
        var properties: [String: String] = ["debug": "conf", "linger.ms": "7"]  // dumped as queue.buffering.max.ms
        var n = 0
        var unsupported: [String] = []
        for name in SensitiveProperty.librdkafkaSensitive.sorted() where PropertyScope.isKnown(name) {
            let value = name.hasSuffix(".location") || name.hasSuffix(".file") ? "/nonexistent/Canary-\(n)" : "Dump-Canary-\(n)"
            // Debian's build lacks libcurl, so the OIDC properties are refused there.
            guard (try? KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1", properties: [name: value]).validate()) != nil else {
                unsupported.append(name)
                continue
            }
            n += 1
            properties[name] = value
        }
        #expect(n >= 7, "the linked librdkafka accepts \(n) of the sensitive names (refused: \(unsupported))")
        let producer = try KafkaProducer(configuration: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: "127.0.0.1:1", properties: properties)),
                                         logger: capture.logger)
        producer.close(flushTimeoutMs: 0)
        let dump = capture.text.split(separator: "\n").compactMap { full -> (String, String)? in
            // "[thrd:app]:   name = value librdkafka.facility=CONF"
            guard full.hasSuffix("librdkafka.facility=CONF"), let start = full.range(of: "]:   ") else { return nil }
            let line = full[start.upperBound...]
            guard let eq = line.range(of: " = ") else { return nil }
            let name = line[..<eq.lowerBound].trimmingCharacters(in: .whitespaces)
            let value = line[eq.upperBound...].components(separatedBy: " librdkafka.facility=").first ?? ""
            return (name, value)
        }
        #expect(dump.contains { $0 == ("queue.buffering.max.ms", "7") }, "no configuration dump in the log: \(capture.text.prefix(3000))")
        for (name, value) in dump where value == "[redacted]" {
            #expect(SensitiveProperty.isSensitive(name), "librdkafka redacts \(name) but txguard would print it")
        }
        for (name, value) in dump where SensitiveProperty.isSensitive(name) && !name.hasSuffix(".location") && !name.hasSuffix(".file") {
            #expect(value == "[redacted]", "\(name) = \(value)")
        }
        #expect(!capture.text.contains("Dump-Canary"), "\(capture.text)")
    }
}
