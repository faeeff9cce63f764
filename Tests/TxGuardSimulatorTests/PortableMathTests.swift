import Foundation
import Testing
@testable import TxGuardSimulator

/// The libm-free functions against the platform's libm (an independent implementation).
@Suite struct PortableMathTests {
    func relErr(_ a: Double, _ b: Double) -> Double { abs(a - b) / max(abs(b), Double.leastNormalMagnitude) }

    @Test func expMatchesLibm() {
        var rng = Xoshiro256StarStar(seed: 1)
        var xs: [Double] = [0, 1, -1, 0.5, 1e-10, -700, 700, 0.34657359027997264, -0.34657359027997264]
        for _ in 0..<20_000 { xs.append(rng.uniform(-50, 50)) }
        for x in xs { #expect(relErr(PortableMath.exp(x), Foundation.exp(x)) < 4e-16, "exp(\(x))") }
        #expect(PortableMath.exp(800) == .infinity && PortableMath.exp(-800) == 0)
    }

    @Test func logMatchesLibm() {
        var rng = Xoshiro256StarStar(seed: 2)
        var xs: [Double] = [1, 2, 0.5, Double.ulpOfOne, 1 - Double.ulpOfOne / 2, 1e-300, 1e300, 1.4142135623730951, 0.7071067811865476]
        for _ in 0..<20_000 { xs.append(1 - rng.unit()) }
        for _ in 0..<5_000 { xs.append(PortableMath.exp(rng.uniform(-600, 600))) }
        for x in xs {
            let ours = PortableMath.log(x), theirs = Foundation.log(x)
            // Relative near log = 0 is ill-conditioned: compare absolutely there.
            #expect(abs(ours - theirs) <= 4e-16 * max(1, abs(theirs)), "log(\(x)) \(ours) vs \(theirs)")
        }
        #expect(PortableMath.log(0) == -.infinity && PortableMath.log(-1).isNaN)
    }

    @Test func cos2PiMatchesLibm() {
        var rng = Xoshiro256StarStar(seed: 3)
        var us: [Double] = (0..<64).map { Double($0) / 64 }
        for _ in 0..<20_000 { us.append(rng.unit()) }
        for u in us {
            #expect(abs(PortableMath.cos2Pi(u) - Foundation.cos(2 * Double.pi * u)) < 2e-15, "cos(2π·\(u))")
        }
    }
}
