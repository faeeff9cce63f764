import Foundation

/// The BERT encoder forward pass (embeddings, self-attention layers with erf GELU, LayerNorm) plus
/// sentence-transformers mean pooling and L2 normalisation, with matrix products through OpenBLAS.
///
/// Each sequence is encoded on its own, so a text's vector is a function of its tokens alone: bit
/// for bit the same whichever other texts share the call, whichever partition or batch asks first
/// (a decision must not depend on how events were batched). Stacking several sequences into one
/// matrix product would be faster, but sgemm rounds a row differently depending on where it falls
/// in the product (edge kernels, thread split), which moved vectors by ~1e-7 between batches and
/// from there the detectors' decisions. Weights are immutable and all scratch memory belongs to
/// one call, so concurrent calls are safe.
public struct BertEncoder: Sendable {
    /// The encoder's parameters.
    public let weights: BertWeights
    /// Shape of the encoder.
    public var configuration: BertConfiguration { weights.configuration }

    /// Wraps loaded weights.
    public init(weights: BertWeights) {
        self.weights = weights
    }

    /// Mean-pooled, L2-normalised sentence vectors, one per token sequence (each already holding
    /// `[CLS]`…`[SEP]` and at most `maxSequenceLength` ids, all below the vocabulary size).
    public func embed(tokenSequences: [[Int32]]) throws -> [[Float]] {
        let c = configuration
        for (index, seq) in tokenSequences.enumerated() {
            guard !seq.isEmpty, seq.count <= c.maxSequenceLength else {
                throw EmbeddingError.invalidConfiguration(reason: "sequence \(index) has \(seq.count) tokens (1...\(c.maxSequenceLength) allowed)")
            }
            for id in seq where id < 0 || Int(id) >= c.vocabularySize {
                throw EmbeddingError.invalidConfiguration(reason: "sequence \(index) has token id \(id) outside the vocabulary")
            }
        }
        return tokenSequences.map { encode([$0])[0] }
    }

    /// The forward pass over packed, already validated sequences (tokens stacked without padding,
    /// attention per sequence). Called with one sequence at a time: see the type's note.
    private func encode(_ tokenSequences: [[Int32]]) -> [[Float]] {
        let c = configuration
        let h = c.hiddenSize
        var offsets: [Int] = []
        var total = 0
        for seq in tokenSequences {
            offsets.append(total)
            total += seq.count
        }
        if total == 0 { return [] }
        // Every `baseAddress!` below is of a non-empty buffer: total > 0 here, and the weights were
        // shape-checked against the configuration when loaded.
        let maxLength = tokenSequences.map(\.count).max() ?? 0
        var hidden = [Float](repeating: 0, count: total * h)
        var qkv = [Float](repeating: 0, count: total * 3 * h)
        var context = [Float](repeating: 0, count: total * h)
        var sum = [Float](repeating: 0, count: total * h)
        var inner = [Float](repeating: 0, count: total * c.intermediateSize)
        var scores = [Float](repeating: 0, count: maxLength * maxLength)

        hidden.withUnsafeMutableBufferPointer { x in
            embedTokens(tokenSequences, into: x.baseAddress!)
        }
        for layer in weights.layers {
            hidden.withUnsafeMutableBufferPointer { x in
            qkv.withUnsafeMutableBufferPointer { qkv in
            context.withUnsafeMutableBufferPointer { ctx in
            sum.withUnsafeMutableBufferPointer { tmp in
            inner.withUnsafeMutableBufferPointer { mid in
            scores.withUnsafeMutableBufferPointer { sc in
                runLayer(layer, tokens: total, sequences: tokenSequences.map(\.count), offsets: offsets,
                         x: x.baseAddress!, qkv: qkv.baseAddress!, context: ctx.baseAddress!,
                         sum: tmp.baseAddress!, inner: mid.baseAddress!, scores: sc.baseAddress!)
            }}}}}}
        }
        var result: [[Float]] = []
        result.reserveCapacity(tokenSequences.count)
        hidden.withUnsafeBufferPointer { x in
            for (i, seq) in tokenSequences.enumerated() {
                var pooled = [Float](repeating: 0, count: h)
                for t in 0..<seq.count {
                    let row = x.baseAddress! + (offsets[i] + t) * h
                    for d in 0..<h { pooled[d] += row[d] }
                }
                let inv = 1 / Float(seq.count)
                var norm: Float = 0
                for d in 0..<h { pooled[d] *= inv; norm += pooled[d] * pooled[d] }
                // sentence-transformers Normalize: x / max(‖x‖, 1e-12)
                let scale = 1 / max(norm.squareRoot(), 1e-12)
                for d in 0..<h { pooled[d] *= scale }
                result.append(pooled)
            }
        }
        return result
    }

    /// word + position + token-type(0) embeddings, then LayerNorm.
    private func embedTokens(_ sequences: [[Int32]], into x: UnsafeMutablePointer<Float>) {
        let h = configuration.hiddenSize
        weights.wordEmbeddings.withUnsafeBufferPointer { word in
        weights.positionEmbeddings.withUnsafeBufferPointer { pos in
        weights.tokenTypeEmbedding.withUnsafeBufferPointer { type in
            var row = 0
            for seq in sequences {
                for (p, id) in seq.enumerated() {
                    let out = x + row * h
                    let w = word.baseAddress! + Int(id) * h
                    let ps = pos.baseAddress! + p * h
                    for d in 0..<h { out[d] = w[d] + ps[d] + type[d] }
                    row += 1
                }
            }
        }}}
        layerNorm(x, rows: sequences.reduce(0) { $0 + $1.count },
                  gain: weights.embeddingNormGain, bias: weights.embeddingNormBias)
    }

