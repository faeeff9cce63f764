import TxGuardContracts
import TxGuardKafka
import TxGuardPipeline

/// Runs the txguard pipeline (`PartitionScorer`) as a partition processor: alerts go to the
/// alert topic keyed by account, dead letters to the dead-letter topic with their reason headers.
public final class PipelineProcessor: PartitionProcessor {
    /// Dead-letter values above this size are truncated (Kafka's default record limit is 1 MB).
    static let maxDeadLetterValueBytes = 900_000
    let scorer: PartitionScorer
    let alertTopic: String
    let deadLetterTopic: String

    init(scorer: PartitionScorer, alertTopic: String, deadLetterTopic: String) {
        self.scorer = scorer
        self.alertTopic = alertTopic
        self.deadLetterTopic = deadLetterTopic
    }

    public func process(_ record: KafkaRecordView, emit: Bool) -> RecordResult {
        processBatch([record], emit: [emit])[0]
    }

    public func processBatch(_ records: [KafkaRecordView], emit: [Bool]) -> [RecordResult] {
        guard let first = records.first else { return [] }
        // One partition per batch: the topic name is read once; keys and headers are copied only
        // for the (rare) dead letters.
        let topic = first.topic
        let inputs = zip(records, emit).map { r, e in
            PartitionScorer.RecordInput(value: r.value, key: nil, headers: [],
                                        source: SourceContext(topic: topic, partition: r.partition, offset: r.offset), emit: e)
        }
        // Each verdict is moved out, not copied with its transaction.
        var verdicts = InOrderMover(scorer.judgeBatch(inputs))
        return records.map { r in
            var v = verdicts.next()!
            if let dl = v.deadLetter {
                v.deadLetter = DeadLetter(key: r.key.map(Array.init), value: dl.value, headers: r.headers.map { ($0.name, $0.value) },
                                          error: dl.error, source: dl.error.source)
            }
            var r = result(v)
            r.amountRounded = v.transaction?.amountRoundedFromBinaryFloat ?? false
            return r
        }
    }

    private func result(_ v: Verdict) -> RecordResult {
        switch v.kind {
        case .normal:
            return RecordResult(disposition: .normal, score: v.score, threshold: v.threshold, detectors: v.detectors)
        case .alert:
            var outputs: [OutgoingMessage] = []
            if let a = v.alert {
                outputs.append(OutgoingMessage(topic: alertTopic, key: Array(a.accountID.utf8), value: AlertEncoder.encode(a),
                                               headers: [KafkaHeader("txguard.schema.version", Alert.schemaVersion), KafkaHeader("txguard.alert.id", a.alertID)]))
            }
            return RecordResult(disposition: .alert, outputs: outputs, score: v.score, threshold: v.threshold, detectors: v.detectors)
        case .deadLetter:
            let reason = v.deadLetter?.error.code.rawValue ?? "invalid"
            var outputs: [OutgoingMessage] = []
            if let d = v.deadLetter {
                var value = d.value ?? []
                var headers = d.headers.map { KafkaHeader($0.name, $0.value) }
                // A record too large for the dead-letter topic would be refused by the broker and
                // stall the partition: keep its head and say how long it was.
                if value.count > Self.maxDeadLetterValueBytes {
                    headers.append(KafkaHeader("txguard.value.truncated_from", "\(value.count)"))
                    value = Array(value.prefix(Self.maxDeadLetterValueBytes))
                }
                outputs.append(OutgoingMessage(topic: deadLetterTopic, key: d.key, value: value, headers: headers))
            }
            return RecordResult(disposition: .deadLetter(reason: reason), outputs: outputs)
        }
    }

    public func snapshot() throws -> [UInt8] { try scorer.snapshot() }
    public func captureSnapshot() throws -> @Sendable () throws -> [UInt8] {
        let captured = scorer.captureSnapshot()
        return { try captured.encode() }
    }

    public var stateAccounts: Int { scorer.accountCount }

    public var labelLearningStatus: String? { scorer.supervisedStatus.map { "supervised layer \($0)" } }
}

/// Creates a `PipelineProcessor` per partition from one loaded model.
public struct PipelineProcessorFactory: PartitionProcessorFactory {
    public let runtime: ScoringRuntime
    public let alertTopic: String
    public let deadLetterTopic: String

    public init(runtime: ScoringRuntime, alertTopic: String, deadLetterTopic: String) {
        self.runtime = runtime
        self.alertTopic = alertTopic
        self.deadLetterTopic = deadLetterTopic
    }

    /// Keeps the per-account history when the new model's features are laid out the same way;
    /// the threshold and detectors always come from the new model.
    public func makeProcessor(for partition: TopicPartition, replacing previousState: [UInt8]) throws -> any PartitionProcessor {
        let scorer: PartitionScorer
        if let adopted = try? PartitionScorer(runtime: runtime, adoptingAccountsFrom: previousState) {
            scorer = adopted
        } else {
            scorer = try PartitionScorer(runtime: runtime)
        }
        return PipelineProcessor(scorer: scorer, alertTopic: alertTopic, deadLetterTopic: deadLetterTopic)
    }

    public func makeProcessor(for partition: TopicPartition, snapshot: [UInt8]?) throws -> any PartitionProcessor {
        let scorer = try snapshot.map { try PartitionScorer(runtime: runtime, restoring: $0) } ?? PartitionScorer(runtime: runtime)
        return PipelineProcessor(scorer: scorer, alertTopic: alertTopic, deadLetterTopic: deadLetterTopic)
    }
}
