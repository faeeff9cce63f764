import Foundation

/// The byte layout of a partition scorer's snapshot: `TXPS1`, the account feature store's length
/// (u64, little endian), the store's own binary form, then the rest of the state as JSON. Reading
/// checks every length against the bytes present (a hostile or truncated snapshot is refused,
/// never trusted).
enum ScorerSnapshot {
    static let magic = Array("TXPS1".utf8)
    static let headerSize = magic.count + 8

    static func encode(store: [UInt8], rest: [UInt8]) -> [UInt8] {
        var out = magic
        out.reserveCapacity(headerSize + store.count + rest.count)
        var n = UInt64(store.count).littleEndian
        withUnsafeBytes(of: &n) { out += $0 }
        out += store
        out += rest
        return out
    }

    /// The store's bytes and the JSON part.
    static func decode(_ bytes: [UInt8]) throws -> (store: ArraySlice<UInt8>, rest: ArraySlice<UInt8>) {
        guard bytes.count >= headerSize, bytes.starts(with: magic) else {
            throw PipelineError.badSnapshot(bytes.starts(with: magic) ? "truncated header" : "unknown format (not a txguard partition snapshot)")
        }
        var n: UInt64 = 0
        for k in 0..<8 { n |= UInt64(bytes[magic.count + k]) << (8 * UInt64(k)) }
        guard n <= UInt64(bytes.count - headerSize) else {
            throw PipelineError.badSnapshot("truncated: the account store claims \(n) bytes, \(bytes.count - headerSize) follow")
        }
        let end = headerSize + Int(n)
        return (bytes[headerSize..<end], bytes[end...])
    }
}
