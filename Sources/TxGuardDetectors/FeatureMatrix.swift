/// A dense row-major matrix of feature vectors (one row per event): the training input of every detector.
public struct FeatureMatrix: Sendable, Codable, Equatable {
    /// Number of rows (events).
    public let rowCount: Int
    /// Number of columns (features).
    public let columnCount: Int
    /// Row-major values, `rowCount * columnCount` of them.
    public private(set) var values: [Float]

    /// Wraps flat row-major values; throws when the count does not match the shape.
    public init(rowCount: Int, columnCount: Int, values: [Float]) throws {
        guard rowCount >= 0, columnCount > 0, values.count == rowCount * columnCount else {
            throw DetectorError.shapeMismatch(rows: rowCount, columns: columnCount, valueCount: values.count)
        }
        self.rowCount = rowCount
        self.columnCount = columnCount
        self.values = values
    }

    /// Copies nested rows; throws on ragged input or an empty matrix.
    public init(rows: [[Float]]) throws {
        guard let first = rows.first, !first.isEmpty else { throw DetectorError.notEnoughRows(needed: 1, actual: 0) }
        var flat = [Float]()
        flat.reserveCapacity(rows.count * first.count)
        for (i, row) in rows.enumerated() {
            guard row.count == first.count else {
                throw DetectorError.raggedRow(row: i, expected: first.count, actual: row.count)
            }
            flat.append(contentsOf: row)
        }
        try self.init(rowCount: rows.count, columnCount: first.count, values: flat)
    }

    /// Value at (row, column).
    @inlinable public subscript(row: Int, column: Int) -> Float {
        values[row * columnCount + column]
    }

    /// One row as a copy.
    public func row(_ r: Int) -> [Float] {
        Array(values[(r * columnCount)..<((r + 1) * columnCount)])
    }

    /// Throws `nonFiniteValue` at the first NaN or infinity.
    public func validateFinite() throws {
        for (i, v) in values.enumerated() where !v.isFinite {
            throw DetectorError.nonFiniteValue(row: i / columnCount, column: i % columnCount)
        }
    }

    /// Matrix made of the given rows, in the given order.
    public func selecting(rows indices: [Int]) -> FeatureMatrix {
        var flat = [Float]()
        flat.reserveCapacity(indices.count * columnCount)
        for r in indices { flat.append(contentsOf: values[(r * columnCount)..<((r + 1) * columnCount)]) }
        // Shape is consistent by construction.
        return FeatureMatrix(unchecked: indices.count, columnCount, flat)
    }

    init(unchecked rows: Int, _ columns: Int, _ values: [Float]) {
        self.rowCount = rows
        self.columnCount = columns
        self.values = values
    }

    /// Calls `body` with row `r` as a buffer (no copy).
    @inlinable public func withRow<R>(_ r: Int, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try values.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[(r * columnCount)..<((r + 1) * columnCount)]))
        }
    }

    /// A copy with the bounded columns raised to their floor and lowered to their ceiling (`self`
    /// when no column is bounded).
    func clamped(_ bounds: ScoringModel.DetectorBounds) -> FeatureMatrix {
        if bounds.boundedIndices.isEmpty { return self }
        precondition(bounds.floors.count == columnCount, "one floor and one ceiling per column")
        var copy = self
        for r in 0..<rowCount {
            for j in bounds.boundedIndices { copy.values[r * columnCount + j] = bounds.clamp(values[r * columnCount + j], j) }
        }
        return copy
    }
}
