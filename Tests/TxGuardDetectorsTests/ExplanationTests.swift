import Foundation
import Testing
@testable import TxGuardDetectors

@Suite struct ExplanationTests {
    static let dimension = 32
    static let training: FeatureMatrix = {
        var rng = SeededGenerator(seed: 51)
        let values = (0..<(2_000 * dimension)).map { _ in Float(rng.nextGaussian()) }
        return try! FeatureMatrix(rowCount: 2_000, columnCount: dimension, values: values)
    }()

    static func planted(_ feature: Int, value: Float = 7, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        var x = (0..<dimension).map { _ in Float(0.5 * rng.nextGaussian()) }
        x[feature] = value
        return x
    }

    static func argmax(_ v: [Float]) -> Int { v.indices.max { v[$0] < v[$1] } ?? -1 }

    @Test(arguments: [3, 17, 31])
    func isolationForestAttributionNamesPlantedFeature(feature: Int) throws {
        let forest = try IsolationForest.fit(Self.training, configuration: .init(seed: 52))
        let x = Self.planted(feature, seed: UInt64(feature))
        let attribution = x.withUnsafeBufferPointer { forest.attribution($0) }
        #expect(Self.argmax(attribution) == feature, "\(attribution)")
    }

    @Test(arguments: [3, 17, 31])
    func svmGradientNamesPlantedFeature(feature: Int) throws {
        let svm = try OneClassSVM.fit(Self.training, configuration: .init(sampleSize: 800, seed: 53))
        let x = Self.planted(feature, seed: UInt64(feature))
        let attribution = x.withUnsafeBufferPointer { svm.attribution($0) }
        #expect(Self.argmax(attribution) == feature, "\(attribution)")
        // Far outside the support every kernel value underflows, yet the attribution stays defined.
        let far = Self.planted(feature, value: 1e4, seed: 1)
        #expect(Self.argmax(far.withUnsafeBufferPointer { svm.attribution($0) }) == feature)
    }

    /// The merged ensemble list ranks the planted feature first.
    @Test func ensembleReasonsRankPlantedFeatureFirst() throws {
        let names = (0..<Self.dimension).map { "f\($0)" }
        var config = ScoringModel.Configuration()
        config.oneClassSVM.sampleSize = 800
        let model = try ScoringModel.fit(training: Self.training, featureNames: names, zScoreInputs: ["f0", "f1"],
                                         seed: 54, configuration: config)
        let x = Self.planted(20, seed: 55)
        let reasons = try model.reasons(x, accountStats: model.newAccountStats())
        #expect(reasons.first?.featureName == "f20", "\(reasons)")
        #expect(reasons.first?.value == 7)
        #expect(reasons.count <= 5)
    }
}
