/// The object keys of a compiled `DecodePlan`, laid out flat for allocation- and refcount-free lookup.
///
/// Each trie node owns a 64-entry open-addressing table from a cheap key hash (length, first two
/// and last byte) to its edges; key bytes live in one contiguous buffer. Built once, never mutated.
// @unchecked Sendable: the buffers are written only in init and are immutable afterwards; the class
// owns them exclusively and frees them in deinit.
final class KeyLookupTable: @unchecked Sendable {
    static let slotsPerNode = 64

    /// One edge as plain data.
    struct FlatEdge {
        var keyOffset: Int32
        var keyLength: Int32
        /// RFC 6901 array index of the token, or -1.
        var arrayIndex: Int32
        /// Field slot reached, or -1.
        var field: Int16
        /// Child node reached, or -1.
        var child: Int16
    }

    let nodeCount: Int
    private let keyBytes: UnsafeMutablePointer<UInt8>
    private let edges: UnsafeMutablePointer<FlatEdge>
    /// `nodeCount * 64` entries: edge index within the node, or -1.
    private let table: UnsafeMutablePointer<Int16>

    init(nodes: [[DecodePlan.Edge]]) {
        nodeCount = nodes.count
        edgeCounts = .allocate(capacity: nodes.count)
        for (n, nodeEdges) in nodes.enumerated() { (edgeCounts + n).initialize(to: nodeEdges.count) }
        let totalKeys = nodes.reduce(0) { $0 + $1.reduce(0) { $0 + $1.key.count } }
        let maxEdges = max(1, nodes.map(\.count).max() ?? 1)
        keyBytes = .allocate(capacity: max(totalKeys, 1))
        edges = .allocate(capacity: nodes.count * maxEdges)
        table = .allocate(capacity: nodes.count * Self.slotsPerNode)
        table.initialize(repeating: -1, count: nodes.count * Self.slotsPerNode)
        edgeStride = maxEdges
        var offset = 0
        for (n, nodeEdges) in nodes.enumerated() {
            for (e, edge) in nodeEdges.enumerated() {
                for (k, b) in edge.key.enumerated() { keyBytes[offset + k] = b }
                (edges + n * maxEdges + e).initialize(to: FlatEdge(
                    keyOffset: Int32(offset), keyLength: Int32(edge.key.count), arrayIndex: Int32(edge.arrayIndex),
                    field: Int16(edge.field), child: Int16(edge.child)))
                let hash = edge.key.withUnsafeBufferPointer { Self.hash($0.baseAddress, $0.count) }
                var slot = hash
                while table[n * Self.slotsPerNode + slot] >= 0 { slot = (slot + 1) & (Self.slotsPerNode - 1) }
                table[n * Self.slotsPerNode + slot] = Int16(e)
                offset += edge.key.count
            }
        }
    }

    private let edgeStride: Int
    private let edgeCounts: UnsafeMutablePointer<Int>

    /// Edge `e` of `node`.
    @inline(__always) func edge(node: Int, _ e: Int) -> FlatEdge { edges[node * edgeStride + e] }

    /// The edge of `node` for array element `index`, or nil.
    @inline(__always) func arrayEdge(node: Int, index: Int) -> Int? {
        for e in 0..<edgeCounts[node] where Int(edges[node * edgeStride + e].arrayIndex) == index { return e }
        return nil
    }

    deinit {
        edgeCounts.deallocate()
        keyBytes.deallocate()
        edges.deallocate()
        table.deallocate()
    }

    @inline(__always)
    static func hash(_ p: UnsafePointer<UInt8>?, _ n: Int) -> Int {
        guard let p, n > 0 else { return 0 }
        let mixed = n &* 31 &+ Int(p[0]) &* 7 &+ Int(p[n > 1 ? 1 : 0]) &* 13 &+ Int(p[n - 1]) &* 3
        return (mixed ^ (mixed >> 6)) & (slotsPerNode - 1)
    }

    /// The edge index in `node` whose key equals `p[0..<n]`, or nil.
    @inline(__always)
    func lookup(node: Int, _ p: UnsafePointer<UInt8>, _ n: Int) -> Int? {
        var slot = Self.hash(p, n)
        let base = node * Self.slotsPerNode
        while true {
            let e = Int(table[base + slot])
            if e < 0 { return nil }
            let edge = edges[node * edgeStride + e]
            if Int(edge.keyLength) == n && memcmpEqual(keyBytes + Int(edge.keyOffset), p, n) { return e }
            slot = (slot + 1) & (Self.slotsPerNode - 1)
        }
    }
}
