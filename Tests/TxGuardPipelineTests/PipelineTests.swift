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

    /// Snapshots that decode but do not fit the model are refused (the partition is then rebuilt
    /// from the log), never trusted until they trap: a threshold with no method (`{}`, found by
    /// the snapshot fuzzer: it trapped on the first event) and account statistics of another width.
    @Test func snapshotsThatDoNotFitTheModelAreRefused() throws {
        let txs = try simulated()
        let runtime = try ScoringRuntime.load(model: try trainedModel(Array(txs.prefix(3000))))
        let a = try PartitionScorer(runtime: runtime)
        _ = verdicts(a, txs[3000..<3500])
        let good = try a.snapshot()
        // The layout (ScorerSnapshot): "TXPS1", the account store's length (u64 LE), the store, JSON.
        let storeLength = (0..<8).reduce(0) { $0 | Int(good[5 + $1]) << (8 * $1) }
        let head = Array(good[..<(13 + storeLength)]), rest = Array(good[(13 + storeLength)...])
        func with(_ change: (inout [String: Any]) -> Void) throws -> [UInt8] {
            var json = try #require(try JSONSerialization.jsonObject(with: Data(rest)) as? [String: Any])
            change(&json)
            return head + [UInt8](try JSONSerialization.data(withJSONObject: json))
        }
        _ = try PartitionScorer(runtime: runtime, restoring: try with { _ in })  // re-encoded unchanged: accepted
        #expect(throws: PipelineError.self) { _ = try PartitionScorer(runtime: runtime, restoring: try with { $0["threshold"] = [String: Any]() }) }
        // `stats` is a dictionary keyed by UInt64, which JSONEncoder writes as [key, entry, key, entry, ...].
        var widened = false
        let wider = try with { json in
            guard var stats = json["stats"] as? [Any], stats.count >= 2, var entry = stats[1] as? [String: Any],
                  var st = entry["stats"] as? [String: Any], var mean = st["mean"] as? [Any] else { return }
            mean.append(0.5)
            st["mean"] = mean; entry["stats"] = st; stats[1] = entry; json["stats"] = stats
            widened = true
        }
        #expect(widened, "the account statistics were not found in the snapshot")
        #expect(throws: PipelineError.self) { _ = try PartitionScorer(runtime: runtime, restoring: wider) }
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
