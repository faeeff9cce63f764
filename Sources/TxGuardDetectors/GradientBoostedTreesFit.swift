#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension GradientBoostedTrees {
    /// Fits like sklearn's `HistGradientBoostingClassifier(early_stopping=False)`: features binned as by
    /// `_BinMapper`, baseline = log-odds of the weighted positive rate, then per iteration the logistic-loss
    /// gradients and hessians (float32, as sklearn) and one tree grown best-first by `TreeGrower`'s rules
    /// (histogram split search, gain and leaf value with l2, min_samples_leaf, min_hessian_to_split 1e-3,
    /// leaf values × learning rate). Non-finite features are refused (no missing-value support).
    ///
    /// Throws `notEnoughRows` (no rows), `dimensionMismatch` (label or weight count ≠ rows),
    /// `featureNameCount`, `nonFiniteValue`, `invalidParameter` (configuration, negative or non-finite
    /// weights, or a single class: name "labels", value = positive fraction).
    public static func fit(_ x: FeatureMatrix, labels: [Bool], sampleWeights: [Double]? = nil,
                           featureNames: [String], configuration: Configuration = .init()) throws -> GradientBoostedTrees {
        try configuration.validate()
        let n = x.rowCount
        guard n > 0 else { throw DetectorError.notEnoughRows(needed: 1, actual: 0) }
        guard labels.count == n else { throw DetectorError.dimensionMismatch(expected: n, actual: labels.count) }
        guard featureNames.count == x.columnCount else {
            throw DetectorError.featureNameCount(expected: x.columnCount, actual: featureNames.count)
        }
        if let w = sampleWeights {
            guard w.count == n else { throw DetectorError.dimensionMismatch(expected: n, actual: w.count) }
            for v in w where !(v.isFinite && v >= 0) { throw DetectorError.invalidParameter(name: "sampleWeights", value: v) }
        }
        try x.validateFinite()

        // Baseline: sklearn's HalfBinomialLoss.fit_intercept_only (clipped weighted mean, logit link).
        var positive = 0.0, total = 0.0
        for i in 0..<n {
            let w = sampleWeights?[i] ?? 1
            total += w
            if labels[i] { positive += w }
        }
        guard total > 0 else { throw DetectorError.invalidParameter(name: "sampleWeights", value: 0) }
        let rate = positive / total
        guard rate > 0, rate < 1 else { throw DetectorError.invalidParameter(name: "labels", value: rate) }
        let eps = 10 * Double.ulpOfOne
        let p = min(max(rate, eps), 1 - eps)
        let baseline = log(p / (1 - p))

        let binning = BinMapper(x, weights: sampleWeights, maxBins: configuration.maxBins, seed: configuration.seed)
        var booster = Booster(binning: binning, labels: labels, weights: sampleWeights, configuration: configuration)
        var raw = [Double](repeating: baseline, count: n)
        for _ in 0..<configuration.maxIterations {
            booster.updateGradients(raw: raw)
            booster.growTree(raw: &raw)
        }
        return try GradientBoostedTrees(featureNames: featureNames, configuration: configuration, baseline: baseline,
                                        nodes: booster.nodes, gains: booster.gains, roots: booster.roots)
    }

    /// Bin edges of one column as sklearn's `_find_binning_thresholds` computes them (float64), for tests.
    static func binThresholds(_ column: [Float], weights: [Double]? = nil, maxBins: Int) -> [Double] {
        BinMapper.thresholds(column.map(Double.init), weights: weights, maxBins: maxBins)
    }
}

/// Rounds a float64 bin edge t down to the largest Float ≤ t, so that for every Float x,
/// `x <= result` exactly when `Double(x) <= t` (sklearn compares in float64).
func floatEdge(_ t: Double) -> Float {
    var f = Float(t)
    if Double(f) > t { f = f.nextDown }
    return f
}

/// sklearn's `_BinMapper` for continuous features without missing values: per feature up to `maxBins`
/// bins, edges at midpoints of distinct values or at quantiles ("averaged_inverted_cdf"), computed on
/// at most 200,000 rows.
struct BinMapper {
    /// Edges per feature (float64): value v goes to bin i iff edges[i−1] < v <= edges[i].
    let edges: [[Double]]
    /// Column-major bin indices: `bins[f * rowCount + row]`.
    let bins: [UInt8]
    let rowCount: Int
    let featureCount: Int

    static let subsample = 200_000

