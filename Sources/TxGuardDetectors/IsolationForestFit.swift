#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How an Isolation Forest is grown (scikit-learn defaults).
public struct IsolationForestConfiguration: Sendable, Codable, Equatable {
    /// Number of trees (sklearn `n_estimators`, default 100).
    public var treeCount: Int = 100
    /// Samples per tree ψ, capped at the row count (sklearn `max_samples="auto"` = 256).
    public var maxSamples: Int = 256
    /// Seed of all random choices.
    public var seed: UInt64 = 0

    /// Defaults: 100 trees, ψ = 256.
    public init(treeCount: Int = 100, maxSamples: Int = 256, seed: UInt64 = 0) {
        self.treeCount = treeCount
        self.maxSamples = maxSamples
        self.seed = seed
    }
}

extension IsolationForest {
    /// Grows a forest like sklearn's `IsolationForest.fit`: each tree on ψ rows drawn without
    /// replacement, height limit ⌈log2 ψ⌉, at each node a feature drawn uniformly among those not
    /// constant in the node and a threshold uniform in [min, max) of that feature in the node.
    public static func fit(_ data: FeatureMatrix, configuration: IsolationForestConfiguration = .init()) throws -> IsolationForest {
        guard configuration.treeCount > 0 else {
            throw DetectorError.invalidParameter(name: "treeCount", value: Double(configuration.treeCount))
        }
        guard configuration.maxSamples > 0 else {
            throw DetectorError.invalidParameter(name: "maxSamples", value: Double(configuration.maxSamples))
        }
        // One row would give c(ψ) = 0 and an undefined score.
        guard data.rowCount >= 2 else { throw DetectorError.notEnoughRows(needed: 2, actual: data.rowCount) }
        try data.validateFinite()
        let psi = min(configuration.maxSamples, data.rowCount)
        let maxDepth = Int(ceil(log2(Double(max(psi, 2)))))
        var rng = SeededGenerator(seed: configuration.seed)
        var builder = TreeBuilder(data: data, psi: psi, maxDepth: maxDepth)
        for _ in 0..<configuration.treeCount {
            var treeRng = rng.split()
            builder.growTree(rng: &treeRng)
        }
        var forest = try IsolationForest(featureCount: data.columnCount, sampleSize: psi, nodes: builder.nodes,
                                         nodeSizes: builder.sizes, roots: builder.roots)
        forest.attributionBaseline = forest.meanAttribution(over: data, rows: min(data.rowCount, 256), rng: &rng)
        return forest
    }

    /// Mean raw attribution over a random subset of training rows: what "usual" isolation looks like.
    func meanAttribution(over data: FeatureMatrix, rows: Int, rng: inout SeededGenerator) -> [Float] {
        var acc = [Double](repeating: 0, count: featureCount)
        for _ in 0..<rows {
            let r = rng.nextIndex(below: data.rowCount)
            let a = data.withRow(r) { rawAttribution($0) }
            for f in 0..<featureCount { acc[f] += Double(a[f]) }
        }
        return acc.map { Float($0 / Double(max(rows, 1))) }
    }
}

/// Grows trees into shared flat arrays.
private struct TreeBuilder {
    let data: FeatureMatrix
    let psi: Int
    let maxDepth: Int
    let d: Int
    var nodes: [IsolationForest.Node] = []
    var sizes: [Int32] = []
    var roots: [Int32] = []
    /// Column-major copy of this tree's sample: sample[f * psi + i].
    var sample: [Float]
    var indices: [Int]
    var featureOrder: [Int]

    init(data: FeatureMatrix, psi: Int, maxDepth: Int) {
        self.data = data
        self.psi = psi
        self.maxDepth = maxDepth
        self.d = data.columnCount
        self.sample = [Float](repeating: 0, count: psi * data.columnCount)
        self.indices = Array(0..<psi)
        self.featureOrder = Array(0..<data.columnCount)
        nodes.reserveCapacity(psi * 2 * 100)
        sizes.reserveCapacity(psi * 2 * 100)
    }

    mutating func growTree(rng: inout SeededGenerator) {
        // Floyd's algorithm: psi distinct rows out of n, O(psi) memory.
        let n = data.rowCount
        var chosen = Set<Int>(minimumCapacity: psi)
        var picked = [Int]()
        picked.reserveCapacity(psi)
        for j in (n - psi)..<n {
            let t = rng.nextIndex(below: j + 1)
            let v = chosen.contains(t) ? j : t
            chosen.insert(v)
            picked.append(v)
        }
        data.values.withUnsafeBufferPointer { src in
            for (i, r) in picked.enumerated() {
                for f in 0..<d { sample[f * psi + i] = src[r * d + f] }
            }
        }
        for i in 0..<psi { indices[i] = i }
        let root = Int32(nodes.count)
        roots.append(root)
        appendPlaceholder(size: psi)
        build(node: Int(root), lo: 0, hi: psi, depth: 0, rng: &rng)
    }

    private mutating func appendPlaceholder(size: Int) {
        nodes.append(IsolationForest.Node(feature: -1, value: 0, left: 0, right: 0))
        sizes.append(Int32(size))
    }

    private mutating func makeLeaf(_ node: Int, size: Int, depth: Int) {
        nodes[node] = IsolationForest.Node(feature: -1, value: Float(Double(depth) + averagePathLength(size)), left: -1, right: -1)
    }

    private mutating func build(node: Int, lo: Int, hi: Int, depth: Int, rng: inout SeededGenerator) {
        let count = hi - lo
        if depth >= maxDepth || count < 2 {
            makeLeaf(node, size: count, depth: depth)
            return
        }
        // Draw features in random order until one is not constant in this node
        // (sklearn's random splitter skips constant features without counting them).
        var remaining = d
        var split: (feature: Int, lo: Float, hi: Float)?
        while remaining > 0 {
            let k = rng.nextIndex(below: remaining)
            let f = featureOrder[k]
            featureOrder.swapAt(k, remaining - 1)
            remaining -= 1
            var mn = Float.infinity, mx = -Float.infinity
            let base = f * psi
            for i in lo..<hi {
                let v = sample[base + indices[i]]
                mn = min(mn, v)
                mx = max(mx, v)
            }
            if mx - mn > 1e-7 { split = (f, mn, mx); break }
        }
        guard let (f, mn, mx) = split else {
            makeLeaf(node, size: count, depth: depth)
            return
        }
        // Uniform in [min, max) as sklearn draws it, then rounded down to a Float so that
        // `x <= threshold` in Float equals sklearn's float32-vs-float64 comparison.
        let t = Double(mn) + (Double(mx) - Double(mn)) * rng.nextUnit()
        var threshold = Float(t)
        if Double(threshold) > t { threshold = threshold.nextDown }
        if threshold >= mx { threshold = mn }
        // Partition indices[lo..<hi]: left = values <= threshold.
        var i = lo, j = hi - 1
        let base = f * psi
        while i <= j {
            if sample[base + indices[i]] <= threshold { i += 1 } else { indices.swapAt(i, j); j -= 1 }
        }
        let mid = i
        let left = nodes.count
        appendPlaceholder(size: mid - lo)
        appendPlaceholder(size: hi - mid)
        nodes[node] = IsolationForest.Node(feature: Int32(f), value: threshold, left: Int32(left), right: Int32(left + 1))
        build(node: left, lo: lo, hi: mid, depth: depth + 1, rng: &rng)
        build(node: left + 1, lo: mid, hi: hi, depth: depth + 1, rng: &rng)
    }
}
