import Dispatch
import Foundation
import Testing
import TxGuardContracts
import TxGuardDetectors
import TxGuardPipeline
import TxGuardSimulator

/// "A decision is a function of the partition's event sequence": whatever the batch boundaries,
/// the interleaving of partitions that share one runtime (and its text cache), the order in which
/// texts first reach the cache, and snapshot round trips at arbitrary points, every event's score,
/// threshold and decision equal those of a one-by-one pass over the same partition (what
/// `backtest` does), bit for bit.
@Suite(.serialized) struct DeterminismTests {
    /// Simulated events as raw JSON lines (with their decoded form), keyed into `partitions`
    /// partitions by account like a Kafka producer would.
    struct Stream {
        var lines: [[UInt8]]
        var transactions: [Transaction]
        var partitionOf: [Int]
    }

    static func stream(accounts: Int, days: Int, seed: UInt64, partitions: Int) throws -> Stream {
        var cfg = SimulatorConfig()
        cfg.accounts = accounts
        cfg.days = days
        cfg.seed = seed
        let decoder = try JSONTransactionDecoder()
        var lines: [[UInt8]] = [], txs: [Transaction] = [], parts: [Int] = []
        for tx in try TransactionSimulator(config: cfg) {
            let line = Array(tx.jsonLine(includeLabels: false).dropLast())
            let decoded = try line.withUnsafeBytes { try decoder.decode($0, context: .unknown) }
            lines.append(line)
            txs.append(decoded)
            parts.append(Int(FNV1a64.hash(decoded.accountID.utf8) % UInt64(partitions)))
        }
        return Stream(lines: lines, transactions: txs, partitionOf: parts)
    }

    /// One event's outcome, exactly (scores and thresholds by their bits).
    struct Outcome: Equatable, CustomStringConvertible {
        var id: String
        var score: UInt64
        var threshold: UInt64
        var kind: Verdict.Kind
        init(_ v: Verdict) {
            id = v.transaction?.transactionID ?? "dead-letter"
            score = v.score.bitPattern
            threshold = v.threshold.bitPattern
            kind = v.kind
        }
        var description: String { "\(id) \(Double(bitPattern: score)) \(kind) \(Double(bitPattern: threshold))" }
    }

    /// The reference: each partition's events one by one through its own scorer, on a runtime of
    /// its own (a cold text cache), as `backtest` judges a file.
    static func reference(_ model: TxGuardModel, _ s: Stream, live: Range<Int>, partitions: Int) throws -> [[Outcome]] {
        try (0..<partitions).map { p in
            let scorer = try PartitionScorer(runtime: try ScoringRuntime.load(model: model))
            return live.filter { s.partitionOf[$0] == p }.map { i in
                Outcome(scorer.judge(s.transactions[i], source: SourceContext(topic: "tx", partition: Int32(p), offset: Int64(i))))
            }
        }
    }

    /// The live shape: one shared runtime, every partition's records in random batches (1 up to
    /// `maxBatch`), partitions judged concurrently in rounds, and now and then a partition's scorer
    /// replaced by one restored from its snapshot (a restart or a rebalance).
    static func live(_ model: TxGuardModel, _ s: Stream, live: Range<Int>, partitions: Int, maxBatch: Int, seed: UInt64) throws -> [[Outcome]] {
        let runtime = try ScoringRuntime.load(model: model)
        let indices = (0..<partitions).map { p in live.filter { s.partitionOf[$0] == p } }
        let lanes = try (0..<partitions).map { _ in Lane(try PartitionScorer(runtime: runtime)) }
        var rng = SeededGenerator(seed: seed)
        var position = [Int](repeating: 0, count: partitions)
        var restores = 0
        while zip(position, indices).contains(where: { $0 < $1.count }) {
            // This round's batch per partition (empty for partitions that sit this round out).
            var plan = [Range<Int>](repeating: 0..<0, count: partitions)
            for p in 0..<partitions where position[p] < indices[p].count && rng.nextUnit() < 0.8 {
                let size = 1 + Int(rng.next() % UInt64(maxBatch))
                plan[p] = position[p]..<min(position[p] + size, indices[p].count)
                position[p] = plan[p].upperBound
            }
            let roundPlan = plan
            DispatchQueue.concurrentPerform(iterations: partitions) { p in
                let chosen = roundPlan[p].map { indices[p][$0] }
                guard !chosen.isEmpty else { return }
                // The records' bytes live in `s.lines` for the whole call.
                let verdicts = withRawBuffers(chosen.map { s.lines[$0] }) { buffers in
                    lanes[p].scorer.judgeBatch(zip(chosen, buffers).map { i, b in
                        PartitionScorer.RecordInput(value: b, key: nil, headers: [],
                                                    source: SourceContext(topic: "tx", partition: Int32(p), offset: Int64(i)), emit: true)
                    })
                }
                lanes[p].outcomes += verdicts.map(Outcome.init)
            }
            for p in 0..<partitions where rng.nextUnit() < 0.03 {
                lanes[p].scorer = try PartitionScorer(runtime: runtime, restoring: try lanes[p].scorer.snapshot())
                restores += 1
            }
        }
        #expect(restores > 0, "the run includes snapshot round trips")
        return lanes.map(\.outcomes)
    }

