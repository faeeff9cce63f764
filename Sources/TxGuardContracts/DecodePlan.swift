/// A `FieldMapping` compiled for the hot path: a trie of object keys / array indices leading to field slots.
///
/// Built once by `JSONTransactionDecoder.init` from a validated mapping; read-only afterwards.
struct DecodePlan: Sendable {
    /// One step from a node: an object key (or array index) that leads to a field or to a deeper node.
    struct Edge: Sendable {
        var key: [UInt8]
        /// The token as an array index (canonical decimal), or -1.
        var arrayIndex: Int
        /// Field slot reached by this edge, or -1.
        var field: Int
        /// Child node reached by this edge, or -1.
        var child: Int
        /// JSON Pointer of the value this edge leads to (for error messages).
        var pointer: String
    }

    /// `nodes[0]` is the document root.
    var nodes: [[Edge]] = [[]]
    /// Per field slot: pointer text used in errors.
    var paths = [String](repeating: "", count: 15)
    /// Per field slot: the constant default.
    var defaults = [FieldSource.DefaultValue?](repeating: nil, count: 15)
    var epochUnit: FieldSource.EpochUnit = .milliseconds
    var amountInMinorUnits = false
    /// Flat, refcount-free form of `nodes` for the hot path.
    private(set) var keys: KeyLookupTable

    init(mapping: FieldMapping) throws(ConfigurationError) {
        keys = KeyLookupTable(nodes: [[]])
        for field in TransactionField.allCases {
            let source = mapping.source(for: field)
            let text = source.path ?? field.canonicalPath
            let pointer = try JSONPointer(text)
            paths[field.slot] = pointer.description
            defaults[field.slot] = source.defaultValue
            if field == .timestamp, let unit = source.epochUnit { epochUnit = unit }
            if field == .amount { amountInMinorUnits = source.amountUnits == .minor }
            var node = 0
            for (i, token) in pointer.tokens.enumerated() {
                let key = Array(token.utf8)
                let isLast = i == pointer.tokens.count - 1
                if let e = nodes[node].firstIndex(where: { $0.key == key }) {
                    // validate() rules out a field being a prefix of another, so this edge has a child.
                    guard nodes[node][e].child >= 0, !isLast else {
                        throw ConfigurationError(key: "\(field.rawValue).path", problem: "overlaps another mapped path")
                    }
                    node = nodes[node][e].child
                    continue
                }
                var edge = Edge(key: key, arrayIndex: Self.arrayIndex(token), field: -1, child: -1,
                                pointer: JSONPointer(tokens: Array(pointer.tokens[...i])).description)
                if isLast {
                    edge.field = field.slot
                    nodes[node].append(edge)
                } else {
                    nodes.append([])
                    edge.child = nodes.count - 1
                    nodes[node].append(edge)
                    node = edge.child
                }
                // The lookup table has 64 slots per object; keep it at most half full.
                if nodes.indices.contains(node), nodes[node].count > 32 {
                    throw ConfigurationError(key: "\(field.rawValue).path", problem: "more than 32 mapped keys in one object")
                }
            }
        }
        keys = KeyLookupTable(nodes: nodes)
    }

    /// RFC 6901 array index: `0` or a decimal without leading zeros.
    static func arrayIndex(_ token: String) -> Int {
        let b = Array(token.utf8)
        guard !b.isEmpty, b.count <= 9, b.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), b[0] != 0x30 || b.count == 1 else { return -1 }
        return Int(token) ?? -1
    }
}

/// A `DecodePlan` behind one reference, so each decode retains one object instead of every array in the plan.
final class CompiledPlan: Sendable {
    let plan: DecodePlan
    init(_ plan: DecodePlan) { self.plan = plan }
}
