/// FNV-1a, 64-bit: the one fast, stable hash txguard uses for file checksums and identifiers
/// (a corruption check, not a security measure). `AlertID` uses the 128-bit variant.
public enum FNV1a64 {
    public static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    public static let prime: UInt64 = 0x0000_0100_0000_01b3

    public static func hash<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var h = offsetBasis
        for b in bytes {
            h ^= UInt64(b)
            h &*= prime
        }
        return h
    }
}
