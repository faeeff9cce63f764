/// Scoring layout of an Isolation Forest: each tree re-laid out breadth-first so siblings are
/// adjacent, 8 bytes a node, leaves turned into self-loops, so every tree is walked a fixed number
/// of steps without a leaf test and several trees are walked in lockstep to overlap their memory
/// latency. A leaf holds its path length in place of a threshold and splits on a sentinel feature
/// (index `featureCount`, read as −∞ from a padded copy of x), so its comparison always goes
/// "left", back to itself, and the walk's last node gives the path length without a second array.
struct PackedForest: Sendable, Equatable {
    struct Node: Sendable, Equatable {
        /// Split threshold; a leaf's path length (depth + c(size)).
        var threshold: Float
        /// Split feature; `featureCount` (the sentinel, −∞) for a leaf.
        var feature: UInt16
        /// Tree-relative index of the left child; the right child is left + 1. A leaf points at itself.
        var left: UInt16
    }

    var nodes: [Node] = []
    /// First packed node of each tree.
    var bases: [Int32] = []
    /// Steps that reach a leaf from any root (the deepest leaf).
    var depth: Int = 0
    /// Features of x; the sentinel's index.
    var featureCount: Int

    /// Nil when a tree has more than 65 535 nodes or features exceed UInt16 (never for ψ ≤ 32 768).
    init?(nodes source: [IsolationForest.Node], roots: [Int32], featureCount: Int) {
        guard featureCount < Int(UInt16.max) else { return nil }
        self.featureCount = featureCount
        let sentinel = UInt16(featureCount)
        for root in roots {
            let base = nodes.count
            bases.append(Int32(base))
            // Breadth-first: (source index, depth); children get consecutive packed slots.
            var queue: [(Int, Int)] = [(Int(root), 0)]
            var head = 0
            nodes.append(Node(threshold: 0, feature: sentinel, left: 0))
            while head < queue.count {
                let (src, d) = queue[head]
                let slot = base + head
                head += 1
                let node = source[src]
                if node.feature < 0 {
                    guard head - 1 <= Int(UInt16.max) else { return nil }
                    nodes[slot] = Node(threshold: node.value, feature: sentinel, left: UInt16(head - 1))
                    depth = max(depth, d)
                } else {
                    let left = queue.count
                    guard left + 1 <= Int(UInt16.max) else { return nil }
                    nodes[slot] = Node(threshold: node.value, feature: UInt16(node.feature), left: UInt16(left))
                    queue.append((Int(node.left), d + 1))
                    queue.append((Int(node.right), d + 1))
                    nodes.append(Node(threshold: 0, feature: sentinel, left: 0))
                    nodes.append(Node(threshold: 0, feature: sentinel, left: 0))
                }
            }
        }
    }

    /// Sum over trees of the leaf path length reached by x (at least `featureCount` values).
    @inline(__always)
    func totalPathLength(_ x: UnsafeBufferPointer<Float>) -> Float {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: featureCount + 1) { padded in
            _ = padded.initialize(fromContentsOf: UnsafeBufferPointer(rebasing: x[0..<featureCount]))
            padded[featureCount] = -.infinity
            return walk(UnsafeBufferPointer(padded))
        }
    }

    @inline(__always)
    private func walk(_ x: UnsafeBufferPointer<Float>) -> Float {
        nodes.withUnsafeBufferPointer { n in
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
                    total += n[i0].threshold + n[i1].threshold + n[i2].threshold + n[i3].threshold
                    total += n[i4].threshold + n[i5].threshold + n[i6].threshold + n[i7].threshold
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
                    total += n[i0].threshold + n[i1].threshold + n[i2].threshold + n[i3].threshold
                    t += 4
                }
                while t < count {
                    let b0 = Int(b[t])
                    var i0 = b0
                    for _ in 0..<steps {
                        let n0 = n[i0]
                        i0 = b0 + Int(n0.left) + (x[Int(n0.feature)] > n0.threshold ? 1 : 0)
                    }
                    total += n[i0].threshold
                    t += 1
                }
                return total
            }
        }
    }
}