    init(_ x: FeatureMatrix, weights: [Double]?, maxBins: Int, seed: UInt64) {
        let n = x.rowCount, d = x.columnCount
        // Rows the edges are computed on: all, or 200k drawn with replacement (weighted), then unweighted.
        var rows: [Int]? = nil
        var edgeWeights = weights
        if n > Self.subsample {
            var rng = SeededGenerator(seed: seed)
            if let w = weights {
                var cumulative = [Double](repeating: 0, count: n)
                var s = 0.0
                for i in 0..<n { s += w[i]; cumulative[i] = s }
                rows = (0..<Self.subsample).map { _ in
                    let u = rng.nextUnit() * s
                    var lo = 0, hi = n - 1
                    while lo < hi {
                        let mid = (lo + hi) / 2
                        if cumulative[mid] > u { hi = mid } else { lo = mid + 1 }
                    }
                    return lo
                }
            } else {
                rows = (0..<Self.subsample).map { _ in rng.nextIndex(below: n) }
            }
            edgeWeights = nil
        }
        var edges = [[Double]]()
        var bins = [UInt8](repeating: 0, count: n * d)
        for f in 0..<d {
            let column: [Double]
            if let rows { column = rows.map { Double(x[$0, f]) } } else { column = (0..<n).map { Double(x[$0, f]) } }
            let e = Self.thresholds(column, weights: edgeWeights, maxBins: maxBins)
            edges.append(e)
            e.withUnsafeBufferPointer { t in
                for i in 0..<n {
                    let v = Double(x[i, f])
                    // sklearn's _map_to_bins binary search.
                    var left = 0, right = t.count
                    while left < right {
                        let middle = left + (right - left - 1) / 2
                        if v <= t[middle] { right = middle } else { left = middle + 1 }
                    }
                    bins[f * n + i] = UInt8(left)
                }
            }
        }
        self.edges = edges
        self.bins = bins
        self.rowCount = n
        self.featureCount = d
    }

    /// sklearn's `_find_binning_thresholds` (no NaN): sorted unique edges, clipped at ALMOST_INF.
    static func thresholds(_ column: [Double], weights: [Double]?, maxBins: Int) -> [Double] {
        var values: [Double]
        var sortedWeights: [Double]? = nil
        if let weights {
            let pairs = zip(column, weights).filter { $0.1 != 0 }.sorted { $0.0 < $1.0 }
            values = pairs.map(\.0)
            sortedWeights = pairs.map(\.1)
        } else {
            values = column.sorted()
        }
        var distinct = [Double]()
        for v in values where distinct.last != v { distinct.append(v) }
        if distinct.count <= 1 { return [] }
        var edges = [Double]()
        if distinct.count <= maxBins {
            for i in 0..<(distinct.count - 1) { edges.append((distinct[i] + distinct[i + 1]) / 2) }
        } else {
            for k in 1..<maxBins {
                // np.linspace(0, 100, max_bins + 1)[k], then / 100 as np.percentile does.
                let q = (Double(k) * (100 / Double(maxBins))) / 100
                if let w = sortedWeights {
                    edges.append(weightedAveragedInvertedCDF(values, w, q))
                } else {
                    edges.append(averagedInvertedCDF(values, q))
                }
            }
            var unique = [Double]()
            for e in edges.sorted() where unique.last != e { unique.append(e) }
            edges = unique
        }
        return edges.map { min($0, 1e300) }
    }

    /// numpy `percentile(method="averaged_inverted_cdf")` of sorted values at quantile q.
    static func averagedInvertedCDF(_ sorted: [Double], _ q: Double) -> Double {
        let n = sorted.count
        let virtual = Double(n) * q - 1
        var previous = floor(virtual), next = previous + 1
        if virtual >= Double(n - 1) { previous = -1; next = -1 }
        if virtual < 0 { previous = 0; next = 0 }
        let gamma = virtual - previous == 0 ? 0.5 : 1.0
        let a = sorted[previous < 0 ? n - 1 : Int(previous)]
        let b = sorted[next < 0 ? n - 1 : Int(next)]
        // numpy's _lerp for t >= 0.5: b − (b − a)(1 − t).
        return b - (b - a) * (1 - gamma)
    }

