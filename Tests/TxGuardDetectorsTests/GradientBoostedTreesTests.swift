import Foundation
import Testing
@testable import TxGuardDetectors

/// Reference values written by scripts/fixtures/detectors/gbt.py (scikit-learn 1.9.1).
struct GBTReference: Decodable {
    struct Default: Decodable {
        let roc_auc: Double
        let permutation_importance_mean: [Double]
        let top3: [Int]
        let proba_first50: [Double]
    }
    struct ExactCase: Decodable {
        let name: String
        let max_iter: Int
        let max_leaf_nodes: Int
        let max_depth: Int?
        let min_samples_leaf: Int
        let l2_regularization: Double
        let learning_rate: Double
        let max_bins: Int
        let weighted: Bool
        let baseline: Double
        let bin_thresholds: [[Double]]
        let n_leaves: [Int]
        let proba_test: [Double]

        var configuration: GradientBoostedTrees.Configuration {
            .init(maxIterations: max_iter, learningRate: learning_rate, maxLeafNodes: max_leaf_nodes, maxDepth: max_depth,
                  minSamplesLeaf: min_samples_leaf, l2Regularization: l2_regularization, maxBins: max_bins)
        }
        /// The script's `1 + (i % 3)`.
        var weights: [Double]? { weighted ? (0..<2000).map { 1 + Double($0 % 3) } : nil }
    }

    let sklearn_version: String
    let n_train: Int
    let n_features: Int
    let x: [[Double]]
    let y: [Int]
    let `default`: Default
    let exact: [ExactCase]

    static let shared: GBTReference = {
        // Test-only: a missing fixture is a broken checkout and should fail loudly.
        let url = Bundle.module.url(forResource: "Fixtures/gbt_reference", withExtension: "json")!
        return try! JSONDecoder().decode(GBTReference.self, from: Data(contentsOf: url))
    }()

    var train: FeatureMatrix { matrix(Array(x[..<n_train])) }
    var test: FeatureMatrix { matrix(Array(x[n_train...])) }
    var trainLabels: [Bool] { y[..<n_train].map { $0 == 1 } }
    var testLabels: [Bool] { y[n_train...].map { $0 == 1 } }
    var names: [String] { (0..<n_features).map { "f\($0)" } }
}

/// Our model with the default configuration on the fixture's training rows (fitted once).
private let defaultModel: GradientBoostedTrees = {
    let ref = GBTReference.shared
    return try! GradientBoostedTrees.fit(ref.train, labels: ref.trainLabels, featureNames: ref.names)
}()

@Suite struct GradientBoostedTreesTests {
    // MARK: Exact agreement with scikit-learn

    /// Bin edges are sklearn's `_BinMapper.bin_thresholds_`, bit for bit (quantiles on 255 and 63 bins, weighted).
    @Test func binEdgesEqualScikitLearn() {
        let ref = GBTReference.shared
        let train = ref.train
        for c in ref.exact {
            for f in 0..<ref.n_features {
                let column = (0..<train.rowCount).map { train[$0, f] }
                let ours = GradientBoostedTrees.binThresholds(column, weights: c.weights, maxBins: c.max_bins)
                #expect(ours == c.bin_thresholds[f], "\(c.name) feature \(f): \(ours.count) vs \(c.bin_thresholds[f].count) edges")
            }
        }
    }

