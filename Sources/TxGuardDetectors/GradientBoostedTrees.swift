#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Histogram gradient-boosted decision trees for binary classification (logistic loss), grown like
/// scikit-learn's `HistGradientBoostingClassifier` without early stopping (fit: GradientBoostedTreesFit.swift).
///
/// All trees live in one flat node array. A split node compares the raw feature value with a `Float`
/// bin edge (`x[feature] <= threshold` goes left), so scoring needs no binning and allocates nothing.
/// logit(x) = baseline + Σ over trees of the value of the leaf x reaches; probability = sigmoid(logit).
public struct GradientBoostedTrees: Sendable, Equatable {
    /// How the trees are grown; the defaults are scikit-learn's.
    public struct Configuration: Sendable, Codable, Equatable {
        /// Boosting iterations, one tree each (sklearn `max_iter`).
        public var maxIterations = 100
        /// Shrinkage applied to every leaf value (sklearn `learning_rate`).
        public var learningRate = 0.1
        /// Maximum leaves per tree, at least 2 (sklearn `max_leaf_nodes`).
        public var maxLeafNodes = 31
        /// Maximum depth of a leaf (root = 0), nil for none (sklearn `max_depth`).
        public var maxDepth: Int? = nil
        /// Minimum training rows in a leaf (sklearn `min_samples_leaf`).
        public var minSamplesLeaf = 20
        /// L2 penalty on leaf values (sklearn `l2_regularization`).
        public var l2Regularization = 0.0
        /// Bins per feature, 2...255 (sklearn `max_bins`).
        public var maxBins = 255
        /// Seed of the row subsample that bin edges are computed on when there are more than 200,000 rows.
        public var seed: UInt64 = 0

        /// scikit-learn's defaults unless overridden.
        public init(maxIterations: Int = 100, learningRate: Double = 0.1, maxLeafNodes: Int = 31, maxDepth: Int? = nil,
                    minSamplesLeaf: Int = 20, l2Regularization: Double = 0.0, maxBins: Int = 255, seed: UInt64 = 0) {
            self.maxIterations = maxIterations
            self.learningRate = learningRate
            self.maxLeafNodes = maxLeafNodes
            self.maxDepth = maxDepth
            self.minSamplesLeaf = minSamplesLeaf
            self.l2Regularization = l2Regularization
            self.maxBins = maxBins
            self.seed = seed
        }

        /// Throws `invalidParameter` for the first value outside sklearn's accepted range.
        public func validate() throws {
            func check(_ ok: Bool, _ name: String, _ value: Double) throws {
                if !ok { throw DetectorError.invalidParameter(name: name, value: value) }
            }
            try check(maxIterations >= 1, "maxIterations", Double(maxIterations))
            try check(learningRate > 0 && learningRate.isFinite, "learningRate", learningRate)
            try check(maxLeafNodes >= 2, "maxLeafNodes", Double(maxLeafNodes))
            if let maxDepth { try check(maxDepth >= 1, "maxDepth", Double(maxDepth)) }
            try check(minSamplesLeaf >= 1, "minSamplesLeaf", Double(minSamplesLeaf))
            try check(l2Regularization >= 0 && l2Regularization.isFinite, "l2Regularization", l2Regularization)
            try check(maxBins >= 2 && maxBins <= 255, "maxBins", Double(maxBins))
        }
    }

    /// One tree node; `feature < 0` marks a leaf.
    public struct Node: Sendable, Equatable {
        /// Split feature, or −1 for a leaf.
        public var feature: Int32
        /// Split threshold: `x[feature] <= threshold` goes left (the bin edge rounded down to a Float).
        public var threshold: Float
        /// Index of the left child (−1 for a leaf).
        public var left: Int32
        /// Index of the right child (−1 for a leaf).
        public var right: Int32
        /// A leaf's contribution to the logit (learning rate applied); for a split node, the training-weighted
        /// mean of the leaf values below it (used by `attribution(_:)` only).
        public var value: Double
    }

