import Foundation
import Testing
@testable import TxGuardContracts
import TxGuardTestSupport

/// JSONWriter output is valid JSON that Foundation's parser reads back to the same values.
@Suite struct JSONWriterTests {
    @Test func everyControlAndSpecialCharacterIsEscaped() throws {
        var text = String((0..<128).map { Character(Unicode.Scalar(UInt8($0))) })
        text += "é€😀\u{2028}\u{FEFF}"
        var w = JSONWriter()
        w.beginObject(); w.field(text, text); w.endObject()
        let object = try JSONSerialization.jsonObject(with: Data(w.bytes)) as! [String: String]
        #expect(object == [text: text])
    }

    @Test func finiteDoublesRoundTripExactly() throws {
        var rng = SplitMix64(seed: 42)
        var values: [Double] = [0, -0.0, 1, -1, 0.1, 1e-5, .leastNonzeroMagnitude, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
                                1e15, 1e16, 123456789012345.6, 9007199254740992, 0.30000000000000004]
        while values.count < 5000 {
            let d = Double(bitPattern: rng.next())
            if d.isFinite { values.append(d) }
        }
        var w = JSONWriter()
        w.beginArray()
        for v in values { w.number(v) }
        w.endArray()
        // Each element read back by strtod (Double(String:)) must be the identical Double.
        let body = String(decoding: w.bytes.dropFirst().dropLast(), as: UTF8.self)
        let parts = body.split(separator: ",")
        #expect(parts.count == values.count)
        for (v, p) in zip(values, parts) {
            #expect(Double(p) == v || (v == 0 && Double(p) == 0), "\(v) written as \(p)")
        }
        let array = try JSONSerialization.jsonObject(with: Data(w.bytes)) as! [Any]
        #expect(array.count == values.count)
    }

    @Test func moneyIsWrittenExactlyAsItsDescription() {
        var rng = SplitMix64(seed: 9)
        var cases: [Money] = [Money(minorUnits: 0, exponent: 2), Money(minorUnits: 5, exponent: 3), Money(minorUnits: -5, exponent: 3),
                              Money(minorUnits: Int64.min, exponent: 2), Money(minorUnits: Int64.max, exponent: 4), Money(minorUnits: 1250, exponent: 0)]
        for _ in 0..<1000 { cases.append(Money(minorUnits: Int64(bitPattern: rng.next()) >> (rng.next() % 60), exponent: Int(rng.next() % 5))) }
        for m in cases {
            var w = JSONWriter()
            w.money(m)
            #expect(w.bytes == Array("\"\(m.description)\"".utf8), "\(m.minorUnits) e\(m.exponent)")
        }
        // With keys: JSONKey gives the same bytes as key(String).
        var a = JSONWriter(), b = JSONWriter()
        a.beginObject(); a.key("k\"1"); a.integer(1); a.key("x"); a.null(); a.endObject()
        b.beginObject(); b.key(JSONKey("k\"1")); b.integer(1); b.key(JSONKey("x")); b.null(); b.endObject()
        #expect(a.bytes == b.bytes)
    }

    @Test func nonFiniteBecomesNullAndStructureIsValid() throws {
        var w = JSONWriter()
        w.beginObject()
        w.field("nan", Double.nan)
        w.field("inf", -Double.infinity)
        w.key("list"); w.beginArray(); w.integer(Int64.min); w.integer(Int64.max); w.bool(true); w.null(); w.beginObject(); w.endObject(); w.beginArray(); w.endArray(); w.endArray()
        w.key("raw"); w.rawValue(Array(#"{"a":[1,2]}"#.utf8))
        w.endObject()
        #expect(String(decoding: w.bytes, as: UTF8.self)
            == #"{"nan":null,"inf":null,"list":[-9223372036854775808,9223372036854775807,true,null,{},[]],"raw":{"a":[1,2]}}"#)
        w.reset()
        w.string("again")
        #expect(w.bytes == Array(#""again""#.utf8))
    }
}
