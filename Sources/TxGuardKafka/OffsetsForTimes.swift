import CRdKafka
import Foundation

/// How `offsetsForTimes` finds offsets.
public enum TimestampLookup: Sendable {
    /// Ask the broker (ListOffsets by timestamp).
    case broker
    /// Read the partition and find the first record at or after the timestamp (exact, O(records)).
    case scan
    /// Ask the broker, and scan only where its answer ("no such record") contradicts the
    /// partition's last record — brokers that do not implement the lookup (librdkafka 2.0.2's
    /// mock cluster answers -1 to every timestamp) are handled transparently.
    case automatic
}

extension KafkaConsumer {
    /// For each (partition, timestamp in epoch ms), the first offset whose timestamp is at or after
    /// it, or `KafkaOffset.end` (-1) when every record is older.
    public func offsetsForTimes(_ query: [TopicPartitionOffset], lookup: TimestampLookup, timeoutMs: Int = 10_000) throws(KafkaError) -> [TopicPartitionOffset] {
        switch lookup {
        case .broker:
            return try offsetsForTimes(query, timeoutMs: timeoutMs)
        case .scan:
            return try scanForTimes(query, timeoutMs: timeoutMs)
        case .automatic:
            var answers = try offsetsForTimes(query, timeoutMs: timeoutMs)
            for (i, a) in answers.enumerated() where a.offset < 0 {
                let wm = try watermarks(a.topicPartition, timeoutMs: timeoutMs)
                guard wm.high > wm.low else { continue }
                let last = try readTimestamps(a.topicPartition, from: wm.high - 1, to: wm.high, timeoutMs: timeoutMs)
                if let lastTs = last.last?.timestamp, lastTs >= query[i].offset {
                    answers[i] = try scanForTimes([query[i]], timeoutMs: timeoutMs)[0]
                }
            }
            return answers
        }
    }

    private func scanForTimes(_ query: [TopicPartitionOffset], timeoutMs: Int) throws(KafkaError) -> [TopicPartitionOffset] {
        var out: [TopicPartitionOffset] = []
        for q in query {
            let wm = try watermarks(q.topicPartition, timeoutMs: timeoutMs)
            var found = KafkaOffset.end
            if wm.high > wm.low {
                for r in try readTimestamps(q.topicPartition, from: wm.low, to: wm.high, timeoutMs: timeoutMs) where r.timestamp >= q.offset {
                    found = r.offset
                    break
                }
            }
            out.append(TopicPartitionOffset(q.topicPartition, offset: found))
        }
        return out
    }

    /// (offset, timestamp) of records in [from, to) read with a throwaway assign-mode consumer
    /// that never commits.
    func readTimestamps(_ tp: TopicPartition, from: Int64, to: Int64, timeoutMs: Int) throws(KafkaError) -> [(offset: Int64, timestamp: Int64)] {
        var conf = configuration
        conf.groupID = "txguard-scan-\(UUID().uuidString)"
        let reader = try KafkaConsumer(configuration: conf, logger: logger)
        defer { reader.close() }
        try reader.assign([TopicPartitionOffset(tp, offset: from)])
        var out: [(Int64, Int64)] = []
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while (out.last?.0 ?? from - 1) < to - 1 && Date() < deadline {
            let batch = reader.poll(maxMessages: 1000, timeoutMs: 100)
            for i in 0..<batch.count {
                let r = batch[i]
                if r.offset < to { out.append((r.offset, r.timestampMs)) }
            }
        }
        guard (out.last?.0 ?? from - 1) >= to - 1 else { throw KafkaError(RD_KAFKA_RESP_ERR__TIMED_OUT, context: "reading \(tp) [\(from), \(to)) for timestamps") }
        return out
    }
}
