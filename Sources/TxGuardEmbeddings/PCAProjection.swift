/// Principal component projection of text embeddings to a few dimensions, fitted at training time:
/// sample covariance (n − 1 denominator) and its eigenvectors by LAPACK, components ordered by
/// explained variance, each signed so its largest-magnitude entry is positive (deterministic).
public struct PCAProjection: Codable, Sendable, Equatable {
    /// Training mean, subtracted before projecting.
    public var mean: [Float]
    /// `outputDimension` rows of `inputDimension` values.
    public var components: [[Float]]
    /// Variance along each component (the covariance eigenvalues).
    public var explainedVariance: [Double]

    /// Width of the vectors projected.
    public var inputDimension: Int { mean.count }
    /// Number of components kept.
    public var outputDimension: Int { components.count }

    /// Creates a projection from fitted parameters.
    public init(mean: [Float], components: [[Float]], explainedVariance: [Double]) {
        self.mean = mean
        self.components = components
        self.explainedVariance = explainedVariance
    }

    /// Fits `componentCount` components on `samples` (all of one width, at least two), fewer when the
    /// samples span fewer directions (at least one).
    public static func fit(_ samples: [[Float]], componentCount: Int) throws -> PCAProjection {
        guard let d = samples.first?.count, d > 0, samples.count >= 2, samples.allSatisfy({ $0.count == d }) else {
            throw EmbeddingError.invalidConfiguration(reason: "PCA needs at least two samples of one non-zero width")
        }
        guard componentCount >= 1, componentCount <= d else {
            throw EmbeddingError.invalidConfiguration(reason: "PCA component count \(componentCount) outside 1...\(d)")
        }
        let n = samples.count
        var mean = [Double](repeating: 0, count: d)
        for s in samples { for j in 0..<d { mean[j] += Double(s[j]) } }
        for j in 0..<d { mean[j] /= Double(n) }
        var covariance = [Double](repeating: 0, count: d * d)
        var centered = [Double](repeating: 0, count: d)
        for s in samples {
            for j in 0..<d { centered[j] = Double(s[j]) - mean[j] }
            for i in 0..<d {
                let ci = centered[i]
                if ci == 0 { continue }
                for j in i..<d { covariance[i * d + j] += ci * centered[j] }
            }
        }
        for i in 0..<d {
            for j in i..<d {
                let v = covariance[i * d + j] / Double(n - 1)
                covariance[i * d + j] = v
                covariance[j * d + i] = v
            }
        }
        let (values, vectors) = try SymmetricEigen.decompose(covariance, n: d)
        // Only directions the samples actually span: a component with no variance (fewer distinct
        // texts than components) would be a constant, or, for unseen texts, noise from a direction no
        // training text varies along. At least one is kept.
        let spanned = values.prefix(componentCount).filter { $0 > 1e-9 * max(values.first ?? 0, .leastNormalMagnitude) }.count
        var components: [[Float]] = []
        for k in 0..<max(1, spanned) {
            var v = vectors[k]
            let pivot = v.indices.max { abs(v[$0]) < abs(v[$1]) } ?? 0
            if v[pivot] < 0 { v = v.map { -$0 } }
            components.append(v.map { Float($0) })
        }
        return PCAProjection(mean: mean.map { Float($0) }, components: components,
                             explainedVariance: Array(values[0..<components.count]))
    }

    /// Writes the projection of `vector` (width `inputDimension`) into `out` (width `outputDimension`).
    @inline(__always)
    public func project(_ vector: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        for (k, component) in components.enumerated() {
            var s: Float = 0
            for j in 0..<min(vector.count, mean.count) { s += (vector[j] - mean[j]) * component[j] }
            out[k] = s
        }
    }

    /// The projection of `vector`.
    public func project(_ vector: [Float]) -> [Float] {
        var out = [Float](repeating: 0, count: outputDimension)
        vector.withUnsafeBufferPointer { v in out.withUnsafeMutableBufferPointer { project(v, into: $0) } }
        return out
    }
}
