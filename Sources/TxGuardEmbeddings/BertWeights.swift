/// The parameters of a BERT encoder copied out of a safetensors file, with Q, K and V fused into
/// one `[3·hidden, hidden]` matrix per layer so each layer's projections are one matrix product.
/// Immutable once loaded, hence shareable across tasks.
public struct BertWeights: Sendable {
    /// One transformer layer. Matrices are row-major `[out, in]` as PyTorch stores `nn.Linear`.
    public struct Layer: Sendable {
        public let qkvWeight: [Float]        // [3H, H]
        public let qkvBias: [Float]          // [3H]
        public let attentionOutWeight: [Float]  // [H, H]
        public let attentionOutBias: [Float]
        public let attentionNormGain: [Float]
        public let attentionNormBias: [Float]
        public let intermediateWeight: [Float]  // [I, H]
        public let intermediateBias: [Float]
        public let outputWeight: [Float]        // [H, I]
        public let outputBias: [Float]
        public let outputNormGain: [Float]
        public let outputNormBias: [Float]
    }

    /// The encoder shape these weights were checked against.
    public let configuration: BertConfiguration
    /// `[vocab, H]` word embeddings.
    public let wordEmbeddings: [Float]
    /// `[positions, H]` position embeddings.
    public let positionEmbeddings: [Float]
    /// Row 0 of the token-type embeddings (single-segment input).
    public let tokenTypeEmbedding: [Float]
    /// Embedding LayerNorm gain.
    public let embeddingNormGain: [Float]
    /// Embedding LayerNorm bias.
    public let embeddingNormBias: [Float]
    /// The transformer layers in order.
    public let layers: [Layer]

    /// Reads every tensor, checking names and shapes against `configuration`. Accepts names with
    /// or without the `bert.` prefix.
    public init(file: SafetensorsFile, configuration c: BertConfiguration) throws {
        let prefix = file.tensors["embeddings.word_embeddings.weight"] != nil ? "" : "bert."
        func t(_ name: String, _ shape: [Int]) throws -> [Float] {
            try file.floats(prefix + name, shape: shape)
        }
        let h = c.hiddenSize, inner = c.intermediateSize
        self.configuration = c
        self.wordEmbeddings = try t("embeddings.word_embeddings.weight", [c.vocabularySize, h])
        self.positionEmbeddings = try t("embeddings.position_embeddings.weight", [c.maxPositions, h])
        let tokenTypes = try file.floats(prefix + "embeddings.token_type_embeddings.weight")
        guard tokenTypes.count >= h else {
            throw EmbeddingError.badTensor(name: "embeddings.token_type_embeddings.weight", reason: "fewer than \(h) values")
        }
        self.tokenTypeEmbedding = Array(tokenTypes[0..<h])
        self.embeddingNormGain = try t("embeddings.LayerNorm.weight", [h])
        self.embeddingNormBias = try t("embeddings.LayerNorm.bias", [h])
        var layers: [Layer] = []
        for i in 0..<c.layerCount {
            let p = "encoder.layer.\(i)."
            let q = try t(p + "attention.self.query.weight", [h, h])
            let k = try t(p + "attention.self.key.weight", [h, h])
            let v = try t(p + "attention.self.value.weight", [h, h])
            let qb = try t(p + "attention.self.query.bias", [h])
            let kb = try t(p + "attention.self.key.bias", [h])
            let vb = try t(p + "attention.self.value.bias", [h])
            layers.append(Layer(
                qkvWeight: q + k + v,
                qkvBias: qb + kb + vb,
                attentionOutWeight: try t(p + "attention.output.dense.weight", [h, h]),
                attentionOutBias: try t(p + "attention.output.dense.bias", [h]),
                attentionNormGain: try t(p + "attention.output.LayerNorm.weight", [h]),
                attentionNormBias: try t(p + "attention.output.LayerNorm.bias", [h]),
                intermediateWeight: try t(p + "intermediate.dense.weight", [inner, h]),
                intermediateBias: try t(p + "intermediate.dense.bias", [inner]),
                outputWeight: try t(p + "output.dense.weight", [h, inner]),
                outputBias: try t(p + "output.dense.bias", [h]),
                outputNormGain: try t(p + "output.LayerNorm.weight", [h]),
                outputNormBias: try t(p + "output.LayerNorm.bias", [h])))
        }
        self.layers = layers
    }
}
