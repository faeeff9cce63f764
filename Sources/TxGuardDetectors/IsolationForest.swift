#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Isolation Forest (Liu, Ting, Zhou 2008) with scikit-learn-compatible scoring.
///
/// Trees live in one flat node array (16 bytes a node, children adjacent) so that scoring walks
/// contiguous memory and allocates nothing. A leaf stores its depth plus c(leaf size), so the
/// score of x is 2^(−mean over trees of leaf value / c(ψ)) — scikit-learn's `-score_samples(x)`.
public struct IsolationForest: Sendable, Equatable {
    /// One tree node; `feature < 0` marks a leaf whose `value` is depth + c(size).
    public struct Node: Sendable, Equatable {
        /// Split feature, or −1 for a leaf.
        public var feature: Int32
        /// Split threshold (x[feature] <= threshold goes left) or, for a leaf, its path length.
        public var value: Float
        /// Index of the left child.
        public var left: Int32
        /// Index of the right child.
        public var right: Int32
    }

    /// Input dimension.
    public let featureCount: Int
    /// Samples per tree actually used, ψ = min(256, n) by default.
    public let sampleSize: Int
    /// All nodes of all trees.
    public private(set) var nodes: [Node]
    /// Training samples that reached each node (used by explanations only).
    public private(set) var nodeSizes: [Int32]
    /// Root node index of each tree.
    public private(set) var roots: [Int32]
    /// Mean per-feature isolation attribution over training rows (the DIFFI-style baseline).
    public internal(set) var attributionBaseline: [Float]
    /// Breadth-first, fixed-depth copy of the trees used by `score` (derived from `nodes`).
    let packed: PackedForest?

    /// Number of trees.
    public var treeCount: Int { roots.count }

    /// Assembles a forest from nodes; validates every index so scoring can never go out of bounds.
    public init(featureCount: Int, sampleSize: Int, nodes: [Node], nodeSizes: [Int32], roots: [Int32],
                attributionBaseline: [Float]? = nil) throws {
        guard featureCount > 0 else { throw DetectorError.invalidParameter(name: "featureCount", value: Double(featureCount)) }
        guard sampleSize > 0 else { throw DetectorError.invalidParameter(name: "sampleSize", value: Double(sampleSize)) }
        guard !roots.isEmpty else { throw DetectorError.corruptModel("isolation forest without trees") }
        guard nodeSizes.count == nodes.count else { throw DetectorError.corruptModel("node size count \(nodeSizes.count) != node count \(nodes.count)") }
        let n = Int32(nodes.count)
        for r in roots where r < 0 || r >= n { throw DetectorError.corruptModel("root \(r) out of range") }
        for (i, node) in nodes.enumerated() {
            if node.feature >= 0 {
                guard Int(node.feature) < featureCount else { throw DetectorError.corruptModel("node \(i) splits on feature \(node.feature)") }
                // Children must come after their parent: guarantees every walk terminates.
                guard node.left > Int32(i), node.left < n, node.right > Int32(i), node.right < n else {
                    throw DetectorError.corruptModel("node \(i) has children \(node.left), \(node.right)")
                }
            } else if !node.value.isFinite {
                throw DetectorError.corruptModel("leaf \(i) has non-finite path length")
            }
        }
        let baseline = attributionBaseline ?? [Float](repeating: 0, count: featureCount)
        guard baseline.count == featureCount else { throw DetectorError.corruptModel("attribution baseline has \(baseline.count) values") }
        self.featureCount = featureCount
        self.sampleSize = sampleSize
        self.nodes = nodes
        self.nodeSizes = nodeSizes
        self.roots = roots
        self.attributionBaseline = baseline
        self.packed = PackedForest(nodes: nodes, roots: roots, featureCount: featureCount)
    }

    /// Mean path length E[h(x)] over trees (sklearn's depth + c(leaf size), edges counted).
    public func meanPathLength(_ x: UnsafeBufferPointer<Float>) -> Double {
        if let packed { return Double(packed.totalPathLength(x)) / Double(roots.count) }
        return referenceMeanPathLength(x)
    }

