import Foundation

/// The shape of a BERT encoder, read from Hugging Face `config.json` (and `sentence_bert_config.json`
/// for the sequence limit sentence-transformers uses).
public struct BertConfiguration: Sendable, Equatable, Codable {
    /// Width of every token vector.
    public var hiddenSize: Int
    /// Number of encoder layers.
    public var layerCount: Int
    /// Number of attention heads; `hiddenSize` must be a multiple of it.
    public var headCount: Int
    /// Width of the feed-forward layer.
    public var intermediateSize: Int
    /// Number of learned positions.
    public var maxPositions: Int
    /// Vocabulary size.
    public var vocabularySize: Int
    /// LayerNorm epsilon.
    public var layerNormEpsilon: Float
    /// Longest input in tokens (`[CLS]`/`[SEP]` included), at most `maxPositions`.
    public var maxSequenceLength: Int

    /// all-MiniLM-L6-v2: 6 layers, 384 wide, 12 heads, 1536 intermediate, 256 tokens.
    public static let miniLML6 = BertConfiguration(
        hiddenSize: 384, layerCount: 6, headCount: 12, intermediateSize: 1536, maxPositions: 512,
        vocabularySize: 30522, layerNormEpsilon: 1e-12, maxSequenceLength: 256)

    /// Creates a configuration.
    public init(hiddenSize: Int, layerCount: Int, headCount: Int, intermediateSize: Int, maxPositions: Int,
                vocabularySize: Int, layerNormEpsilon: Float, maxSequenceLength: Int) {
        self.hiddenSize = hiddenSize
        self.layerCount = layerCount
        self.headCount = headCount
        self.intermediateSize = intermediateSize
        self.maxPositions = maxPositions
        self.vocabularySize = vocabularySize
        self.layerNormEpsilon = layerNormEpsilon
        self.maxSequenceLength = maxSequenceLength
    }

    /// Reads `config.json` in `directory`, and `sentence_bert_config.json` when present.
    public static func load(directory: String) throws -> BertConfiguration {
        let configPath = directory + "/config.json"
        guard let data = FileManager.default.contents(atPath: configPath) else {
            throw EmbeddingError.modelMissing(directory: directory, file: "config.json")
        }
        guard let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw EmbeddingError.badConfig(reason: "\(configPath) is not a JSON object")
        }
        func int(_ key: String) throws -> Int {
            guard let v = (json[key] as? NSNumber)?.intValue else {
                throw EmbeddingError.badConfig(reason: "\(configPath) has no integer '\(key)'")
            }
            return v
        }
        if let act = json["hidden_act"] as? String, act != "gelu" {
            throw EmbeddingError.badConfig(reason: "hidden_act '\(act)' (only exact erf GELU is implemented)")
        }
        if let pos = json["position_embedding_type"] as? String, pos != "absolute" {
            throw EmbeddingError.badConfig(reason: "position_embedding_type '\(pos)'")
        }
        let maxPositions = try int("max_position_embeddings")
        var maxSequence = maxPositions
        if let sb = FileManager.default.contents(atPath: directory + "/sentence_bert_config.json"),
           let sbJSON = (try? JSONSerialization.jsonObject(with: sb)) as? [String: Any],
           let v = (sbJSON["max_seq_length"] as? NSNumber)?.intValue {
            maxSequence = min(v, maxPositions)
        }
        let config = BertConfiguration(
            hiddenSize: try int("hidden_size"), layerCount: try int("num_hidden_layers"),
            headCount: try int("num_attention_heads"), intermediateSize: try int("intermediate_size"),
            maxPositions: maxPositions, vocabularySize: try int("vocab_size"),
            layerNormEpsilon: Float((json["layer_norm_eps"] as? NSNumber)?.doubleValue ?? 1e-12),
            maxSequenceLength: maxSequence)
        guard config.hiddenSize % config.headCount == 0, config.maxSequenceLength >= 2 else {
            throw EmbeddingError.badConfig(reason: "hidden_size \(config.hiddenSize) not divisible by \(config.headCount) heads")
        }
        return config
    }
}
