import ArgumentParser
import Foundation
import TxGuardContracts
import TxGuardPipeline
import TxGuardService
import TxGuardSimulator

/// `txguard bench state`: measured memory per account. One `PartitionScorer` (hashed text) judges
/// one event for each of N distinct accounts; the growth of the process's resident set between a
/// warm-up and the end, divided by the accounts added, is the bytes per account (measured, not
/// computed from the layout). Merchants and texts are drawn from a small fixed set, so the merchant
/// store and the text cache do not grow with N. glibc's mmap threshold is fixed as in `run`.
struct StateBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "state",
        abstract: "Bytes of resident memory per account: RSS growth while one partition's scorer sees N distinct accounts.")

    @Option(help: "Distinct accounts fed after the warm-up.") var accounts = 1_000_000
    @Option(help: "Distinct accounts fed first (warm-up, not counted).") var warmup = 20_000

    func run() async throws {
        // As `txguard run` does: with glibc's own (rising) threshold the buffers the growing state
        // leaves behind stayed in its arenas and blurred the figure by tens of bytes an account.
        fixLargeAllocationThreshold()
        var cfg = SimulatorConfig()
        cfg.accounts = 2_000
        cfg.maxEvents = 40_000
        cfg.days = 20
        let lines = try TransactionSimulator(config: cfg).map { Array($0.jsonLine(includeLabels: false).dropLast()) }
        let decoder = try JSONTransactionDecoder()
        let train = try lines.map { l in try l.withUnsafeBytes { try decoder.decode($0, context: .unknown) } }
        var opts = TrainingOptions()
        opts.text = TextSettings(embedder: .hashed)
        let (model, _) = try ModelTrainer.train(train, source: "bench-state", options: opts)
        let runtime = try ScoringRuntime.load(model: model)
        let scorer = try PartitionScorer(runtime: runtime)

        // Templates: the last 1,000 simulated events, with their account_id replaced by a fresh one.
        let templates: [(prefix: [UInt8], suffix: [UInt8])] = lines.suffix(1000).map { l in
            let s = String(decoding: l, as: UTF8.self)
            guard let r = s.range(of: "\"account_id\":\"") else { return (Array(s.utf8), []) }
            let rest = s[r.upperBound...]
            let end = rest.firstIndex(of: "\"")!
            return (Array(s[..<r.upperBound].utf8), Array(s[end...].utf8))
        }
        var next = 0
        func feed(_ n: Int) {
            var done = 0
            while done < n {
                let k = min(1000, n - done)
                var chunk: [[UInt8]] = []
                chunk.reserveCapacity(k)
                for i in 0..<k {
                    let t = templates[(next + i) % templates.count]
                    chunk.append(t.prefix + Array("bench_acct_\(next + i)".utf8) + t.suffix)
                }
                // One contiguous buffer for the chunk, alive for the whole call (a pointer taken
                // inside withUnsafeBytes must not outlive the closure).
                let joined = chunk.flatMap { $0 }
                joined.withUnsafeBytes { all in
                    var start = 0
                    let inputs = chunk.map { l -> PartitionScorer.RecordInput in
                        defer { start += l.count }
                        return PartitionScorer.RecordInput(value: UnsafeRawBufferPointer(rebasing: all[start..<(start + l.count)]), key: nil,
                                                           headers: [], source: .unknown, emit: false)
                    }
                    _ = scorer.judgeBatch(inputs)
                }
                next += k
                done += k
            }
        }
        feed(warmup)
        let rss0 = currentRSSBytes()
        let t0 = monotonicNanos()
        feed(accounts)
        let seconds = Double(monotonicNanos() - t0) / 1e9
        let rss1 = currentRSSBytes()
        let per = Double(rss1 - rss0) / Double(accounts)
        print(String(format: "state: %d distinct accounts after %d warm-up: RSS %.1f -> %.1f MiB, %.0f bytes per account (%.0f events/s)",
                     accounts, warmup, Double(rss0) / 1048576, Double(rss1) / 1048576, per, Double(accounts) / seconds))
        print(String(format: "{\"accounts\": %d, \"rss_before\": %d, \"rss_after\": %d, \"bytes_per_account\": %.1f}", accounts, rss0, rss1, per))
    }
}

/// VmRSS of this process in bytes (Linux /proc/self/status).
func currentRSSBytes() -> Int {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kb = line.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return kb * 1024
    }
    return 0
}

