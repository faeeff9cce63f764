/// RFC 3339 and epoch-time parsing and formatting in microseconds since the Unix epoch (UTC).
///
/// Accepted range: 1970-01-01T00:00:00Z through 9999-12-31T23:59:59.999999Z. Fractions finer
/// than a microsecond are truncated. A leap second (`:60`) is accepted as RFC 3339 allows and
/// counts as the first second of the next minute.
public enum Timestamps {
    /// Largest accepted instant: 9999-12-31T23:59:59.999999Z.
    public static let maxMicros: Int64 = 253_402_300_799_999_999

    /// A parse failure with a log-ready explanation.
    struct Problem: Error { var message: String }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// (year, month, day) of days since 1970-01-01 (H. Hinnant's `civil_from_days`).
    public static func civilFromDays(_ z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func daysInMonth(_ year: Int, _ month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Parses `YYYY-MM-DD(T|t| )HH:MM:SS[.fraction](Z|z|±HH:MM)` in `p[start..<end]`.
    static func parseRFC3339(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int) throws(Problem) -> Int64 {
        let syntax = Problem(message: "not RFC 3339 (expected YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM))")
        var i = start
        @inline(__always) func digits(_ n: Int) throws(Problem) -> Int {
            guard i + n <= end else { throw syntax }
            var v = 0
            for k in 0..<n {
                let d = p[i + k] &- 0x30
                guard d < 10 else { throw syntax }
                v = v * 10 + Int(d)
            }
            i += n
            return v
        }
        @inline(__always) func literal(_ c: UInt8) throws(Problem) {
            guard i < end, p[i] == c else { throw syntax }
            i += 1
        }
        let year = try digits(4); try literal(UInt8(ascii: "-"))
        let month = try digits(2); try literal(UInt8(ascii: "-"))
        let day = try digits(2)
        guard i < end, p[i] == UInt8(ascii: "T") || p[i] == UInt8(ascii: "t") || p[i] == UInt8(ascii: " ") else { throw syntax }
        i += 1
        let hour = try digits(2); try literal(UInt8(ascii: ":"))
        let minute = try digits(2); try literal(UInt8(ascii: ":"))
        let second = try digits(2)
        var micros = 0
        if i < end && p[i] == UInt8(ascii: ".") {
            i += 1
            var n = 0
            while i < end, p[i] &- 0x30 < 10 {
                if n < 6 { micros = micros * 10 + Int(p[i] - 0x30) }
                n += 1
                i += 1
            }
            guard n > 0 else { throw syntax }
            for _ in min(n, 6)..<6 { micros *= 10 }
        }
        guard i < end else { throw Problem(message: "RFC 3339 timestamp needs a time zone offset (Z or ±HH:MM)") }
        var offsetSeconds = 0
        switch p[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            i += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = p[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            let oh = try digits(2); try literal(UInt8(ascii: ":"))
            let om = try digits(2)
            guard oh <= 23, om <= 59 else { throw Problem(message: "time zone offset out of range") }
            offsetSeconds = sign * (oh * 3600 + om * 60)
        default:
            throw syntax
        }
        guard i == end else { throw syntax }
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year, month) else {
            throw Problem(message: "no such date \(year)-\(month)-\(day)")
        }
        guard hour <= 23, minute <= 59, second <= 60 else { throw Problem(message: "time of day out of range") }
        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        let total = seconds * 1_000_000 + Int64(micros)
        guard total >= 0, total <= maxMicros else { throw Problem(message: "outside 1970-01-01 … 9999-12-31 UTC") }
        return total
    }

    /// Parses a non-negative epoch time `digits[.digits]` in `unit` (fractions only for seconds and milliseconds).
    static func parseEpoch(_ p: UnsafePointer<UInt8>, _ start: Int, _ end: Int, unit: FieldSource.EpochUnit) throws(Problem) -> Int64 {
        var i = start
        if i < end, p[i] == UInt8(ascii: "-") { throw Problem(message: "epoch time before 1970") }
        var whole: Int64 = 0
        var n = 0
        while i < end, p[i] &- 0x30 < 10 {
            guard n < 18 else { throw Problem(message: "epoch time out of range") }
            whole = whole &* 10 &+ Int64(p[i] - 0x30)
            n += 1
            i += 1
        }
        guard n > 0 else { throw Problem(message: "not an epoch time") }
        var fractionMicros: Int64 = 0
        if i < end, p[i] == UInt8(ascii: ".") {
            i += 1
            var scale = unit.microsPerUnit / 10
            var k = 0
            while i < end, p[i] &- 0x30 < 10 {
                fractionMicros += Int64(p[i] - 0x30) * scale
                scale /= 10
                k += 1
                i += 1
            }
            guard k > 0 else { throw Problem(message: "not an epoch time") }
        }
        guard i == end else {
            throw Problem(message: "epoch time must be plain digits (\(unit.rawValue)), without exponent")
        }
        let (m, overflow) = whole.multipliedReportingOverflow(by: unit.microsPerUnit)
        guard !overflow, m <= maxMicros - fractionMicros else { throw Problem(message: "epoch time beyond 9999-12-31") }
        return m + fractionMicros
    }

    /// RFC 3339 UTC text with microseconds, e.g. `2026-11-29T11:54:49.123456Z`.
    public static func rfc3339(micros: Int64) -> String {
        var out: [UInt8] = []
        appendRFC3339(micros: micros, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends RFC 3339 UTC text with microseconds (27 bytes) to `out`; clamps into the accepted range.
    public static func appendRFC3339(micros: Int64, to out: inout [UInt8]) {
        let t = min(max(micros, 0), maxMicros)
        let seconds = t / 1_000_000
        let frac = Int(t % 1_000_000)
        let days = Int(seconds / 86_400)
        let sod = Int(seconds % 86_400)
        let (y, m, d) = civilFromDays(days)
        @inline(__always) func put(_ v: Int, _ width: Int) {
            var div = 1
            for _ in 1..<width { div *= 10 }
            var x = v
            while div > 0 { out.append(UInt8(48 + x / div)); x %= div; div /= 10 }
        }
        put(y, 4); out.append(UInt8(ascii: "-")); put(m, 2); out.append(UInt8(ascii: "-")); put(d, 2)
        out.append(UInt8(ascii: "T"))
        put(sod / 3600, 2); out.append(UInt8(ascii: ":")); put(sod / 60 % 60, 2); out.append(UInt8(ascii: ":")); put(sod % 60, 2)
        out.append(UInt8(ascii: ".")); put(frac, 6); out.append(UInt8(ascii: "Z"))
    }
}
