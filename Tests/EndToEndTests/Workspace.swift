import Foundation
import Testing
import TxGuardKafka
import TxGuardTestSupport

/// A temporary directory and helpers to run `txguard` subcommands in it.
struct Workspace {
    let dir: String
    init() throws {
        dir = scratchPath("e2e")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { "\(dir)/\(name)" }

    /// Runs `txguard ARGS` to completion and requires exit 0.
    @discardableResult
    func txguard(_ args: [String], timeout: Double = 240) async throws -> (String, String) {
        let (status, out, err) = try await run(try txguardBinary(), args, timeout: timeout)
        guard status == 0 else { throw ProcessFailure("txguard \(args.joined(separator: " ")) exited \(status):\n\(err.suffix(3000))") }
        return (out, err)
    }

    func bytes(_ name: String) throws -> [UInt8] {
        guard let d = FileManager.default.contents(atPath: path(name)) else { throw ProcessFailure("missing \(path(name))") }
        return [UInt8](d)
    }
}

/// `txguard broker` in a child process.
final class BrokerProcess {
    let child: ChildProcess
    let bootstrap: String
    init(topics: [(String, Int)]) async throws {
        // Topics with their own partition counts are created by the binding's mock API through
        // auto-creation is fixed by --partitions, so declare the largest and create others on use.
        let parts = topics.map(\.1).max() ?? 1
        child = try ChildProcess(try txguardBinary(), ["broker", "--partitions", "\(parts)"] + topics.flatMap { ["--topic", $0.0] })
        bootstrap = try await child.firstLine()
    }
    deinit { child.stop() }
}

/// Reads every record of a topic from the beginning (all partitions) until `expect` or idle.
func readTopic(_ bootstrap: String, _ topic: String, expect: Int? = nil, timeout: Double = 30) async throws -> [KafkaMessage] {
    let c = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: bootstrap), groupID: "e2e-reader-\(UUID())"))
    defer { c.close() }
    guard let n = try c.partitionCount(topic) else { return [] }
    let tps = (0..<Int32(n)).map { TopicPartition(topic, $0) }
    var total: Int64 = 0
    for tp in tps { let w = try c.watermarks(tp); total += w.high - w.low }
    try c.assign(tps.map { TopicPartitionOffset($0, offset: KafkaOffset.beginning) })
    var out: [KafkaMessage] = []
    let target = expect ?? Int(total)
    let deadline = Date().addingTimeInterval(timeout)
    while out.count < target && Date() < deadline { out += await c.nextBatch(maxMessages: 2000, timeoutMs: 100).materialize() }
    return out
}

/// The group's committed offsets summed over the topic's partitions, and the topic's end.
func committedAndEnd(_ bootstrap: String, group: String, topic: String) throws -> (committed: Int64, end: Int64) {
    let c = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: KafkaClientConfiguration(bootstrapServers: bootstrap), groupID: group))
    defer { c.close() }
    let n = try c.partitionCount(topic) ?? 0
    let tps = (0..<Int32(n)).map { TopicPartition(topic, $0) }
    let committed = try c.committed(tps).reduce(Int64(0)) { $0 + max(0, $1.offset) }
    let end = try tps.reduce(Int64(0)) { $0 + (try c.watermarks($1).high) }
    return (committed, end)
}

/// GET http://127.0.0.1:port/path with a plain socket (status, body).
func httpGet(port: Int, path: String) throws -> (Int, String) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    let ok = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard ok == 0 else { throw ProcessFailure("connect to :\(port) failed") }
    let req = Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8)
    _ = req.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    var data = [UInt8]()
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buf, buf.count)
        if n <= 0 { break }
        data += buf[0..<n]
    }
    let text = String(decoding: data, as: UTF8.self)
    let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
    let body = text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
    return (status, body)
}

/// A metric's value from Prometheus text (sum over label sets when `labels` is empty).
func metric(_ text: String, _ name: String, labels: String = "") -> Double {
    text.split(separator: "\n").filter { !$0.hasPrefix("#") }.reduce(0) { acc, line in
        let l = String(line)
        guard l.hasPrefix(name + "{") || l.hasPrefix(name + " ") else { return acc }
        if !labels.isEmpty && !l.contains(labels) { return acc }
        return acc + (Double(l.split(separator: " ").last ?? "") ?? 0)
    }
}

/// Waits until `group` has committed at least `fraction` of `topic`'s records (at least `atLeast`
/// records, when the topic is still being filled). Fails on a stall, not on slowness: it gives up
/// only when the committed total has not moved for `stallSeconds` while records wait, so a
/// loaded machine makes it slower, never red.
func waitCommitted(_ bootstrap: String, group: String, topic: String, fraction: Double = 1, atLeast: Int64 = 0,
                   stallSeconds: Double = 120, log: (() -> String)? = nil) async throws {
    var last: Int64 = -1
    var lastMove = Date()
    while true {
        let (c, e) = (try? committedAndEnd(bootstrap, group: group, topic: topic)) ?? (last, Int64.max)
        if e > 0, e != Int64.max, Double(c) >= fraction * Double(e), c >= atLeast { return }
        if c != last { last = c; lastMove = Date() }
        if Date().timeIntervalSince(lastMove) > stallSeconds {
            throw ProcessFailure("group \(group) committed \(c) of \(e) records of \(topic) and made no progress for \(Int(stallSeconds)) s\(log.map { ":\n" + $0() } ?? "")")
        }
        try await Task.sleep(for: .milliseconds(200))
    }
}

/// transaction_ids of the events a score file (`--scores`) marks as alerted.
func alertedInScores(_ path: String) throws -> Set<String> {
    guard let d = FileManager.default.contents(atPath: path) else { throw ProcessFailure("missing \(path)") }
    var out = Set<String>()
    for line in d.split(separator: UInt8(ascii: "\n")) {
        guard let o = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], o["alert"] as? Bool == true,
              let id = o["transaction_id"] as? String else { continue }
        out.insert(id)
    }
    return out
}
