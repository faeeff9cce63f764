import ArgumentParser
import Foundation
import TxGuardDetectors
import TxGuardEmbeddings

/// `txguard bench embed`: MiniLM encoder throughput against the machine's sgemm rate, the cache hit
/// path, the hashed n-gram embedder, and the tabular featurizer with many accounts in state.
struct EmbedBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "MiniLM texts/s (batch 1 and 32, 1 and 2 threads) vs sgemm GFLOP/s, cache hits, hashed embedder, tabular features.")

    @Option(name: .long, help: "Model directory (default: $TXGUARD_MODEL_DIR or ./models/all-MiniLM-L6-v2).")
    var modelDir: String?

    @Option(name: .long, help: "Seconds per MiniLM measurement.")
    var seconds = 3.0

    @Option(name: .long, help: "Accounts held in state for the tabular benchmark.")
    var accounts = 1_000_000

    @Flag(name: .long, help: "Skip the MiniLM part (no model needed).")
    var skipModel = false

    func run() async throws {
        print(String(format: "machine load average %.1f on %d cores", loadAverage(), ProcessInfo.processInfo.activeProcessorCount))
        var generator = SeededGenerator(seed: 42)
        let merchants = (0..<4096).map { _ in MerchantText.random(&generator) }
        print("== sgemm (OpenBLAS)")
        var sgemmRates: [Int: Double] = [:]
        var sgemmPerCPUSecond = Double.nan
        for threads in [1, 2] {
            BLAS.setThreadCount(threads)
            let square = sgemmGFLOPs(m: 1024, n: 1024, k: 1024)
            let encoderShape = sgemmGFLOPs(m: 384, n: 1536, k: 384)
            sgemmRates[threads] = encoderShape.wall
            if threads == 1 { sgemmPerCPUSecond = encoderShape.perCPUSecond }
            print(String(format: "sgemm %d thread(s): 1024³ %.1f GFLOP/s, 384×1536×384 (encoder FFN shape at batch 32) %.1f GFLOP/s (%.1f per CPU-second)",
                         threads, square.wall, encoderShape.wall, encoderShape.perCPUSecond))
        }
        if !skipModel {
            let embedder = try MiniLMEmbedder(modelDirectory: modelDir, cacheCapacity: 200_000)
            let tokenCounts = merchants.map { embedder.tokenize($0).count }
            let meanTokens = Double(tokenCounts.reduce(0, +)) / Double(tokenCounts.count)
            print(String(format: "== MiniLM (uncached), merchant strings of %d–%d tokens (mean %.1f incl. [CLS]/[SEP])",
                         tokenCounts.min() ?? 0, tokenCounts.max() ?? 0, meanTokens))
            let c = embedder.encoder.configuration
            let flopsPerToken = Double(2 * c.layerCount * (4 * c.hiddenSize * c.hiddenSize + 2 * c.hiddenSize * c.intermediateSize))
            for threads in [1, 2] {
                BLAS.setThreadCount(threads)
                for batch in [1, 32] {
                    let (result, cpuSeconds) = try measureMiniLM(embedder, merchants, batch: batch, threads: threads)
                    print(result.line)
                    let gflops = result.rate * meanTokens * flopsPerToken / 1e9
                    print(String(format: "    encoder %.1f GFLOP/s (%.1f MFLOP/token in linear layers) = %.0f%% of sgemm at the same thread count",
                                 gflops, flopsPerToken / 1e6, 100 * gflops / (sgemmRates[threads] ?? .nan)))
                    if threads == 1 {
                        let perCPU = Double(result.operations) * meanTokens * flopsPerToken / 1e9 / cpuSeconds
                        print(String(format: "    per CPU-second (robust to other load): encoder %.1f GFLOP = %.0f%% of one-thread sgemm per CPU-second",
                                     perCPU, 100 * perCPU / sgemmPerCPUSecond))
                    }
                }
            }
            BLAS.setThreadCount(1)
            let parallel = try await measureConcurrent(embedder, merchants, batch: 32, tasks: 2)
            print(parallel.line)
            let gflops = parallel.rate * meanTokens * flopsPerToken / 1e9
            print(String(format: "    encoder %.1f GFLOP/s = %.0f%% of 2 × one-thread sgemm", gflops, 100 * gflops / (2 * (sgemmRates[1] ?? .nan))))
            print("== cache hit path")
            _ = try embedder.embed(Array(merchants[0..<1024]))
            print(measureCacheHits(embedder, Array(merchants[0..<1024])).line)
        }
        print("== hashed n-gram embedder (64 wide, n = 3...5), one thread")
        print(try measureHashed(merchants).line)
        print("== tabular features")
        for line in try TabularBench.run(accounts: accounts) { print(line) }
        print(String(format: "peak RSS %.0f MiB", peakRSSMiB()))
    }

    private func sgemmGFLOPs(m: Int, n: Int, k: Int) -> (wall: Double, perCPUSecond: Double) {
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        BLAS.multiply(a, b, into: &c, m: m, n: n, k: k)  // warm-up
        var reps = 0
        let cpu0 = processCPUSeconds()
        let start = monotonicNanos()
        while monotonicNanos() - start < 1_000_000_000 {
            BLAS.multiply(a, b, into: &c, m: m, n: n, k: k)
            reps += 1
        }
        let elapsed = Double(monotonicNanos() - start) / 1e9
        let flops = Double(reps) * 2 * Double(m * n * k) / 1e9
        return (flops / elapsed, flops / (processCPUSeconds() - cpu0))
    }

    private func measureMiniLM(_ embedder: MiniLMEmbedder, _ texts: [String], batch: Int, threads: Int) throws -> (BenchResult, cpuSeconds: Double) {
        _ = try embedder.embedUncached(Array(texts[0..<batch]))
        var latencies: [Double] = []
        var done = 0
        var i = 0
        let cpu0 = processCPUSeconds()
        let start = monotonicNanos()
        while Double(monotonicNanos() - start) < seconds * 1e9 {
            let chunk = (0..<batch).map { texts[(i + $0) % texts.count] }
            i += batch
            let t0 = monotonicNanos()
            _ = try embedder.embedUncached(chunk)
            latencies.append(Double(monotonicNanos() - t0) / Double(batch))
            done += batch
        }
        let elapsed = Double(monotonicNanos() - start) / 1e9
        let cpu = processCPUSeconds() - cpu0
        print(String(format: "    process CPU %.2f s over %.2f s wall (machine load %.1f)", cpu, elapsed, loadAverage()))
        return (BenchResult(name: "MiniLM batch \(batch), \(threads) thread(s)", operations: done, seconds: elapsed,
                            latenciesNanos: latencies, unit: "texts"), cpu)
    }

    /// `tasks` concurrent callers, each encoding batches with one BLAS thread.
    private func measureConcurrent(_ embedder: MiniLMEmbedder, _ texts: [String], batch: Int, tasks: Int) async throws -> BenchResult {
        let budget = UInt64(seconds * 1e9)
        let start = monotonicNanos()
        let done = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var n = 0, i = task * 1000
                    while monotonicNanos() - start < budget {
                        let chunk = (0..<batch).map { texts[(i + $0) % texts.count] }
                        i += batch
                        _ = try embedder.embedUncached(chunk)
                        n += batch
                    }
                    return n
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = Double(monotonicNanos() - start) / 1e9
        return BenchResult(name: "MiniLM batch \(batch), \(tasks) tasks × 1 BLAS thread", operations: done,
                           seconds: elapsed, unit: "texts")
    }

    private func measureCacheHits(_ embedder: MiniLMEmbedder, _ texts: [String]) -> BenchResult {
        var latencies: [Double] = []
        let rounds = 200
        let start = monotonicNanos()
        var sink = 0
        for _ in 0..<rounds {
            let t0 = monotonicNanos()
            for t in texts { sink &+= (try? embedder.embed([t]))?.count ?? 0 }
            latencies.append(Double(monotonicNanos() - t0) / Double(texts.count))
        }
        let elapsed = Double(monotonicNanos() - start) / 1e9
        precondition(sink == rounds * texts.count, "every lookup returns one vector")
        return BenchResult(name: "cache hit embed([text]) (key + lookup)", operations: rounds * texts.count,
                           seconds: elapsed, latenciesNanos: latencies, unit: "texts")
    }

    private func measureHashed(_ texts: [String]) throws -> BenchResult {
        let embedder = try HashedNGramEmbedder(dimension: 64)
        var out = [Float](repeating: 0, count: 64)
        var latencies: [Double] = []
        var done = 0
        let cpu0 = processCPUSeconds()
        let start = monotonicNanos()
        while monotonicNanos() - start < 2_000_000_000 {
            let t0 = monotonicNanos()
            for t in texts {
                out.withUnsafeMutableBufferPointer { buf in
                    for j in buf.indices { buf[j] = 0 }
                    embedder.accumulate(t, into: buf)
                }
            }
            latencies.append(Double(monotonicNanos() - t0) / Double(texts.count))
            done += texts.count
        }
        let elapsed = Double(monotonicNanos() - start) / 1e9
        print(String(format: "    hashed: %.0f ns/text CPU time (%.2fM texts per CPU-second)",
                     (processCPUSeconds() - cpu0) * 1e9 / Double(done), Double(done) / (processCPUSeconds() - cpu0) / 1e6))
        return BenchResult(name: "hashed n-gram embedding (no allocation)", operations: done, seconds: elapsed,
                           latenciesNanos: latencies, unit: "texts")
    }
}

