// libFuzzer target for the safetensors reader (`SafetensorsFile`), compiled together with the
// sources of TxGuardEmbeddings by scripts/fuzz.sh safetensors. Each input is written to a file
// (the reader maps files) and opened; every tensor the header declares is then read as floats.
// Checked: no crash, no out-of-bounds access (ASan), a refusal is an EmbeddingError, and every
// declared tensor lies inside the data section.

#if canImport(Glibc)
import Glibc
#endif
import Foundation

let fuzzPath: String = {
    let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return "\(dir)/txguard-safetensors-fuzz-\(getpid()).safetensors"
}()

func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition {
        print("fuzz invariant violated: \(what())")
        abort()
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func safetensorsFuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let fd = open(fuzzPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { return 0 }
    if size > 0, let data { _ = write(fd, data, size) }
    close(fd)
    let file: SafetensorsFile
    do { file = try SafetensorsFile(path: fuzzPath) } catch {
        check(error is EmbeddingError, "unexpected error type \(error)")
        return 0
    }
    for (name, info) in file.tensors.sorted(by: { $0.key < $1.key }) {
        check(info.dataRange.lowerBound >= 0 && info.dataRange.upperBound <= size, "tensor \(name) \(info.dataRange) outside the \(size)-byte file")
        do {
            let values = try file.floats(name)
            check(values.count == info.shape.reduce(1, *), "tensor \(name): \(values.count) values for shape \(info.shape)")
        } catch {
            check(error is EmbeddingError, "unexpected error type \(error)")
        }
    }
    return 0
}
