import TxGuardContracts
import Foundation

/// Locale-independent number formatting for the HTML report (the same bytes on every machine).
enum ReportFormat {
    /// "12,345,678".
    static func integer(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return n < 0 ? "-" + out : out
    }

    /// A share as a percentage with enough decimals to show small rates: "0.0123%", "12.3%".
    static func percent(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        let p = v * 100
        if p == 0 { return "0%" }
        if abs(p) >= 10 { return String(format: "%.1f%%", p) }
        if abs(p) >= 1 { return String(format: "%.2f%%", p) }
        if abs(p) >= 0.01 { return String(format: "%.3f%%", p) }
        return String(format: "%.2g%%", p)
    }

    /// A metric in [0, 1] with four decimals.
    static func metric(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        return String(format: "%.4f", v)
    }

    /// A general value with four significant digits.
    static func value(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        return String(format: "%.4g", v)
    }

    /// Short form for axis labels: 1, 10, 100, 1k, 10k, 1M.
    static func compact(_ v: Double) -> String {
        if v >= 1e6 { return String(format: "%gM", v / 1e6) }
        if v >= 1e3 { return String(format: "%gk", v / 1e3) }
        return String(format: "%g", v)
    }

    /// "1.23M events/s".
    static func rate(_ r: Double) -> String {
        if r >= 1e6 { return String(format: "%.2fM", r / 1e6) }
        if r >= 1e3 { return String(format: "%.1fk", r / 1e3) }
        return String(format: "%.1f", r)
    }

    /// "2h 03m 10s" style duration.
    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.2f s", seconds) }
        let s = Int(seconds.rounded())
        if s < 3600 { return String(format: "%ldm %02lds", s / 60, s % 60) }
        if s < 86_400 * 2 { return String(format: "%ldh %02ldm %02lds", s / 3600, (s % 3600) / 60, s % 60) }
        return String(format: "%.1f days", seconds / 86_400)
    }

    /// UTC date-time of epoch milliseconds, trimmed to the part that varies over `spanMillis`.
    static func time(_ millis: Double, spanMillis: Double) -> String {
        let t = Int64((millis / 1000).rounded(.down))
        let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let secs = t - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        let hh = secs / 3600, mm = (secs % 3600) / 60, ss = secs % 60
        if spanMillis >= 3 * 86_400_000 { return String(format: "%02ld-%02ld", m, d) }
        if spanMillis >= 86_400_000 { return String(format: "%02ld-%02ld %02ld:%02ld", m, d, hh, mm) }
        if spanMillis >= 600_000 { return String(format: "%02ld:%02ld", hh, mm) }
        _ = y
        return String(format: "%02ld:%02ld:%02ld", hh, mm, ss)
    }

    /// "2026-11-29 12:00:00 UTC".
    static func dateTime(_ millis: Int64) -> String {
        let t = millis / 1000
        let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
        let secs = t - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        return String(format: "%04ld-%02ld-%02ld %02ld:%02ld:%02ld UTC", y, m, d, secs / 3600, (secs % 3600) / 60, secs % 60)
    }

    /// Proleptic Gregorian date of a day count since 1970-01-01.
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let (y, m, d) = Timestamps.civilFromDays(Int(z0))
        return (Int64(y), Int64(m), Int64(d))
    }

    /// Escapes text for HTML and SVG content and attributes.
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// A pixel coordinate with one decimal.
    static func px(_ v: Double) -> String { String(format: "%.1f", v) }
}
