import Foundation
import Logging
import ServiceLifecycle
import Testing
@testable import TxGuardKafka
@testable import TxGuardService
import TxGuardTestSupport

/// A stateful test processor: records are "account,amount". An amount above twice the account's
/// running mean (after 3 records) alerts; anything unparseable is a dead letter. Decisions depend
/// on per-account history, so they reveal lost or mixed-up state.
final class RunningMeanProcessor: PartitionProcessor {
    struct Stats: Codable { var n = 0; var sum = 0.0 }
    enum Decision { case normal, alert, deadLetter }

    /// The decision rule, on one record's text and its partition's accounts.
    static func decide(_ text: String, accounts: inout [String: Stats], factor: Double) -> Decision {
        let parts = text.split(separator: ",")
        guard parts.count == 2, let amount = Double(parts[1]) else { return .deadLetter }
        let acct = String(parts[0])
        var s = accounts[acct] ?? Stats()
        let alert = s.n >= 3 && amount > factor * s.sum / Double(s.n)
        if !alert { s.n += 1; s.sum += amount }
        accounts[acct] = s
        return alert ? .alert : .normal
    }

    var accounts: [String: Stats] = [:]
    let alertTopic: String, dlqTopic: String
    let factor: Double
    init(alertTopic: String, dlqTopic: String, snapshot: [UInt8]?, factor: Double = 2) throws {
        self.alertTopic = alertTopic
        self.dlqTopic = dlqTopic
        self.factor = factor
        if let snapshot { accounts = try JSONDecoder().decode([String: Stats].self, from: Data(snapshot)) }
    }
    func process(_ record: KafkaRecordView, emit: Bool) -> RecordResult {
        let text = String(decoding: record.value, as: UTF8.self)
        switch Self.decide(text, accounts: &accounts, factor: factor) {
        case .deadLetter:
            return RecordResult(disposition: .deadLetter(reason: "malformed"),
                                outputs: emit ? [OutgoingMessage(topic: dlqTopic, key: record.key.map(Array.init), value: Array(record.value))] : [])
        case .normal:
            return RecordResult(disposition: .normal, score: 0)
        case .alert:
            let acct = String(text.split(separator: ",")[0])
            let out = OutgoingMessage(topic: alertTopic, key: Array(acct.utf8), value: Array(Self.alertText(partition: record.partition, offset: record.offset, text).utf8))
            return RecordResult(disposition: .alert, outputs: emit ? [out] : [], score: 1)
        }
    }

    static func alertText(partition: Int32, offset: Int64, _ text: String) -> String { "\(partition):\(offset):\(text)" }

    /// What one uninterrupted processor per partition decides over `input` (records of the input
    /// topic as stored): the alert texts and the dead-lettered values. An independent reference for
    /// runs under faults, restarts and rebalances.
    static func reference(_ input: [KafkaMessage], factor: Double = 2) -> (alerts: Set<String>, deadLetters: Set<String>) {
        var alerts = Set<String>(), dead = Set<String>()
        for (partition, records) in Dictionary(grouping: input, by: \.partition) {
            var accounts: [String: Stats] = [:]
            for r in records.sorted(by: { $0.offset < $1.offset }) {
                let text = String(decoding: r.value, as: UTF8.self)
                switch decide(text, accounts: &accounts, factor: factor) {
                case .normal: break
                case .alert: alerts.insert(alertText(partition: partition, offset: r.offset, text))
                case .deadLetter: dead.insert(text)
                }
            }
        }
        return (alerts, dead)
    }

    func snapshot() throws -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = .sortedKeys
        return Array(try enc.encode(accounts))
    }
}

struct RunningMeanFactory: PartitionProcessorFactory {
    let alertTopic: String, dlqTopic: String
    var factor: Double = 2
    func makeProcessor(for partition: TopicPartition, snapshot: [UInt8]?) throws -> any PartitionProcessor {
        try RunningMeanProcessor(alertTopic: alertTopic, dlqTopic: dlqTopic, snapshot: snapshot, factor: factor)
    }
    func makeProcessor(for partition: TopicPartition, replacing previousState: [UInt8]) throws -> any PartitionProcessor {
        try RunningMeanProcessor(alertTopic: alertTopic, dlqTopic: dlqTopic, snapshot: previousState, factor: factor)
    }
}

