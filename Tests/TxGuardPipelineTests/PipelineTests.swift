import Foundation
import Testing
import TxGuardContracts
import TxGuardDetectors
import TxGuardPipeline
import TxGuardSimulator

/// Simulated transactions, decoded; the first `train` for training, the rest live.
func simulated(accounts: Int = 300, days: Int = 12, seed: UInt64 = 5) throws -> [Transaction] {
    var cfg = SimulatorConfig()
    cfg.accounts = accounts
    cfg.days = days
    cfg.seed = seed
    let decoder = try JSONTransactionDecoder()
    return try TransactionSimulator(config: cfg).map { tx in
        let line = tx.jsonLine(includeLabels: true)
        return try line.withUnsafeBytes { try decoder.decode(UnsafeRawBufferPointer(rebasing: $0.dropLast()), context: .unknown) }
    }
}

func trainedModel(_ txs: [Transaction], refit: OnlineRefitSettings? = nil) throws -> TxGuardModel {
    var o = TrainingOptions()
    o.text = TextSettings(embedder: .hashed)
    var (m, _) = try ModelTrainer.train(txs, source: "test", options: o)
    m.onlineRefit = refit
    return m
}

@Suite struct ModelFileTests {
    @Test func roundTripAndRefusals() throws {
        let txs = try simulated()
        let m = try trainedModel(Array(txs.prefix(2000)))
        // The defaults bound two features for the forest and the SVM only: the amount from below
        // (`amountFloorQuantile`), the account's event count from above (`historyCeilingQuantile`).
        let names = m.scoring.featureNames
        let bounded = names.indices.filter { m.scoring.detectorFloors?[$0] != -.greatestFiniteMagnitude }
        #expect(bounded.map { names[$0] } == ["amount_log1p", "amount_robust"])
        let capped = names.indices.filter { m.scoring.detectorCeilings?[$0] != .greatestFiniteMagnitude }
        #expect(capped.map { names[$0] } == ["acct_history_log1p"])
        #expect(capped.allSatisfy { m.scoring.detectorCeilings![$0] > 0 })
        let bytes = try ModelFile.encode(m)
        #expect(try ModelFile.decode(bytes) == m)
        #expect(try ModelFile.encode(try ModelFile.decode(bytes)) == bytes, "encoding is deterministic")

        #expect(throws: ModelFileError.self) { try ModelFile.decode(Array(bytes.dropLast(10))) }
        do { _ = try ModelFile.decode(Array(bytes.dropLast(10))) } catch { #expect("\(error)".contains("truncated")) }

        var altered = bytes
        altered[altered.count / 2] ^= 0x20
        do { _ = try ModelFile.decode(altered); Issue.record("altered file accepted") } catch { #expect("\(error)".contains("checksum mismatch")) }

        let header = String(decoding: bytes.prefix { $0 != 10 }, as: UTF8.self)
        let future = Array(header.replacingOccurrences(of: "TXGUARD-MODEL \(TxGuardModel.formatVersion) ",
                                                                 with: "TXGUARD-MODEL \(TxGuardModel.formatVersion + 1) ").utf8) + bytes.drop { $0 != 10 }
        do { _ = try ModelFile.decode(future); Issue.record("incompatible file accepted") } catch {
            #expect("\(error)".contains("format \(TxGuardModel.formatVersion + 1)"))
        }

        do { _ = try ModelFile.decode(Array("{\"hello\": 1}\n".utf8)); Issue.record("non-model accepted") } catch { #expect("\(error)".contains("not a txguard model")) }
        do { _ = try ModelFile.read(path: "/nonexistent/model.txg"); Issue.record("missing file") } catch { #expect("\(error)".contains("txguard train")) }
    }
}

@Suite struct PartitionScorerTests {
    func verdicts(_ s: PartitionScorer, _ txs: ArraySlice<Transaction>) -> [String] {
        txs.map { tx in
            let v = s.judge(tx, source: .unknown, emit: false)
            return "\(tx.transactionID) \(v.score) \(v.isAlert) \(v.threshold)"
        }
    }

    /// A snapshot restored elsewhere continues exactly as the original.
    @Test func snapshotRestoreContinuesIdentically() throws {
        let txs = try simulated()
        let m = try trainedModel(Array(txs.prefix(3000)))
        let runtime = try ScoringRuntime.load(model: m)
        let a = try PartitionScorer(runtime: runtime)
        let live = txs[3000...]
        let mid = live.startIndex + live.count / 2
        _ = verdicts(a, live[..<mid])
        let b = try PartitionScorer(runtime: runtime, restoring: try a.snapshot())
        #expect(verdicts(a, live[mid...]) == verdicts(b, live[mid...]))
        #expect(throws: (any Error).self) { _ = try PartitionScorer(runtime: runtime, restoring: Array("garbage".utf8)) }
    }

    /// The sections of a `TXPS2` snapshot (ScorerSnapshot): magic, the account store's length (u64 LE)
    /// and bytes, the account statistics' length and bytes, then JSON.
    func sections(_ snap: [UInt8]) -> (store: [UInt8], stats: [UInt8], json: [UInt8]) {
        func length(at i: Int) -> Int { (0..<8).reduce(0) { $0 | Int(snap[i + $1]) << (8 * $1) } }
        let storeLength = length(at: 5)
        let statsAt = 13 + storeLength
        let statsLength = length(at: statsAt)
        return (Array(snap[13..<statsAt]), Array(snap[(statsAt + 8)..<(statsAt + 8 + statsLength)]), Array(snap[(statsAt + 8 + statsLength)...]))
    }

    func v2(_ store: [UInt8], _ stats: [UInt8], _ json: [UInt8]) -> [UInt8] {
        func le(_ n: Int) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: UInt64(n) >> (8 * UInt64($0))) } }
        return Array("TXPS2".utf8) + le(store.count) + store + le(stats.count) + stats + json
    }

    /// Snapshots that decode but do not fit the model are refused (the partition is then rebuilt
    /// from the log), never trusted until they trap: a threshold with no method (`{}`, found by
    /// the snapshot fuzzer: it trapped on the first event), account statistics of another width,
    /// and statistics sections whose counts do not fill their bytes.
    @Test func snapshotsThatDoNotFitTheModelAreRefused() throws {
        let txs = try simulated()
        let runtime = try ScoringRuntime.load(model: try trainedModel(Array(txs.prefix(3000))))
        let a = try PartitionScorer(runtime: runtime)
        _ = verdicts(a, txs[3000..<3500])
        let good = try a.snapshot()
        #expect(good.starts(with: Array("TXPS2".utf8)))
        let (store, stats, rest) = sections(good)
        #expect(v2(store, stats, rest) == good)
        func with(_ change: (inout [String: Any]) -> Void) throws -> [UInt8] {
            var json = try #require(try JSONSerialization.jsonObject(with: Data(rest)) as? [String: Any])
            change(&json)
            return v2(store, stats, [UInt8](try JSONSerialization.data(withJSONObject: json)))
        }
        _ = try PartitionScorer(runtime: runtime, restoring: try with { _ in })  // re-encoded unchanged: accepted
        #expect(throws: PipelineError.self) { _ = try PartitionScorer(runtime: runtime, restoring: try with { $0["threshold"] = [String: Any]() }) }
        // Statistics section: entry count u64, width u32, then per entry 20 + 16·width bytes.
        let count = (0..<8).reduce(0) { $0 | Int(stats[$1]) << (8 * $1) }
        let width = (0..<4).reduce(0) { $0 | Int(stats[8 + $1]) << (8 * $1) }
        #expect(count > 0 && width > 0 && stats.count == 12 + count * (20 + 16 * width))
        // One input wider than the model's, consistently laid out: decodes, then refused.
        var wider = stats
        wider[8] = UInt8(width + 1)
        wider += [UInt8](repeating: 0, count: count * 16)
        #expect(throws: PipelineError.self) { _ = try PartitionScorer(runtime: runtime, restoring: v2(store, wider, rest)) }
        // Counts that do not fill the bytes, and a truncated section.
        var more = stats
        more[0] &+= 1
        #expect(throws: PipelineError.self) { _ = try PartitionScorer(runtime: runtime, restoring: v2(store, more, rest)) }
        #expect(throws: PipelineError.self) { _ = try PartitionScorer(runtime: runtime, restoring: v2(store, Array(stats.dropLast(3)), rest)) }
        // The same key twice.
        if count >= 2 {
            var twice = stats
            let size = 20 + 16 * width
            for k in 0..<8 { twice[12 + size + k] = stats[12 + k] }
            #expect(throws: PipelineError.self) { _ = try PartitionScorer(runtime: runtime, restoring: v2(store, twice, rest)) }
        }
    }

    /// The statistics table keeps only the pair of moments its model's baseline reads. A new model
    /// reading the other pair adopts the accounts' feature history with its Z-score history started
    /// again (as if the snapshot held no statistics), not a pair of zeros; restoring such a
    /// snapshot under that model (not adopting) is refused.
    @Test func adoptionAcrossBaselinesKeepsFeaturesAndRestartsZScoreHistory() throws {
        let txs = try simulated()
        let train = Array(txs.prefix(3000))
        let a = try PartitionScorer(runtime: ScoringRuntime.load(model: try trainedModel(train)))
        var o = TrainingOptions()
        o.text = TextSettings(embedder: .hashed)
        o.zScoreBaseline = .cumulative
        let cumulative = try ScoringRuntime.load(model: try ModelTrainer.train(train, source: "test", options: o).0)
        let live = txs[3000...]
        let mid = live.startIndex + live.count / 2
        _ = verdicts(a, live[..<mid])
        let snap = try a.snapshot()
        #expect(throws: PipelineError.self) { _ = try PartitionScorer(runtime: cumulative, restoring: snap) }

        let (store, _, rest) = sections(snap)
        let noStatistics = v2(store, [UInt8](repeating: 0, count: 12), rest)  // no entries, width 0
        let adopted = verdicts(try PartitionScorer(runtime: cumulative, adoptingAccountsFrom: snap), live[mid...])
        #expect(adopted == verdicts(try PartitionScorer(runtime: cumulative, adoptingAccountsFrom: noStatistics), live[mid...]))
        #expect(adopted != verdicts(try PartitionScorer(runtime: cumulative), live[mid...]), "the accounts' feature history was kept")
        // The same model adopts its own statistics.
        let same = try ScoringRuntime.load(model: try trainedModel(train))
        #expect(verdicts(try PartitionScorer(runtime: same, adoptingAccountsFrom: snap), live[mid...])
                != verdicts(try PartitionScorer(runtime: same, adoptingAccountsFrom: noStatistics), live[mid...]))
    }

