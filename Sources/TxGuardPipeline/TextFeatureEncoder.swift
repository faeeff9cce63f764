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

    /// The text txguard embeds for a transaction, normalised (lower case, digits and `#*`
    /// removed, whitespace collapsed); nil when there is none.
    public static func text(of tx: Transaction) -> String? {
        normalisedText(tx.merchantName ?? tx.description)
    }

    /// `text(of:)` from the raw merchant name (else description) alone.
    static func normalisedText(_ raw: String?) -> String? {
        guard let raw else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(raw.utf8.count)
        var lastSpace = true
        var ascii = true
        for b in raw.utf8 {
            if b >= 0x80 { ascii = false; break }
            let isDigit = b >= 48 && b <= 57
            if isDigit || b == 35 || b == 42 || b == 32 || b == 9 || b == 10 || b == 13 {
                if !lastSpace { out.append(32); lastSpace = true }
            } else {
                out.append(b >= 65 && b <= 90 ? b + 32 : b)
                lastSpace = false
            }
        }
        if ascii {
            if out.last == 32 { out.removeLast() }
            return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
        }
        var s = ""
        lastSpace = true
        for u in raw.lowercased().unicodeScalars {
            if u.properties.numericType != nil || u == "#" || u == "*" || u.properties.isWhitespace {
                if !lastSpace { s.append(" "); lastSpace = true }
            } else {
                s.unicodeScalars.append(u)
                lastSpace = false
            }
        }
        if s.hasSuffix(" ") { s.removeLast() }
        return s.isEmpty ? nil : s
    }

    /// True when texts should be embedded ahead in batches (MiniLM).
    public var needsPrefetch: Bool { miniLM != nil }

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