/// One-minute load average (other processes competing for the cores make wall-clock figures pessimistic).
func loadAverage() -> Double {
    var loads = [Double](repeating: 0, count: 3)
    return getloadavg(&loads, 3) > 0 ? loads[0] : .nan
}

/// Card-statement style merchant strings ("SQ *BLUE BOTTLE COFFEE #1234 SEATTLE WA").
enum MerchantText {
    static let prefixes = ["", "", "SQ *", "TST* ", "PAYPAL *", "AMZN Mktp ", "UBER *"]
    static let names = ["STARBUCKS", "BLUE BOTTLE COFFEE", "WHOLE FOODS MARKET", "SHELL OIL", "TARGET", "WALGREENS",
                        "McDonald's", "CHIPOTLE MEXICAN GRILL", "NETFLIX.COM", "SPOTIFY USA", "DELTA AIR LINES",
                        "HILTON GARDEN INN", "Trader Joe's", "HOME DEPOT", "BEST BUY", "CVS PHARMACY", "Café Lumière",
                        "7-ELEVEN", "COSTCO WHSE", "APPLE.COM/BILL", "LYFT RIDE", "DOORDASH DASHPASS"]
    static let cities = ["SEATTLE WA", "AUSTIN TX", "NEW YORK NY", "CHICAGO IL", "LONDON GB", "PARIS FR", "BERLIN DE"]

    static func random(_ g: inout SeededGenerator) -> String {
        let p = prefixes[Int(g.next() % UInt64(prefixes.count))]
        let n = names[Int(g.next() % UInt64(names.count))]
        let c = cities[Int(g.next() % UInt64(cities.count))]
        return "\(p)\(n) #\(g.next() % 90000 + 1000) \(c)"
    }
}
