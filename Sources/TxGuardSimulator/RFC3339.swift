/// Parses RFC 3339 timestamps (e.g. `--start`) to epoch milliseconds without Foundation's
/// formatters, so the simulator's start instant is computed identically everywhere.
public enum RFC3339 {
    /// Parses "YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)" (also a bare date, as midnight UTC).
    public static func epochMillis(_ s: String) -> Int64? {
        let b = Array(s.utf8)
        func num(_ from: Int, _ len: Int) -> Int? {
            guard from + len <= b.count else { return nil }
            var v = 0
            for i in from..<from + len {
                guard b[i] >= 48, b[i] <= 57 else { return nil }
                v = v * 10 + Int(b[i] - 48)
            }
            return v
        }
        guard let y = num(0, 4), b.count >= 10, b[4] == 45, let mo = num(5, 2), b[7] == 45, let d = num(8, 2),
              (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var ms = civilDays(y, mo, d) * 86_400_000
        if b.count == 10 { return ms }
        guard b.count >= 20, b[10] == 84 || b[10] == 116 || b[10] == 32, let h = num(11, 2), b[13] == 58, let mi = num(14, 2),
              b[16] == 58, let sec = num(17, 2), h < 24, mi < 60, sec < 61 else { return nil }
        ms += Int64(h * 3_600_000 + mi * 60_000 + sec * 1000)
        var i = 19
        if b[i] == 46 {
            i += 1
            var frac = 0, digits = 0
            while i < b.count, b[i] >= 48, b[i] <= 57 {
                if digits < 3 { frac = frac * 10 + Int(b[i] - 48); digits += 1 }
                i += 1
            }
            guard digits > 0 else { return nil }
            while digits < 3 { frac *= 10; digits += 1 }
            ms += Int64(frac)
        }
        guard i < b.count else { return nil }
        if b[i] == 90 || b[i] == 122 { return i + 1 == b.count ? ms : nil }
        guard b[i] == 43 || b[i] == 45, let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 58, let om = num(i + 4, 2),
              i + 6 == b.count else { return nil }
        let offset = Int64(oh * 60 + om) * 60_000
        return b[i] == 43 ? ms - offset : ms + offset
    }

    private static func civilDays(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
        CivilTime.epochMillis(year: year, month: month, day: day) / 86_400_000
    }
}
