import Foundation
@testable import TxGuardReport
import TxGuardTestSupport

/// Deterministic synthetic backtest data (SplitMix64), shaped like a card-fraud stream:
/// ~1 % fraud of four types, legitimate look-alikes, a few unlabelled events, a drifting threshold.
enum SampleEvents {

    static let fraudTypes = ["card_testing", "account_takeover", "cash_out", "merchant_compromise"]
    static let lookalikeTags = ["large_legit_purchase", "travel_abroad"]

    /// `n` events plus two ablation variants aligned with them.
    static func make(n: Int = 5000, seed: UInt64 = 42) -> (events: [ScoredEvent], variants: [String: [Double]]) {
        var rng = SplitMix64(state: seed)
        var events: [ScoredEvent] = []
        var withoutZ: [Double] = []
        var forestOnly: [Double] = []
        let t0: Int64 = 1_764_000_000_000
        for i in 0..<n {
            let isFraud = rng.uniform() < 0.01
            var fraudType: String?
            var lookalike: String?
            var lift = 0.0
            if isFraud {
                let t = Int(rng.next() % UInt64(fraudTypes.count))
                fraudType = fraudTypes[t]
                lift = [1.5, 2.5, 3.0, 0.8][t]
            } else if rng.uniform() < 0.02 {
                lookalike = lookalikeTags[Int(rng.next() % 2)]
                lift = 1.2
            }
            let forest = rng.normal() + lift * rng.uniform()
            let z = abs(rng.normal()) + lift * rng.uniform()
            let score = 1 / (1 + exp(-(0.6 * forest + 0.5 * z - 2.5)))
            let hour = Double(i % 500) / 500
            let threshold = 0.55 + 0.1 * sin(2 * .pi * hour) + 0.01 * rng.normal()
            // Every 97th event is unlabelled, as when ground truth arrives late.
            let label: Bool? = i % 97 == 13 ? nil : isFraud
            events.append(ScoredEvent(
                transactionID: "tx-\(i)", eventTimeMillis: t0 + Int64(i) * 60_000, score: score, alert: score >= threshold,
                threshold: threshold, label: label, fraudType: fraudType, lookalike: lookalike,
                detectorScores: ["isolation_forest": forest, "zscore": z]))
            withoutZ.append(1 / (1 + exp(-(0.8 * forest - 2))))
            forestOnly.append(forest)
        }
        return (events, ["without zscore": withoutZ, "isolation_forest only": forestOnly])
    }
}