    /// A `TXPS1` snapshot (statistics inside the JSON, as written before the binary section) is
    /// still restored, and continues exactly as the `TXPS2` one of the same state.
    @Test func previousSnapshotFormatIsStillRead() throws {
        let txs = try simulated()
        let runtime = try ScoringRuntime.load(model: try trainedModel(Array(txs.prefix(3000))))
        let a = try PartitionScorer(runtime: runtime)
        let live = txs[3000...]
        let mid = live.startIndex + live.count / 2
        _ = verdicts(a, live[..<mid])
        let snap = try a.snapshot()
        let (store, stats, rest) = sections(snap)
        // The statistics as JSONEncoder wrote them in TXPS1: a dictionary keyed by UInt64 is an
        // array [key, entry, key, entry, ...].
        func u(_ b: [UInt8], _ at: Int, _ n: Int) -> UInt64 { (0..<n).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * UInt64($1)) } }
        let count = Int(u(stats, 0, 8)), width = Int(u(stats, 8, 4))
        var list: [Any] = []
        var at = 12
        for _ in 0..<count {
            let key = u(stats, at, 8), seen = Int64(bitPattern: u(stats, at + 8, 8)), n = u(stats, at + 16, 4)
            at += 20
            var arrays: [[Double]] = []
            for _ in 0..<4 {
                arrays.append((0..<width).map { Double(Float(bitPattern: UInt32(u(stats, at + 4 * $0, 4)))) })
                at += 4 * width
            }
            list.append(key)
            list.append(["lastSeenMillis": seen, "stats": ["count": n, "mean": arrays[0], "m2": arrays[1], "ewMean": arrays[2], "ewVariance": arrays[3]]] as [String: Any])
        }
        var json = try #require(try JSONSerialization.jsonObject(with: Data(rest)) as? [String: Any])
        json["stats"] = list
        func le(_ n: Int) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: UInt64(n) >> (8 * UInt64($0))) } }
        let v1 = Array("TXPS1".utf8) + le(store.count) + store + [UInt8](try JSONSerialization.data(withJSONObject: json))
        let fromV1 = try PartitionScorer(runtime: runtime, restoring: v1)
        let fromV2 = try PartitionScorer(runtime: runtime, restoring: snap)
        #expect(verdicts(fromV1, live[mid...]) == verdicts(fromV2, live[mid...]))
        #expect(verdicts(a, live[mid...]) == verdicts(try PartitionScorer(runtime: runtime, restoring: snap), live[mid...]))
        // TXPS1 without statistics is refused.
        json["stats"] = nil
        let none = Array("TXPS1".utf8) + le(store.count) + store + [UInt8](try JSONSerialization.data(withJSONObject: json))
        #expect(throws: PipelineError.self) { _ = try PartitionScorer(runtime: runtime, restoring: none) }
    }

    /// Online refit happens on schedule, is deterministic (also across a snapshot taken while a refit
    /// is pending), changes the model version, and never learns alerted events.
    @Test func onlineRefitIsDeterministicAndSkipsAlerts() throws {
        let txs = try simulated(accounts: 300, days: 16)
        let settings = OnlineRefitSettings(every: 600, reservoirSize: 400, swapAfter: 80)
        let m = try trainedModel(Array(txs.prefix(3000)), refit: settings)
        let runtime = try ScoringRuntime.load(model: m)
        let live = txs[3000...]
        #expect(live.count > 3000)
        let a = try PartitionScorer(runtime: runtime), b = try PartitionScorer(runtime: runtime)
        let va = verdicts(a, live), vb = verdicts(b, live)
        #expect(va == vb)
        #expect(a.refitCount >= 2)
        #expect(a.modelVersion == "\(m.modelVersion)/r\(a.refitCount)")
        let alerts = va.filter { $0.split(separator: " ")[2] == "true" }.count
        #expect(alerts > 0)
        #expect(a.refitObservedEvents == live.count - alerts, "only non-alerted events are learned")

        // Without refits the scores differ after the first swap.
        var frozen = m
        frozen.onlineRefit = OnlineRefitSettings(every: 0)
        let f = try PartitionScorer(runtime: try ScoringRuntime.load(model: frozen))
        #expect(verdicts(f, live) != va)

        // Snapshot while a refit is pending (600 + 40 non-alerted events in), restore, continue.
        let c = try PartitionScorer(runtime: runtime)
        var i = live.startIndex
        while c.refitObservedEvents < settings.every + 40 { _ = c.judge(live[i], source: .unknown, emit: false); i += 1 }
        let d = try PartitionScorer(runtime: runtime, restoring: try c.snapshot())
        #expect(verdicts(c, live[i...]) == verdicts(d, live[i...]))
        #expect(c.refitCount == a.refitCount && d.refitCount == a.refitCount)
    }
}
