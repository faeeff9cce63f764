/// Vectorised float functions for the detectors' hot loops.
enum KernelMath {
    /// eˣ for eight floats: Cephes' `expf` (range reduction by ln 2 in two parts, a degree-5
    /// polynomial on [−ln2/2, ln2/2], the power of two put in the exponent bits). Relative error
    /// below one float ulp against libm over [−87, 88] (tested); x is clamped to that range, so very
    /// negative x gives about 1e-38 instead of 0 (the RBF kernel's far tail, multiplied by a
    /// coefficient and summed, where that is far below float resolution).
    @inline(__always)
    static func exp(_ v: SIMD8<Float>) -> SIMD8<Float> {
        // The clamp as two selects: `clamped(lowerBound:upperBound:)` is the stdlib's generic
        // pointwise max and min, called out of line (1% of the scorer). The same lanes, NaN
        // included: like the stdlib's, a NaN lane becomes the lower bound.
        let lo = SIMD8<Float>(repeating: -87.0), hi = SIMD8<Float>(repeating: 88.0)
        let m = v.replacing(with: lo, where: .!(v .>= lo))
        let x0 = m.replacing(with: hi, where: m .> hi)
        // n = round(x / ln 2) without the stdlib's per-lane rounding and conversion (generic, not
        // vectorised): adding 1.5·2²³ leaves the rounded integer in the low mantissa bits.
        let magic: Float = 12_582_912
        let shifted = x0 * 1.44269504088896341 + magic
        let n = shifted - magic
        var x = x0 - n * 0.693359375
        x = x - n * -2.12194440e-4
        let z = x * x
        var y = x * 1.9875691500e-4 + 1.3981999507e-3
        y = y * x + 8.3334519073e-3
        y = y * x + 4.1665795894e-2
        y = y * x + 1.6666665459e-1
        y = y * x + 5.0000001201e-1
        y = y * z + x + 1
        // 2ⁿ from the exponent bits (n in [−126, 127] after the clamp).
        let ni = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        return y * unsafeBitCast((ni &+ 127) &<< 23, to: SIMD8<Float>.self)
    }
}
