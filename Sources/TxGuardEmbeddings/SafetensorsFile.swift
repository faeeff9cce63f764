import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only, memory-mapped `.safetensors` file: an 8-byte little-endian header length, a JSON
/// header naming each tensor's dtype, shape and byte range, then the raw little-endian data.
///
/// The mapping lives as long as this object; tensors are copied out as `[Float]` (F32, F16 or BF16
/// widened to F32), so nothing handed out refers to the mapping after it is unmapped.
public final class SafetensorsFile {
    /// Where a tensor's bytes are and how to read them.
    public struct TensorInfo: Sendable, Equatable {
        /// Element type as spelled in the header (F32, F16, BF16, I64, ...).
        public let dtype: String
        /// Dimensions, outermost first.
        public let shape: [Int]
        /// Byte range relative to the start of the data section.
        public let dataRange: Range<Int>
    }

    /// Path the file was opened from.
    public let path: String
    /// Every tensor in the header, by name.
    public let tensors: [String: TensorInfo]

    // The read-only mapping; unmapped in deinit. Not Sendable: load on one task, share the copied weights.
    private let base: UnsafeRawPointer
    private let mappedLength: Int
    private let dataOffset: Int

    /// Maps the file and parses its header.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw EmbeddingError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw EmbeddingError.unreadableFile(path: path, reason: String(cString: strerror(errno)))
        }
        let length = Int(st.st_size)
        guard length >= 8 else {
            throw EmbeddingError.malformedSafetensors(path: path, reason: "file is \(length) bytes, shorter than the header length")
        }
        guard let mapped = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw EmbeddingError.unreadableFile(path: path, reason: "mmap: " + String(cString: strerror(errno)))
        }
        let raw = UnsafeRawPointer(mapped)
        do {
            // Compared as UInt64: a hostile length above Int.max must be refused, not converted.
            let declared = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
            guard declared > 0, declared <= UInt64(length - 8) else {
                throw EmbeddingError.malformedSafetensors(path: path, reason: "header length \(declared) does not fit the \(length)-byte file")
            }
            let headerLength = Int(declared)
            let headerData = Data(bytes: raw + 8, count: headerLength)
            let tensors = try Self.parseHeader(headerData, path: path, dataLength: length - 8 - headerLength)
            self.tensors = tensors
            self.dataOffset = 8 + headerLength
        } catch {
            munmap(mapped, length)
            throw error
        }
        self.base = raw
        self.mappedLength = length
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), mappedLength)
    }

    /// A tensor as F32 values in row-major order, checking its shape when `shape` is given.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws -> [Float] {
        guard let info = tensors[name] else {
            throw EmbeddingError.badTensor(name: name, reason: "not present in \(path)")
        }
        if let expected, expected != info.shape {
            throw EmbeddingError.badTensor(name: name, reason: "shape \(info.shape), expected \(expected)")
        }
        var count = 1
        for d in info.shape {
            let (c, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, c <= info.dataRange.count else {
                throw EmbeddingError.badTensor(name: name, reason: "shape \(info.shape) does not fit its \(info.dataRange.count) bytes")
            }
            count = c
        }
        let src = base + dataOffset + info.dataRange.lowerBound
        switch info.dtype {
        case "F32":
            try checkSize(info, name: name, elementSize: 4, count: count)
            return [Float](unsafeUninitializedCapacity: count) { buf, n in
                for i in 0..<count {
                    buf[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                }
                n = count
            }
        case "F16":
            try checkSize(info, name: name, elementSize: 2, count: count)
            return [Float](unsafeUninitializedCapacity: count) { buf, n in
                for i in 0..<count {
                    let bits = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    buf[i] = Self.halfToFloat(bits)
                }
                n = count
            }
        case "BF16":
            try checkSize(info, name: name, elementSize: 2, count: count)
            return [Float](unsafeUninitializedCapacity: count) { buf, n in
                for i in 0..<count {
                    let bits = UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))
                    buf[i] = Float(bitPattern: UInt32(bits) << 16)
                }
                n = count
            }
        default:
            throw EmbeddingError.badTensor(name: name, reason: "dtype \(info.dtype) is not F32, F16 or BF16")
        }
    }

    private func checkSize(_ info: TensorInfo, name: String, elementSize: Int, count: Int) throws {
        guard info.dataRange.count == count * elementSize else {
            throw EmbeddingError.badTensor(name: name, reason: "\(info.dataRange.count) bytes for \(count) \(info.dtype) elements")
        }
    }

    /// IEEE 754 binary16 to binary32, subnormals, infinities and NaN included.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = Int((h >> 10) & 0x1F)
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            if mantissa == 0 { return Float(bitPattern: sign) }
            let value = Float(mantissa) * 0x1p-24
            return sign != 0 ? -value : value
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | UInt32(exponent - 15 + 127) << 23 | (mantissa << 13))
    }

    static func parseHeader(_ data: Data, path: String, dataLength: Int) throws -> [String: TensorInfo] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw EmbeddingError.malformedSafetensors(path: path, reason: "header is not JSON: \(error)")
        }
        guard let header = object as? [String: Any] else {
            throw EmbeddingError.malformedSafetensors(path: path, reason: "header is not a JSON object")
        }
        var result: [String: TensorInfo] = [:]
        for (name, value) in header where name != "__metadata__" {
            // Every number must be a whole number that fits an Int (not silently truncated or dropped).
            func integers(_ any: Any?) -> [Int]? {
                guard let list = any as? [Any] else { return nil }
                let values = list.compactMap { ($0 as? NSNumber).flatMap { Int(exactly: $0.doubleValue) } }
                return values.count == list.count ? values : nil
            }
            guard let entry = value as? [String: Any],
                  let dtype = entry["dtype"] as? String,
                  let shape = integers(entry["shape"]),
                  let offsets = integers(entry["data_offsets"]),
                  offsets.count == 2
            else {
                throw EmbeddingError.malformedSafetensors(path: path, reason: "entry '\(name)' lacks dtype, shape or data_offsets")
            }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= dataLength, shape.allSatisfy({ $0 >= 0 }) else {
                throw EmbeddingError.malformedSafetensors(path: path, reason: "entry '\(name)' has offsets \(offsets) outside the \(dataLength)-byte data section")
            }
            result[name] = TensorInfo(dtype: dtype, shape: shape, dataRange: offsets[0]..<offsets[1])
        }
        return result
    }
}
