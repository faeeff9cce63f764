#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Vectorised float functions for the detectors' hot loops.
enum KernelMath {
    /// eˣ for eight floats: Cephes' `expf` (range reduction by ln 2 in two parts, a degree-5
    /// polynomial on [−ln2/2, ln2/2], the power of two put in the exponent bits). Relative error
    /// below one float ulp against libm over [−87, 88] (tested); x is clamped to that range, so very
    /// negative x gives about 1e-38 instead of 0 (the RBF kernel's far tail, multiplied by a
    /// coefficient and summed, where that is far below float resolution).
    @inline(__always)
    static func exp(_ v: SIMD8<Float>) -> SIMD8<Float> {
        let x0 = v.clamped(lowerBound: SIMD8(repeating: -87.0), upperBound: SIMD8(repeating: 88.0))
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

    /// ln x for four positive, normal, finite doubles: fdlibm's `__ieee754_log` (x = 2ᵏ(1+f) with
    /// 1+f in [√2/2, √2), s = f/(2+f), a degree-14 odd series in s), below one double ulp. Lanes
    /// outside that domain are the caller's to avoid (`sumOfLogs` checks them).
    @inline(__always)
    static func log(_ x: SIMD4<Double>) -> SIMD4<Double> {
        let bits = unsafeBitCast(x, to: SIMD4<UInt64>.self)
        let high = bits &>> 32
        let mantissaHigh = high & 0x000F_FFFF
        // 0x100000 where the mantissa is at least √2's (0x6A09E…): then 1+f is halved and k + 1.
        let i = (mantissaHigh &+ 0x95F64) & 0x10_0000
        let k = unsafeBitCast(((high &>> 20) & 0x7FF) &+ (i &>> 20), to: SIMD4<Int64>.self) &- 1023
        let reduced = ((mantissaHigh | (i ^ 0x3FF0_0000)) &<< 32) | (bits & 0xFFFF_FFFF)
        let f = unsafeBitCast(reduced, to: SIMD4<Double>.self) - 1
        // k as a double without the stdlib's per-lane conversion: (2⁵² + 2⁵¹ + k) − (2⁵² + 2⁵¹).
        let dk = unsafeBitCast(k &+ 0x4338_0000_0000_0000, to: SIMD4<Double>.self) - 6_755_399_441_055_744
        let s = f / (2 + f)
        let z = s * s
        let w = z * z
        let t1 = w * (3.999999999940941908e-01 + w * (2.222219843214978396e-01 + w * 1.531383769920937332e-01))
        let t2 = z * (6.666666666666735130e-01 + w * (2.857142874366239149e-01 + w * (1.818357216161805012e-01 + w * 1.479819860511658591e-01)))
        let r = t2 + t1
        let hfsq = 0.5 * f * f
        return dk * 6.93147180369123816490e-01 - ((hfsq - (s * (hfsq + r) + dk * 1.90821492927058770002e-10)) - f)
    }

    /// Σ ln(1 + θ·vᵢ), four at a time, or nil when some 1 + θ·vᵢ ≤ 0. Terms outside the vector
    /// log's domain (infinite, NaN, subnormal) go through libm one by one.
    static func sumOfLogs(onePlus theta: Double, times values: UnsafeBufferPointer<Double>) -> Double? {
        let n = values.count
        var acc = SIMD4<Double>.zero
        var i = 0
        let lowest = SIMD4<Double>(repeating: Double.leastNormalMagnitude)
        let highest = SIMD4<Double>(repeating: Double.greatestFiniteMagnitude)
        var scalar = 0.0
        while i + 4 <= n {
            let t = 1 + theta * SIMD4(values[i], values[i + 1], values[i + 2], values[i + 3])
            if any(t .< lowest) || any(t .> highest) || any(t .!= t) {
                for lane in 0..<4 {
                    if t[lane] <= 0 { return nil }
                    scalar += libmLog(t[lane])
                }
            } else {
                acc += log(t)
            }
            i += 4
        }
        while i < n {
            let t = 1 + theta * values[i]
            if t <= 0 { return nil }
            scalar += libmLog(t)
            i += 1
        }
        return acc.sum() + scalar
    }
}

/// libm's ln (inside `KernelMath`, `log` is the vector one).
@inline(__always) private func libmLog(_ x: Double) -> Double { log(x) }