    /// Straightforward walk of `nodes` (the reference the packed layout is tested against).
    func referenceMeanPathLength(_ x: UnsafeBufferPointer<Float>) -> Double {
        nodes.withUnsafeBufferPointer { n in
            roots.withUnsafeBufferPointer { rs in
                var total: Float = 0
                for r in rs {
                    var i = Int(r)
                    while true {
                        let node = n[i]
                        if node.feature < 0 { total += node.value; break }
                        i = Int(x[Int(node.feature)] <= node.value ? node.left : node.right)
                    }
                }
                return Double(total) / Double(rs.count)
            }
        }
    }

    /// Anomaly score 2^(−E[h(x)]/c(ψ)) in (0, 1]; higher = more anomalous (= sklearn's −score_samples).
    /// `x` must have `featureCount` values; no allocation.
    public func score(_ x: UnsafeBufferPointer<Float>) -> Double {
        precondition(x.count >= featureCount, "feature vector too short")
        return exp2(-meanPathLength(x) / averagePathLength(sampleSize))
    }

    /// Convenience overload of `score(_:)` for an array.
    public func score(_ x: [Float]) throws -> Double {
        guard x.count == featureCount else { throw DetectorError.dimensionMismatch(expected: featureCount, actual: x.count) }
        return x.withUnsafeBufferPointer { score($0) }
    }

    /// Per-feature isolation attribution of x (DIFFI-like): along each tree's path every split on
    /// feature f adds log2(node samples / child samples), the bits of isolation it bought; averaged
    /// over trees, minus the mean over training rows. Positive = this feature isolated x more than usual.
    public func attribution(_ x: UnsafeBufferPointer<Float>) -> [Float] {
        var raw = rawAttribution(x)
        for f in 0..<featureCount { raw[f] -= attributionBaseline[f] }
        return raw
    }

    func rawAttribution(_ x: UnsafeBufferPointer<Float>) -> [Float] {
        var acc = [Double](repeating: 0, count: featureCount)
        for r in roots {
            var i = Int(r)
            while nodes[i].feature >= 0 {
                let node = nodes[i]
                let child = Int(x[Int(node.feature)] <= node.value ? node.left : node.right)
                let parentSize = Double(max(nodeSizes[i], 1))
                let childSize = Double(max(nodeSizes[child], 1))
                acc[Int(node.feature)] += log2(parentSize / childSize)
                i = child
            }
        }
        let trees = Double(roots.count)
        return acc.map { Float($0 / trees) }
    }
}

extension IsolationForest.Node: Codable {}

extension IsolationForest: Codable {
    // Parallel arrays: far more compact than one keyed object per node.
    private enum CodingKeys: String, CodingKey {
        case featureCount, sampleSize, features, values, lefts, rights, nodeSizes, roots, attributionBaseline
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(featureCount, forKey: .featureCount)
        try c.encode(sampleSize, forKey: .sampleSize)
        try c.encode(nodes.map(\.feature), forKey: .features)
        try c.encode(nodes.map(\.value), forKey: .values)
        try c.encode(nodes.map(\.left), forKey: .lefts)
        try c.encode(nodes.map(\.right), forKey: .rights)
        try c.encode(nodeSizes, forKey: .nodeSizes)
        try c.encode(roots, forKey: .roots)
        try c.encode(attributionBaseline, forKey: .attributionBaseline)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let features = try c.decode([Int32].self, forKey: .features)
        let values = try c.decode([Float].self, forKey: .values)
        let lefts = try c.decode([Int32].self, forKey: .lefts)
        let rights = try c.decode([Int32].self, forKey: .rights)
        guard values.count == features.count, lefts.count == features.count, rights.count == features.count else {
            throw DetectorError.corruptModel("isolation forest node arrays differ in length")
        }
        var nodes = [Node]()
        nodes.reserveCapacity(features.count)
        for i in features.indices {
            nodes.append(Node(feature: features[i], value: values[i], left: lefts[i], right: rights[i]))
        }
        try self.init(featureCount: c.decode(Int.self, forKey: .featureCount),
                      sampleSize: c.decode(Int.self, forKey: .sampleSize),
                      nodes: nodes,
                      nodeSizes: c.decode([Int32].self, forKey: .nodeSizes),
                      roots: c.decode([Int32].self, forKey: .roots),
                      attributionBaseline: c.decode([Float].self, forKey: .attributionBaseline))
    }
}
