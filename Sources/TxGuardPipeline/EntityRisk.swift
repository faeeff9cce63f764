import TxGuardContracts

/// Entity risk from labels: for each entity of a transaction (account, card, device, merchant or
/// terminal), the confirmed frauds over the last 7 and 30 days and the share of frauds among its
/// labels over 30 days, counting only labels visible at the transaction's event time
/// (`LabelBook.counts`). These are the supervised layer's entity features; the unsupervised
/// detectors never see them.
public enum EntityRisk {
    /// Entity kinds read from a transaction, in feature order.
    public static let kinds: [Label.EntityKind] = [.account, .card, .device, .merchant]
    /// Short window (µs).
    public static let shortWindow: Int64 = 7 * 86_400_000_000
    /// Long window (µs).
    public static let longWindow: Int64 = 30 * 86_400_000_000

    /// Feature names, three per kind.
    public static let featureNames: [String] = kinds.flatMap { k in
        ["entity_\(k.rawValue)_frauds_7d", "entity_\(k.rawValue)_frauds_30d", "entity_\(k.rawValue)_fraud_share_30d"]
    }

    /// Appends the entity features of `tx` at its event time to `out`.
    public static func features(of tx: Transaction, book: LabelBook, into out: inout [Float]) {
        withUnsafeTemporaryAllocation(of: (kind: Label.EntityKind, value: String).self, capacity: kinds.count) { keys in
            withUnsafeTemporaryAllocation(of: (short: LabelBook.Counts, long: LabelBook.Counts).self, capacity: kinds.count) { counts in
                var n = 0
                for kind in kinds {
                    guard let value = value(of: tx, kind) else { continue }
                    (keys.baseAddress! + n).initialize(to: (kind, value))
                    n += 1
                }
                defer { keys.baseAddress!.deinitialize(count: n) }
                counts.initialize(repeating: (LabelBook.Counts(frauds: 0, labelled: 0), LabelBook.Counts(frauds: 0, labelled: 0)))
                book.counts(UnsafeBufferPointer(rebasing: keys[..<n]), at: tx.timestampMicros, short: shortWindow, long: longWindow,
                            into: counts)
                var j = 0
                for kind in kinds {
                    guard j < n, keys[j].kind == kind else {
                        out.append(0)
                        out.append(0)
                        out.append(0)
                        continue
                    }
                    let (short, long) = counts[j]
                    j += 1
                    out.append(Float(short.frauds))
                    out.append(Float(long.frauds))
                    // One pseudo-label of legitimate traffic keeps a single fraud from reading as 100%.
                    out.append(Float(long.frauds) / Float(long.labelled + 1))
                }
            }
        }
    }

    /// The key of `kind` in `tx`, if it has one.
    public static func value(of tx: Transaction, _ kind: Label.EntityKind) -> String? {
        switch kind {
        case .account: return tx.accountID
        case .card: return tx.cardID.flatMap { $0.isEmpty ? nil : $0 }
        case .device: return tx.deviceID.flatMap { $0.isEmpty ? nil : $0 }
        case .merchant: return tx.merchantName.flatMap { $0.isEmpty ? nil : $0 }
        case .payee: return nil
        }
    }

    /// A sentence for an alert reason from an entity feature and its value, e.g. "merchant had 3
    /// confirmed frauds in the last 7 days".
    public static func describe(feature: String, value: Float) -> String? {
        guard feature.hasPrefix("entity_") else { return nil }
        let parts = feature.dropFirst("entity_".count).split(separator: "_", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let kind = parts[0]
        let n = Int(value.rounded())
        switch parts[1] {
        case "frauds_7d": return "\(kind) had \(n) confirmed fraud\(n == 1 ? "" : "s") in the last 7 days"
        case "frauds_30d": return "\(kind) had \(n) confirmed fraud\(n == 1 ? "" : "s") in the last 30 days"
        case "fraud_share_30d": return "\(kind): \(Int((value * 100).rounded()))% of its labelled transactions in the last 30 days were fraud"
        default: return nil
        }
    }
}
