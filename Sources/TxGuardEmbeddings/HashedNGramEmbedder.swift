/// The fast text fallback: signed feature hashing of character n-grams (n = 3...5 by default) of
/// `BertNormalizer.key(text)` (normalised, whitespace runs collapsed) with a space at each end, L2-normalised.
///
/// Deterministic across processes and machines (FNV-1a over Unicode scalars, never Swift's seeded
/// `Hasher`). Used only when configured explicitly, never as a silent stand-in for a missing model.
public struct HashedNGramEmbedder: TextEmbedder {
    /// Output width.
    public let dimension: Int
    /// Shortest n-gram length.
    public let minN: Int
    /// Longest n-gram length.
    public let maxN: Int

    /// Creates an embedder of `dimension` (≥ 1) buckets over n-grams of `minN...maxN` characters.
    public init(dimension: Int = 64, minN: Int = 3, maxN: Int = 5) throws {
        guard dimension >= 1, minN >= 1, maxN >= minN, maxN <= 16 else {
            throw EmbeddingError.invalidConfiguration(reason: "hashed embedder dimension \(dimension), n \(minN)...\(maxN)")
        }
        self.dimension = dimension
        self.minN = minN
        self.maxN = maxN
    }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        texts.map { vector($0) }
    }

    /// The embedding of one text (all zeros when the text has no characters after normalisation).
    public func vector(_ text: String) -> [Float] {
        var out = [Float](repeating: 0, count: dimension)
        out.withUnsafeMutableBufferPointer { accumulate(text, into: $0) }
        return out
    }

    /// Adds the signed n-gram counts of `text` into `out` (length `dimension`) and L2-normalises it.
    public func accumulate(_ text: String, into out: UnsafeMutableBufferPointer<Float>) {
        // ASCII fast path: the normalised key bytes straight from a stack buffer, no allocation.
        let handled: Bool? = BertNormalizer.withASCIIKeyBytes(text) { key in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: key.count + 2) { buf in
                let n = pad(key.lazy.map { UInt32($0) }, into: buf)
                hashNGrams(UnsafeBufferPointer(rebasing: buf[0..<n]), into: out)
            }
            return true
        }
        if handled == nil {
            let scalars = BertNormalizer.key(text).unicodeScalars
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: scalars.count + 2) { buf in
                let n = pad(scalars.lazy.map { $0.value }, into: buf)
                hashNGrams(UnsafeBufferPointer(rebasing: buf[0..<n]), into: out)
            }
        }
        var norm: Float = 0
        for v in out { norm += v * v }
        if norm > 0 {
            let inv = 1 / norm.squareRoot()
            for i in out.indices { out[i] *= inv }
        }
    }

    /// Writes " " + key + " " (the key is already collapsed and trimmed); 0 for an empty key.
    @inline(__always)
    private func pad<S: Sequence>(_ scalars: S, into buf: UnsafeMutableBufferPointer<UInt32>) -> Int where S.Element == UInt32 {
        var n = 0
        buf[n] = 0x20; n += 1
        for s in scalars { buf[n] = s; n += 1 }
        if n == 1 { return 0 }
        buf[n] = 0x20; n += 1
        return n
    }

    @inline(__always)
    private func hashNGrams(_ s: UnsafeBufferPointer<UInt32>, into out: UnsafeMutableBufferPointer<Float>) {
        let width = UInt64(dimension)
        for start in 0..<s.count {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            let end = min(s.count, start + maxN)
            var length = 0
            for i in start..<end {
                h = (h ^ UInt64(s[i])) &* 0x0000_0100_0000_01b3
                length += 1
                if length >= minN {
                    let m = FeatureHash.finalize(h ^ UInt64(length))
                    // Lemire's multiply-shift range reduction instead of a division.
                    let bucket = Int((UInt64(UInt32(truncatingIfNeeded: m)) &* width) >> 32)
                    out[bucket] += (m >> 63) == 0 ? 1 : -1
                }
            }
        }
    }
}
