import Foundation
import Testing
@testable import TxGuardEmbeddings

struct TokenizerReference: Decodable {
    struct Case: Decodable { let text: String; let ids: [Int32] }
    let reference: String
    let cases: [Case]
}

@Suite struct WordPieceTokenizerTests {
    @Test func matchesHuggingFaceTokenizersOnFixture() throws {
        let reference = try JSONDecoder().decode(TokenizerReference.self, from: TestSupport.fixture("tokenizer_reference.json"))
        #expect(reference.cases.count >= 50)
        let tokenizer = try TestSupport.embedder().tokenizer
        for c in reference.cases {
            let ids = tokenizer.encode(c.text)
            #expect(ids == c.ids, "text \(c.text.debugDescription)")
        }
    }

    @Test func greedyLongestMatchOnToyVocabulary() throws {
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##aff", "##able", "aff", "runn", "##ing", ",", "!"]
        let t = try WordPieceTokenizer(vocabulary: vocab, maxLength: 16, maxCharactersPerWord: 10)
        #expect(t.encode("UnAffable, running!") == [2, 4, 5, 6, 10, 8, 9, 11, 3])
        // an unmatchable remainder makes the whole word [UNK]; overlong words are [UNK]
        #expect(t.encode("unx") == [2, 1, 3])
        #expect(t.encode("unaffableee") == [2, 1, 3])
        #expect(t.encode("") == [2, 3])
    }

    @Test func truncatesToMaxLengthKeepingSeparator() throws {
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a"]
        let t = try WordPieceTokenizer(vocabulary: vocab, maxLength: 5)
        #expect(t.encode("a a a a a a a") == [2, 4, 4, 4, 3])
    }

    @Test func asciiFastPathEqualsGeneralPath() {
        let samples = ["STARBUCKS #12\tX\n", "a\u{7}b\u{0B}c\u{0C}d\u{1F}e", "  Mixed CASE 123 ", "\u{7F}del"]
        for s in samples {
            // Appending then removing a non-ASCII scalar forces the general path on the same content.
            let general = BertNormalizer.normalize(s + "é").dropLast()
            #expect(BertNormalizer.normalize(s) == String(general), "\(s.debugDescription)")
        }
    }

    @Test func cacheKeyCollapsesWhitespaceAndKeepsSpecialTokens() throws {
        let vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "x", "y", "[", "]", "cls"]
        let t = try WordPieceTokenizer(vocabulary: vocab)
        #expect(t.cacheKey("  Café\t  DE  flore ") == "cafe de flore")
        #expect(t.cacheKey("a-b") != t.cacheKey("a b"))
        #expect(t.cacheKey("x[CLS]y") == "x [CLS] y")
        #expect(t.cacheKey("x[cls]y") == "x[cls]y")
        #expect(t.encode("x[CLS]y") == [2, 5, 2, 6, 3])
        #expect(t.encode("x[cls]y") == [2, 5, 7, 9, 8, 6, 3])
        #expect(t.encode("x [CLS] y") == t.encode("x[CLS]y"))
    }
}
