/// exp, log and cos(2πu) from +, −, ×, ÷ only (each correctly rounded by IEEE 754), so the
/// simulator's draws do not depend on the platform's libm, whose last bits differ between
/// glibc and Darwin. Accurate to a few ulps over the ranges the simulator uses.
enum PortableMath {
    private static let ln2Hi = 6.931_471_803_691_238_164_90e-01  // ln 2 split (fdlibm's constants)
    private static let ln2Lo = 1.908_214_929_270_587_700_02e-10
    private static let invLn2 = 1.442_695_040_888_963_387_00

    /// e^x (Cody–Waite reduction to |r| ≤ ln2/2, then a degree-14 Taylor polynomial).
    static func exp(_ x: Double) -> Double {
        if x.isNaN { return x }
        if x > 709 { return .infinity }
        if x < -745 { return 0 }
        let k = (x * invLn2).rounded()
        let r = (x - k * ln2Hi) - k * ln2Lo
        var p = invFactorials[14]
        for i in stride(from: 13, through: 0, by: -1) { p = p * r + invFactorials[i] }
        return scale(p, Int(k))
    }

    /// Natural logarithm for x > 0 (x = m·2^e with m in [√½, √2); log m = 2·atanh((m−1)/(m+1))).
    static func log(_ x: Double) -> Double {
        if x.isNaN || x < 0 { return .nan }
        if x == 0 { return -.infinity }
        if x.isInfinite { return x }
        var e = Int(x.exponent)
        var m = x.significand  // [1, 2)
        if m > 1.414_213_562_373_095_1 { m /= 2; e += 1 }
        let s = (m - 1) / (m + 1)
        let s2 = s * s
        var sum = 0.0
        var k = 27.0
        while k >= 3 {
            sum = (sum + 1 / k) * s2
            k -= 2
        }
        let logm = 2 * s * (1 + sum)
        return Double(e) * ln2Hi + (logm + Double(e) * ln2Lo)
    }

    /// cos(2πu) for u in [0, 1): exact octant reduction on u, then Taylor series on [0, π/4].
    static func cos2Pi(_ u: Double) -> Double {
        let v = (u - u.rounded(.down)) * 8  // exact: u in [0,1), times a power of two
        let octant = Int(v.rounded(.down))
        let theta = (v - Double(octant)) * (Double.pi / 4)
        let t2 = theta * theta
        // cos and sin of theta in [0, π/4].
        var c = 0.0, s = 0.0
        var n = 20.0
        while n >= 2 {
            c = (1 - c) * t2 / (n * (n - 1))
            n -= 2
        }
        c = 1 - c
        n = 21.0
        while n >= 3 {
            s = (1 - s) * t2 / (n * (n - 1))
            n -= 2
        }
        s = theta * (1 - s)
        let h = 0.707_106_781_186_547_524_40  // √½
        switch octant & 7 {
        case 0: return c
        case 1: return h * (c - s)
        case 2: return -s
        case 3: return -h * (c + s)
        case 4: return -c
        case 5: return -h * (c - s)
        case 6: return s
        default: return h * (c + s)
        }
    }

    /// 1/i! for i = 0...14, each from an exactly representable i! (14! < 2^53).
    private static let invFactorials: [Double] = (0...14).map { n in
        var f = 1.0
        for i in stride(from: 2, through: n, by: 1) { f *= Double(i) }
        return 1 / f
    }

    /// p · 2^k, exact (two steps keep subnormal and large k in range).
    private static func scale(_ p: Double, _ k: Int) -> Double {
        let k1 = k / 2
        let k2 = k - k1
        return p * Double(sign: .plus, exponent: k1, significand: 1) * Double(sign: .plus, exponent: k2, significand: 1)
    }
}
