import COpenBLAS
import Foundation

/// The few OpenBLAS entry points the encoder uses, so the C API stays in one file.
public enum BLAS {
    /// Sets the number of threads OpenBLAS uses for every later call (process-wide), over the pinned
    /// count (benchmarks that compare thread counts).
    public static func setThreadCount(_ n: Int) {
        _ = pinned  // pinned first, so that this explicit count is not undone by the first product
        openblas_set_num_threads(Int32(max(1, n)))
    }

    /// Threads OpenBLAS currently uses.
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The variable that sets how many threads txguard's OpenBLAS calls use.
    public static let threadsVariable = "TXGUARD_BLAS_THREADS"

    /// The thread count `environment` asks for: `TXGUARD_BLAS_THREADS` (1...256), 1 when unset.
    /// OpenBLAS splits a product's sums by thread, so the count changes the last bits of every
    /// MiniLM embedding and of the text PCA, and through them scores and alerts (on a 30,000-event
    /// backtest, one thread against two moved a quarter of the alerts). A fixed default keeps the
    /// same model and events giving the same decisions on machines with any number of cores;
    /// OpenBLAS's own default (every core, `OPENBLAS_NUM_THREADS`) would not.
    public static func threadCount(environment: [String: String]) throws(EmbeddingError) -> Int {
        guard let raw = environment[threadsVariable] else { return 1 }
        guard let n = Int(raw.trimmingCharacters(in: .whitespaces)), (1...256).contains(n) else {
            // The value is not echoed, as for every TXGUARD_* variable (it could be a secret set in the wrong one).
            throw EmbeddingError.invalidConfiguration(reason: "\(threadsVariable) must be a whole number of threads in 1...256")
        }
        return n
    }

    /// This process's `threadCount(environment:)`, set on OpenBLAS the first time it is read (1
    /// when the variable is invalid; the command line refuses to start then, from this same
    /// result). Every OpenBLAS entry point (the products below, `SymmetricEigen`) reads it first.
    public static let pinned: Result<Int, EmbeddingError> = {
        let n = Result { () throws(EmbeddingError) in try threadCount(environment: ProcessInfo.processInfo.environment) }
        openblas_set_num_threads(Int32((try? n.get()) ?? 1))
        return n
    }()

    /// `C[m×n] = alpha · A[m×k] · B[n×k]ᵀ + beta · C`, row-major (B is an `nn.Linear` weight `[out, in]`).
    @inline(__always)
    static func gemmTransposedB(m: Int, n: Int, k: Int, alpha: Float = 1,
                                a: UnsafePointer<Float>, lda: Int,
                                b: UnsafePointer<Float>, ldb: Int,
                                beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        _ = pinned
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// `C[m×n] = alpha · A[m×k] · B[k×n] + beta · C`, row-major.
    @inline(__always)
    static func gemm(m: Int, n: Int, k: Int, alpha: Float = 1,
                     a: UnsafePointer<Float>, lda: Int,
                     b: UnsafePointer<Float>, ldb: Int,
                     beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        _ = pinned
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Public sgemm on row-major arrays, for benchmarks: `C = A[m×k] · B[k×n]`.
    public static func multiply(_ a: [Float], _ b: [Float], into c: inout [Float], m: Int, n: Int, k: Int) {
        precondition(a.count >= m * k && b.count >= k * n && c.count >= m * n, "matrix sizes")
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    // Safe: the buffers are non-empty (checked above) unless m, n or k is 0.
                    guard let a = pa.baseAddress, let b = pb.baseAddress, let c = pc.baseAddress else { return }
                    gemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: c, ldc: n)
                }
            }
        }
    }
}