    private func runLayer(_ layer: BertWeights.Layer, tokens n: Int, sequences lengths: [Int], offsets: [Int],
                          x: UnsafeMutablePointer<Float>, qkv: UnsafeMutablePointer<Float>,
                          context: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Float>,
                          inner: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>) {
        let c = configuration
        let h = c.hiddenSize, h3 = 3 * h, inter = c.intermediateSize
        // Q, K, V in one product: qkv[n × 3H] = x · Wqkvᵀ + b
        linear(x, rows: n, inFeatures: h, weight: layer.qkvWeight, bias: layer.qkvBias, outFeatures: h3, into: qkv)
        attention(qkv: qkv, lengths: lengths, offsets: offsets, context: context, scores: scores)
        // Attention output projection, residual, LayerNorm.
        linear(context, rows: n, inFeatures: h, weight: layer.attentionOutWeight, bias: layer.attentionOutBias,
               outFeatures: h, into: sum)
        for i in 0..<(n * h) { sum[i] += x[i] }
        layerNorm(sum, rows: n, gain: layer.attentionNormGain, bias: layer.attentionNormBias)
        // Feed-forward with GELU, residual, LayerNorm.
        linear(sum, rows: n, inFeatures: h, weight: layer.intermediateWeight, bias: layer.intermediateBias,
               outFeatures: inter, into: inner)
        FastMath.gelu(inner, count: n * inter)
        linear(inner, rows: n, inFeatures: inter, weight: layer.outputWeight, bias: layer.outputBias,
               outFeatures: h, into: x)
        for i in 0..<(n * h) { x[i] += sum[i] }
        layerNorm(x, rows: n, gain: layer.outputNormGain, bias: layer.outputNormBias)
    }

    /// `out[rows × outFeatures] = input · weightᵀ + bias` (bias broadcast first, then sgemm with beta 1).
    private func linear(_ input: UnsafePointer<Float>, rows: Int, inFeatures: Int, weight: [Float], bias: [Float],
                        outFeatures: Int, into out: UnsafeMutablePointer<Float>) {
        bias.withUnsafeBufferPointer { b in
            for r in 0..<rows {
                (out + r * outFeatures).update(from: b.baseAddress!, count: outFeatures)
            }
        }
        weight.withUnsafeBufferPointer { w in
            BLAS.gemmTransposedB(m: rows, n: outFeatures, k: inFeatures, a: input, lda: inFeatures,
                                 b: w.baseAddress!, ldb: inFeatures, beta: 1, c: out, ldc: outFeatures)
        }
    }

    /// Scaled dot-product attention per sequence and head; `context` receives the concatenated heads.
    private func attention(qkv: UnsafeMutablePointer<Float>, lengths: [Int], offsets: [Int],
                           context: UnsafeMutablePointer<Float>, scores: UnsafeMutablePointer<Float>) {
        let c = configuration
        let h = c.hiddenSize, h3 = 3 * h
        let headWidth = h / c.headCount
        let scale = 1 / Float(headWidth).squareRoot()
        for (s, length) in lengths.enumerated() {
            let base = qkv + offsets[s] * h3
            for head in 0..<c.headCount {
                let q = base + head * headWidth
                let k = base + h + head * headWidth
                let v = base + 2 * h + head * headWidth
                let out = context + offsets[s] * h + head * headWidth
                if length > 32 {
                    BLAS.gemmTransposedB(m: length, n: length, k: headWidth, alpha: scale, a: q, lda: h3,
                                         b: k, ldb: h3, c: scores, ldc: length)
                } else {
                    for i in 0..<length {
                        for j in 0..<length {
                            scores[i * length + j] = scale * FastMath.dot(q + i * h3, k + j * h3, headWidth)
                        }
                    }
                }
                for i in 0..<length { softmax(scores + i * length, count: length) }
                if length > 32 {
                    BLAS.gemm(m: length, n: headWidth, k: length, a: scores, lda: length, b: v, ldb: h3,
                              c: out, ldc: h)
                } else {
                    for i in 0..<length {
                        let o = out + i * h
                        for d in 0..<headWidth { o[d] = 0 }
                        for j in 0..<length {
                            let p = scores[i * length + j]
                            let vj = v + j * h3
                            for d in 0..<headWidth { o[d] += p * vj[d] }
                        }
                    }
                }
            }
        }
    }

    @inline(__always)
    private func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var m = -Float.infinity
        for j in 0..<count { m = max(m, row[j]) }
        var total: Float = 0
        for j in 0..<count { let e = expf(row[j] - m); row[j] = e; total += e }
        let inv = 1 / total
        for j in 0..<count { row[j] *= inv }
    }

    /// Row-wise LayerNorm over `hiddenSize` features, in place.
    private func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, gain: [Float], bias: [Float]) {
        let h = configuration.hiddenSize
        let eps = configuration.layerNormEpsilon
        gain.withUnsafeBufferPointer { g in
        bias.withUnsafeBufferPointer { b in
            for r in 0..<rows {
                let row = x + r * h
                var mean: Float = 0
                for d in 0..<h { mean += row[d] }
                mean /= Float(h)
                var variance: Float = 0
                for d in 0..<h { let t = row[d] - mean; variance += t * t }
                variance /= Float(h)
                let inv = 1 / (variance + eps).squareRoot()
                for d in 0..<h { row[d] = (row[d] - mean) * inv * g[d] + b[d] }
            }
        }}
    }
}
