import Foundation

/// BERT's uncased WordPiece tokenizer read from a `vocab.txt`: `BertNormalizer`, whitespace and
/// punctuation splitting, greedy longest-match WordPiece with `##` continuations, `[CLS]`/`[SEP]`
/// and truncation. Matches Hugging Face `tokenizers` `BertWordPieceTokenizer(lowercase=True)`.
public struct WordPieceTokenizer: Sendable {
    /// Token id of `[PAD]`.
    public let padID: Int32
    /// Token id of `[UNK]`.
    public let unknownID: Int32
    /// Token id of `[CLS]`.
    public let classID: Int32
    /// Token id of `[SEP]`.
    public let separatorID: Int32
    /// Longest encoded sequence, `[CLS]` and `[SEP]` included.
    public let maxLength: Int
    /// Words longer than this many characters become a single `[UNK]`.
    public let maxCharactersPerWord: Int
    /// Number of entries in the vocabulary.
    public var vocabularySize: Int { tokens.count }

    private let ids: [String: Int32]
    private let continuationIDs: [String: Int32]  // keys without the "##" prefix
    private let tokens: [String]
    /// Special tokens matched verbatim (case-sensitive) in the raw text before normalisation, as
    /// Hugging Face does for added tokens with `normalized: false`: "x[CLS]y" encodes `[CLS]` as 101.
    private let specialTokens: [(text: [UInt8], id: Int32)]

