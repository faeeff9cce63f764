import Foundation
import Logging
import TxGuardKafka

/// Partition state snapshots in a compacted Kafka topic, so a partition can move to another
/// machine with its state. Each input partition's snapshot lives in state-topic partition
/// `input partition % state partitions`, as chunks (≤ 512 KiB, keyed `group|topic|partition|i`)
/// followed by a manifest (keyed `group|topic|partition|manifest`) naming the snapshot's generation,
/// offset, chunk count and checksum; compaction keeps the latest of each key. A snapshot whose
/// chunks do not match its manifest is refused, never half-loaded.
public final class KafkaStateStore: PartitionStateStore, @unchecked Sendable {
    // Sendable: the producer is thread-safe; loads create their own short-lived consumers.
    public let topic: String
    private let client: KafkaClientConfiguration
    private let producer: KafkaProducer
    private let logger: Logger
    static let chunkSize = 512 * 1024

    public init(client: KafkaClientConfiguration, topic: String, logger: Logger) throws {
        self.topic = topic
        self.client = client
        self.logger = logger
        var conf = KafkaProducerConfiguration(client: client)
        conf.lingerMs = 1
        producer = try KafkaProducer(configuration: conf, logger: logger)
    }

    deinit { producer.close() }

    private func base(_ group: String, _ tp: TopicPartition) -> String { "\(group)|\(tp.topic)|\(tp.partition)" }

    private let partitionCount = Locked<Int?>(nil)

    private func statePartition(_ tp: TopicPartition) throws -> Int32 {
        if let n = partitionCount.value { return tp.partition % Int32(n) }
        let probe = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client, groupID: "txguard-state-probe"), logger: logger)
        defer { probe.close() }
        guard let n = try probe.partitionCount(topic), n > 0 else {
            throw StateStoreError.io(path: topic, reason: "state topic does not exist (create it with cleanup.policy=compact)")
        }
        partitionCount.value = n
        return tp.partition % Int32(n)
    }

    public func save(group: String, partition tp: TopicPartition, snapshot: PartitionSnapshot) throws {
        let p = try statePartition(tp)
        let key = base(group, tp)
        let generation = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        var genBytes = [UInt8]()
        genBytes.appendLittleEndian(Int64(bitPattern: generation))
        let tracker = DeliveryTracker()
        var chunks = 0
        var start = 0
        repeat {
            let end = min(start + Self.chunkSize, snapshot.state.count)
            try producer.send(OutgoingMessage(topic: topic, partition: p, key: Array("\(key)|\(chunks)".utf8), value: genBytes + snapshot.state[start..<end]), tracker: tracker)
            chunks += 1
            start = end
        } while start < snapshot.state.count
        let manifest = "\(generation),\(snapshot.offset),\(chunks),\(snapshot.state.count),\(fnv1a64(snapshot.state))"
        try producer.send(OutgoingMessage(topic: topic, partition: p, key: Array("\(key)|manifest".utf8), value: Array(manifest.utf8)), tracker: tracker)
        try producer.flush(timeoutMs: 30_000)
        guard tracker.failures == 0 else { throw StateStoreError.io(path: topic, reason: "\(tracker.failures) snapshot records not acknowledged") }
    }

    public func load(group: String, partition tp: TopicPartition) throws -> PartitionSnapshot? {
        let p = try statePartition(tp)
        let key = base(group, tp)
        let reader = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client, groupID: "txguard-state-\(UUID().uuidString)"), logger: logger)
        defer { reader.close() }
        let stp = TopicPartition(topic, p)
        let wm = try reader.watermarks(stp)
        guard wm.high > wm.low else { return nil }
        try reader.assign([TopicPartitionOffset(stp, offset: wm.low)])
        var manifest: String?
        var chunks: [Int: [UInt8]] = [:]
        var last = wm.low - 1
        var idle = 0
        let manifestKey = Array("\(key)|manifest".utf8), prefix = Array("\(key)|".utf8)
        while last < wm.high - 1 && idle < 300 {
            let batch = reader.poll(maxMessages: 1000, timeoutMs: 100)
            if batch.isEmpty { idle += 1; continue }
            idle = 0
            for i in 0..<batch.count {
                let r = batch[i]
                last = max(last, r.offset)
                guard let k = r.key.map(Array.init), k.starts(with: prefix) else { continue }
                if k == manifestKey { manifest = String(decoding: r.value, as: UTF8.self) }
                else if let idx = Int(String(decoding: k[prefix.count...], as: UTF8.self)) { chunks[idx] = Array(r.value) }
            }
        }
        guard last >= wm.high - 1 else { throw StateStoreError.io(path: topic, reason: "could not read the state partition to its end") }
        guard let manifest else { return nil }
        let f = manifest.split(separator: ",")
        guard f.count == 5, let gen = UInt64(f[0]), let offset = Int64(f[1]), let n = Int(f[2]), let length = Int(f[3]), let sum = UInt64(f[4]) else {
            throw StateStoreError.corrupt(path: "\(topic)/\(key)", reason: "bad manifest")
        }
        var state = [UInt8]()
        state.reserveCapacity(length)
        for i in 0..<n {
            guard let c = chunks[i], c.count >= 8 else { throw StateStoreError.corrupt(path: "\(topic)/\(key)", reason: "chunk \(i) missing") }
            guard UInt64(bitPattern: Int64(littleEndianBytes: c, at: 0)) == gen else { throw StateStoreError.corrupt(path: "\(topic)/\(key)", reason: "chunk \(i) belongs to another snapshot") }
            state += c[8...]
        }
        guard state.count == length, fnv1a64(state) == sum else { throw StateStoreError.corrupt(path: "\(topic)/\(key)", reason: "checksum mismatch") }
        return PartitionSnapshot(offset: offset, state: state)
    }
}
