import ArgumentParser
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
            do {
                out.decoded.append(try line.withUnsafeBytes { try decoder.decode($0, context: source) })
            } catch {
                out.deadLetters.append((out.lines, error))
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
