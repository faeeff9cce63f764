#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Training-time frequencies of one categorical field (e.g. the merchant category), the prior of the
/// per-account categorical surprisal (`acct_surprisal_<field>`).
///
/// The global probability of a value c is add-one (Laplace) smoothed with one extra "unseen" class:
/// `P₀(c) = (n_c + 1) / (N + V + 1)`, n_c the training count of c, N the total, V the number of
/// distinct values kept; a value never seen in training gets `1 / (N + V + 1)`.
/// Values are compared ASCII-case-insensitively (keys are stored lower-cased).
public struct CategoryPrior: Codable, Sendable, Equatable {
    /// The categorical field (a `FeatureInput.categoricalValue` name).
    public var field: String
    /// Training counts per lower-cased value (at most `maxValues`, the most frequent).
    public var counts: [String: Int]
    /// Training events with a value (including values beyond `maxValues`).
    public var total: Int

    /// Most distinct values a fitted prior keeps; rarer values fall into the unseen class.
    public static let maxValues = 10_000

    /// Creates a prior from known counts.
    public init(field: String, counts: [String: Int], total: Int) {
        self.field = field
        self.counts = counts
        self.total = total
    }

    /// Counts the (non-empty) values of `field` in `inputs`.
    public static func fit(field: String, values: some Sequence<String?>) -> CategoryPrior {
        var counts: [String: Int] = [:]
        var total = 0
        for v in values {
            guard let v, !v.isEmpty else { continue }
            counts[asciiLowercased(v), default: 0] += 1
            total += 1
        }
        if counts.count > maxValues {
            let kept = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(maxValues)
            counts = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
        }
        return CategoryPrior(field: field, counts: counts, total: total)
    }

    /// The smoothed global probability P₀ of a value (any case).
    public func probability(_ value: String) -> Double {
        Double((counts[Self.asciiLowercased(value)] ?? 0) + 1) / unseenDenominator
    }

    /// P₀ of a value never seen in training.
    public var unseenProbability: Double { 1 / unseenDenominator }

    var unseenDenominator: Double { Double(total + counts.count + 1) }

    /// Surprisal −ln P(c | account) of a value under the Dirichlet-smoothed account distribution
    /// `P(c | account) = (k + α·P₀(c)) / (n + α)`, where k is the account's count of c, n its count
    /// of all values and α the prior's weight in pseudo-events. With no history it is −ln P₀(c).
    @inline(__always)
    public static func surprisal(accountCount k: Double, accountTotal n: Double, prior p0: Double, alpha: Double) -> Double {
        -log((k + alpha * p0) / (n + alpha))
    }

    static func asciiLowercased(_ s: String) -> String {
        String(decoding: s.utf8.map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 + 0x20 : $0 }, as: UTF8.self)
    }
}
