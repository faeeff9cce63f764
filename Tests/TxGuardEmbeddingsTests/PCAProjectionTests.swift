import Foundation
import Testing
@testable import TxGuardEmbeddings

struct PCAReference: Decodable {
    let samples: [[Float]]
    let components: Int
    let mean: [Double]
    let eigenvalues: [Double]
    let component_vectors: [[Double]]
    let projections_first5: [[Double]]
    let robust_values: [Double]
    let robust_median: Double
    let robust_iqr: Double
}

@Suite struct PCAProjectionTests {
    let reference: PCAReference

    init() throws {
        reference = try JSONDecoder().decode(PCAReference.self, from: TestSupport.fixture("pca_reference.json"))
    }

    @Test func matchesNumpyEigh() throws {
        let pca = try PCAProjection.fit(reference.samples, componentCount: reference.components)
        #expect(pca.outputDimension == 4)
        for (a, b) in zip(pca.mean, reference.mean) { #expect(abs(Double(a) - b) < 1e-5) }
        for (a, b) in zip(pca.explainedVariance, reference.eigenvalues) { #expect(abs(a - b) / b < 1e-6, "eigenvalue \(a) vs \(b)") }
        for (c, r) in zip(pca.components, reference.component_vectors) {
            for (a, b) in zip(c, r) { #expect(abs(Double(a) - b) < 1e-5) }
        }
        for (row, expected) in zip(reference.samples.prefix(5), reference.projections_first5) {
            for (a, b) in zip(pca.project(row), expected) { #expect(abs(Double(a) - b) < 1e-4, "\(a) vs \(b)") }
        }
    }

    @Test func eigenOfKnownMatrix() throws {
        // [[2,1],[1,2]] has eigenvalues 3 and 1 with eigenvectors (1,1)/√2 and (1,−1)/√2.
        let (values, vectors) = try SymmetricEigen.decompose([2, 1, 1, 2], n: 2)
        #expect(abs(values[0] - 3) < 1e-12 && abs(values[1] - 1) < 1e-12)
        #expect(abs(abs(vectors[0][0]) - 0.5.squareRoot()) < 1e-12)
        #expect(abs(vectors[0][0] - vectors[0][1]) < 1e-12)
        #expect(abs(vectors[1][0] + vectors[1][1]) < 1e-12)
    }

    @Test func robustScalingMatchesNumpyPercentiles() throws {
        let scaling = try RobustScaling.fit(reference.robust_values)
        #expect(abs(scaling.median - reference.robust_median) < 1e-9)
        #expect(abs(scaling.interQuartileRange - reference.robust_iqr) < 1e-9)
        #expect(throws: EmbeddingError.self) { try RobustScaling.fit([]) }
    }

    @Test func rejectsBadInput() {
        #expect(throws: EmbeddingError.self) { try PCAProjection.fit([[1, 2]], componentCount: 1) }
        #expect(throws: EmbeddingError.self) { try PCAProjection.fit([[1, 2], [3, 4]], componentCount: 3) }
    }

    @Test func keepsOnlyTheDirectionsTheSamplesSpan() throws {
        // Three distinct points span a plane: two of the four requested components exist.
        let plane = try PCAProjection.fit([[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 0], [1, 0, 0, 0, 0]], componentCount: 4)
        #expect(plane.outputDimension == 2 && plane.explainedVariance.count == 2)
        #expect(plane.explainedVariance.allSatisfy { $0 > 0.1 })
        // Identical samples span nothing; one (zero-variance) component is still kept.
        #expect(try PCAProjection.fit([[1, 2, 3], [1, 2, 3]], componentCount: 2).outputDimension == 1)
    }
}

@Suite struct FeatureSpecFittingTests {
    @Test func fitsScalingOnLogAmountsAndPCA() throws {
        var spec = FeatureSpec()
        spec.currencyRates = ["EUR": 1, "USD": 0.5]
        // log1p of base amounts 0, 1, 3, 7, 15 → ln 1…ln 16: median ln 4, IQR ln 8 − ln 2 = ln 4.
        let amounts: [(amount: Double, currency: String)] = [(0, "EUR"), (2, "USD"), (3, "EUR"), (14, "USD"), (15, "EUR")]
        let embeddings: [[Float]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0]]
        let fitted = try spec.fitted(amounts: amounts, textEmbeddings: embeddings, textComponents: 2)
        let scaling = try #require(fitted.amountScaling)
        #expect(abs(scaling.median - log(4)) < 1e-12)
        #expect(abs(scaling.interQuartileRange - log(4)) < 1e-12)
        #expect(fitted.textProjection?.outputDimension == 2)
        #expect(fitted.featureNames.contains("amount_robust") && fitted.featureNames.contains("text_pca_1"))
    }
}
