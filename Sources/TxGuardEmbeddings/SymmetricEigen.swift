import COpenBLAS

/// Eigen-decomposition of a real symmetric matrix through LAPACK `dsyev` (shipped inside OpenBLAS).
public enum SymmetricEigen {
    /// Eigenvalues in descending order and the matching unit eigenvectors (`vectors[i]` belongs to
    /// `values[i]`) of the row-major `n × n` symmetric matrix.
    public static func decompose(_ matrix: [Double], n: Int) throws -> (values: [Double], vectors: [[Double]]) {
        guard n > 0, matrix.count == n * n else {
            throw EmbeddingError.invalidConfiguration(reason: "eigen-decomposition of \(matrix.count) values as \(n)×\(n)")
        }
        _ = BLAS.pinned
        var a = matrix  // symmetric, so row-major equals the column-major LAPACK expects
        var w = [Double](repeating: 0, count: n)
        var nn = Int32(n), lda = Int32(n), info: Int32 = 0
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "U"))
        var lwork: Int32 = -1
        var query = [Double](repeating: 0, count: 1)
        dsyev_(&jobz, &uplo, &nn, &a, &lda, &w, &query, &lwork, &info, 1, 1)
        lwork = Int32(max(1, Int(query[0])))
        var work = [Double](repeating: 0, count: Int(lwork))
        dsyev_(&jobz, &uplo, &nn, &a, &lda, &w, &work, &lwork, &info, 1, 1)
        guard info == 0 else {
            throw EmbeddingError.invalidConfiguration(reason: "LAPACK dsyev failed with info \(info)")
        }
        // Column j of the column-major result (= row j of `a` read row-major) is the eigenvector of w[j].
        var values: [Double] = []
        var vectors: [[Double]] = []
        for j in stride(from: n - 1, through: 0, by: -1) {
            values.append(w[j])
            vectors.append(Array(a[(j * n)..<((j + 1) * n)]))
        }
        return (values, vectors)
    }
}
