/// Scoring layout of `GradientBoostedTrees`: each tree re-laid out breadth-first so siblings are adjacent,
/// 8 bytes a node, leaves turned into self-loops (NaN threshold: the comparison always fails, and
/// left child + 1 is the leaf itself), so a tree is walked a fixed number of steps without a leaf test
/// and eight trees are walked in lockstep to overlap their memory latency. Leaf values are summed in
/// tree order, so the logit is bit-identical to a plain walk of the nodes.
struct PackedBoostedTrees: Sendable {
    struct Node: Sendable {
        /// Split threshold (`x[feature] <= threshold` goes left); NaN for a leaf.
        var threshold: Float
        /// Split feature (0 for a leaf).
        var feature: UInt16
        /// Tree-relative index of the left child; the right child is left + 1. A leaf stores itself − 1.
        var left: Int16
    }

    var nodes: [Node] = []
    /// Leaf value per packed node (0 for split nodes).
    var leafValues: [Double] = []
    /// First packed node of each tree.
    var bases: [Int32] = []
    /// Steps from the root to the deepest leaf of each tree.
    var depths: [Int32] = []

    /// Nil when a tree has more than 32 767 nodes or there are more than 65 535 features.
    init?(nodes source: [GradientBoostedTrees.Node], roots: [Int32], featureCount: Int) {
        guard featureCount <= Int(UInt16.max) else { return nil }
        for root in roots {
            let base = nodes.count
            bases.append(Int32(base))
            var depth = 0
            // Breadth-first: (source index, depth); children get consecutive packed slots.
            var queue: [(Int, Int)] = [(Int(root), 0)]
            var head = 0
            while head < queue.count {
                let (src, d) = queue[head]
                let slot = head
                head += 1
                let node = source[src]
                if node.feature < 0 {
                    nodes.append(Node(threshold: .nan, feature: 0, left: Int16(slot - 1)))
                    leafValues.append(node.value)
                    depth = max(depth, d)
                } else {
                    let left = queue.count
                    guard left + 1 <= Int(Int16.max) else { return nil }
                    nodes.append(Node(threshold: node.threshold, feature: UInt16(node.feature), left: Int16(left)))
                    leafValues.append(0)
                    queue.append((Int(node.left), d + 1))
                    queue.append((Int(node.right), d + 1))
                }
            }
            depths.append(Int32(depth))
        }
    }

    /// Σ over trees of the leaf value x reaches, added to `start` in tree order.
    @inline(__always)
    func total(_ x: UnsafeBufferPointer<Float>, start: Double) -> Double {
        nodes.withUnsafeBufferPointer { n in
            leafValues.withUnsafeBufferPointer { leaf in
                bases.withUnsafeBufferPointer { b in
                    depths.withUnsafeBufferPointer { depth in
                        @inline(__always) func step(_ base: Int, _ i: Int) -> Int {
                            let node = n[i]
                            return base + Int(node.left) + (x[Int(node.feature)] <= node.threshold ? 0 : 1)
                        }
                        // 1 for a leaf (NaN threshold), without a branch.
                        @inline(__always) func leafFlag(_ node: Node) -> UInt8 { node.threshold != node.threshold ? 1 : 0 }
                        var total = start
                        var t = 0
                        let count = b.count
                        while t + 8 <= count {
                            let b0 = Int(b[t]), b1 = Int(b[t + 1]), b2 = Int(b[t + 2]), b3 = Int(b[t + 3])
                            let b4 = Int(b[t + 4]), b5 = Int(b[t + 5]), b6 = Int(b[t + 6]), b7 = Int(b[t + 7])
                            var i0 = b0, i1 = b1, i2 = b2, i3 = b3, i4 = b4, i5 = b5, i6 = b6, i7 = b7
                            var steps = depth[t]
                            for k in 1..<8 { steps = max(steps, depth[t + k]) }
                            // Two steps at a time until every lane sits on its leaf (or the deepest leaf is reached).
                            var done: Int32 = 0
                            while done < steps {
                                for _ in 0..<2 {
                                    i0 = step(b0, i0)
                                    i1 = step(b1, i1)
                                    i2 = step(b2, i2)
                                    i3 = step(b3, i3)
                                    i4 = step(b4, i4)
                                    i5 = step(b5, i5)
                                    i6 = step(b6, i6)
                                    i7 = step(b7, i7)
                                }
                                done += 2
                                let leaves = leafFlag(n[i0]) & leafFlag(n[i1]) & leafFlag(n[i2]) & leafFlag(n[i3])
                                    & leafFlag(n[i4]) & leafFlag(n[i5]) & leafFlag(n[i6]) & leafFlag(n[i7])
                                if leaves != 0 { break }
                            }
                            total += leaf[i0]
                            total += leaf[i1]
                            total += leaf[i2]
                            total += leaf[i3]
                            total += leaf[i4]
                            total += leaf[i5]
                            total += leaf[i6]
                            total += leaf[i7]
                            t += 8
                        }
                        while t < count {
                            let b0 = Int(b[t])
                            var i0 = b0
                            for _ in 0..<Int(depth[t]) { i0 = step(b0, i0) }
                            total += leaf[i0]
                            t += 1
                        }
                        return total
                    }
                }
            }
        }
    }
}
