import Foundation
import Testing
@testable import TxGuardReport

/// The fast line parser must agree with JSONDecoder on what it accepts, and decline the rest.
@Suite struct FlatJSONObjectTests {
    @Test func parsesScoreLine() throws {
        let line = #"{"transaction_id":"tx-1","event_time_ms":1764000000000,"score":0.125,"alert":true,"threshold":5e-1,"detectors":{"isolation_forest":-1.5E+2,"zscore":0}, "x": null}"#
        let o = try #require(FlatJSONObject(Data(line.utf8)))
        #expect(o["transaction_id"] == .string("tx-1"))
        #expect(o["event_time_ms"] == .number(1_764_000_000_000, integer: 1_764_000_000_000))
        #expect(o["score"] == .number(0.125, integer: nil))
        #expect(o["alert"] == .bool(true))
        #expect(o["threshold"] == .number(0.5, integer: nil))
        #expect(o["detectors"] == .numbers(["isolation_forest": -150, "zscore": 0]))
        #expect(o["x"] == .null)
    }

    @Test func parsesInsideALargerBuffer() throws {
        let data = Data("xx\n{\"a\": \"é\", \"b\" : false }\n".utf8)
        let slices = data.split(separator: UInt8(ascii: "\n"))
        let o = try #require(FlatJSONObject(slices[1]))
        #expect(o["a"] == .string("é") && o["b"] == .bool(false))
    }

    @Test(arguments: [
        #"{"a":[1,2]}"#, #"{"a":{"b":"c"}}"#, #"{"a":{"b":{}}}"#, #"{"a":01}"#, #"{"a":1.}"#, #"{"a":.5}"#,
        #"{"a":"x\"y"}"#, #"{"a":tru}"#, #"{"a":1,}"#, #"{"a":1} x"#, #"{"a" 1}"#, #"{"a":1e}"#, #"["a"]"#, "",
    ])
    func declinesWhatItDoesNotHandle(_ text: String) {
        #expect(FlatJSONObject(Data(text.utf8)) == nil)
    }
}