    /// Reads `vocab.txt` (one token per line; the line number is the id).
    public init(vocabularyFile path: String, maxLength: Int = 256, maxCharactersPerWord: Int = 100) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmbeddingError.unreadableFile(path: path, reason: "no such file or not readable")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw EmbeddingError.unreadableFile(path: path, reason: "not UTF-8")
        }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            line.hasSuffix("\r") ? String(line.dropLast()) : String(line)
        }
        if lines.last == "" { lines.removeLast() }
        try self.init(vocabulary: lines, maxLength: maxLength, maxCharactersPerWord: maxCharactersPerWord)
    }

    /// Builds the tokenizer from the vocabulary in id order.
    public init(vocabulary: [String], maxLength: Int = 256, maxCharactersPerWord: Int = 100) throws {
        guard maxLength >= 2 else {
            throw EmbeddingError.invalidConfiguration(reason: "maxLength \(maxLength) < 2")
        }
        var ids: [String: Int32] = [:]
        var continuation: [String: Int32] = [:]
        ids.reserveCapacity(vocabulary.count)
        for (i, token) in vocabulary.enumerated() {
            // The first occurrence wins, as in Hugging Face's vocab loading order.
            if ids[token] == nil { ids[token] = Int32(i) }
            if token.hasPrefix("##"), token.count > 2 {
                let rest = String(token.dropFirst(2))
                if continuation[rest] == nil { continuation[rest] = Int32(i) }
            }
        }
        func id(_ t: String) throws -> Int32 {
            guard let v = ids[t] else { throw EmbeddingError.badConfig(reason: "vocabulary has no \(t) token") }
            return v
        }
        self.padID = try id("[PAD]")
        self.unknownID = try id("[UNK]")
        self.classID = try id("[CLS]")
        self.separatorID = try id("[SEP]")
        self.ids = ids
        self.continuationIDs = continuation
        self.tokens = vocabulary
        self.specialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].compactMap { t in
            ids[t].map { (Array(t.utf8), $0) }
        }
        self.maxLength = maxLength
        self.maxCharactersPerWord = maxCharactersPerWord
    }

    /// The vocabulary entry of an id, or nil when out of range.
    public func token(for id: Int32) -> String? {
        id >= 0 && Int(id) < tokens.count ? tokens[Int(id)] : nil
    }

    /// `[CLS]` + word pieces + `[SEP]`, truncated to `maxLength`.
    public func encode(_ text: String) -> [Int32] {
        var out: [Int32] = [classID]
        out.reserveCapacity(16)
        let budget = maxLength - 1
        for segment in segments(text) {
            if out.count >= budget { break }
            switch segment {
            case let .special(id, _):
                out.append(id)
            case let .text(raw):
                forEachWord(BertNormalizer.normalize(String(raw))) { word in
                    appendWordPieces(word, to: &out)
                    return out.count < budget
                }
            }
        }
        if out.count > budget { out.removeSubrange(budget...) }
        out.append(separatorID)
        return out
    }

    /// A string such that equal keys always encode to equal ids: each text segment normalised with
    /// whitespace runs collapsed, special tokens kept verbatim (normalised text has no upper case,
    /// so they cannot be confused with text). Used as the embedding cache key.
    public func cacheKey(_ text: String) -> String {
        if !text.utf8.contains(0x5B) { return BertNormalizer.key(text) }  // no "[": a single text segment
        var key = ""
        for segment in segments(text) {
            let piece: String
            switch segment {
            case let .special(_, token): piece = token
            case let .text(raw): piece = BertNormalizer.key(String(raw))
            }
            if piece.isEmpty { continue }
            if !key.isEmpty { key += " " }
            key += piece
        }
        return key
    }

    enum Segment {
        case text(Substring)
        case special(Int32, String)
    }

    /// The raw text split around verbatim occurrences of the special tokens.
    func segments(_ text: String) -> [Segment] {
        let utf8 = text.utf8
        guard utf8.contains(0x5B) else { return [.text(Substring(text))] }  // no "[": no special token
        var result: [Segment] = []
        var segmentStart = utf8.startIndex
        var i = utf8.startIndex
        outer: while i < utf8.endIndex {
            if utf8[i] == 0x5B {
                for (token, id) in specialTokens where utf8[i...].starts(with: token) {
                    let end = utf8.index(i, offsetBy: token.count)
                    if segmentStart < i { result.append(.text(Substring(text[segmentStart..<i]))) }
                    result.append(.special(id, String(decoding: token, as: UTF8.self)))
                    segmentStart = end
                    i = end
                    continue outer
                }
            }
            i = utf8.index(after: i)
        }
        if segmentStart < utf8.endIndex { result.append(.text(Substring(text[segmentStart...]))) }
        return result
    }

    /// The pre-tokenised words of normalised text: split on whitespace, each punctuation character alone.
    public func words(_ normalized: String) -> [String] {
        var result: [String] = []
        forEachWord(normalized) { result.append(String($0)); return true }
        return result
    }

    /// Calls `body` with each word; stops early when it returns false.
    private func forEachWord(_ normalized: String, _ body: (Substring.UnicodeScalarView) -> Bool) {
        let scalars = Substring(normalized).unicodeScalars
        var start = scalars.startIndex
        var i = start
        while i < scalars.endIndex {
            let s = scalars[i]
            if BertNormalizer.isWhitespace(s) {
                if start < i, !body(scalars[start..<i]) { return }
                i = scalars.index(after: i)
                start = i
            } else if Self.isPunctuation(s) {
                if start < i, !body(scalars[start..<i]) { return }
                let next = scalars.index(after: i)
                if !body(scalars[i..<next]) { return }
                i = next
                start = i
            } else {
                i = scalars.index(after: i)
            }
        }
        if start < scalars.endIndex { _ = body(scalars[start..<scalars.endIndex]) }
    }

    /// Greedy longest-match-first WordPiece; a word with an unmatchable remainder becomes `[UNK]`.
    private func appendWordPieces(_ word: Substring.UnicodeScalarView, to out: inout [Int32]) {
        let scalars = Array(word)
        if scalars.count > maxCharactersPerWord {
            out.append(unknownID)
            return
        }
        let mark = out.count
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: Int32?
            while start < end {
                var piece = String.UnicodeScalarView()
                piece.append(contentsOf: scalars[start..<end])
                let candidate = String(piece)
                if let id = start == 0 ? ids[candidate] : continuationIDs[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else {
                out.removeSubrange(mark...)
                out.append(unknownID)
                return
            }
            out.append(id)
            start = end
        }
    }

    /// ASCII punctuation (which includes symbols such as `$`, `+`, `^`) or any Unicode P* category.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (v >= 33 && v <= 47) || (v >= 58 && v <= 64) || (v >= 91 && v <= 96) || (v >= 123 && v <= 126) {
            return true
        }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }
}
