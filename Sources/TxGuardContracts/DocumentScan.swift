/// Where a mapped field's value sits in the payload, and its JSON kind.
struct ValueSlot {
    enum Kind: UInt8 { case absent, string, number, trueLiteral, falseLiteral, null, object, array }
    var kind: Kind = .absent
    var hasEscapes = false
    var isInteger = false
    // Int32 keeps the 15 slots small (payloads are limited to 1 GiB by DecodeLimits.validate()).
    var start32: Int32 = 0
    var end32: Int32 = 0

    var start: Int {
        @inline(__always) get { Int(start32) }
        @inline(__always) set { start32 = Int32(truncatingIfNeeded: newValue) }
    }
    var end: Int {
        @inline(__always) get { Int(end32) }
        @inline(__always) set { end32 = Int32(truncatingIfNeeded: newValue) }
    }

    var kindName: String {
        switch kind {
        case .absent: return "nothing"
        case .string: return "a string"
        case .number: return "a number"
        case .trueLiteral, .falseLiteral: return "a boolean"
        case .null: return "null"
        case .object: return "an object"
        case .array: return "an array"
        }
    }
}

/// The syntactic pass of `JSONTransactionDecoder`: walks the document once along the `DecodePlan`,
/// records where each mapped field's value is, copies unknown top-level members, and validates
/// everything else. Values are interpreted afterwards, so syntax errors win over field errors.
struct DocumentScan {
    var cursor: JSONCursor
    let compiled: CompiledPlan
    let keys: KeyLookupTable
    let limits: DecodeLimits
    let keepUnknown: Bool
    var slots = InlineArray<15, ValueSlot>(repeating: ValueSlot())
    var unknown = UnknownFieldCollector()
    /// First duplicate key seen (reported after the syntax check of the whole document).
    var duplicate: (path: String, offset: Int)?

    init(cursor: JSONCursor, compiled: CompiledPlan, limits: DecodeLimits) {
        self.cursor = cursor
        self.compiled = compiled
        self.keys = compiled.plan.keys
        self.limits = limits
        self.keepUnknown = limits.keepUnknownFields
    }

    /// Scans the whole document (an object at the root); trailing bytes other than whitespace fail.
    mutating func run() throws(JSONSyntaxError) {
        cursor.skipWhitespace()
        guard let first = cursor.peek() else {
            throw JSONSyntaxError(code: .emptyPayload, offset: 0, message: "empty payload (no JSON document)")
        }
        if first == 0xEF {
            throw JSONSyntaxError(code: .malformedJSON, offset: cursor.pos, message: "byte-order mark before the document")
        }
        if first == UInt8(ascii: "{") {
            try scanObject(node: 0, depth: 1)
        } else {
            try cursor.skipValue(depth: 0)
            cursor.skipWhitespace()
            if cursor.atEnd {
                throw JSONSyntaxError(code: .invalidType, offset: 0, message: "the document must be a JSON object")
            }
        }
        cursor.skipWhitespace()
        if !cursor.atEnd { throw cursor.unexpected("trailing data after the document") }
    }

    @inline(__always)
    private func edge(in node: Int, for key: StringToken) -> Int? {
        if key.hasEscapes {
            let k = cursor.unescapedBytes(key)
            return k.withUnsafeBufferPointer { b in
                guard let p = b.baseAddress else { return keys.lookup(node: node, cursor.base, 0) }
                return keys.lookup(node: node, p, b.count)
            }
        }
        return keys.lookup(node: node, cursor.base + key.start, key.byteCount)
    }

    private mutating func scanObject(node: Int, depth: Int) throws(JSONSyntaxError) {
        try cursor.checkDepth(depth)
        cursor.advance() // {
        cursor.skipWhitespace()
        if cursor.peek() == UInt8(ascii: "}") { cursor.advance(); return }
        var seen: UInt64 = 0
        let isRoot = node == 0
        while true {
            cursor.skipWhitespace()
            let memberStart = cursor.pos
            let key = try cursor.scanString()
            cursor.skipWhitespace()
            try cursor.expect(UInt8(ascii: ":"))
            cursor.skipWhitespace()
            if let e = edge(in: node, for: key) {
                if seen & (1 << UInt64(e)) != 0, duplicate == nil {
                    duplicate = (compiled.plan.nodes[node][e].pointer, memberStart)
                }
                seen |= 1 << UInt64(e)
                try scanMapped(keys.edge(node: node, e), depth: depth)
            } else {
                try cursor.skipValue(depth: depth)
                if isRoot && keepUnknown {
                    if !unknown.add(member: memberStart..<cursor.pos, key: key, cursor: cursor), duplicate == nil {
                        duplicate = ("/" + escapedToken(key), memberStart)
                    }
                }
            }
            cursor.skipWhitespace()
            guard let b = cursor.peek() else { throw cursor.truncated("',' or '}'") }
            if b == UInt8(ascii: ",") { cursor.advance(); continue }
            if b == UInt8(ascii: "}") { cursor.advance(); return }
            throw cursor.unexpected("expected ',' or '}'")
        }
    }