/// The shared quiet logger, under this target's short name.
func quiet(_ label: String) -> Logger { quietLogger(label) }

/// Input: `accounts` accounts, mostly steady amounts with a planted spike every 17th record, and
/// a malformed record every 101st.
func inputRecords(topic: String, count: Int, accounts: Int = 40) -> [OutgoingMessage] {
    (0..<count).map { i in
        let acct = "acct-\(i % accounts)"
        let value: String
        if i % 101 == 100 { value = "garbage-\(i)" }
        else if i % 17 == 16 { value = "\(acct),\(500 + i % 7)" }
        else { value = "\(acct),\(10 + (i * 7919) % 13)" }
        return OutgoingMessage(topic: topic, key: Array(acct.utf8), value: Array(value.utf8))
    }
}

func makeService(bootstrap: String, group: String, input: String, alerts: String, dlq: String, stateDir: String, exactlyOnce: Bool = false,
                 stateTopic: String? = nil, configure: (inout MonitorConfiguration) -> Void = { _ in }) -> MonitorService {
    var cc = KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: bootstrap), groupID: group)
    cc.sessionTimeoutMs = 6000
    cc.client.properties["heartbeat.interval.ms"] = "300"
    var config = MonitorConfiguration(consumer: cc, producer: KafkaProducerConfiguration(client: KafkaClientConfiguration(bootstrapServers: bootstrap)),
                                      inputTopics: [input], alertTopic: alerts, deadLetterTopic: dlq)
    config.exactlyOnce = exactlyOnce
    config.batchSize = 200
    config.commitIntervalMs = 100
    config.snapshotIntervalMs = 500
    configure(&config)
    return MonitorService(configuration: config, processors: RunningMeanFactory(alertTopic: alerts, dlqTopic: dlq),
                          stateStore: stateTopic.map { try! KafkaStateStore(client: KafkaClientConfiguration(bootstrapServers: bootstrap), topic: $0, logger: quiet("state")) }
                              ?? DirectoryStateStore(directory: stateDir), logger: quiet("svc"))
}

/// Reads every record of a topic from the beginning.
func readAll(_ bootstrap: String, _ topic: String, partitions: Int, expect: Int? = nil, timeout: Double = 20) async throws -> [KafkaMessage] {
    let c = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: bootstrap), groupID: "reader-\(UUID())"), logger: quiet("r"))
    defer { c.close() }
    try c.assign((0..<Int32(partitions)).map { TopicPartitionOffset(topic, $0, offset: KafkaOffset.beginning) })
    var out: [KafkaMessage] = []
    let deadline = Date().addingTimeInterval(timeout)
    var high = 0
    for p in 0..<Int32(partitions) { high += Int(try c.watermarks(TopicPartition(topic, p)).high) }
    let target = expect ?? high
    while out.count < target && Date() < deadline { out += await c.nextBatch().materialize() }
    return out
}

/// Waits until the group's committed offsets reach the end of the input; false when they did not
/// move for `timeout` seconds (a stall; a slow machine only makes it wait longer).
func waitCommitted(_ bootstrap: String, group: String, topic: String, partitions: Int, timeout: Double = 60) async throws -> Bool {
    let c = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: bootstrap), groupID: group), logger: quiet("w"))
    defer { c.close() }
    let tps = (0..<Int32(partitions)).map { TopicPartition(topic, $0) }
    var last: Int64 = -1, lastMove = Date()
    while Date().timeIntervalSince(lastMove) <= timeout {
        let committed = try c.committed(tps)
        var done = true
        for x in committed where x.offset < (try c.watermarks(x.topicPartition).high) { done = false }
        if done { return true }
        let total = committed.reduce(Int64(0)) { $0 + max(0, $1.offset) }
        if total != last { last = total; lastMove = Date() }
        try await Task.sleep(for: .milliseconds(200))
    }
    print("waitCommitted: stalled at", try c.committed(tps).map { "\($0.topicPartition)@\($0.offset)/\(try c.watermarks($0.topicPartition).high)" })
    return false
}
