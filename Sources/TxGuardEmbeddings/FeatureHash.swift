/// Stable 64-bit hashing for feature hashing: FNV-1a over bytes and a murmur3-style finaliser.
/// Never seeded, so the same input hashes the same in every process (unlike Swift's `Hasher`).
public enum FeatureHash {
    /// FNV-1a of the UTF-8 bytes of `text`, finalised, with `seed` mixed in first.
    public static func hash(_ text: String, seed: UInt64 = 0) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ finalize(seed)
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return finalize(h)
    }

    /// murmur3 fmix64: spreads every input bit over the output.
    @inline(__always)
    public static func finalize(_ x: UInt64) -> UInt64 {
        var k = x
        k ^= k >> 33
        k = k &* 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k = k &* 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }
}
