import Foundation
import Testing
@testable import TxGuardDetectors

@Suite struct IsolationForestTests {
    @Test func averagePathLengthMatchesScikitLearn() {
        let ref = Reference.shared.average_path_length
        for (n, c) in zip(ref.n, ref.c) {
            #expect(abs(averagePathLength(n) - c) <= 1e-12 * max(1, c), "c(\(n))")
        }
    }

    /// sklearn's own trees, imported node for node, must score exactly like sklearn's score_samples.
    @Test func importedScikitLearnTreesScoreIdentically() throws {
        let ref = Reference.shared.exported_forest
        var nodes = [IsolationForest.Node]()
        var sizes = [Int32]()
        var roots = [Int32]()
        for tree in ref.trees {
            let offset = Int32(nodes.count)
            roots.append(offset)
            for i in tree.feature.indices {
                if tree.left[i] < 0 {
                    let depth = depthOf(i, tree)
                    nodes.append(.init(feature: -1, value: Float(Double(depth) + averagePathLength(tree.n_node_samples[i])),
                                       left: -1, right: -1))
                } else {
                    // sklearn compares float32 x with a float64 threshold: round it down to a Float.
                    var t = Float(tree.threshold[i])
                    if Double(t) > tree.threshold[i] { t = t.nextDown }
                    nodes.append(.init(feature: Int32(tree.feature[i]), value: t,
                                       left: offset + Int32(tree.left[i]), right: offset + Int32(tree.right[i])))
                }
                sizes.append(Int32(tree.n_node_samples[i]))
            }
        }
        let forest = try IsolationForest(featureCount: 4, sampleSize: ref.max_samples, nodes: nodes, nodeSizes: sizes, roots: roots)
        for (q, expected) in zip(ref.queries, ref.score_samples) {
            let s = try forest.score(q.map { Float($0) })
            #expect(abs(s - (-expected)) < 1e-6, "score \(s) vs sklearn \(-expected)")
        }
    }

    private func depthOf(_ node: Int, _ tree: Reference.Tree) -> Int {
        var parent = [Int: Int]()
        for i in tree.left.indices where tree.left[i] >= 0 {
            parent[tree.left[i]] = i
            parent[tree.right[i]] = i
        }
        var d = 0, n = node
        while let p = parent[n] { d += 1; n = p }
        return d
    }

    /// With 4000 trees the Monte Carlo noise is tiny: our fitted forest's expected score must match
    /// sklearn's (also 4000 trees), including a constant feature that must never be split on.
    @Test func fittedScoresMatchScikitLearnExpectation() throws {
        let ref = Reference.shared.expected_scores
        let data = matrix(ref.train)
        let forest = try IsolationForest.fit(data, configuration: .init(treeCount: 4000, seed: 42))
        var maxDiff = 0.0
        for (q, expected) in zip(ref.queries, ref.mean_score_samples) {
            let s = try forest.score(q.map { Float($0) })
            maxDiff = max(maxDiff, abs(s - (-expected)))
        }
        #expect(maxDiff < 0.01, "max |score − sklearn| = \(maxDiff)")
        #expect(!forest.nodes.contains { $0.feature == 2 }, "constant feature was split on")
    }

    @Test func shuttleAUCMatchesScikitLearn() throws {
        let shuttle = Shuttle.shared
        let ref = Reference.shared.iforest_shuttle
        var aucs = [Double]()
        for seed in 0..<5 {
            let forest = try IsolationForest.fit(shuttle.features, configuration: .init(seed: UInt64(seed)))
            var scores = [Double]()
            for r in 0..<shuttle.features.rowCount { scores.append(shuttle.features.withRow(r) { forest.score($0) }) }
            aucs.append(try #require(rocAUC(scores: scores, labels: shuttle.labels)))
        }
        let mean = aucs.reduce(0, +) / Double(aucs.count)
        #expect(abs(mean - ref.mean_auc) < 0.01, "AUC \(mean) vs sklearn \(ref.mean_auc)")
    }

    @Test func structureFollowsConfiguration() throws {
        var rng = SeededGenerator(seed: 5)
        let rows = (0..<1000).map { _ in (0..<3).map { _ in Float(rng.nextGaussian()) } }
        let forest = try IsolationForest.fit(try FeatureMatrix(rows: rows), configuration: .init(treeCount: 7, seed: 1))
        #expect(forest.treeCount == 7)
        #expect(forest.sampleSize == 256)
        // Height limit ⌈log2 256⌉ = 8: every leaf value is depth + c(n) with depth <= 8.
        for root in forest.roots { #expect(forest.nodeSizes[Int(root)] == 256) }
        let small = try IsolationForest.fit(try FeatureMatrix(rows: Array(rows.prefix(40))), configuration: .init(treeCount: 3))
        #expect(small.sampleSize == 40)
        #expect(throws: DetectorError.dimensionMismatch(expected: 3, actual: 2)) { try forest.score([1, 2]) }
    }

    @Test func sameSeedSameForestDifferentSeedDifferentForest() throws {
        let data = Shuttle.shared.features
        let a = try IsolationForest.fit(data, configuration: .init(treeCount: 10, seed: 9))
        let b = try IsolationForest.fit(data, configuration: .init(treeCount: 10, seed: 9))
        let c = try IsolationForest.fit(data, configuration: .init(treeCount: 10, seed: 10))
        #expect(a == b)
        #expect(a != c)
    }

    @Test func corruptNodesAreRejected() {
        let leaf = IsolationForest.Node(feature: -1, value: 1, left: -1, right: -1)
        let loop = IsolationForest.Node(feature: 0, value: 0, left: 0, right: 0)
        #expect(throws: DetectorError.self) {
            try IsolationForest(featureCount: 1, sampleSize: 2, nodes: [loop, leaf], nodeSizes: [2, 1], roots: [0])
        }
        #expect(throws: DetectorError.self) {
            try IsolationForest(featureCount: 1, sampleSize: 2, nodes: [leaf], nodeSizes: [2], roots: [3])
        }
    }
}

@Suite struct PackedForestTests {
    /// The breadth-first fixed-depth layout scores exactly like a plain walk of the nodes.
    @Test func packedLayoutMatchesPlainWalk() throws {
        var rng = SeededGenerator(seed: 71)
        let rows = (0..<3_000).map { _ in (0..<6).map { _ in Float(rng.nextGaussian()) } }
        let forest = try IsolationForest.fit(try FeatureMatrix(rows: rows), configuration: .init(treeCount: 37, seed: 3))
        #expect(forest.packed != nil)
        for k in 0..<2_000 {
            var x = (0..<6).map { _ in Float(3 * rng.nextGaussian()) }
            // Infinite features (a leaf must not be left for them) and a buffer longer than the
            // forest's features (only the first six are read).
            if k % 5 == 0 { x[k % 6] = k % 10 == 0 ? .infinity : -.infinity }
            if k % 7 == 0 { x.append(.infinity) }
            let packed = x.withUnsafeBufferPointer { forest.meanPathLength($0) }
            let plain = x.withUnsafeBufferPointer { forest.referenceMeanPathLength($0) }
            #expect(abs(packed - plain) < 1e-4)
        }
    }
}
