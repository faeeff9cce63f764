/// DSPOT (Siffer et al., KDD 2017): SPOT on drift-corrected scores x − M, where M is the moving
/// average of the last `depth` normal scores. Tracks level shifts; alerts update nothing.
public struct DSPOTThreshold: AdaptiveThreshold, Equatable {
    /// SPOT on the corrected scores.
    public private(set) var spot: SPOTThreshold
    /// Moving-average window d.
    public let depth: Int
    private var window: [Double]
    private var cursor: Int = 0
    private var windowSum: Double

    /// Moving average M of the last `depth` normal scores.
    public var localMean: Double { windowSum / Double(window.count) }

    public var currentThreshold: Double { localMean + spot.extremeThreshold }

    /// The first `depth` calibration values fill the window; the rest calibrate SPOT on x − M.
    public init(calibration: [Double], depth: Int = 50, configuration: SPOTThreshold.Configuration = .init()) throws {
        guard depth >= 1 else { throw DetectorError.invalidParameter(name: "depth", value: Double(depth)) }
        let values = calibration.filter(\.isFinite)
        guard values.count > depth else { throw DetectorError.notEnoughRows(needed: depth + 1, actual: values.count) }
        var window = Array(values[0..<depth])
        var sum = window.reduce(0, +)
        var cursor = 0
        var corrected = [Double]()
        corrected.reserveCapacity(values.count - depth)
        for x in values[depth...] {
            corrected.append(x - sum / Double(depth))
            sum += x - window[cursor]
            window[cursor] = x
            cursor = (cursor + 1) % depth
        }
        self.spot = try SPOTThreshold(calibration: corrected, configuration: configuration)
        self.depth = depth
        self.window = window
        self.cursor = cursor
        self.windowSum = sum
    }

    public mutating func observe(_ score: Double) -> ThresholdDecision {
        let m = localMean
        let decision = spot.observe(score - m)
        if !decision.isAlert && score.isFinite {
            windowSum += score - window[cursor]
            window[cursor] = score
            cursor = (cursor + 1) % depth
            // Recompute occasionally so rounding in the running sum cannot accumulate.
            if cursor == 0 { windowSum = window.reduce(0, +) }
        }
        return ThresholdDecision(isAlert: decision.isAlert, threshold: m + decision.threshold)
    }
}