    /// Names of the input features, in column order.
    public let featureNames: [String]
    /// The configuration the trees were grown with.
    public let configuration: Configuration
    /// Log-odds of the (weighted) training positive rate: the logit before any tree.
    public let baseline: Double
    /// All nodes of all trees.
    public private(set) var nodes: [Node]
    /// Loss reduction of each split node (0 for leaves), for `splitGainImportance()`.
    public private(set) var gains: [Double]
    /// Root node index of each tree.
    public private(set) var roots: [Int32]
    /// Reference of `attribution(_:)`: baseline + Σ over trees of the root's mean value;
    /// bias + Σ attribution(x) = logit(x).
    public let bias: Double
    /// Breadth-first, lockstep copy of the trees used by `logit` (derived from `nodes`).
    let packed: PackedBoostedTrees?

    /// Input dimension.
    public var featureCount: Int { featureNames.count }
    /// Number of trees (one per boosting iteration).
    public var treeCount: Int { roots.count }

    /// Assembles a model from nodes; validates every index so scoring can never go out of bounds.
    public init(featureNames: [String], configuration: Configuration, baseline: Double,
                nodes: [Node], gains: [Double], roots: [Int32]) throws {
        guard !featureNames.isEmpty else { throw DetectorError.invalidParameter(name: "featureCount", value: 0) }
        guard baseline.isFinite else { throw DetectorError.corruptModel("baseline \(baseline)") }
        guard gains.count == nodes.count else { throw DetectorError.corruptModel("gain count \(gains.count) != node count \(nodes.count)") }
        let n = Int32(nodes.count)
        for r in roots where r < 0 || r >= n { throw DetectorError.corruptModel("root \(r) out of range") }
        for (i, node) in nodes.enumerated() {
            guard node.value.isFinite else { throw DetectorError.corruptModel("node \(i) has value \(node.value)") }
            guard node.feature >= 0 else { continue }
            guard Int(node.feature) < featureNames.count else { throw DetectorError.corruptModel("node \(i) splits on feature \(node.feature)") }
            guard !node.threshold.isNaN else { throw DetectorError.corruptModel("node \(i) has a NaN threshold") }
            // Children must come after their parent: guarantees every walk terminates.
            guard node.left > Int32(i), node.left < n, node.right > Int32(i), node.right < n else {
                throw DetectorError.corruptModel("node \(i) has children \(node.left), \(node.right)")
            }
        }
        self.featureNames = featureNames
        self.configuration = configuration
        self.baseline = baseline
        self.nodes = nodes
        self.gains = gains
        self.roots = roots
        self.bias = roots.reduce(baseline) { $0 + nodes[Int($1)].value }
        self.packed = PackedBoostedTrees(nodes: nodes, roots: roots, featureCount: featureNames.count)
    }

    /// Log-odds of the positive class. `x` must have `featureCount` values; no allocation.
    public func logit(_ x: UnsafeBufferPointer<Float>) -> Double {
        precondition(x.count >= featureCount, "feature vector too short")
        if let packed { return packed.total(x, start: baseline) }
        return referenceLogit(x)
    }

    /// Straightforward walk of `nodes` (the reference the packed layout is tested against).
    func referenceLogit(_ x: UnsafeBufferPointer<Float>) -> Double {
        nodes.withUnsafeBufferPointer { n in
            roots.withUnsafeBufferPointer { rs in
                var total = baseline
                for r in rs {
                    var i = Int(r)
                    while true {
                        let node = n[i]
                        if node.feature < 0 { total += node.value; break }
                        i = Int(x[Int(node.feature)] <= node.threshold ? node.left : node.right)
                    }
                }
                return total
            }
        }
    }

    /// Probability of the positive class, sigmoid(logit) (= sklearn's `predict_proba(x)[:, 1]`).
    public func probability(_ x: UnsafeBufferPointer<Float>) -> Double {
        1 / (1 + exp(-logit(x)))
    }

    /// Convenience overload of `logit(_:)` for an array.
    public func logit(_ x: [Float]) throws -> Double {
        guard x.count == featureCount else { throw DetectorError.dimensionMismatch(expected: featureCount, actual: x.count) }
        return x.withUnsafeBufferPointer { logit($0) }
    }

    /// Convenience overload of `probability(_:)` for an array.
    public func probability(_ x: [Float]) throws -> Double {
        guard x.count == featureCount else { throw DetectorError.dimensionMismatch(expected: featureCount, actual: x.count) }
        return x.withUnsafeBufferPointer { probability($0) }
    }

