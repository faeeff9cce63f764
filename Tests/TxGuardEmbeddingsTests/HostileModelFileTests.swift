import Foundation
import TxGuardTestSupport
import Testing
@testable import TxGuardEmbeddings

/// Model files that are corrupted, truncated, foreign or hostile are refused at load with a
/// message naming the file and what to do; none crashes the process.
@Suite struct HostileModelFileTests {
    /// A copy of the model directory with `model.safetensors` (and optionally more) replaced.
    func directory(safetensors: [UInt8]? = nil, flipByteAt flip: Int? = nil, sums: String? = nil) throws -> String {
        let dir = scratchPath("model")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for file in ["config.json", "vocab.txt"] {
            try FileManager.default.copyItem(atPath: TestSupport.modelDirectory + "/" + file, toPath: dir + "/" + file)
        }
        var weights = try safetensors ?? [UInt8](Data(contentsOf: URL(fileURLWithPath: TestSupport.modelDirectory + "/model.safetensors")))
        if let flip { weights[flip] ^= 0x40 }
        try Data(weights).write(to: URL(fileURLWithPath: dir + "/model.safetensors"))
        if let sums { try sums.write(toFile: dir + "/SHA256SUMS", atomically: true, encoding: .utf8) }
        return dir
    }

    func refusal(_ dir: String) -> String? {
        do { _ = try MiniLMEmbedder(modelDirectory: dir, cacheCapacity: 0); return nil } catch { return "\(error)" }
    }

    @Test func flippedWeightBytesAreRefusedByTheirChecksum() throws {
        let message = try #require(refusal(try directory(flipByteAt: 50_000_000)))
        #expect(message.contains("model.safetensors") && message.contains("corrupted") && message.contains("scripts/fetch-model.sh"))
        // A truncated file too.
        let full = try [UInt8](Data(contentsOf: URL(fileURLWithPath: TestSupport.modelDirectory + "/model.safetensors")))
        #expect(refusal(try directory(safetensors: Array(full.prefix(full.count / 2))))?.contains("corrupted") == true)
    }

    @Test func checksumsMatchTheFetchScriptsPins() throws {
        let script = try String(contentsOfFile: TestSupport.packageRoot + "/scripts/fetch-model.sh", encoding: .utf8)
        for (file, sum) in ModelChecksums.pinned { #expect(script.contains("[\(file)]=\(sum)"), "\(file) pinned alike in the script") }
        #expect(ModelChecksums.sha256(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "FIPS 180-2 test vector")
        try ModelChecksums.verify(directory: TestSupport.modelDirectory)
    }

    /// Safetensors parsing on hostile bytes (files that carry their own SHA256SUMS, so the parser,
    /// not the checksum, has to refuse them).
    @Test func hostileSafetensorsAreRefusedNotCrashed() throws {
        var rng = SystemRandomNumberGenerator()
        func header(_ json: String, data: Int = 16) -> [UInt8] {
            var n = UInt64(json.utf8.count).littleEndian
            return withUnsafeBytes(of: &n) { Array($0) } + Array(json.utf8) + [UInt8](repeating: 0, count: data)
        }
        var huge = UInt64.max.littleEndian
        let cases: [(String, [UInt8])] = [
            ("random bytes", (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }),
            ("header length above Int.max", withUnsafeBytes(of: &huge) { Array($0) } + [1, 2, 3]),
            ("shorter than a header length", [1, 2, 3]),
            ("header not JSON", header("{not json")),
            ("header not an object", header("[1,2]")),
            ("non-integer shape", header(#"{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}"#)),
            ("offsets outside the data", header(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,1000000]}}"#)),
            ("huge offsets", header(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,1e300]}}"#)),
        ]
        for (what, bytes) in cases {
            let file = scratchPath("st") + ".safetensors"
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            #expect(throws: EmbeddingError.self, "\(what)") { _ = try SafetensorsFile(path: file) }
        }
        // A shape whose element count overflows is refused when the tensor is read.
        let file = scratchPath("st") + ".safetensors"
        try Data(header(#"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#)).write(to: URL(fileURLWithPath: file))
        let st = try SafetensorsFile(path: file)
        #expect(throws: EmbeddingError.self) { _ = try st.floats("w") }
        // Through the embedder, with sums that match the hostile file: refused by the parser.
        let random: [UInt8] = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        let dir = try directory(safetensors: random, sums: "\(ModelChecksums.sha256(Data(random)))  model.safetensors\n")
        #expect(refusal(dir)?.contains("malformed safetensors") == true)
    }
}
