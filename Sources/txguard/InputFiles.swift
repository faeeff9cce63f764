import ArgumentParser
import CZlib
import Foundation
import TxGuardContracts

/// Reads a JSON-lines file of transactions (`.jsonl`, or `.jsonl.gz`), decoding each line;
/// undecodable lines are counted with their reason, never silently dropped.
struct TransactionFileReader {
    var decoded: [Transaction] = []
    var deadLetters: [(line: Int, error: DecodeError)] = []
    var lines = 0

    static func read(_ path: String, decoder: JSONTransactionDecoder, limit: Int? = nil) throws -> TransactionFileReader {
        var out = TransactionFileReader()
        let reader = try openLines(path)
        while let line = reader.next() {
            if let limit, out.lines >= limit { break }
            out.lines += 1
            if line.isEmpty { continue }
            let source = SourceContext(topic: (path as NSString).lastPathComponent, partition: 0, offset: Int64(out.lines))
            let result: Result<Transaction, DecodeError> = line.withUnsafeBytes { bytes in
                do throws(DecodeError) { return .success(try decoder.decode(bytes, context: source)) } catch { return .failure(error) }
            }
            switch result {
            case .success(let tx): out.decoded.append(tx)
            case .failure(let e): out.deadLetters.append((out.lines, e))
            }
        }
        return out
    }

    var reasonCounts: [String: Int] {
        Dictionary(grouping: deadLetters, by: { $0.error.code.rawValue }).mapValues(\.count)
    }
}

/// Lines of a plain or gzip-compressed file ('-' is stdin).
func openLines(_ path: String) throws -> any LineSource {
    if path.hasSuffix(".gz") { return try GzipLineReader(path: path) }
    return try LineReader(path: path == "-" ? nil : path)
}

protocol LineSource: AnyObject {
    func next() -> [UInt8]?
}

extension LineReader: LineSource {}

/// Lines of a gzip file, decompressed with zlib as they are read.
final class GzipLineReader: LineSource {
    private let file: gzFile
    private var buffer = [UInt8]()
    private var start = 0
    private var eof = false

    init(path: String) throws {
        guard let f = gzopen(path, "rb") else { throw ValidationError("cannot open \(path)") }
        file = f
        gzbuffer(f, 1 << 20)
    }

    deinit { gzclose(file) }

    func next() -> [UInt8]? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 10) {
                let line = Array(buffer[start..<nl])
                start = nl + 1
                return line
            }
            if eof {
                guard start < buffer.count else { return nil }
                let line = Array(buffer[start...])
                start = buffer.count
                return line
            }
            buffer.removeFirst(start)
            start = 0
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n <= 0 { eof = true } else { buffer.append(contentsOf: chunk[0..<Int(n)]) }
        }
    }
}