    /// sklearn `_weighted_percentile(average=True)` of sorted values with positive weights at quantile q.
    static func weightedAveragedInvertedCDF(_ sorted: [Double], _ weights: [Double], _ q: Double) -> Double {
        var cdf = [Double]()
        cdf.reserveCapacity(weights.count)
        var s = 0.0
        for w in weights { s += w; cdf.append(s) }
        var rank = q * s
        if rank == 0 { rank = rank.nextUp }
        var lo = 0, hi = cdf.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if cdf[mid] < rank { lo = mid + 1 } else { hi = mid }
        }
        let i = min(lo, sorted.count - 1)
        if cdf[i] - rank > Double.ulpOfOne { return sorted[i] }
        return (sorted[i] + sorted[min(i + 1, sorted.count - 1)]) / 2
    }
}

/// Boosting state and sklearn's `TreeGrower` (no missing values, categorical or monotonic features).
struct Booster {
    let binning: BinMapper
    let labels: [Bool]
    let weights: [Double]?
    let configuration: GradientBoostedTrees.Configuration
    /// Histogram slots per feature (sklearn's n_bins = max_bins + 1).
    let slots: Int
    /// Non-empty bins per feature.
    let binCounts: [Int]
    var gradients: [Float]
    var hessians: [Float]
    var nodes: [GradientBoostedTrees.Node] = []
    var gains: [Double] = []
    var roots: [Int32] = []

    static let minHessianToSplit = 1e-3

    init(binning: BinMapper, labels: [Bool], weights: [Double]?, configuration: GradientBoostedTrees.Configuration) {
        self.binning = binning
        self.labels = labels
        self.weights = weights
        self.configuration = configuration
        self.slots = configuration.maxBins + 1
        self.binCounts = binning.edges.map { $0.count + 1 }
        self.gradients = [Float](repeating: 0, count: binning.rowCount)
        self.hessians = [Float](repeating: 0, count: binning.rowCount)
    }

    /// sklearn's `cgrad_hess_half_binomial`, times the sample weight, stored as float32.
    mutating func updateGradients(raw: [Double]) {
        for i in 0..<raw.count {
            let r = raw[i]
            let y = labels[i] ? 1.0 : 0.0
            var g: Double, h: Double
            if r > -37 {
                let e = exp(-r)
                g = ((1 - y) - y * e) / (1 + e)
                h = e / ((1 + e) * (1 + e))
            } else {
                h = exp(r)
                g = h - y
            }
            if let w = weights { g *= w[i]; h *= w[i] }
            gradients[i] = Float(g)
            hessians[i] = Float(h)
        }
    }

    struct Split {
        var gain = -1.0
        var feature = 0
        var bin = 0
        var gradientLeft = 0.0, hessianLeft = 0.0, gradientRight = 0.0, hessianRight = 0.0
        var countLeft = 0
        var valueLeft = 0.0, valueRight = 0.0
    }

    struct Histogram {
        var gradient: [Double]
        var hessian: [Double]
        var count: [UInt32]
    }

    struct GrowNode {
        var start: Int
        var stop: Int
        var depth: Int
        var sumGradient: Double
        var sumHessian: Double
        var value: Double
        var split: Split? = nil
        var histogram: Histogram? = nil
        var left = -1, right = -1
        var isLeaf = false
        var order = 0
        var count: Int { stop - start }
    }

    func nodeValue(_ g: Double, _ h: Double) -> Double {
        -g / (h + configuration.l2Regularization + 1e-15)
    }

