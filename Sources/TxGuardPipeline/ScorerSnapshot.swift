import Foundation

/// The byte layout of a partition scorer's snapshot: `TXPS2`, the account feature store's length
/// (u64, little endian) and the store's own binary form, the account statistics' length (u64) and
/// their binary form (`AccountStatsTable.encoded()`), then the rest of the state as JSON. `TXPS1`
/// snapshots (no statistics section: the statistics inside the JSON) are still read. Reading checks
/// every length against the bytes present (a hostile or truncated snapshot is refused, never
/// trusted).
enum ScorerSnapshot {
    static let magic = Array("TXPS2".utf8)
    static let magicV1 = Array("TXPS1".utf8)

    static func encode(store: [UInt8], stats: [UInt8], rest: [UInt8]) -> [UInt8] {
        var out = magic
        out.reserveCapacity(magic.count + 16 + store.count + stats.count + rest.count)
        for section in [store, stats] {
            var n = UInt64(section.count).littleEndian
            withUnsafeBytes(of: &n) { out += $0 }
            out += section
        }
        out += rest
        return out
    }

    /// The store's bytes, the statistics' bytes (nil in a `TXPS1` snapshot) and the JSON part.
    static func decode(_ bytes: [UInt8]) throws -> (store: ArraySlice<UInt8>, stats: ArraySlice<UInt8>?, rest: ArraySlice<UInt8>) {
        let v2 = bytes.starts(with: magic)
        guard v2 || bytes.starts(with: magicV1) else {
            throw PipelineError.badSnapshot("unknown format (not a txguard partition snapshot)")
        }
        var at = magic.count
        func section(_ what: String) throws -> ArraySlice<UInt8> {
            guard bytes.count - at >= 8 else { throw PipelineError.badSnapshot("truncated header") }
            var n: UInt64 = 0
            for k in 0..<8 { n |= UInt64(bytes[at + k]) << (8 * UInt64(k)) }
            at += 8
            guard n <= UInt64(bytes.count - at) else {
                throw PipelineError.badSnapshot("truncated: the \(what) claims \(n) bytes, \(bytes.count - at) follow")
            }
            defer { at += Int(n) }
            return bytes[at..<(at + Int(n))]
        }
        let store = try section("account store")
        let stats = v2 ? try section("account statistics") : nil
        return (store, stats, bytes[at...])
    }
}
