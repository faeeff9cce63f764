import Foundation
import Testing
@testable import TxGuardEmbeddings

struct EncoderReference: Decodable {
    struct Case: Decodable { let text: String; let ids: [Int32]; let embedding: [Float] }
    let reference: String
    let cases: [Case]
}

@Suite struct MiniLMEncoderTests {
    @Test func modelDirectoryMissingNamesTheFetchScript() {
        do {
            _ = try MiniLMEmbedder(modelDirectory: "/nonexistent/model-dir")
            Issue.record("loading from a missing directory must throw")
        } catch {
            #expect(String(describing: error).contains("scripts/fetch-model.sh"))
        }
    }

    @Test func matchesSentenceTransformersReference() throws {
        let reference = try JSONDecoder().decode(EncoderReference.self, from: TestSupport.fixture("encoder_reference.json"))
        #expect(reference.cases.count >= 20)
        let embedder = try TestSupport.embedder()
        let vectors = try embedder.embedUncached(reference.cases.map(\.text))
        for (c, v) in zip(reference.cases, vectors) {
            #expect(embedder.tokenize(c.text) == c.ids, "tokens of \(c.text.prefix(40).debugDescription)")
            #expect(v.count == 384)
            let cos = TestSupport.cosine(v, c.embedding)
            #expect(cos >= 0.999, "cosine \(cos) for \(c.text.prefix(40).debugDescription)")
            let maxDiff = zip(v, c.embedding).map { abs($0 - $1) }.max() ?? 1
            #expect(maxDiff < 1e-5, "max |Δ| \(maxDiff) for \(c.text.prefix(40).debugDescription)")
        }
    }

    /// OpenBLAS runs with txguard's thread count, not its own default (every core): the count moves
    /// embeddings' last bits. Unset, one thread; a bad value is refused by name.
    @Test func blasThreadCountIsTxguardsSetting() throws {
        #expect(try BLAS.threadCount(environment: [:]) == 1)
        #expect(try BLAS.threadCount(environment: ["TXGUARD_BLAS_THREADS": "4"]) == 4)
        #expect(try BLAS.threadCount(environment: ["TXGUARD_BLAS_THREADS": " 2 ", "OPENBLAS_NUM_THREADS": "8"]) == 2)
        for bad in ["0", "257", "two", "", "-1", "1.5"] {
            #expect(throws: EmbeddingError.self, "'\(bad)'") { try BLAS.threadCount(environment: ["TXGUARD_BLAS_THREADS": bad]) }
        }
        do {
            _ = try BLAS.threadCount(environment: ["TXGUARD_BLAS_THREADS": "many"])
            Issue.record("TXGUARD_BLAS_THREADS=many was accepted")
        } catch {
            #expect(String(describing: error).contains("TXGUARD_BLAS_THREADS"))
        }
        // After a product, OpenBLAS itself reports the pinned count (its own default is every core).
        _ = try TestSupport.embedder().embedUncached(["a coffee shop"])
        let expected = (try? BLAS.threadCount(environment: ProcessInfo.processInfo.environment)) ?? 1
        #expect(try BLAS.pinned.get() == expected)
        #expect(BLAS.threadCount == expected, "OpenBLAS runs with \(BLAS.threadCount) threads on \(ProcessInfo.processInfo.activeProcessorCount) cores")
    }

    /// A text's vector is a function of the text alone, bit for bit: alone, in a batch of texts of
    /// other lengths, at any position in the batch (a decision must not depend on batching).
    @Test func batchedEqualsOneByOneBitForBit() throws {
        let embedder = try TestSupport.embedder()
        let texts = ["short", "a much longer merchant description with many words in it", "starbucks", "",
                     "amazon mktp", "uber trip help uber com", "tesco stores", "shell oil"]
            + (0..<30).map { "merchant \(String(repeating: "x", count: $0 % 7)) store number \($0)" }
        let batched = try embedder.embedUncached(texts)
        let reversed = try embedder.embedUncached(texts.reversed())
        for (i, t) in texts.enumerated() {
            let single = try embedder.embedUncached([t])[0]
            let inBatch = single == batched[i], inReversed = single == reversed[texts.count - 1 - i]
            #expect(inBatch, "\(t.debugDescription) alone and at position \(i) of \(texts.count)")
            #expect(inReversed, "\(t.debugDescription) in the reversed batch")
        }
    }

    @Test func concurrentUncachedCallsMatchSequentialOnes() async throws {
        let embedder = try TestSupport.embedder()
        let texts = (0..<8).map { "merchant number \($0) in city \($0 * 7)" }
        let sequential = try texts.map { try embedder.embedUncached([$0, "padding text of another length"])[0] }
        try await withThrowingTaskGroup(of: (Int, [Float]).self) { group in
            for round in 0..<3 {
                for (i, t) in texts.enumerated() {
                    group.addTask { (i, try embedder.embedUncached([t, "padding text of another length"])[0]) }
                }
                for try await (i, v) in group {
                    let same = v == sequential[i]
                    #expect(same, "round \(round) text \(i): concurrent calls give the same bits")
                }
            }
        }
    }

    @Test func cacheServesEqualKeysAndIsUsedFromManyTasks() async throws {
        let embedder = try MiniLMEmbedder(modelDirectory: TestSupport.modelDirectory, cacheCapacity: 8)
        let first = try embedder.embed(["Blue  Bottle COFFEE", "blue bottle coffee", "other"])
        #expect(first[0] == first[1])
        #expect(embedder.cache?.count == 2)
        let reference = try embedder.embedUncached(["blue bottle coffee"])[0]
        try await withThrowingTaskGroup(of: [Float].self) { group in
            for _ in 0..<4 { group.addTask { try embedder.embed(["BLUE BOTTLE coffee"])[0] } }
            for try await v in group { #expect(v == first[0]) }
        }
        #expect(TestSupport.cosine(reference, first[0]) > 0.999999)
        #expect((embedder.cache?.statistics.hits ?? 0) >= 4)
    }
}
