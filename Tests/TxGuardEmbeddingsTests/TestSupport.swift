import Foundation
import Testing
import TxGuardTestSupport
@testable import TxGuardEmbeddings

/// Shared helpers: fixture loading and the model directory (tests FAIL, never skip, without it).
enum TestSupport {
    static let packageRoot = TxGuardTestSupport.packageRoot

    /// `$TXGUARD_MODEL_DIR` or `<package>/models/all-MiniLM-L6-v2` (`TxGuardTestSupport`).
    static var modelDirectory: String { miniLMModelDirectory }

    /// Loaded once per test process; throws EmbeddingError.modelMissing naming scripts/fetch-model.sh.
    static let sharedEmbedder: Result<MiniLMEmbedder, Error> = Result {
        try MiniLMEmbedder(modelDirectory: modelDirectory, cacheCapacity: 1000)
    }

    static func embedder() throws -> MiniLMEmbedder {
        try sharedEmbedder.get()
    }

    static func fixture(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw FixtureError.missing(name)
        }
        return try Data(contentsOf: url)
    }

    enum FixtureError: Error { case missing(String) }

    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for i in 0..<min(a.count, b.count) {
            dot += Double(a[i]) * Double(b[i]); na += Double(a[i] * a[i]); nb += Double(b[i] * b[i])
        }
        return dot / max((na * nb).squareRoot(), 1e-30)
    }
}
