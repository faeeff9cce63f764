import Foundation
import Testing
@testable import TxGuardEmbeddings

struct HashedReference: Decodable {
    struct Case: Decodable { let text: String; let embedding: [Float] }
    let width: Int
    let cases: [Case]
}

@Suite struct HashedNGramEmbedderTests {
    @Test func matchesIndependentPythonImplementation() throws {
        let reference = try JSONDecoder().decode(HashedReference.self, from: TestSupport.fixture("hashed_reference.json"))
        let embedder = try HashedNGramEmbedder(dimension: reference.width)
        for c in reference.cases {
            let v = embedder.vector(c.text)
            let maxDiff = zip(v, c.embedding).map { abs($0 - $1) }.max() ?? 1
            #expect(maxDiff < 1e-6, "\(c.text.debugDescription): max |Δ| \(maxDiff)")
        }
    }

    @Test func normalisedSimilarTextsAreClose() throws {
        let e = try HashedNGramEmbedder(dimension: 256)
        let a = e.vector("STARBUCKS STORE #1234"), b = e.vector("Starbucks store #1235"), c = e.vector("SHELL OIL 5574")
        #expect(TestSupport.cosine(a, b) > TestSupport.cosine(a, c))
        #expect(abs(TestSupport.cosine(a, a) - 1) < 1e-6)
        #expect(e.vector("   ") == [Float](repeating: 0, count: 256))
    }

    @Test func rejectsBadConfiguration() {
        #expect(throws: EmbeddingError.self) { try HashedNGramEmbedder(dimension: 0) }
        #expect(throws: EmbeddingError.self) { try HashedNGramEmbedder(dimension: 8, minN: 4, maxN: 3) }
    }
}
