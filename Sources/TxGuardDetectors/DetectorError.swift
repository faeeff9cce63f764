/// Why fitting, loading or configuring a detector failed; every case carries the offending values.
public enum DetectorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A matrix row had a different length than the first row.
    case raggedRow(row: Int, expected: Int, actual: Int)
    /// The flat value count does not equal rows × columns.
    case shapeMismatch(rows: Int, columns: Int, valueCount: Int)
    /// Too few rows to fit (the detector needs `minimum`).
    case notEnoughRows(needed: Int, actual: Int)
    /// A feature vector had the wrong dimension.
    case dimensionMismatch(expected: Int, actual: Int)
    /// A non-finite value in training data at (row, column).
    case nonFiniteValue(row: Int, column: Int)
    /// A configuration value outside its valid range.
    case invalidParameter(name: String, value: Double)
    /// Feature names count differs from the matrix column count.
    case featureNameCount(expected: Int, actual: Int)
    /// A feature name that is not among the model's features.
    case unknownFeature(String)
    /// A deserialized model is internally inconsistent.
    case corruptModel(String)

    public var description: String {
        switch self {
        case let .raggedRow(row, expected, actual):
            return "row \(row) has \(actual) values, expected \(expected)"
        case let .shapeMismatch(rows, columns, count):
            return "\(count) values do not form a \(rows)×\(columns) matrix"
        case let .notEnoughRows(needed, actual):
            return "need at least \(needed) rows, got \(actual)"
        case let .dimensionMismatch(expected, actual):
            return "feature vector has dimension \(actual), expected \(expected)"
        case let .nonFiniteValue(row, column):
            return "non-finite value at row \(row), column \(column)"
        case let .invalidParameter(name, value):
            return "invalid parameter \(name) = \(value)"
        case let .featureNameCount(expected, actual):
            return "\(actual) feature names for \(expected) columns"
        case let .unknownFeature(name):
            return "unknown feature \"\(name)\""
        case let .corruptModel(why):
            return "corrupt model: \(why)"
        }
    }
}
