import Foundation
import TxGuardContracts

/// Reads and writes model files: a header line `TXGUARD-MODEL <format> <fnv1a64-hex> <length>`,
/// then the model as JSON (sorted keys, so the same model gives the same bytes). A truncated,
/// altered or incompatible file is refused with an error that says which.
public enum ModelFile {
    static let magic = "TXGUARD-MODEL"

    public static func encode(_ model: TxGuardModel) throws -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let body = [UInt8](try enc.encode(model))
        let header = "\(magic) \(model.formatVersion) \(String(checksum(body), radix: 16)) \(body.count)\n"
        return Array(header.utf8) + body
    }

    public static func decode(_ bytes: [UInt8], path: String = "model") throws(ModelFileError) -> TxGuardModel {
        guard let nl = bytes.firstIndex(of: 10) else { throw .notAModel(path: path) }
        let parts = String(decoding: bytes[..<nl], as: UTF8.self).split(separator: " ")
        guard parts.count == 4, parts[0] == magic else { throw .notAModel(path: path) }
        guard let format = Int(parts[1]) else { throw .notAModel(path: path) }
        guard format == TxGuardModel.formatVersion else {
            throw .incompatible(path: path, found: format, supported: TxGuardModel.formatVersion)
        }
        let body = Array(bytes[(nl + 1)...])
        guard let length = Int(parts[3]), length == body.count else {
            throw .corrupt(path: path, reason: "length \(body.count) does not match the header's \(parts[3]) (truncated?)")
        }
        guard let sum = UInt64(parts[2], radix: 16), sum == checksum(body) else {
            throw .corrupt(path: path, reason: "checksum mismatch (the file was altered or damaged)")
        }
        let dec = JSONDecoder()
        dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return try dec.decode(TxGuardModel.self, from: Data(body)) } catch {
            throw .corrupt(path: path, reason: "content does not decode: \(error)")
        }
    }

    public static func read(path: String) throws(ModelFileError) -> TxGuardModel {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        return try decode([UInt8](data), path: path)
    }

    public static func write(_ model: TxGuardModel, to path: String) throws {
        let bytes = try encode(model)
        let tmp = path + ".tmp"
        try Data(bytes).write(to: URL(fileURLWithPath: tmp))
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: tmp, toPath: path)
    }

    /// FNV-1a 64-bit over the body.
    static func checksum(_ bytes: [UInt8]) -> UInt64 { FNV1a64.hash(bytes) }
}

/// Why a model file was refused.
public enum ModelFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String)
    case notAModel(path: String)
    case incompatible(path: String, found: Int, supported: Int)
    case corrupt(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let p): return "model file \(p) cannot be read (does it exist? train one with `txguard train`)"
        case .notAModel(let p): return "\(p) is not a txguard model file"
        case .incompatible(let p, let f, let s): return "model file \(p) has format \(f); this txguard reads format \(s) (retrain with this version)"
        case .corrupt(let p, let r): return "model file \(p) is corrupt: \(r)"
        }
    }
}
