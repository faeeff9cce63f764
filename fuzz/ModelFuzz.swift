// libFuzzer target for the model-file loader (`ModelFile.decode`, then `ScoringRuntime.load`),
// compiled with the sources of TxGuardPipeline (and its dependencies as modules) by
// scripts/fuzz.sh model. Each input is read twice: as it is (header, length and checksum checks),
// and with its header rewritten to match its body, so the mutations reach the JSON decoding and
// the model's own consistency checks instead of stopping at the checksum. A model that loads is
// then asked to score one transaction. Checked: no crash, no out-of-bounds access (ASan), every
// refusal is a ModelFileError or a thrown error, never a trap.

#if canImport(Glibc)
import Glibc
#endif
import TxGuardContracts

let sample: Transaction? = try? JSONTransactionDecoder().decode(Array("""
{"transaction_id":"t1","account_id":"a1","timestamp":"2026-11-01T12:00:00Z","amount":"12.34","currency":"EUR","merchant_name":"Cafe","merchant_category":"5812","country":"DE","channel":"pos"}
""".utf8), context: .unknown)

func exercise(_ bytes: [UInt8]) {
    let model: TxGuardModel
    do { model = try ModelFile.decode(bytes, path: "fuzz") } catch { return }
    // The text model files are not present: a model that needs MiniLM is refused here.
    guard let runtime = try? ScoringRuntime.load(model: model), let scorer = try? PartitionScorer(runtime: runtime), let sample else { return }
    _ = scorer.judge(sample, source: SourceContext(topic: "fuzz", partition: 0, offset: 1))
}

@_cdecl("LLVMFuzzerTestOneInput")
public func modelFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    exercise(bytes)
    // The same body behind a header that matches it.
    let body = bytes.firstIndex(of: 10).map { Array(bytes[($0 + 1)...]) } ?? bytes
    let header = "\(ModelFile.magic) \(TxGuardModel.formatVersion) \(String(ModelFile.checksum(body), radix: 16)) \(body.count)\n"
    exercise(Array(header.utf8) + body)
    return 0
}
