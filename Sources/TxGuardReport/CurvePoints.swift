/// A plotted curve: parallel x/y arrays, thinned to a bounded number of points for the report.
public struct CurvePoints: Sendable, Hashable, Codable {
    /// Horizontal coordinates (recall for PR, false-positive rate for ROC).
    public var x: [Double]
    /// Vertical coordinates (precision for PR, true-positive rate for ROC).
    public var y: [Double]
    /// Threshold of each point; `nil` stands for +∞ (ROC's first point) or no threshold (PR's last).
    public var threshold: [Double?]

    /// Keeps the first and last points and every point that moved at least `1/maxPoints` (L1) from
    /// the last kept one; if that is still too many, keeps evenly spaced points by index.
    init(x: [Double], y: [Double], threshold: [Double?], maxPoints: Int) {
        let n = x.count
        var keep: [Int] = []
        if n > 0 {
            let step = 1.0 / Double(max(maxPoints, 2))
            var last = 0
            keep.append(0)
            for i in 1..<n where i == n - 1 || abs(x[i] - x[last]) + abs(y[i] - y[last]) >= step {
                keep.append(i)
                last = i
            }
            if keep.count > maxPoints, maxPoints >= 2 {
                let m = keep.count
                var even: [Int] = []
                for j in 0..<maxPoints {
                    let idx = keep[Int((Double(j) * Double(m - 1) / Double(maxPoints - 1)).rounded())]
                    if even.last != idx { even.append(idx) }
                }
                keep = even
            }
        }
        self.x = keep.map { x[$0] }
        self.y = keep.map { y[$0] }
        self.threshold = keep.map { threshold[$0] }
    }

    /// Number of points.
    public var count: Int { x.count }
}
