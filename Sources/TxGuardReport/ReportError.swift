/// Errors raised while building or writing a report; each carries the offending value.
public enum ReportError: Error, Equatable, CustomStringConvertible {
    /// Scores and labels (or a variant and the events) differ in length.
    case lengthMismatch(what: String, expected: Int, actual: Int)
    /// A score is NaN or infinite; metrics over it would be meaningless.
    case nonFiniteScore(what: String, index: Int)
    /// An alert budget outside (0, 1].
    case invalidBudget(Double)
    /// A bucket or bin count below 1.
    case invalidCount(what: String, value: Int)

    public var description: String {
        switch self {
        case let .lengthMismatch(what, expected, actual):
            return "\(what): expected \(expected) values, got \(actual)"
        case let .nonFiniteScore(what, index):
            return "\(what): score at index \(index) is not finite"
        case let .invalidBudget(b):
            return "alert budget \(b) is outside (0, 1]"
        case let .invalidCount(what, value):
            return "\(what) must be at least 1, got \(value)"
        }
    }
}