    private mutating func scanArray(node: Int, depth: Int) throws(JSONSyntaxError) {
        try cursor.checkDepth(depth)
        cursor.advance() // [
        cursor.skipWhitespace()
        if cursor.peek() == UInt8(ascii: "]") { cursor.advance(); return }
        var index = 0
        while true {
            cursor.skipWhitespace()
            if let e = keys.arrayEdge(node: node, index: index) {
                try scanMapped(keys.edge(node: node, e), depth: depth)
            } else {
                try cursor.skipValue(depth: depth)
            }
            index += 1
            cursor.skipWhitespace()
            guard let b = cursor.peek() else { throw cursor.truncated("',' or ']'") }
            if b == UInt8(ascii: ",") { cursor.advance(); continue }
            if b == UInt8(ascii: "]") { cursor.advance(); return }
            throw cursor.unexpected("expected ',' or ']'")
        }
    }

    /// The value at the cursor belongs to a mapped edge: record it in its slot or descend.
    private mutating func scanMapped(_ edge: KeyLookupTable.FlatEdge, depth: Int) throws(JSONSyntaxError) {
        if edge.field >= 0 {
            slots[Int(edge.field)] = try scanSlot(depth: depth)
            return
        }
        switch cursor.peek() {
        case UInt8(ascii: "{"): try scanObject(node: Int(edge.child), depth: depth + 1)
        case UInt8(ascii: "["): try scanArray(node: Int(edge.child), depth: depth + 1)
        default: try cursor.skipValue(depth: depth) // a scalar where the mapping expects a container: fields below are absent
        }
    }

    private mutating func scanSlot(depth: Int) throws(JSONSyntaxError) -> ValueSlot {
        var slot = ValueSlot()
        slot.start = cursor.pos
        guard let b = cursor.peek() else { throw cursor.truncated("a value") }
        switch b {
        case UInt8(ascii: "\""):
            let t = try cursor.scanString()
            slot.kind = .string
            slot.start = t.start
            slot.end = t.end
            slot.hasEscapes = t.hasEscapes
            return slot
        case UInt8(ascii: "-"), 0x30...0x39:
            let n = try cursor.scanNumber()
            slot.kind = .number
            slot.isInteger = n.isInteger
        case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
            switch try cursor.scanLiteral() {
            case UInt8(ascii: "t"): slot.kind = .trueLiteral
            case UInt8(ascii: "f"): slot.kind = .falseLiteral
            default: slot.kind = .null
            }
        case UInt8(ascii: "{"):
            try cursor.skipObject(depth: depth + 1)
            slot.kind = .object
        case UInt8(ascii: "["):
            try cursor.skipArray(depth: depth + 1)
            slot.kind = .array
        default:
            throw cursor.invalidValueStart()
        }
        slot.end = cursor.pos
        return slot
    }

    private func escapedToken(_ key: StringToken) -> String {
        JSONPointer(tokens: [cursor.decodeString(key)]).description.dropFirst().description
    }
}

/// Copies unknown top-level members into one JSON object and detects duplicate keys among them.
struct UnknownFieldCollector {
    var bytes: [UInt8] = []
    var count = 0
    private var keys: [StringToken] = []
    private var keySet: Set<[UInt8]> = []

    /// Appends the member; false when its key was already seen.
    mutating func add(member: Range<Int>, key: StringToken, cursor: JSONCursor) -> Bool {
        if keys.count < 16 {
            for k in keys {
                if !k.hasEscapes && !key.hasEscapes {
                    if k.byteCount == key.byteCount && memcmpEqual(cursor.base + k.start, cursor.base + key.start, k.byteCount) { return false }
                } else if cursor.unescapedBytesIfNeeded(k) == cursor.unescapedBytesIfNeeded(key) {
                    return false
                }
            }
            keys.append(key)
            if keys.count == 16 {
                for k in keys { keySet.insert(cursor.unescapedBytesIfNeeded(k)) }
            }
        } else if !keySet.insert(cursor.unescapedBytesIfNeeded(key)).inserted {
            return false
        }
        if bytes.isEmpty {
            // Everything from here to the end of the payload is an upper bound: one allocation.
            bytes.reserveCapacity(cursor.count - member.lowerBound + 2)
            bytes.append(UInt8(ascii: "{"))
        } else {
            bytes.append(UInt8(ascii: ","))
        }
        bytes.append(contentsOf: UnsafeBufferPointer(start: cursor.base + member.lowerBound, count: member.count))
        count += 1
        return true
    }

    /// The collected members as `UnknownFields`.
    mutating func finish() -> UnknownFields {
        guard count > 0 else { return .empty }
        bytes.append(UInt8(ascii: "}"))
        return UnknownFields(jsonObject: bytes, count: count)
    }
}

extension JSONCursor {
    /// The key bytes for comparison: raw when unescaped, resolved otherwise.
    func unescapedBytesIfNeeded(_ t: StringToken) -> [UInt8] {
        t.hasEscapes ? unescapedBytes(t) : Array(UnsafeBufferPointer(start: base + t.start, count: t.byteCount))
    }
}
