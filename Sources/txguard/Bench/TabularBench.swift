import Foundation
import TxGuardDetectors
import TxGuardEmbeddings

/// Tabular featurizer throughput with many accounts in state (part of `txguard bench embed`).
enum TabularBench {
    static func run(accounts: Int) throws -> [String] {
        var lines: [String] = []
        var g = SeededGenerator(seed: 7)
        let ids = (0..<accounts).map { "acct-\($0)" }
        let merchants = (0..<512).map { _ in MerchantText.random(&g) }
        let countries = ["US", "DE", "FR", "GB", "NL", "ES", "IT", "PL"]
        let channels = ["pos", "ecom", "atm", "p2p"]
        func event(_ i: Int, _ t: Int64) -> FeatureInput {
            let a = Int(g.next() % UInt64(accounts))
            return FeatureInput(accountID: ids[a], timestampMillis: t, amount: Double(g.next() % 50_000) / 100,
                                currency: "EUR", utcOffsetMinutes: 60, merchantName: merchants[Int(g.next() % 512)],
                                merchantCategory: "5812", country: countries[Int(g.next() % 8)],
                                channel: channels[i & 3], deviceID: "dev-\(a % 3)")
        }
        var withText = FeatureSpec()
        let pcaSamples = (0..<64).map { _ in (0..<384).map { _ in Float(g.next() % 1000) / 1000 } }
        withText.textProjection = try PCAProjection.fit(pcaSamples, componentCount: 16)
        for (label, spec) in [("default spec", FeatureSpec()), ("with PCA-16 of a 384-d text embedding + novelty", withText)] {
            let featurizer = try TabularFeaturizer(spec: spec)
            var store = featurizer.makeStore(capacity: accounts, idleTTLSeconds: 30 * 86_400)
            let embedding: [Float]? = spec.textProjection == nil ? nil : pcaSamples[0]
            var out = [Float](repeating: 0, count: featurizer.dimension)
            var t: Int64 = 1_700_000_000_000
            // Fill: every account gets one event.
            for i in 0..<accounts {
                var e = event(i, t)
                e.accountID = ids[i]
                t += 1
                _ = try out.withUnsafeMutableBufferPointer { try featurizer.features(for: e, textEmbedding: embedding, store: &store, into: $0) }
            }
            let inputs = (0..<200_000).map { i -> FeatureInput in t += 3; return event(i, t) }
            var latencies: [Double] = []
            let rounds = 5
            let cpu0 = processCPUSeconds()
            let start = monotonicNanos()
            for _ in 0..<rounds {
                let t0 = monotonicNanos()
                for e in inputs {
                    _ = try out.withUnsafeMutableBufferPointer { try featurizer.features(for: e, textEmbedding: embedding, store: &store, into: $0) }
                }
                latencies.append(Double(monotonicNanos() - t0) / Double(inputs.count))
            }
            let elapsed = Double(monotonicNanos() - start) / 1e9
            let cpu = processCPUSeconds() - cpu0
            let result = BenchResult(name: "tabular \(featurizer.dimension) features, \(store.count) accounts", operations: rounds * inputs.count,
                                     seconds: elapsed, latenciesNanos: latencies, unit: "events")
            lines.append(result.line)
            lines.append(String(format: "    %@: %.2f µs/event wall, %.2f µs/event CPU (p50/p99 are per-round means of %d events)", label,
                                elapsed * 1e6 / Double(rounds * inputs.count), cpu * 1e6 / Double(rounds * inputs.count), inputs.count))
            let bytes = store.serialized().count
            lines.append(String(format: "    serialized state %.1f MiB (%.0f bytes/account)", Double(bytes) / 1_048_576, Double(bytes) / Double(max(1, store.count))))
        }
        return lines
    }
}