    /// `compute_histograms_brute`: per-bin sums over the node's rows, in partition order.
    func histogram(_ partition: [UInt32], _ start: Int, _ stop: Int) -> Histogram {
        let d = binning.featureCount, n = binning.rowCount, slots = self.slots
        var hg = [Double](repeating: 0, count: d * slots)
        var hh = [Double](repeating: 0, count: d * slots)
        var hc = [UInt32](repeating: 0, count: d * slots)
        binning.bins.withUnsafeBufferPointer { bins in
            partition.withUnsafeBufferPointer { part in
                gradients.withUnsafeBufferPointer { g in
                    hessians.withUnsafeBufferPointer { h in
                        hg.withUnsafeMutableBufferPointer { hg in
                            hh.withUnsafeMutableBufferPointer { hh in
                                hc.withUnsafeMutableBufferPointer { hc in
                                    for f in 0..<d {
                                        let col = f * n, base = f * slots
                                        for k in start..<stop {
                                            let i = Int(part[k])
                                            let b = base + Int(bins[col + i])
                                            hg[b] += Double(g[i])
                                            hh[b] += Double(h[i])
                                            hc[b] += 1
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Histogram(gradient: hg, hessian: hh, count: hc)
    }

    /// `_find_best_bin_to_split_left_to_right` over every feature; the first best feature and bin win ties.
    func findSplit(_ node: GrowNode, _ hist: Histogram) -> Split {
        var best = Split()
        let l2 = configuration.l2Regularization
        let minLeaf = configuration.minSamplesLeaf
        let lossNode = node.sumGradient * node.value
        for f in 0..<binning.featureCount {
            let base = f * slots
            var gl = 0.0, hl = 0.0, nl = 0
            var featureBest = Split()
            var found = false
            for b in 0..<(binCounts[f] - 1) {
                nl += Int(hist.count[base + b])
                let nr = node.count - nl
                hl += hist.hessian[base + b]
                let hr = node.sumHessian - hl
                gl += hist.gradient[base + b]
                let gr = node.sumGradient - gl
                if nl < minLeaf { continue }
                if nr < minLeaf { break }
                if hl < Self.minHessianToSplit { continue }
                if hr < Self.minHessianToSplit { break }
                let vl = -gl / (hl + l2 + 1e-15)
                let vr = -gr / (hr + l2 + 1e-15)
                var gain = lossNode
                gain -= gl * vl
                gain -= gr * vr
                if gain > (found ? featureBest.gain : -1) && gain > 0 {
                    found = true
                    featureBest.gain = gain
                    featureBest.bin = b
                    featureBest.gradientLeft = gl
                    featureBest.hessianLeft = hl
                    featureBest.countLeft = nl
                }
            }
            guard found else { continue }
            if featureBest.gain > best.gain {
                featureBest.feature = f
                featureBest.gradientRight = node.sumGradient - featureBest.gradientLeft
                featureBest.hessianRight = node.sumHessian - featureBest.hessianLeft
                featureBest.valueLeft = nodeValue(featureBest.gradientLeft, featureBest.hessianLeft)
                featureBest.valueRight = nodeValue(featureBest.gradientRight, featureBest.hessianRight)
                best = featureBest
            }
        }
        return best
    }

    /// numpy's pairwise summation (what `histogram["sum_gradients"].sum()` does for the root).
    static func pairwiseSum(_ a: ArraySlice<Double>) -> Double {
        let n = a.count, s = a.startIndex
        if n < 8 {
            var res = 0.0
            for v in a { res += v }
            return res
        } else if n <= 128 {
            var r = (0..<8).map { a[s + $0] }
            var i = 8
            while i < n - n % 8 {
                for j in 0..<8 { r[j] += a[s + i + j] }
                i += 8
            }
            var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n { res += a[s + i]; i += 1 }
            return res
        } else {
            var n2 = n / 2
            n2 -= n2 % 8
            return pairwiseSum(a[s..<(s + n2)]) + pairwiseSum(a[(s + n2)...])
        }
    }

    /// Grows one tree best-first (`TreeGrower.grow`), appends it to `nodes` and adds its leaf values to `raw`.
    mutating func growTree(raw: inout [Double]) {
        let n = binning.rowCount
        var partition = (0..<n).map { UInt32($0) }
        let minLeaf = configuration.minSamplesLeaf
        let rootHistogram = histogram(partition, 0, n)
        var grow = [GrowNode(start: 0, stop: n, depth: 0,
                             sumGradient: Self.pairwiseSum(rootHistogram.gradient[0..<slots]),
                             sumHessian: Self.pairwiseSum(rootHistogram.hessian[0..<slots]), value: 0)]
        var splittable = [Int]()
        var leafCount = 0
        var pushes = 0

        func finalize(_ i: Int) {
            grow[i].isLeaf = true
            grow[i].histogram = nil
            leafCount += 1
        }
        func pushOrFinalize(_ i: Int) {
            let split = findSplit(grow[i], grow[i].histogram!)
            grow[i].split = split
            if split.gain <= 0 {
                finalize(i)
            } else {
                grow[i].order = pushes
                pushes += 1
                splittable.append(i)
            }
        }

        if n < 2 * minLeaf || grow[0].sumHessian < Self.minHessianToSplit {
            finalize(0)
        } else {
            grow[0].histogram = rootHistogram
            pushOrFinalize(0)
        }

        while !splittable.isEmpty {
            // Highest gain first (sklearn's heap); earlier pushes win exact ties.
            var pick = 0
            for k in 1..<splittable.count {
                let a = grow[splittable[k]], b = grow[splittable[pick]]
                if a.split!.gain > b.split!.gain || (a.split!.gain == b.split!.gain && a.order < b.order) { pick = k }
            }
            let p = splittable.remove(at: pick)
            let node = grow[p]
            let split = node.split!
            // split_indices: stable partition, left rows first.
            let col = split.feature * n
            var leftRows = [UInt32](), rightRows = [UInt32]()
            leftRows.reserveCapacity(split.countLeft)
            for k in node.start..<node.stop {
                let i = partition[k]
                if Int(binning.bins[col + Int(i)]) <= split.bin { leftRows.append(i) } else { rightRows.append(i) }
            }
            let mid = node.start + leftRows.count
            partition.replaceSubrange(node.start..<node.stop, with: leftRows + rightRows)

            let depth = node.depth + 1
            let leavesIfSplit = leafCount + splittable.count + 2
            let l = grow.count, r = l + 1
            grow.append(GrowNode(start: node.start, stop: mid, depth: depth, sumGradient: split.gradientLeft,
                                 sumHessian: split.hessianLeft, value: split.valueLeft))
            grow.append(GrowNode(start: mid, stop: node.stop, depth: depth, sumGradient: split.gradientRight,
                                 sumHessian: split.hessianRight, value: split.valueRight))
            grow[p].left = l
            grow[p].right = r
            let parentHistogram = grow[p].histogram!
            grow[p].histogram = nil

            if leavesIfSplit == configuration.maxLeafNodes {
                finalize(l)
                finalize(r)
                for s in splittable { finalize(s) }
                splittable.removeAll()
                break
            }
            if let maxDepth = configuration.maxDepth, depth == maxDepth {
                finalize(l)
                finalize(r)
                continue
            }
            if grow[l].count < 2 * minLeaf { finalize(l) }
            if grow[r].count < 2 * minLeaf { finalize(r) }
            if !grow[l].isLeaf || !grow[r].isLeaf {
                // Brute-force histogram of the smaller child, subtraction for the larger one.
                let (small, large) = grow[l].count < grow[r].count ? (l, r) : (r, l)
                let smallHistogram = histogram(partition, grow[small].start, grow[small].stop)
                var largeHistogram = parentHistogram
                for k in 0..<largeHistogram.gradient.count {
                    largeHistogram.gradient[k] -= smallHistogram.gradient[k]
                    largeHistogram.hessian[k] -= smallHistogram.hessian[k]
                    largeHistogram.count[k] -= smallHistogram.count[k]
                }
                if !grow[small].isLeaf { grow[small].histogram = smallHistogram }
                if !grow[large].isLeaf { grow[large].histogram = largeHistogram }
                if !grow[l].isLeaf { pushOrFinalize(l) }
                if !grow[r].isLeaf { pushOrFinalize(r) }
            }
        }
        emit(grow, partition: partition, raw: &raw)
    }

    /// Appends the grown tree in pre-order; leaf values × learning rate are added to `raw`; split nodes
    /// get the weighted mean of their leaves and their gain against the node's own value.
    mutating func emit(_ grow: [GrowNode], partition: [UInt32], raw: inout [Double]) {
        let shrinkage = configuration.learningRate
        roots.append(Int32(nodes.count))
        // Returns (weighted mean value, weight) of the subtree.
        func place(_ g: Int) -> (Double, Double) {
            let node = grow[g]
            let index = nodes.count
            if node.left < 0 {
                let value = node.value * shrinkage
                var weight = 0.0
                for k in node.start..<node.stop {
                    let i = Int(partition[k])
                    raw[i] += value
                    weight += weights?[i] ?? 1
                }
                nodes.append(.init(feature: -1, threshold: 0, left: -1, right: -1, value: value))
                gains.append(0)
                return (value, weight)
            }
            let split = node.split!
            nodes.append(.init(feature: Int32(split.feature), threshold: floatEdge(binning.edges[split.feature][split.bin]),
                               left: -1, right: -1, value: 0))
            // sklearn's gain uses value 0 at the root; importance uses the node's own value throughout.
            let ownValue = nodeValue(node.sumGradient, node.sumHessian)
            gains.append(split.gain + node.sumGradient * (ownValue - node.value))
            nodes[index].left = Int32(nodes.count)
            let (vl, wl) = place(node.left)
            nodes[index].right = Int32(nodes.count)
            let (vr, wr) = place(node.right)
            let weight = wl + wr
            let value = weight > 0 ? (wl * vl + wr * vr) / weight : (vl + vr) / 2
            nodes[index].value = value
            return (value, weight)
        }
        _ = place(0)
    }
}
