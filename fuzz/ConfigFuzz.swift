// libFuzzer target for the `txguard run --config` file parser (`RunSettingsFile.parse`), compiled
// with Sources/txguard/RunSettingsFile.swift and Yams by scripts/fuzz.sh config. Every input is
// parsed as JSON and as YAML. Checked: no crash, no out-of-bounds access (ASan), no hang; a
// refusal has a message, and the message never quotes a kafka_property value (a secret) that
// the same bytes would carry: the canary "Fz-Canary" is never echoed.

#if canImport(Glibc)
import Glibc
#endif

func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition {
        print("fuzz invariant violated: \(what())")
        abort()
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func configFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = [UInt8](UnsafeBufferPointer(start: data, count: size))
    for yaml in [false, true] {
        do {
            let file = try RunSettingsFile.parse(bytes, yaml: yaml)
            _ = file.kafkaProperties
        } catch {
            check(!error.message.isEmpty, "empty message")
            // Keys may be quoted (an unknown key), values never: the corpus puts the canary only in values.
            if !error.message.hasPrefix("unknown key") && !error.message.hasPrefix("key ") && !error.message.contains("duplicated keys") {
                check(!error.message.contains("Fz-Canary"), "a value was quoted: \(error.message)")
            }
        }
    }
    return 0
}
