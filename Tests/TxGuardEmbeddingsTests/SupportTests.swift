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
    /// The index against a dictionary under random inserts and removals. Keys share their top byte
    /// (the fingerprint) in runs and cluster in their low bits (the home place), so probe runs are
    /// long, wrap around, and hold entries whose fingerprints match but whose keys differ.
    @Test func agreesWithDictionaryUnderRandomInsertsAndRemovals() {
        var index = SlotIndex()
        var reference: [UInt64: Int32] = [:]
        var keyOfSlot = [UInt64](repeating: 0, count: 20_000)   // the "store": slot -> key
        var g = SystemRandomNumberGenerator()
        func keys(_ body: (SlotKeys) -> Void) { keyOfSlot.withUnsafeBufferPointer { body(SlotKeys($0, keyOffset: 0)) } }
        for step in 0..<20_000 {
            let print = UInt64.random(in: 0...2, using: &g) << 56
            let key = print | (UInt64.random(in: 1...200, using: &g) &* 128) | UInt64(step % 3)
            if Bool.random(using: &g), reference.count < 64 {
                var found: Int32?
                keys { found = index.find(key, keys: $0) }
                if found == nil {
                    keyOfSlot[step] = key
                    keys { index.insert(key, Int32(step), keys: $0) }
                    reference[key] = Int32(step)
                }
            } else {
                keys { index.remove(key, keys: $0) }
                reference[key] = nil
            }
            if step % 97 == 0 {
                keys { k in for (key, slot) in reference { #expect(index.find(key, keys: k) == slot) } }
            }
        }
        #expect(index.count == reference.count)
        keys { k in
            for low: UInt64 in 1...30_000 {
                for top: UInt64 in 0...3 { #expect(index.find(top << 56 | low, keys: k) == reference[top << 56 | low]) }
            }
        }
    }
}