    static func check(_ model: TxGuardModel, _ s: Stream, live: Range<Int>, partitions: Int, batchings: [(Int, UInt64)]) throws {
        let expected = try reference(model, s, live: live, partitions: partitions)
        #expect(expected.reduce(0) { $0 + $1.filter { $0.kind == .alert }.count } > 0, "the stream has alerts to agree on")
        for (maxBatch, seed) in batchings {
            let got = try Self.live(model, s, live: live, partitions: partitions, maxBatch: maxBatch, seed: seed)
            for p in 0..<partitions {
                let firstDifference = zip(expected[p], got[p]).enumerated().first { $0.element.0 != $0.element.1 }?.offset
                #expect(got[p].count == expected[p].count && firstDifference == nil,
                        "partition \(p), batches up to \(maxBatch): first difference at \(firstDifference.map { "event \($0): \(expected[p][$0]) vs \(got[p][$0])" } ?? "-")")
            }
        }
    }

    static func trainAndCheck(_ embedder: TextSettings.Embedder, accounts: Int, days: Int, seed: UInt64, partitions: Int,
                              batchings: [(Int, UInt64)]) throws {
        let s = try Self.stream(accounts: accounts, days: days, seed: seed, partitions: partitions)
        let train = s.transactions.count / 3
        var o = TrainingOptions()
        o.text = TextSettings(embedder: embedder)
        let (m, _) = try ModelTrainer.train(Array(s.transactions[..<train]), source: "test", options: o)
        try Self.check(m, s, live: train..<s.transactions.count, partitions: partitions, batchings: batchings)
    }

    /// The model version names the fit: the same events and options give the same version (and
    /// the same model); another text encoder or other ensemble weights give another.
    @Test func modelVersionNamesTheFitNotOnlyTheEvents() throws {
        let s = try Self.stream(accounts: 150, days: 6, seed: 29, partitions: 1)
        let events = Array(s.transactions[..<(s.transactions.count / 2)])
        func version(_ change: (inout TrainingOptions) -> Void) throws -> String {
            var o = TrainingOptions()
            o.text = TextSettings(embedder: .hashed)
            change(&o)
            return try ModelTrainer.train(events, source: "test", options: o).model.modelVersion
        }
        let base = try version { _ in }
        #expect(try version { _ in } == base)
        #expect(try version { $0.ensembleWeights = [0.5, 0.5, 1] } != base)
        #expect(try version { $0.text = TextSettings(embedder: .minilm) } != base)
    }

    @Test func hashedTextDecisionsIgnoreBatchingInterleavingAndRestores() throws {
        try Self.trainAndCheck(.hashed, accounts: 400, days: 12, seed: 17, partitions: 3, batchings: [(1, 1), (7, 2), (300, 3)])
    }

    /// The pretrained text model, whose vectors reach the features through a cache shared by all
    /// partitions and filled in whatever order batches arrive.
    @Test func miniLMDecisionsIgnoreBatchingInterleavingAndRestores() throws {
        // Two batchings (MiniLM in a debug build is the slow part): one record at a time, and up to 300.
        try Self.trainAndCheck(.minilm, accounts: 180, days: 9, seed: 23, partitions: 4, batchings: [(1, 1), (300, 3)])
    }
}

/// One partition of the live-shaped run: its scorer and what it decided.
final class Lane: @unchecked Sendable {
    // Sendable: a `concurrentPerform` iteration touches only its own lane; restores happen between rounds.
    var scorer: PartitionScorer
    var outcomes: [DeterminismTests.Outcome] = []
    init(_ scorer: PartitionScorer) { self.scorer = scorer }
}

/// Calls `body` with raw views of `arrays`, valid for the duration of the call.
func withRawBuffers<R>(_ arrays: [[UInt8]], _ body: ([UnsafeRawBufferPointer]) -> R) -> R {
    let copies = arrays.map { a -> UnsafeMutableRawBufferPointer in
        let p = UnsafeMutableRawBufferPointer.allocate(byteCount: max(a.count, 1), alignment: 1)
        a.withUnsafeBytes { p.copyMemory(from: $0) }
        return p
    }
    defer { copies.forEach { $0.deallocate() } }
    return body(zip(copies, arrays).map { UnsafeRawBufferPointer(rebasing: $0[0..<$1.count]) })
}
