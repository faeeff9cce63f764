import CZlib
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Where `txguard simulate` writes JSON lines: a plain file, a gzip file, or stdout.
/// Writes are buffered by the caller; `close` flushes and reports errors.
final class LineSink {
    private enum Target {
        case stdio(UnsafeMutablePointer<FILE>, ownsFile: Bool)
        case gzip(gzFile)
    }

    private var target: Target?
    let path: String

    /// Opens `path` for writing ("-" is stdout); a path ending in ".gz" is written as gzip at `gzipLevel`.
    init(path: String, gzipLevel: Int = 6) throws {
        self.path = path
        if path == "-" {
            guard let f = fdopen(STDOUT_FILENO, "w") else { throw LineSinkError.open(path: "stdout", reason: errnoText()) }
            target = .stdio(f, ownsFile: false)
        } else if path.hasSuffix(".gz") {
            guard let gz = gzopen(path, "wb\(max(1, min(9, gzipLevel)))") else {
                throw LineSinkError.open(path: path, reason: errnoText())
            }
            gzbuffer(gz, 1 << 20)
            target = .gzip(gz)
        } else {
            guard let f = fopen(path, "wb") else {
                throw LineSinkError.open(path: path, reason: errnoText())
            }
            target = .stdio(f, ownsFile: true)
        }
    }

    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty, let target else { return }
        try bytes.withUnsafeBytes { raw in
            switch target {
            case let .stdio(f, _):
                if fwrite(raw.baseAddress, 1, raw.count, f) != raw.count {
                    throw LineSinkError.write(path: path, reason: errnoText())
                }
            case let .gzip(gz):
                if gzwrite(gz, raw.baseAddress, UInt32(raw.count)) != Int32(raw.count) {
                    var code: Int32 = 0
                    throw LineSinkError.write(path: path, reason: gzerror(gz, &code).map { String(cString: $0) } ?? "zlib error \(code)")
                }
            }
        }
    }

    /// Flushes and closes (stdout is flushed, not closed).
    func close() throws {
        guard let t = target else { return }
        target = nil
        switch t {
        case let .stdio(f, owns):
            let flushed = fflush(f) == 0
            let closed = owns ? fclose(f) == 0 : true
            if !(flushed && closed) { throw LineSinkError.close(path: path, reason: errnoText()) }
        case let .gzip(gz):
            if gzclose(gz) != Z_OK { throw LineSinkError.close(path: path, reason: "gzclose failed") }
        }
    }

    deinit { try? close() }
}

/// Why writing simulated lines failed, with the path and the system's reason.
enum LineSinkError: Error, CustomStringConvertible {
    case open(path: String, reason: String)
    case write(path: String, reason: String)
    case close(path: String, reason: String)

    var description: String {
        switch self {
        case let .open(path, reason): return "cannot open \(path) for writing: \(reason)"
        case let .write(path, reason): return "writing \(path) failed: \(reason)"
        case let .close(path, reason): return "closing \(path) failed: \(reason)"
        }
    }
}

private func errnoText() -> String {
    guard let p = strerror(errno) else { return "errno \(errno)" }
    return String(cString: p)
}
