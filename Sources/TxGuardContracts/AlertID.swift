/// Deterministic alert ids: FNV-1a 128-bit over the input's identity and the model version.
///
/// The hashed text is `txguard-alert-v1|<topic>|<partition>|<offset>|<model_version>` when the
/// Kafka coordinates are all known, else `txguard-alert-v1|tx|<transaction_id>|<model_version>`,
/// as UTF-8. The id is the 128-bit digest as 32 lower-case hex digits. FNV-1a (offset basis
/// 0x6c62272e07bb014262b821756295c58d, prime 2^88 + 0x13B) is not cryptographic: it only has to be
/// stable across processes and versions so a re-delivered input yields the same id.
public enum AlertID {
    static let offsetBasis: UInt128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d
    static let prime: UInt128 = 0x0000_0000_0100_0000_0000_0000_0000_013B

    /// FNV-1a 128 of `bytes`.
    public static func fnv1a128<S: Sequence>(_ bytes: S) -> UInt128 where S.Element == UInt8 {
        var h = offsetBasis
        for b in bytes {
            h ^= UInt128(b)
            h = h &* prime
        }
        return h
    }

    /// 32 lower-case hex digits of `value`.
    public static func hex(_ value: UInt128) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 32)
        var v = value
        for i in stride(from: 31, through: 0, by: -1) {
            out[i] = digits[Int(v & 0xF)]
            v >>= 4
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The alert id for an input identified by `source` (preferred) or `transactionID`, scored by `modelVersion`.
    public static func make(source: SourceContext, transactionID: String, modelVersion: String) -> String {
        let text: String
        if let topic = source.topic, let partition = source.partition, let offset = source.offset {
            text = "txguard-alert-v1|\(topic)|\(partition)|\(offset)|\(modelVersion)"
        } else {
            text = "txguard-alert-v1|tx|\(transactionID)|\(modelVersion)"
        }
        return hex(fnv1a128(text.utf8))
    }
}
