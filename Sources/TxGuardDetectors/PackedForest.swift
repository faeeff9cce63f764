/// Scoring layout of an Isolation Forest: each tree re-laid out breadth-first so siblings are
/// adjacent, 8 bytes a node, leaves turned into self-loops (threshold +∞, left child = itself − 0),
/// so every tree is walked a fixed number of steps without a leaf test and several trees are walked
/// in lockstep to overlap their memory latency.
struct PackedForest: Sendable, Equatable {
    struct Node: Sendable, Equatable {
        /// Split threshold; +∞ for a leaf.
        var threshold: Float
        /// Split feature (0 for a leaf: any valid index, the comparison always goes "left").
        var feature: UInt16
        /// Tree-relative index of the left child; the right child is left + 1. A leaf points at itself.
        var left: UInt16
    }

    var nodes: [Node] = []
    /// Path length (depth + c(size)) per packed node, read once per tree at its leaf.
    var leafValues: [Float] = []
    /// First packed node of each tree.
    var bases: [Int32] = []
    /// Steps that reach a leaf from any root (the deepest leaf).
    var depth: Int = 0

    /// Nil when a tree has more than 65 535 nodes or features exceed UInt16 (never for ψ ≤ 32 768).
    init?(nodes source: [IsolationForest.Node], roots: [Int32], featureCount: Int) {
        guard featureCount <= Int(UInt16.max) else { return nil }
        for root in roots {
            let base = nodes.count
            bases.append(Int32(base))
            // Breadth-first: (source index, depth); children get consecutive packed slots.
            var queue: [(Int, Int)] = [(Int(root), 0)]
            var head = 0
            nodes.append(Node(threshold: .infinity, feature: 0, left: 0))
            leafValues.append(0)
            while head < queue.count {
                let (src, d) = queue[head]
                let slot = base + head
                head += 1
                let node = source[src]
                if node.feature < 0 {
                    guard head - 1 <= Int(UInt16.max) else { return nil }
                    nodes[slot] = Node(threshold: .infinity, feature: 0, left: UInt16(head - 1))
                    leafValues[slot] = node.value
                    depth = max(depth, d)
                } else {
                    let left = queue.count
                    guard left + 1 <= Int(UInt16.max) else { return nil }
                    nodes[slot] = Node(threshold: node.value, feature: UInt16(node.feature), left: UInt16(left))
                    queue.append((Int(node.left), d + 1))
                    queue.append((Int(node.right), d + 1))
                    nodes.append(Node(threshold: .infinity, feature: 0, left: 0))
                    nodes.append(Node(threshold: .infinity, feature: 0, left: 0))
                    leafValues.append(0)
                    leafValues.append(0)
                }
            }
        }
    }

    /// Sum over trees of the leaf path length reached by x.
    @inline(__always)
    func totalPathLength(_ x: UnsafeBufferPointer<Float>) -> Float {
        nodes.withUnsafeBufferPointer { n in
            leafValues.withUnsafeBufferPointer { leaf in
                bases.withUnsafeBufferPointer { b in
                    var total: Float = 0
                    let steps = depth
                    var t = 0
                    let count = b.count
                    // Eight trees in lockstep: a step of one tree waits on its node's load, so more
                    // independent walks keep more loads in flight. Summed four at a time, in the
                    // same order as the four-tree loop below, so the total is the same to the bit.
                    while t + 8 <= count {
                        let b0 = Int(b[t]), b1 = Int(b[t + 1]), b2 = Int(b[t + 2]), b3 = Int(b[t + 3])
                        let b4 = Int(b[t + 4]), b5 = Int(b[t + 5]), b6 = Int(b[t + 6]), b7 = Int(b[t + 7])
                        var i0 = b0, i1 = b1, i2 = b2, i3 = b3, i4 = b4, i5 = b5, i6 = b6, i7 = b7
                        for _ in 0..<steps {
                            let n0 = n[i0], n1 = n[i1], n2 = n[i2], n3 = n[i3]
                            let n4 = n[i4], n5 = n[i5], n6 = n[i6], n7 = n[i7]
                            i0 = b0 + Int(n0.left) + (x[Int(n0.feature)] > n0.threshold ? 1 : 0)
                            i1 = b1 + Int(n1.left) + (x[Int(n1.feature)] > n1.threshold ? 1 : 0)
                            i2 = b2 + Int(n2.left) + (x[Int(n2.feature)] > n2.threshold ? 1 : 0)
                            i3 = b3 + Int(n3.left) + (x[Int(n3.feature)] > n3.threshold ? 1 : 0)
                            i4 = b4 + Int(n4.left) + (x[Int(n4.feature)] > n4.threshold ? 1 : 0)
                            i5 = b5 + Int(n5.left) + (x[Int(n5.feature)] > n5.threshold ? 1 : 0)
                            i6 = b6 + Int(n6.left) + (x[Int(n6.feature)] > n6.threshold ? 1 : 0)
                            i7 = b7 + Int(n7.left) + (x[Int(n7.feature)] > n7.threshold ? 1 : 0)
                        }
                        total += leaf[i0] + leaf[i1] + leaf[i2] + leaf[i3]
                        total += leaf[i4] + leaf[i5] + leaf[i6] + leaf[i7]
                        t += 8
                    }
                    while t + 4 <= count {
                        let b0 = Int(b[t]), b1 = Int(b[t + 1]), b2 = Int(b[t + 2]), b3 = Int(b[t + 3])
                        var i0 = b0, i1 = b1, i2 = b2, i3 = b3
                        for _ in 0..<steps {
                            let n0 = n[i0], n1 = n[i1], n2 = n[i2], n3 = n[i3]
                            i0 = b0 + Int(n0.left) + (x[Int(n0.feature)] > n0.threshold ? 1 : 0)
                            i1 = b1 + Int(n1.left) + (x[Int(n1.feature)] > n1.threshold ? 1 : 0)
                            i2 = b2 + Int(n2.left) + (x[Int(n2.feature)] > n2.threshold ? 1 : 0)
                            i3 = b3 + Int(n3.left) + (x[Int(n3.feature)] > n3.threshold ? 1 : 0)
                        }
                        total += leaf[i0] + leaf[i1] + leaf[i2] + leaf[i3]
                        t += 4
                    }
                    while t < count {
                        let b0 = Int(b[t])
                        var i0 = b0
                        for _ in 0..<steps {
                            let n0 = n[i0]
                            i0 = b0 + Int(n0.left) + (x[Int(n0.feature)] > n0.threshold ? 1 : 0)
                        }
                        total += leaf[i0]
                        t += 1
                    }
                    return total
                }
            }
        }
    }
}
