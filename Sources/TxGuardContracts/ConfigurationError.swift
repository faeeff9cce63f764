/// A problem in decoder configuration (field mapping or limits), found once at start, never per message.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration key at fault, e.g. `amount` or `currency.default`.
    public var key: String
    /// What is wrong with it.
    public var problem: String

    /// An error for `key` explaining `problem`.
    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    /// `field mapping: amount: path "payment/amount" must start with "/"`.
    public var description: String { "configuration: \(key): \(problem)" }
}
