// libFuzzer target for the partition-state snapshot reader (`ScorerSnapshot.decode` and
// `PartitionScorer(runtime:restoring:)`), compiled with the sources of TxGuardPipeline (and its
// dependencies as modules) by scripts/fuzz.sh snapshot. The runtime comes from the committed seed
// model fuzz/corpus/model/small.txg. A snapshot that restores must then score a transaction and
// snapshot again without trapping. Checked: no crash, no out-of-bounds access (ASan), refusals
// are thrown errors. With TXGUARD_FUZZ_WRITE_SEED=PATH the target first writes a valid snapshot
// (after 200 transactions) to PATH, to seed fuzz/corpus/snapshot/.

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TxGuardContracts

let sampleDecoder = try! JSONTransactionDecoder()

func transaction(_ i: Int) -> Transaction {
    let json = """
    {"transaction_id":"t\(i)","account_id":"a\(i % 17)","timestamp":\(1_790_000_000_000 + i * 61_000),"amount":"\(10 + (i * 37) % 400).\(i % 100 < 10 ? "0" : "")\(i % 100)","currency":"EUR","merchant_name":"Shop \(i % 23)","merchant_category":"\(5411 + i % 5)","country":"\(["DE", "FR", "NL"][i % 3])","channel":"\(["pos", "ecom"][i % 2])","device_id":"d\(i % 9)"}
    """
    return try! sampleDecoder.decode(Array(json.utf8), context: .unknown)
}

let runtime: ScoringRuntime = {
    guard let data = FileManager.default.contents(atPath: "fuzz/corpus/model/small.txg") else {
        print("snapshot fuzz: run from the repository root (fuzz/corpus/model/small.txg is the model)")
        exit(2)
    }
    let model = try! ModelFile.decode([UInt8](data), path: "small.txg")
    let rt = try! ScoringRuntime.load(model: model)
    if let out = ProcessInfo.processInfo.environment["TXGUARD_FUZZ_WRITE_SEED"] {
        let scorer = try! PartitionScorer(runtime: rt)
        for i in 0..<200 { _ = scorer.judge(transaction(i), source: SourceContext(topic: "fuzz", partition: 0, offset: Int64(i))) }
        try! Data(try! scorer.snapshot()).write(to: URL(fileURLWithPath: out))
    }
    return rt
}()

let probe = transaction(1000)

@_cdecl("LLVMFuzzerTestOneInput")
public func snapshotFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    _ = try? ScorerSnapshot.decode(bytes)
    guard let scorer = try? PartitionScorer(runtime: runtime, restoring: bytes) else { return 0 }
    _ = scorer.judge(probe, source: SourceContext(topic: "fuzz", partition: 0, offset: 1))
    _ = try? scorer.snapshot()
    return 0
}
