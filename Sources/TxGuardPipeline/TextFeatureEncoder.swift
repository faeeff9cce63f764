import TxGuardContracts
import TxGuardEmbeddings

/// Turns a transaction's text (merchant name, else description) into an embedding with the
/// model's text embedder. Digits are removed before embedding: store numbers and terminal ids
/// carry no meaning, and keeping them would defeat the embedding cache. Safe to share.
public struct TextFeatureEncoder: Sendable {
    public let settings: TextSettings
    private let miniLM: MiniLMEmbedder?
    private let hashed: HashedNGramEmbedder?

    /// Loads the embedder `settings` names. MiniLM needs its files (`scripts/fetch-model.sh`);
    /// a missing model is an error, never a silent fallback to hashing.
    public init(settings: TextSettings, modelDirectory: String? = nil, cacheCapacity: Int = 200_000) throws {
        self.settings = settings
        switch settings.embedder {
        case .minilm:
            miniLM = try MiniLMEmbedder(modelDirectory: modelDirectory, cacheCapacity: cacheCapacity)
            hashed = nil
        case .hashed:
            miniLM = nil
            hashed = try HashedNGramEmbedder(dimension: settings.hashedDimension)
        case .none:
            miniLM = nil
            hashed = nil
        }
    }

    public var isEnabled: Bool { settings.embedder != .none }

    /// The text txguard embeds for a transaction, normalised; nil when there is none.
    public static func text(of tx: Transaction) -> String? {
        guard let raw = tx.merchantName ?? tx.description else { return nil }
        var out = ""
        out.reserveCapacity(raw.utf8.count)
        var lastSpace = true
        for ch in raw.lowercased() {
            if ch.isNumber || ch == "#" || ch == "*" || ch.isWhitespace {
                if !lastSpace { out.append(" "); lastSpace = true }
            } else {
                out.append(ch)
                lastSpace = false
            }
        }
        if out.hasSuffix(" ") { out.removeLast() }
        return out.isEmpty ? nil : out
    }

    /// Embeds texts not yet cached in batches (MiniLM), so later `embedding(_:)` calls are cache hits.
    public func prefetch(_ texts: [String]) throws {
        guard let miniLM, !texts.isEmpty else { return }
        _ = try miniLM.embed(Array(Set(texts)).sorted())
    }

    public func embedding(_ text: String) throws -> [Float]? {
        if let miniLM { return try miniLM.embedding(for: text) }
        if let hashed { return hashed.vector(text) }
        return nil
    }
}