/// `txguard bench scorer`: the scorer alone (decode → features → detectors → threshold → alert
/// encode) on a file of transactions and a model file, one core, no Kafka: the same events and
/// model `make bench-compare` gives the service. Small `--limit`s suit callgrind.
struct ScorerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scorer",
        abstract: "Scorer alone on a JSON-lines file with a model file: events/s, µs per event, CPU (one core, batches of 1000 unless told).")

    @Option(help: "Model file (txguard train).") var model: String
    @Option(help: "Transactions, JSON lines.") var input: String
    @Option(help: "Directory of the MiniLM files, if the model uses them.") var modelDir: String?
    @Option(help: "Score at most this many events (0 = all).") var limit = 0
    @Option(help: "Records per judgeBatch call: 1000 is a backlog; 1 to 10 is what a partition gets per batch at a steady rate, where the per-call cost counts per event.") var batch = 1000
    @Option(help: "Labels file: time the scorer without and with the label layer (entity risk, supervised trees, feedback; labels revealed 1 day after their transactions) on the second half of the events, the first half warming both and training the trees on the labels visible at its end (enough frauds needed: the layer's minimum). Events are decoded before timing.") var labels: String?

    func run() async throws {
        let m = try ModelFile.read(path: model)
        let runtime = try ScoringRuntime.load(model: m, modelDirectory: modelDir)
        if let labels {
            try labelLayerCost(runtime: runtime, labels: labels)
            return
        }
        _ = runtime
        let reader = try openLines(input)
        var lines: [[UInt8]] = []
        while let l = reader.next() {
            if !l.isEmpty { lines.append(l) }
            if limit > 0 && lines.count >= limit { break }
        }
        let scorer = try PartitionScorer(runtime: runtime)
        let cpu0 = processCPUSeconds()
        let t0 = monotonicNanos()
        var verdicts = 0
        var perRecord: [Double] = []
        let size = max(1, batch)
        for start in stride(from: 0, to: lines.count, by: size) {
            let chunk = lines[start..<min(start + size, lines.count)]
            let s = monotonicNanos()
            withExtendedLifetime(chunk) {
                let out = scorer.judgeBatch(chunk.map { l in
                    l.withUnsafeBytes { PartitionScorer.RecordInput(value: $0, key: nil, headers: [], source: .unknown, emit: true) }
                })
                verdicts += out.count
            }
            perRecord.append(Double(monotonicNanos() - s) / Double(chunk.count))
        }
        let seconds = Double(monotonicNanos() - t0) / 1e9
        let cpu = processCPUSeconds() - cpu0
        let r = BenchResult(name: "scorer alone (decode..alert), 1 core", operations: lines.count, seconds: seconds, latenciesNanos: perRecord)
        print(r.line + String(format: "  cpu %.2f µs/event", cpu / Double(max(1, lines.count)) * 1e6))
        print(String(format: "{\"events\": %d, \"seconds\": %.4f, \"cpu_seconds\": %.4f, \"events_per_s\": %.1f, \"verdicts\": %d, \"peak_rss_mib\": %.1f}",
                     lines.count, seconds, cpu, Double(lines.count) / seconds, verdicts, peakRSSMiB()))
    }

    /// The label layer's cost per event: the second half of the events judged by a scorer without
    /// labels and by one with labels (entity risk, supervised trees, feedback), both warmed on the
    /// first half (where the supervised model is trained); the second half scores with that model,
    /// no retrains (they run on another thread, once per day of event time, timed by `bench detectors`).
    private func labelLayerCost(runtime: ScoringRuntime, labels: String) throws {
        let decoder = runtime.decoder
        let reader = try openLines(input)
        var txs: [Transaction] = []
        while let l = reader.next() {
            if let tx = try? decoder.decode(l) { txs.append(tx) }
            if limit > 0 && txs.count >= limit { break }
        }
        let input = try LabelFileInput.load(labels, delay: .after(86_400_000_000), transactions: txs)
        log(input.summary)
        var withLabels = runtime
        withLabels.labels = input.book
        let half = txs.count / 2
        var results: [(String, Double, Double, PartitionScorer)] = []
        for (name, rt) in [("without labels", runtime), ("with labels", withLabels)] {
            let scorer = try PartitionScorer(runtime: rt)
            for tx in txs[..<half] { _ = scorer.judge(tx, source: .unknown, emit: false) }
            scorer.freezeSupervisedModel(retrainingAsOf: txs[half - 1].timestampMicros)
            if rt.labels != nil, scorer.supervisedRetrains == 0 {
                throw CommandFailure(
                    "no supervised model could be trained on the first half's labels (\(scorer.supervisedRefusal ?? "no retrain ran")): "
                        + "the label layer's cost would leave out the trees; give a longer input, whose first half has at least "
                        + "\(rt.supervised.minimumFrauds) frauds whose labels are visible a day before its end", exitCode: CommandFailure.dataError)
            }
            // CPU time of this (single) thread's work: steadier than wall time on a shared machine.
            let cpu0 = processCPUSeconds()
            let t0 = monotonicNanos()
            for tx in txs[half...] { _ = scorer.judge(tx, source: .unknown, emit: false) }
            let seconds = Double(monotonicNanos() - t0) / 1e9
            results.append((name, seconds, processCPUSeconds() - cpu0, scorer))
        }
        let n = Double(txs.count - half)
        for (name, seconds, cpu, _) in results {
            print(String(format: "%-15@ %8.0f events/s  %.3f µs/event wall, %.3f µs/event CPU", name as NSString, n / seconds, seconds / n * 1e6, cpu / n * 1e6))
        }
        let layer = (results[1].2 - results[0].2) / n * 1e6
        let training = results[1].3.supervisedTraining
        print(String(format: "label layer (entity risk + trees + feedback): %.3f µs/event of CPU beyond the unsupervised pipeline (the model of the first half's %d retrains, trained on %d frauds and %d legitimate rows)",
                     layer, results[1].3.supervisedRetrains, training?.frauds ?? 0, training?.legitimate ?? 0))
        print(String(format: "{\"events\": %d, \"without_labels_cpu_seconds\": %.4f, \"with_labels_cpu_seconds\": %.4f, \"label_layer_cpu_us\": %.4f, \"frauds_trained\": %d, \"legitimate_trained\": %d, \"peak_rss_mib\": %.1f}",
                     txs.count - half, results[0].2, results[1].2, layer, training?.frauds ?? 0, training?.legitimate ?? 0, peakRSSMiB()))
    }
}
