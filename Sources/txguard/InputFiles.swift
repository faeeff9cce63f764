import ArgumentParser
import CZlib
import Foundation
import TxGuardContracts

/// Reads a JSON-lines file of transactions (`.jsonl`, or `.jsonl.gz`), decoding each line;
/// undecodable lines are counted with their reason, never silently dropped.
struct TransactionFileReader {
    var decoded: [Transaction] = []
    var deadLetters: [(line: Int, error: DecodeError)] = []
    /// The first few rejected lines as read (cut to 80 bytes), for the summary.
    var rejectedExamples: [(line: Int, text: String)] = []
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
            case .failure(let e):
                out.deadLetters.append((out.lines, e))
                if out.rejectedExamples.count < 3 { out.rejectedExamples.append((out.lines, String(decoding: line.prefix(80), as: UTF8.self))) }
            }
        }
        return out
    }

    var reasonCounts: [String: Int] {
        Dictionary(grouping: deadLetters, by: { $0.error.code.rawValue }).mapValues(\.count)
    }

    /// What was read, for people: "read 200 lines: 0 valid, 200 rejected (malformed_json 200)",
    /// then, when lines were rejected, which ones (the first line numbers) and a few examples.
    var summary: [String] {
        let nonEmpty = decoded.count + deadLetters.count
        var out = ["read \(lines) lines: \(decoded.count) valid, \(deadLetters.count) rejected"
            + (deadLetters.isEmpty ? "" : " (" + reasonCounts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")")
            + (nonEmpty < lines ? ", \(lines - nonEmpty) empty" : "")]
        if !deadLetters.isEmpty {
            let numbers = deadLetters.prefix(10).map { String($0.line) }.joined(separator: ", ")
            out.append("rejected lines: \(numbers)\(deadLetters.count > 10 ? ", ... (\(deadLetters.count) in all)" : "")")
            for (i, example) in rejectedExamples.enumerated() {
                let error = deadLetters[i].error
                out.append("  line \(example.line): \(error.code.rawValue): \(error.message)  | \(example.text)\(example.text.utf8.count >= 80 ? "..." : "")")
            }
        }
        return out
    }

    /// Stops a command that would otherwise report on nothing: not one valid transaction.
    func requireValid(_ path: String) throws {
        guard decoded.isEmpty else { return }
        throw CommandFailure("\(path): no valid transaction in \(lines) lines (\(deadLetters.count) rejected); see the rejected lines above and schemas/transaction.v1.schema.json, or map your field names with --mapping",
                             exitCode: CommandFailure.dataError)
    }
}

/// Lines of a plain or gzip-compressed file ('-' is stdin).
func openLines(_ path: String) throws -> LineReader {
    if path.hasSuffix(".gz") {
        guard let f = gzopen(path, "rb") else { throw ValidationError("cannot open \(path)") }
        gzbuffer(f, 1 << 20)
        let file = GzipFile(f)
        return LineReader { file.read(1 << 20) }
    }
    return try LineReader(path: path == "-" ? nil : path)
}

/// Splits a byte stream into lines (without the newline); the source gives chunks, empty at the end.
final class LineReader {
    private let readChunk: () -> [UInt8]
    private var buffer = [UInt8]()
    private var start = 0
    private var eof = false

    init(readChunk: @escaping () -> [UInt8]) { self.readChunk = readChunk }

    /// A plain file, or stdin when `path` is nil.
    convenience init(path: String?) throws {
        let handle: FileHandle
        if let path {
            guard let h = FileHandle(forReadingAtPath: path) else { throw ValidationError("cannot open \(path)") }
            handle = h
        } else {
            handle = .standardInput
        }
        self.init { [UInt8](handle.readData(ofLength: 1 << 20)) }
    }

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
            let chunk = readChunk()
            if chunk.isEmpty { eof = true } else { buffer.append(contentsOf: chunk) }
        }
    }
}

/// An open gzip file, closed when released.
final class GzipFile {
    private let file: gzFile
    init(_ f: gzFile) { file = f }
    deinit { gzclose(file) }
    func read(_ max: Int) -> [UInt8] {
        var chunk = [UInt8](repeating: 0, count: max)
        let n = chunk.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
        return n > 0 ? Array(chunk[0..<Int(n)]) : []
    }
}
