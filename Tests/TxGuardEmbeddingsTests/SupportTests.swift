import Foundation
import TxGuardTestSupport
import Testing
@testable import TxGuardEmbeddings

@Suite struct SupportTests {
    @Test func erfApproximationMatchesLibm() {
        var maxErr: Float = 0
        var x: Float = -6
        while x <= 6 {
            let v = FastMath.erf(SIMD8(repeating: x))[0]
            maxErr = max(maxErr, abs(v - Foundation.erf(x)))
            x += 0.001
        }
        #expect(maxErr < 1e-6, "max erf error \(maxErr)")
    }

    @Test func geluTailHandlesNonMultipleOfEight() {
        var values: [Float] = [-3, -1, -0.5, 0, 0.5, 1, 2, 3, 10, -10, 0.1]
        let expected = values.map { 0.5 * $0 * (1 + Foundation.erf($0 / Float(2).squareRoot())) }
        values.withUnsafeMutableBufferPointer { FastMath.gelu($0.baseAddress!, count: $0.count) }
        for (v, e) in zip(values, expected) { #expect(abs(v - e) < 1e-5) }
    }

    @Test func halfPrecisionDecoding() {
        #expect(SafetensorsFile.halfToFloat(0x3C00) == 1)
        #expect(SafetensorsFile.halfToFloat(0xC000) == -2)
        #expect(SafetensorsFile.halfToFloat(0x7BFF) == 65504)
        #expect(SafetensorsFile.halfToFloat(0x0001) == 0x1p-24)
        #expect(SafetensorsFile.halfToFloat(0x7C00) == .infinity)
        #expect(SafetensorsFile.halfToFloat(0x7E00).isNaN)
        #expect(SafetensorsFile.halfToFloat(0x3555) == Float(0.333251953125))
    }

    @Test func safetensorsRoundTripF32AndF16() throws {
        let header = #"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F16","shape":[3],"data_offsets":[16,22]}}"#
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes += $0 }
        bytes += Array(header.utf8)
        for f in [Float(1.5), -2, 3.25, 0] { withUnsafeBytes(of: f.bitPattern.littleEndian) { bytes += $0 } }
        for h: UInt16 in [0x3C00, 0xC000, 0x3800] { withUnsafeBytes(of: h.littleEndian) { bytes += $0 } }
        let path = scratchPath("test") + ".safetensors"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try SafetensorsFile(path: path)
        #expect(try file.floats("a", shape: [2, 2]) == [1.5, -2, 3.25, 0])
        #expect(try file.floats("b") == [1, -2, 0.5])
        #expect(throws: EmbeddingError.self) { try file.floats("a", shape: [4]) }
        #expect(throws: EmbeddingError.self) { try file.floats("missing") }
    }

    @Test func malformedSafetensorsIsRejected() {
        let path = scratchPath("bad") + ".safetensors"
        var bytes = [UInt8]()
        withUnsafeBytes(of: UInt64(1000).littleEndian) { bytes += $0 }
        bytes += Array("{}".utf8)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: EmbeddingError.self) { try SafetensorsFile(path: path) }
    }

    @Test func lruEvictsLeastRecentlyUsed() {
        let cache = EmbeddingCache(capacity: 2)
        cache.insert([1], forKey: "a")
        cache.insert([2], forKey: "b")
        #expect(cache.value(forKey: "a") == [1])  // a is now most recent
        cache.insert([3], forKey: "c")            // evicts b
        #expect(cache.value(forKey: "b") == nil)
        #expect(cache.value(forKey: "a") == [1])
        #expect(cache.value(forKey: "c") == [3])
        #expect(cache.count == 2)
        cache.insert([4], forKey: "a")
        #expect(cache.value(forKey: "a") == [4])
    }
}

@Suite struct SlotIndexTests {
    @Test func agreesWithDictionaryUnderRandomInsertsAndRemovals() {
        var index = SlotIndex(capacity: 64)
        var reference: [UInt64: Int32] = [:]
        var g = SystemRandomNumberGenerator()
        for step in 0..<20_000 {
            // Small key space with clustered low bits to force long probe runs and wrap-around.
            let key = UInt64.random(in: 1...200, using: &g) &* 128 | UInt64(step % 3)
            if key == 0 { continue }
            if Bool.random(using: &g), reference.count < 64 {
                index.set(key, Int32(step)); reference[key] = Int32(step)
            } else {
                index.remove(key); reference[key] = nil
            }
            if step % 97 == 0 {
                for k in reference.keys { #expect(index[k] == reference[k]) }
            }
        }
        #expect(index.count == reference.count)
        for k: UInt64 in 1...30_000 { #expect(index[k] == reference[k]) }
    }
}
