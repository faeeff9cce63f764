import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Monotonic nanoseconds, for benchmarks.
@inline(__always)
func monotonicNanos() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

/// CPU time of this process (user + system), seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
}

/// Peak resident set size of this process in MiB.
func peakRSSMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
}

/// One benchmark figure: a rate over a run plus latency percentiles of sampled operations.
struct BenchResult {
    var name: String
    var operations: Int
    var seconds: Double
    /// Per-operation (or per-batch, divided by its size) latencies in nanoseconds; may be empty.
    var latenciesNanos: [Double] = []
    var unit: String = "events"

    var rate: Double { Double(operations) / max(seconds, 1e-12) }

    func percentile(_ p: Double) -> Double? {
        guard !latenciesNanos.isEmpty else { return nil }
        let sorted = latenciesNanos.sorted()
        let idx = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
        return sorted[idx]
    }

    /// One aligned line: name, rate, p50/p99.
    var line: String {
        var s = name.padding(toLength: 44, withPad: " ", startingAt: 0)
        s += formatRate(rate) + " \(unit)/s"
        if let p50 = percentile(50), let p99 = percentile(99) {
            s += "   p50 \(formatNanos(p50))  p99 \(formatNanos(p99))"
        }
        return s
    }
}

func formatRate(_ r: Double) -> String {
    let v: String
    if r >= 1e6 { v = String(format: "%.2fM", r / 1e6) }
    else if r >= 1e3 { v = String(format: "%.1fk", r / 1e3) }
    else { v = String(format: "%.1f", r) }
    return v.leftPadded(to: 9)
}

func formatNanos(_ ns: Double) -> String {
    if ns >= 1e6 { return String(format: "%.2f ms", ns / 1e6) }
    if ns >= 1e3 { return String(format: "%.2f µs", ns / 1e3) }
    return String(format: "%.0f ns", ns)
}

extension String {
    func leftPadded(to n: Int) -> String {
        count >= n ? self : String(repeating: " ", count: n - count) + self
    }
}
