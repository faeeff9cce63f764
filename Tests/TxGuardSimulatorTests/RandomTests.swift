import Foundation
import Testing
@testable import TxGuardSimulator

/// xoshiro256** and SplitMix64 against the authors' reference algorithm (Python port, committed fixture).
@Suite struct RandomTests {
    struct Case: Decodable {
        let seed: String
        let splitmix64: [String]
        let xoshiro256starstar: [String]
    }
    struct Fixture: Decodable { let cases: [Case] }

    static func fixture() throws -> Fixture {
        let url = try #require(Bundle.module.url(forResource: "xoshiro256starstar", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    @Test func splitMixMatchesReference() throws {
        for c in try Self.fixture().cases {
            var sm = SplitMix64(state: try #require(UInt64(c.seed)))
            let got = (0..<4).map { _ in String(sm.next()) }
            #expect(got == c.splitmix64, "seed \(c.seed)")
        }
    }

    @Test func xoshiroMatchesReference() throws {
        for c in try Self.fixture().cases {
            var rng = Xoshiro256StarStar(seed: try #require(UInt64(c.seed)))
            let got = (0..<10).map { _ in String(rng.next()) }
            #expect(got == c.xoshiro256starstar, "seed \(c.seed)")
        }
    }

    @Test func streamsDiffer() {
        var a = Xoshiro256StarStar(seed: 7, stream: 1, 2)
        var b = Xoshiro256StarStar(seed: 7, stream: 2, 1)
        var c = Xoshiro256StarStar(seed: 7, stream: 1, 2)
        let x = (0..<4).map { _ in a.next() }
        #expect(x != (0..<4).map { _ in b.next() })
        #expect(x == (0..<4).map { _ in c.next() })
    }

    /// Moments against closed forms: U[0,1) mean 1/2, var 1/12; N(0,1); Poisson mean = var = λ.
    @Test func distributionsHaveTheirMoments() {
        var rng = Xoshiro256StarStar(seed: 99)
        let n = 200_000
        var su = 0.0, suu = 0.0, sn = 0.0, snn = 0.0, sp = 0.0, spp = 0.0, se = 0.0
        var belowCounts = [Int](repeating: 0, count: 7)
        for _ in 0..<n {
            let u = rng.unit()
            #expect(u >= 0 && u < 1)
            su += u; suu += u * u
            let z = rng.normal()
            sn += z; snn += z * z
            let p = Double(rng.poisson(mean: 3.5))
            sp += p; spp += p * p
            se += rng.exponential(mean: 2)
            belowCounts[rng.below(7)] += 1
        }
        let N = Double(n)
        #expect(abs(su / N - 0.5) < 0.005)
        #expect(abs(suu / N - (su / N) * (su / N) - 1.0 / 12) < 0.002)
        #expect(abs(sn / N) < 0.01)
        #expect(abs(snn / N - 1) < 0.015)
        #expect(abs(sp / N - 3.5) < 0.03)
        #expect(abs(spp / N - (sp / N) * (sp / N) - 3.5) < 0.06)
        #expect(abs(se / N - 2) < 0.03)
        for c in belowCounts { #expect(abs(Double(c) / N - 1.0 / 7) < 0.005) }
        // Median of a log-normal is its `median` parameter.
        var samples = (0..<20_001).map { _ in rng.logNormal(median: 30, sigma: 0.8) }
        samples.sort()
        #expect(abs(samples[10_000] / 30 - 1) < 0.03)
    }
}
