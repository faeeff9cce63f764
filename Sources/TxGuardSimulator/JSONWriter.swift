/// Byte-level JSON rendering for the hot path: no Foundation encoders, no intermediate Strings.
enum JSONWriter {
    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `s` as a JSON string literal (with quotes), escaping per RFC 8259.
    static func appendString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        for b in s.utf8 {
            switch b {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x0A: out.append(0x5C); out.append(0x6E)
            case 0x0D: out.append(0x5C); out.append(0x72)
            case 0x09: out.append(0x5C); out.append(0x74)
            case 0..<0x20:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 15)]])
            default: out.append(b)
            }
        }
        out.append(0x22)
    }

    /// Appends a non-negative integer in decimal, left-padded with zeros to `width` digits.
    @inline(__always)
    static func appendDigits(_ value: Int64, width: Int = 1, to out: inout [UInt8]) {
        var v = value
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = 0
        withUnsafeMutableBytes(of: &tmp) { buf in
            repeat {
                buf[n] = UInt8(truncatingIfNeeded: v % 10) &+ 0x30
                v /= 10
                n += 1
            } while v > 0 && n < 20
            while n < width && n < 20 { buf[n] = 0x30; n += 1 }
            var i = n - 1
            while i >= 0 { out.append(buf[i]); i -= 1 }
        }
    }

    /// Appends an amount of `minor` minor units with exactly `digits` decimals ("12.50", "1200", "0.005").
    static func appendAmount(minor: Int64, digits: Int, to out: inout [UInt8]) {
        var m = minor
        if m < 0 { out.append(0x2D); m = -m }
        guard digits > 0 else { appendDigits(m, to: &out); return }
        var scale: Int64 = 1
        for _ in 0..<digits { scale *= 10 }
        appendDigits(m / scale, to: &out)
        out.append(0x2E)
        appendDigits(m % scale, width: digits, to: &out)
    }

    /// Appends an RFC 3339 UTC timestamp with milliseconds, e.g. "2026-11-29T10:15:03.120Z" (quoted).
    static func appendTimestamp(epochMillis: Int64, to out: inout [UInt8]) {
        let civil = CivilTime(epochMillis: epochMillis)
        out.append(0x22)
        appendDigits(Int64(civil.year), width: 4, to: &out); out.append(0x2D)
        appendDigits(Int64(civil.month), width: 2, to: &out); out.append(0x2D)
        appendDigits(Int64(civil.day), width: 2, to: &out); out.append(0x54)
        appendDigits(Int64(civil.hour), width: 2, to: &out); out.append(0x3A)
        appendDigits(Int64(civil.minute), width: 2, to: &out); out.append(0x3A)
        appendDigits(Int64(civil.second), width: 2, to: &out); out.append(0x2E)
        appendDigits(Int64(civil.millisecond), width: 3, to: &out)
        out.append(0x5A); out.append(0x22)
    }
}

/// A UTC calendar date and time from epoch milliseconds (Hinnant's days-from-civil inverse),
/// independent of Foundation's calendars so output is identical everywhere.
struct CivilTime: Equatable {
    var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millisecond: Int
    /// 0 = Monday ... 6 = Sunday.
    var weekday: Int

    init(epochMillis: Int64) {
        let ms = epochMillis
        var days = ms / 86_400_000
        var rem = ms % 86_400_000
        if rem < 0 { rem += 86_400_000; days -= 1 }
        millisecond = Int(rem % 1000)
        second = Int(rem / 1000 % 60)
        minute = Int(rem / 60_000 % 60)
        hour = Int(rem / 3_600_000)
        weekday = Int(((days % 7) + 7 + 3) % 7)  // 1970-01-01 was a Thursday (3)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
    }

    /// Epoch milliseconds of midnight UTC on a civil date (Hinnant's days_from_civil).
    static func epochMillis(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return (era * 146_097 + doe - 719_468) * 86_400_000
    }
}
