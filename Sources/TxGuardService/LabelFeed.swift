import Foundation
import Logging
import Metrics
import ServiceLifecycle
import TxGuardContracts
import TxGuardKafka
import TxGuardPipeline

/// Feeds the process's `LabelBook` from Kafka, for `txguard run --labels-topic T`.
///
/// Every instance reads every partition of two topics, outside the consumer group (like a Kafka
/// Streams global table), from `lookback` ago:
/// - `T`, the labels analysts and chargeback systems publish (label.v1). A label that carries its
///   transaction's entity keys and event time is used as it is. One that does not is joined with the
///   transaction by the instance that judged it (`LabelBook.remember`), which publishes the joined
///   label to the resolved topic; until then it waits (bounded) in case its transaction comes later.
/// - `T.resolved` (compacted, keyed by `<transaction id>@<labeled_at µs>`, so compaction keeps every
///   version of a transaction's label, as the as-of book needs): joined labels, read by every instance, so an
///   entity's risk counts labels whose transactions another instance judged, whatever the input
///   topic's partition count.
///
/// A label may be used from its `labeled_at` on. Staleness: a label is seen by the events scored
/// after it was read; a lagging label feed (or the join through the resolved topic, one
/// produce-consume round trip) delays it for events scored in the meantime.
/// Records that are not valid label.v1 go to the dead-letter topic with a reason, like transactions.
public final class LabelFeed: Service, @unchecked Sendable {
    /// Where labels come from and go.
    public struct Configuration: Sendable {
        public var client: KafkaClientConfiguration
        public var labelsTopic: String
        public var resolvedTopic: String
        public var deadLetterTopic: String
        /// How far back to read both topics at start (ms).
        public var lookbackMs: Int64 = 45 * 86_400_000

        public init(client: KafkaClientConfiguration, labelsTopic: String, deadLetterTopic: String) {
            self.client = client
            self.labelsTopic = labelsTopic
            self.resolvedTopic = labelsTopic + ".resolved"
            self.deadLetterTopic = deadLetterTopic
        }
    }

    public let configuration: Configuration
    private let book: LabelBook
    private let logger: Logger
    private let decoder = LabelDecoder()
    /// Counts for logs and tests.
    public let counts = Locked<[String: Int]>([:])
    /// True once the start positions are assigned and the first poll returned.
    public let started = Locked(false)

    public init(configuration: Configuration, book: LabelBook, logger: Logger) {
        self.configuration = configuration
        self.book = book
        self.logger = logger
    }

    private func count(_ outcome: String) {
        counts.withLock { $0[outcome, default: 0] += 1 }
        Counter(label: "txguard_labels_total", dimensions: [("outcome", outcome)]).increment()
    }

    public func run() async throws {
        var cc = KafkaConsumerConfiguration(client: configuration.client, groupID: "txguard-labels-\(UUID().uuidString)")
        cc.autoOffsetReset = "earliest"
        let consumer = try KafkaConsumer(configuration: cc, logger: logger)
        defer { consumer.close() }
        var pc = KafkaProducerConfiguration(client: configuration.client)
        pc.lingerMs = 5
        let producer = try KafkaProducer(configuration: pc, logger: logger)
        defer { producer.close(flushTimeoutMs: 5_000) }
        let resolvedTopic = configuration.resolvedTopic
        book.onResolved = { [logger] r in
            do {
                try producer.send(OutgoingMessage(topic: resolvedTopic, key: Array("\(r.transactionID)@\(r.labeledAtMicros)".utf8), value: r.label.encoded(),
                                                  headers: [KafkaHeader("txguard.schema.version", Label.schemaVersion)]))
            } catch {
                logger.warning("could not publish a joined label; other instances will not count it", metadata: ["error": "\(error)"])
            }
        }
        defer { book.onResolved = nil }

        var assigned: [TopicPartition] = []
        var lastAssign = Date.distantPast
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            // (Re)assign every partition of both topics, from `lookback` ago for new partitions.
            if Date().timeIntervalSince(lastAssign) > 30 {
                lastAssign = Date()
                var all: [TopicPartition] = []
                for topic in [configuration.labelsTopic, resolvedTopic] {
                    if let n = (try? consumer.partitionCount(topic)) ?? nil { all += (0..<Int32(n)).map { TopicPartition(topic, $0) } }
                }
                if Set(all) != Set(assigned), !all.isEmpty {
                    let since = Int64(Date().timeIntervalSince1970 * 1000) - configuration.lookbackMs
                    // The first record at or after `since` (the end when none is); the beginning if the lookup fails.
                    let starts = (try? consumer.offsetsForTimes(all.map { TopicPartitionOffset($0, offset: since) }))
                        ?? all.map { TopicPartitionOffset($0, offset: -2) }
                    // Partitions already being read keep their position.
                    let keep = Dictionary(((try? consumer.position(assigned)) ?? []).map { ($0.topicPartition, $0.offset) }, uniquingKeysWith: { a, _ in a })
                    let offsets = starts.map { s in
                        keep[s.topicPartition].flatMap { $0 >= 0 ? TopicPartitionOffset(s.topicPartition, offset: $0) : nil } ?? s
                    }
                    try consumer.assign(offsets)
                    assigned = all
                    logger.info("label feed reading", metadata: ["topics": "\(configuration.labelsTopic), \(resolvedTopic)", "partitions": "\(all.count)"])
                }
            }
            let batch = await consumer.nextBatch(maxMessages: 2000, timeoutMs: 200)
            started.value = true
            var deadLetters: [OutgoingMessage] = []
            for i in 0..<batch.count {
                let r = batch[i]
                let m = r.materialize()
                let source = SourceContext(topic: m.topic, partition: m.partition, offset: m.offset)
                let label: Label
                do { label = try decoder.decode(m.value, context: source) } catch {
                    count("dead_letter")
                    let dl = DeadLetter(key: m.key, value: Array(m.value.prefix(900_000)), headers: m.headers.map { ($0.name, $0.value) },
                                        error: error, source: source)
                    deadLetters.append(OutgoingMessage(topic: configuration.deadLetterTopic, key: dl.key, value: dl.value ?? [],
                                                       headers: dl.headers.map { KafkaHeader($0.name, $0.value) }))
                    continue
                }
                if m.topic == resolvedTopic {
                    count(book.insert(ResolvedLabel(label, transaction: nil, visibleAtMicros: label.labeledAtMicros)).rawValue)
                    continue
                }
                switch book.resolve(label) {
                case .inserted(let o): count(o.rawValue)
                case .pending: count("pending")
                case .beforeTransaction:
                    count("dead_letter")
                    let err = DecodeError(code: .invalidField, path: "/labeled_at", message: "label made before its transaction's event time", source: source)
                    let dl = DeadLetter(key: m.key, value: m.value, headers: m.headers.map { ($0.name, $0.value) }, error: err, source: source)
                    deadLetters.append(OutgoingMessage(topic: configuration.deadLetterTopic, key: dl.key, value: dl.value ?? [],
                                                       headers: dl.headers.map { KafkaHeader($0.name, $0.value) }))
                }
            }
            if !deadLetters.isEmpty {
                // Labels are not committed anywhere (every start re-reads the lookback), so a dead
                // letter that fails to send is logged rather than retried forever.
                for d in deadLetters {
                    do { _ = try await producer.send(d) } catch { logger.error("could not dead-letter a bad label", metadata: ["error": "\(error)"]) }
                }
            }
        }
    }
}
