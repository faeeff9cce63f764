/// The all-MiniLM-L6-v2 sentence embedder run natively: WordPiece tokenizer, BERT encoder, mean
/// pooling and L2 normalisation, with an LRU cache keyed by the normalised text.
///
/// Cache hits are served without touching the encoder; the misses of one call are encoded together
/// as one batch. Safe to call from several tasks: weights are immutable, scratch is per call and
/// the cache is locked.
public struct MiniLMEmbedder: TextEmbedder {
    /// The tokenizer built from the model's `vocab.txt`.
    public let tokenizer: WordPieceTokenizer
    /// The encoder holding the model's weights.
    public let encoder: BertEncoder
    /// The cache of embeddings by normalised text (nil when disabled).
    public let cache: EmbeddingCache?
    /// Largest number of texts encoded in one forward pass.
    public let maxBatchSize: Int

    public var dimension: Int { encoder.configuration.hiddenSize }

    /// Loads `model.safetensors`, `config.json` and `vocab.txt` from `directory` (default:
    /// `ModelDirectory.defaultPath`). A missing file throws `EmbeddingError.modelMissing` and a
    /// corrupted one `EmbeddingError.checksumMismatch` (`ModelChecksums`); both messages name
    /// `scripts/fetch-model.sh`.
    public init(modelDirectory: String? = nil, cacheCapacity: Int = 100_000, maxBatchSize: Int = 32) throws {
        let dir = try ModelDirectory.resolve(modelDirectory)
        try ModelChecksums.verify(directory: dir)
        let configuration = try BertConfiguration.load(directory: dir)
        let tokenizer = try WordPieceTokenizer(vocabularyFile: dir + "/vocab.txt",
                                               maxLength: configuration.maxSequenceLength)
        guard tokenizer.vocabularySize == configuration.vocabularySize else {
            throw EmbeddingError.badConfig(reason: "vocab.txt has \(tokenizer.vocabularySize) tokens, config.json says \(configuration.vocabularySize)")
        }
        let file = try SafetensorsFile(path: dir + "/model.safetensors")
        let weights = try BertWeights(file: file, configuration: configuration)
        self.init(tokenizer: tokenizer, encoder: BertEncoder(weights: weights),
                  cacheCapacity: cacheCapacity, maxBatchSize: maxBatchSize)
    }

    /// Assembles an embedder from parts (cacheCapacity 0 disables the cache).
    public init(tokenizer: WordPieceTokenizer, encoder: BertEncoder, cacheCapacity: Int, maxBatchSize: Int = 32) {
        self.tokenizer = tokenizer
        self.encoder = encoder
        self.cache = cacheCapacity > 0 ? EmbeddingCache(capacity: cacheCapacity) : nil
        self.maxBatchSize = max(1, maxBatchSize)
    }

    /// The token ids the encoder sees for `text`.
    public func tokenize(_ text: String) -> [Int32] {
        tokenizer.encode(text)
    }

    /// The embedding of one text; a cache hit takes no lock beyond the cache's and allocates only the key.
    public func embedding(for text: String) throws -> [Float] {
        guard let cache else { return try embedUncached([text])[0] }
        let key = tokenizer.cacheKey(text)
        if let hit = cache.value(forKey: key) { return hit }
        let vector = try encoder.embed(tokenSequences: [tokenizer.encode(text)])[0]
        cache.insert(vector, forKey: key)
        return vector
    }

    public func embed(_ texts: [String]) throws -> [[Float]] {
        if texts.count == 1 { return [try embedding(for: texts[0])] }
        var result = [[Float]](repeating: [], count: texts.count)
        var missKeys: [String] = []
        var missTexts: [String] = []  // the first original text of each missed key
        var missSlots: [String: [Int]] = [:]  // key → positions in `texts` waiting for it
        for (i, text) in texts.enumerated() {
            let key = tokenizer.cacheKey(text)
            if let hit = cache?.value(forKey: key) {
                result[i] = hit
            } else if missSlots[key] != nil {
                missSlots[key]?.append(i)
            } else {
                missSlots[key] = [i]
                missKeys.append(key)
                missTexts.append(text)
            }
        }
        var start = 0
        while start < missKeys.count {
            let range = start..<min(start + maxBatchSize, missKeys.count)
            // Texts with equal keys tokenize identically (see WordPieceTokenizer.cacheKey).
            let vectors = try encoder.embed(tokenSequences: missTexts[range].map { tokenizer.encode($0) })
            for (key, vector) in zip(missKeys[range], vectors) {
                cache?.insert(vector, forKey: key)
                for i in missSlots[key] ?? [] { result[i] = vector }
            }
            start += maxBatchSize
        }
        return result
    }

    /// Embeddings straight from the encoder, bypassing the cache (for tests and benchmarks).
    public func embedUncached(_ texts: [String]) throws -> [[Float]] {
        try encoder.embed(tokenSequences: texts.map { tokenizer.encode($0) })
    }
}
