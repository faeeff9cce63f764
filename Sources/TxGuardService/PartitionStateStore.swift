import Foundation
import TxGuardContracts
import TxGuardKafka

/// A partition's serialised state and the offset it reflects (the next offset to process).
public struct PartitionSnapshot: Sendable, Equatable {
    public var offset: Int64
    public var state: [UInt8]
    public init(offset: Int64, state: [UInt8]) {
        self.offset = offset
        self.state = state
    }
}

/// Where partition state snapshots live between assignments (and restarts).
public protocol PartitionStateStore: Sendable {
    func load(group: String, partition: TopicPartition) throws -> PartitionSnapshot?
    func save(group: String, partition: TopicPartition, snapshot: PartitionSnapshot) throws
}

/// Errors reading or writing snapshots. A corrupt snapshot is refused, never half-loaded.
public enum StateStoreError: Error, CustomStringConvertible, Equatable {
    case corrupt(path: String, reason: String)
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .corrupt(let p, let r): return "state snapshot \(p) is corrupt: \(r)"
        case .io(let p, let r): return "state snapshot \(p): \(r)"
        }
    }
}

/// Snapshots as files in a local directory (single node, or a volume shared by the group):
/// `<dir>/<group>/<topic>-<partition>.state`, written to a temporary file, fsynced and renamed,
/// so a crash leaves either the old or the new snapshot. Layout: magic `TXGS1\n`, offset (8 bytes
/// LE), length (8 bytes LE), FNV-1a 64 of the state (8 bytes LE), state.
public struct DirectoryStateStore: PartitionStateStore {
    public let directory: String
    public init(directory: String) { self.directory = directory }

    static let magic = Array("TXGS1\n".utf8)

    func path(group: String, partition: TopicPartition) -> String {
        "\(directory)/\(sanitize(group))/\(sanitize(partition.topic))-\(partition.partition).state"
    }

    public func load(group: String, partition: TopicPartition) throws -> PartitionSnapshot? {
        let p = path(group: group, partition: partition)
        guard FileManager.default.fileExists(atPath: p) else { return nil }
        guard let data = FileManager.default.contents(atPath: p) else { throw StateStoreError.io(path: p, reason: "unreadable") }
        let bytes = [UInt8](data)
        let header = Self.magic.count + 24
        guard bytes.count >= header, Array(bytes[0..<Self.magic.count]) == Self.magic else {
            throw StateStoreError.corrupt(path: p, reason: "bad header")
        }
        let offset = Int64(littleEndianBytes: bytes, at: Self.magic.count)
        let length = Int(Int64(littleEndianBytes: bytes, at: Self.magic.count + 8))
        let sum = UInt64(bitPattern: Int64(littleEndianBytes: bytes, at: Self.magic.count + 16))
        guard length >= 0, bytes.count == header + length else { throw StateStoreError.corrupt(path: p, reason: "length mismatch") }
        let state = Array(bytes[header...])
        guard fnv1a64(state) == sum else { throw StateStoreError.corrupt(path: p, reason: "checksum mismatch") }
        return PartitionSnapshot(offset: offset, state: state)
    }

    public func save(group: String, partition: TopicPartition, snapshot: PartitionSnapshot) throws {
        let p = path(group: group, partition: partition)
        let dir = (p as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch { throw StateStoreError.io(path: dir, reason: "\(error)") }
        var out = Self.magic
        out.reserveCapacity(out.count + 24 + snapshot.state.count)
        out.appendLittleEndian(snapshot.offset)
        out.appendLittleEndian(Int64(snapshot.state.count))
        out.appendLittleEndian(Int64(bitPattern: fnv1a64(snapshot.state)))
        out += snapshot.state
        let tmp = p + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw StateStoreError.io(path: tmp, reason: String(cString: strerror(errno))) }
        let written = out.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == out.count, synced == 0 else { throw StateStoreError.io(path: tmp, reason: "short write or fsync failure") }
        guard rename(tmp, p) == 0 else { throw StateStoreError.io(path: p, reason: String(cString: strerror(errno))) }
    }

    private func sanitize(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
    }
}

/// The snapshots' corruption check.
func fnv1a64(_ bytes: [UInt8]) -> UInt64 { FNV1a64.hash(bytes) }

extension Int64 {
    init(littleEndianBytes b: [UInt8], at i: Int) {
        var v: UInt64 = 0
        for k in 0..<8 { v |= UInt64(b[i + k]) << (8 * UInt64(k)) }
        self = Int64(bitPattern: v)
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian(_ v: Int64) {
        let u = UInt64(bitPattern: v)
        for k in 0..<8 { append(UInt8(truncatingIfNeeded: u >> (8 * UInt64(k)))) }
    }
}