    /// Probability of every row of `matrix`.
    public func probabilities(_ matrix: FeatureMatrix) throws -> [Double] {
        guard matrix.columnCount == featureCount else {
            throw DetectorError.dimensionMismatch(expected: featureCount, actual: matrix.columnCount)
        }
        return (0..<matrix.rowCount).map { r in matrix.withRow(r) { probability($0) } }
    }

    /// Per-feature contributions to the logit (Saabas): along each tree's path, every split adds
    /// value(child) − value(node) to its feature. bias + Σ attribution(x) = logit(x) up to rounding.
    public func attribution(_ x: UnsafeBufferPointer<Float>) -> [Double] {
        precondition(x.count >= featureCount, "feature vector too short")
        var acc = [Double](repeating: 0, count: featureCount)
        for r in roots {
            var i = Int(r)
            while nodes[i].feature >= 0 {
                let node = nodes[i]
                let child = Int(x[Int(node.feature)] <= node.threshold ? node.left : node.right)
                acc[Int(node.feature)] += nodes[child].value - node.value
                i = child
            }
        }
        return acc
    }

    /// Equal when grown alike: same names, configuration, baseline, nodes, gains and roots
    /// (the derived packed layout is not compared).
    public static func == (a: GradientBoostedTrees, b: GradientBoostedTrees) -> Bool {
        a.featureNames == b.featureNames && a.configuration == b.configuration && a.baseline == b.baseline
            && a.nodes == b.nodes && a.gains == b.gains && a.roots == b.roots
    }

    /// Convenience overload of `attribution(_:)` for an array.
    public func attribution(_ x: [Float]) throws -> [Double] {
        guard x.count == featureCount else { throw DetectorError.dimensionMismatch(expected: featureCount, actual: x.count) }
        return x.withUnsafeBufferPointer { attribution($0) }
    }

    /// Total split gain (loss reduction) per feature over all trees, normalised to sum to 1
    /// (all zeros when no tree split).
    public func splitGainImportance() -> [Double] {
        var total = [Double](repeating: 0, count: featureCount)
        for (node, gain) in zip(nodes, gains) where node.feature >= 0 { total[Int(node.feature)] += gain }
        let sum = total.reduce(0, +)
        return sum > 0 ? total.map { $0 / sum } : total
    }
}

extension GradientBoostedTrees: Codable {
    // Parallel arrays: far more compact than one keyed object per node.
    private enum CodingKeys: String, CodingKey {
        case featureNames, configuration, baseline, features, thresholds, lefts, rights, values, gains, roots
    }

    /// Encodes the nodes as parallel arrays.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(featureNames, forKey: .featureNames)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(baseline, forKey: .baseline)
        try c.encode(nodes.map(\.feature), forKey: .features)
        try c.encode(nodes.map(\.threshold), forKey: .thresholds)
        try c.encode(nodes.map(\.left), forKey: .lefts)
        try c.encode(nodes.map(\.right), forKey: .rights)
        try c.encode(nodes.map(\.value), forKey: .values)
        try c.encode(gains, forKey: .gains)
        try c.encode(roots, forKey: .roots)
    }

    /// Decodes and validates (`corruptModel` on inconsistent arrays or indices).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let features = try c.decode([Int32].self, forKey: .features)
        let thresholds = try c.decode([Float].self, forKey: .thresholds)
        let lefts = try c.decode([Int32].self, forKey: .lefts)
        let rights = try c.decode([Int32].self, forKey: .rights)
        let values = try c.decode([Double].self, forKey: .values)
        let count = features.count
        guard thresholds.count == count, lefts.count == count, rights.count == count, values.count == count else {
            throw DetectorError.corruptModel("gradient-boosted tree node arrays differ in length")
        }
        let nodes = (0..<count).map {
            Node(feature: features[$0], threshold: thresholds[$0], left: lefts[$0], right: rights[$0], value: values[$0])
        }
        try self.init(featureNames: c.decode([String].self, forKey: .featureNames),
                      configuration: c.decode(Configuration.self, forKey: .configuration),
                      baseline: c.decode(Double.self, forKey: .baseline),
                      nodes: nodes,
                      gains: c.decode([Double].self, forKey: .gains),
                      roots: c.decode([Int32].self, forKey: .roots))
    }
}
