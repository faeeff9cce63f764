// libFuzzer target for the label.v1 decoder (`LabelDecoder`), compiled together with the sources
// of TxGuardContracts by scripts/fuzz.sh label. Checked on every input: no crash, no
// out-of-bounds access (ASan), a rejection has a message and carries its source, and an accepted
// label has a transaction id, and its canonical encoding decodes back to the same label.

#if canImport(Glibc)
import Glibc
#endif

let labelDecoder = LabelDecoder()

func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition {
        print("fuzz invariant violated: \(what())")
        abort()
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func labelFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    let label: Label
    do {
        label = try labelDecoder.decode(raw, context: SourceContext(topic: "fuzz", partition: 0, offset: 1))
    } catch {
        check(!error.message.isEmpty, "empty message for \(error.code)")
        check(error.source.topic == "fuzz", "source not attached")
        return 0
    }
    check(!label.transactionID.isEmpty, "accepted a label without a transaction id")
    let encoded = label.encoded()
    do {
        let back = try labelDecoder.decode(encoded)
        check(back == label, "round trip changed the label: \(String(decoding: encoded, as: UTF8.self))")
    } catch {
        check(false, "canonical encoding rejected: \(error) \(String(decoding: encoded, as: UTF8.self))")
    }
    return 0
}
