import Foundation
import Testing
@testable import TxGuardSimulator

@Suite struct JSONWriterTests {
    func amount(_ minor: Int64, _ digits: Int) -> String {
        var out: [UInt8] = []
        JSONWriter.appendAmount(minor: minor, digits: digits, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func amountsHaveExactlyTheMinorDigits() {
        #expect(amount(1250, 2) == "12.50")
        #expect(amount(5, 2) == "0.05")
        #expect(amount(100, 2) == "1.00")
        #expect(amount(1200, 0) == "1200")
        #expect(amount(5, 3) == "0.005")
        #expect(amount(4250, 3) == "4.250")
        #expect(amount(-1999, 2) == "-19.99")
        #expect(amount(123_456_789_012, 2) == "1234567890.12")
    }

    /// ISO 4217 minor units (published table): EUR/GBP/USD 2, JPY/KRW 0, BHD/KWD/OMR 3.
    @Test func currencyMinorUnitsFollowISO4217() throws {
        let expected = ["EUR": 2, "GBP": 2, "USD": 2, "CHF": 2, "JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "OMR": 3]
        for (code, digits) in expected { #expect(try #require(Currency.named(code)).minorDigits == digits, "\(code)") }
    }

    /// The hand-written civil calendar against Foundation's ISO 8601 formatter.
    @Test func timestampsMatchFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        var rng = Xoshiro256StarStar(seed: 5)
        var cases: [Int64] = [0, 951_782_400_000 /* 2000-02-29 */, 1_793_491_200_000, 4_107_542_399_999 /* 2100-02-28T23:59:59.999 */]
        for _ in 0..<2000 { cases.append(Int64(rng.below(4_000_000_000_000))) }
        for ms in cases {
            var out: [UInt8] = []
            JSONWriter.appendTimestamp(epochMillis: ms, to: &out)
            let ours = String(decoding: out.dropFirst().dropLast(), as: UTF8.self)
            let theirs = formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
            #expect(ours == theirs, "\(ms)")
            let civil = CivilTime(epochMillis: ms)
            #expect(CivilTime.epochMillis(year: civil.year, month: civil.month, day: civil.day) == ms - ms % 86_400_000)
            // Weekday against Foundation's Gregorian calendar (Sunday = 1 there, Monday = 0 here).
            var cal = Calendar(identifier: .gregorian)
            cal.timeZone = TimeZone(identifier: "UTC")!
            let fw = cal.component(.weekday, from: Date(timeIntervalSince1970: Double(ms) / 1000))
            #expect(civil.weekday == (fw + 5) % 7)
        }
    }

    @Test func stringsAreEscaped() throws {
        var out: [UInt8] = []
        JSONWriter.appendString("A \"B\" \\ C\n\u{01}é", to: &out)
        let parsed = try JSONSerialization.jsonObject(with: Data(out), options: [.fragmentsAllowed]) as? String
        #expect(parsed == "A \"B\" \\ C\n\u{01}é")
    }
}

@Suite struct RFC3339Tests {
    @Test func parsesLikeFoundation() throws {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let g = ISO8601DateFormatter()
        g.formatOptions = [.withInternetDateTime]
        for s in ["2026-11-29T10:15:03.120Z", "2026-11-01T00:00:00Z", "2024-02-29T23:59:59.999Z", "2026-12-24T18:30:00+01:00",
                  "2026-06-01T07:00:00.5-05:30", "1999-12-31T23:59:59Z"] {
            let date = try #require(f.date(from: s) ?? g.date(from: s), "\(s)")
            #expect(RFC3339.epochMillis(s) == Int64((date.timeIntervalSince1970 * 1000).rounded()), "\(s)")
        }
        #expect(RFC3339.epochMillis("2026-11-01") == 1_793_491_200_000)
        for bad in ["yesterday", "2026-13-01T00:00:00Z", "2026-11-01T25:00:00Z", "2026-11-01T00:00:00", "2026-11-01T00:00:00.Z", ""] {
            #expect(RFC3339.epochMillis(bad) == nil, "\(bad)")
        }
    }
}
