/// Little-endian writer for the compact binary state format.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func write<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }
    mutating func write(_ v: Double) { write(v.bitPattern) }
    mutating func write(_ v: Float) { write(v.bitPattern) }
}

/// Little-endian reader; every read checks bounds and throws `EmbeddingError.corruptState`.
struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else {
            throw EmbeddingError.corruptState(reason: "truncated at byte \(offset) (need \(size) more of \(bytes.count))")
        }
        var v: T = 0
        for i in 0..<size { v |= T(truncatingIfNeeded: bytes[offset + i]) << (8 * i) }
        offset += size
        return v
    }
    mutating func readDouble() throws -> Double { Double(bitPattern: try read(UInt64.self)) }
    mutating func readFloat() throws -> Float { Float(bitPattern: try read(UInt32.self)) }
}