    /// Small configurations (one weighted): same baseline, same leaf counts per tree, same probabilities on all
    /// 1000 test rows (to 1e-6; identical on Linux x86-64).
    @Test(arguments: GBTReference.shared.exact.map(\.name))
    func exactCaseMatchesScikitLearn(_ name: String) throws {
        let ref = GBTReference.shared
        let c = try #require(ref.exact.first { $0.name == name })
        let model = try GradientBoostedTrees.fit(ref.train, labels: ref.trainLabels, sampleWeights: c.weights,
                                                 featureNames: ref.names, configuration: c.configuration)
        #expect(abs(model.baseline - c.baseline) < 1e-12)
        #expect(model.treeCount == c.max_iter)
        let leaves = model.roots.indices.map { t in
            let end = t + 1 < model.roots.count ? Int(model.roots[t + 1]) : model.nodes.count
            return model.nodes[Int(model.roots[t])..<end].filter { $0.feature < 0 }.count
        }
        #expect(leaves == c.n_leaves)
        let ours = try model.probabilities(ref.test)
        let worst = zip(ours, c.proba_test).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-6, "\(name): max |p − p_sklearn| = \(worst)")
    }

    // MARK: Default configuration against HistGradientBoostingClassifier

    @Test func testROCAUCWithinOneHundredthOfScikitLearn() throws {
        let ref = GBTReference.shared
        let auc = try #require(rocAUC(scores: try defaultModel.probabilities(ref.test), labels: ref.testLabels))
        #expect(abs(auc - ref.default.roc_auc) < 0.01, "ours \(auc), sklearn \(ref.default.roc_auc)")
        #expect(auc > 0.9)
    }

    @Test func probabilitiesTrackScikitLearn() throws {
        let ref = GBTReference.shared
        let test = ref.test
        let ours = try (0..<50).map { try defaultModel.probability(test.row($0)) }
        let theirs = ref.default.proba_first50
        let mad = zip(ours, theirs).map { abs($0 - $1) }.reduce(0, +) / 50
        #expect(pearson(ours, theirs) > 0.98)
        #expect(mad < 0.03, "mean |p − p_sklearn| = \(mad)")
    }

    /// Same binning, gradients (float32), split search and tie rules as sklearn: the 100-tree default model
    /// reproduces sklearn's probabilities (bit for bit on Linux x86-64; the tolerance allows libm differences).
    @Test func defaultModelReproducesScikitLearnProbabilities() throws {
        let ref = GBTReference.shared
        let test = ref.test
        let ours = try (0..<50).map { try defaultModel.probability(test.row($0)) }
        let worst = zip(ours, ref.default.proba_first50).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-6, "max |p − p_sklearn| = \(worst)")
    }

    /// Mean ROC-AUC drop over 10 seeded permutations of each test column: same top 3 as sklearn's
    /// `permutation_importance(scoring="roc_auc", n_repeats=10)`.
    @Test func permutationImportanceTopThreeMatchesScikitLearn() throws {
        let ref = GBTReference.shared
        let test = ref.test
        let labels = ref.testLabels
        let base = try #require(rocAUC(scores: try defaultModel.probabilities(test), labels: labels))
        var rng = SeededGenerator(seed: 0)
        var importance = [Double]()
        for f in 0..<test.columnCount {
            var drop = 0.0
            for _ in 0..<10 {
                var values = test.values
                var column = (0..<test.rowCount).map { test[$0, f] }
                column.shuffle(using: &rng)
                for r in 0..<test.rowCount { values[r * test.columnCount + f] = column[r] }
                let permuted = try FeatureMatrix(rowCount: test.rowCount, columnCount: test.columnCount, values: values)
                drop += base - (try #require(rocAUC(scores: try defaultModel.probabilities(permuted), labels: labels)))
            }
            importance.append(drop / 10)
        }
        let top3 = importance.indices.sorted { importance[$0] > importance[$1] }.prefix(3)
        #expect(Set(top3) == Set(ref.default.top3), "ours \(Array(top3)) \(importance), sklearn \(ref.default.top3)")
    }

    @Test func splitGainImportanceIsNormalisedAndLedByTheStrongestFeature() {
        let importance = defaultModel.splitGainImportance()
        #expect(abs(importance.reduce(0, +) - 1) < 1e-12)
        #expect(importance.allSatisfy { $0 >= 0 })
        let strongest = GBTReference.shared.default.top3[0]
        #expect(importance.indices.max { importance[$0] < importance[$1] } == strongest)
    }

    // MARK: Attribution, serialisation, determinism

    @Test func attributionSumsToLogit() throws {
        let ref = GBTReference.shared
        let test = ref.test
        var meanAbs = [Double](repeating: 0, count: ref.n_features)
        for r in 0..<200 {
            let row = test.row(r)
            let a = try defaultModel.attribution(row)
            let logit = try defaultModel.logit(row)
            #expect(abs(defaultModel.bias + a.reduce(0, +) - logit) < 1e-9)
            for f in a.indices { meanAbs[f] += abs(a[f]) / 200 }
        }
        // The feature that matters most to the model also moves the logit most.
        #expect(meanAbs.indices.max { meanAbs[$0] < meanAbs[$1] } == ref.default.top3[0])
    }

    /// The breadth-first lockstep layout scores exactly like a plain walk of the nodes.
    @Test func packedLayoutScoresLikeThePlainWalk() throws {
        #expect(defaultModel.packed != nil)
        let test = GBTReference.shared.test
        for r in 0..<test.rowCount {
            test.withRow(r) { x in #expect(defaultModel.logit(x) == defaultModel.referenceLogit(x)) }
        }
        // A NaN goes right in both walks (x <= t is false).
        var row = test.row(0)
        for f in row.indices { row[f] = .nan }
        row.withUnsafeBufferPointer { x in #expect(defaultModel.logit(x) == defaultModel.referenceLogit(x)) }
    }

    @Test func codableRoundTripPredictsIdentically() throws {
        let data = try JSONEncoder().encode(defaultModel)
        let decoded = try JSONDecoder().decode(GradientBoostedTrees.self, from: data)
        #expect(decoded == defaultModel)
        let test = GBTReference.shared.test
        #expect(try decoded.probabilities(test) == (try defaultModel.probabilities(test)))
        #expect(decoded.bias == defaultModel.bias)
    }

    @Test func corruptModelIsRefused() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(defaultModel)) as! [String: Any]
        var lefts = json["lefts"] as! [Int]
        let split = lefts.firstIndex { $0 >= 0 }!
        lefts[split] = split  // a cycle
        json["lefts"] = lefts
        let data = try JSONSerialization.data(withJSONObject: json)
        #expect(throws: DetectorError.self) { try JSONDecoder().decode(GradientBoostedTrees.self, from: data) }
    }

    @Test func fitIsDeterministic() throws {
        let ref = GBTReference.shared
        let again = try GradientBoostedTrees.fit(ref.train, labels: ref.trainLabels, featureNames: ref.names)
        #expect(again == defaultModel)
    }

    // MARK: Errors

    @Test func refusesBadInput() throws {
        let x = try FeatureMatrix(rows: [[0, 1], [1, 0], [2, 2], [3, 1]])
        let labels = [false, true, false, true]
        let names = ["a", "b"]
        #expect(throws: DetectorError.notEnoughRows(needed: 1, actual: 0)) {
            try GradientBoostedTrees.fit(FeatureMatrix(rowCount: 0, columnCount: 2, values: []), labels: [], featureNames: names)
        }
        #expect(throws: DetectorError.dimensionMismatch(expected: 4, actual: 3)) {
            try GradientBoostedTrees.fit(x, labels: [false, true, true], featureNames: names)
        }
        #expect(throws: DetectorError.dimensionMismatch(expected: 4, actual: 2)) {
            try GradientBoostedTrees.fit(x, labels: labels, sampleWeights: [1, 1], featureNames: names)
        }
        #expect(throws: DetectorError.invalidParameter(name: "sampleWeights", value: -1)) {
            try GradientBoostedTrees.fit(x, labels: labels, sampleWeights: [1, -1, 1, 1], featureNames: names)
        }
        #expect(throws: DetectorError.featureNameCount(expected: 2, actual: 1)) {
            try GradientBoostedTrees.fit(x, labels: labels, featureNames: ["a"])
        }
        for bad in [Float.nan, .infinity, -.infinity] {
            let y = try FeatureMatrix(rows: [[0, 1], [1, 0], [2, bad], [3, 1]])
            #expect(throws: DetectorError.nonFiniteValue(row: 2, column: 1)) {
                try GradientBoostedTrees.fit(y, labels: labels, featureNames: names)
            }
        }
        #expect(throws: DetectorError.invalidParameter(name: "labels", value: 0)) {
            try GradientBoostedTrees.fit(x, labels: [false, false, false, false], featureNames: names)
        }
        #expect(throws: DetectorError.invalidParameter(name: "labels", value: 1)) {
            try GradientBoostedTrees.fit(x, labels: [true, true, true, true], featureNames: names)
        }
        // Weight zero on every positive leaves a single class too.
        #expect(throws: DetectorError.invalidParameter(name: "labels", value: 0)) {
            try GradientBoostedTrees.fit(x, labels: labels, sampleWeights: [1, 0, 1, 0], featureNames: names)
        }
        let model = try GradientBoostedTrees.fit(x, labels: labels, featureNames: names,
                                                 configuration: .init(maxIterations: 2, minSamplesLeaf: 1))
        #expect(throws: DetectorError.dimensionMismatch(expected: 2, actual: 3)) { try model.logit([1, 2, 3]) }
    }

    @Test func refusesInvalidConfiguration() throws {
        let x = try FeatureMatrix(rows: [[0], [1], [2], [3]])
        let labels = [false, true, false, true]
        typealias C = GradientBoostedTrees.Configuration
        let cases: [(C, String, Double)] = [
            (C(maxIterations: 0), "maxIterations", 0),
            (C(learningRate: 0), "learningRate", 0),
            (C(learningRate: -0.1), "learningRate", -0.1),
            (C(maxLeafNodes: 1), "maxLeafNodes", 1),
            (C(maxDepth: 0), "maxDepth", 0),
            (C(minSamplesLeaf: 0), "minSamplesLeaf", 0),
            (C(l2Regularization: -1), "l2Regularization", -1),
            (C(maxBins: 1), "maxBins", 1),
            (C(maxBins: 256), "maxBins", 256),
        ]
        for (configuration, name, value) in cases {
            #expect(throws: DetectorError.invalidParameter(name: name, value: value)) {
                try GradientBoostedTrees.fit(x, labels: labels, featureNames: ["a"], configuration: configuration)
            }
        }
    }

    /// Too few rows for min_samples_leaf: one leaf of value 0 per tree, so every probability is the prior.
    @Test func unsplittableDataPredictsThePrior() throws {
        let x = try FeatureMatrix(rows: [[0], [1], [2], [3]])
        let model = try GradientBoostedTrees.fit(x, labels: [false, true, false, false], featureNames: ["a"])
        #expect(model.treeCount == 100)
        #expect(abs(try model.probability([3]) - 0.25) < 1e-12)
        #expect(model.splitGainImportance() == [0])
    }
}

private func pearson(_ a: [Double], _ b: [Double]) -> Double {
    let n = Double(a.count)
    let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
    var sab = 0.0, saa = 0.0, sbb = 0.0
    for (x, y) in zip(a, b) {
        sab += (x - ma) * (y - mb)
        saa += (x - ma) * (x - ma)
        sbb += (y - mb) * (y - mb)
    }
    return sab / (saa * sbb).squareRoot()
}
