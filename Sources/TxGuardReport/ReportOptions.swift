/// Knobs of `BacktestReport.build`: budgets, resolution of curves, timeline and histograms.
public struct ReportOptions: Sendable {
    /// Alert budgets evaluated (default top 0.1 %, 0.5 %, 1 %).
    public var budgets: [AlertBudget] = AlertBudget.standard
    /// Buckets of equal event-time width in the timeline.
    public var timelineBuckets: Int = 48
    /// Shared bins of the score histograms.
    public var histogramBins: Int = 40
    /// Whether the histogram is meant to be drawn with a log-scaled count axis.
    public var histogramLogScale: Bool = true
    /// Upper bound on stored points per curve (plot resolution; exact curves come from `PrecisionRecallCurve`/`ROCCurve`).
    public var maxCurvePoints: Int = 400
    /// Name of the events' own score in the ablation table.
    public var primaryVariantName: String = "ensemble"
    /// Title shown on the HTML page.
    public var title: String = "txguard backtest"

    /// Default options.
    public init() {}
}

/// How fast the backtest ran; measured by the caller (wall-clock values differ between runs,
/// so leave it `nil` when two reports must be byte-identical).
public struct RunInfo: Sendable, Hashable, Codable {
    /// Events processed per wall-clock second.
    public var eventsPerSecond: Double
    /// Wall-clock duration of the run in seconds.
    public var wallSeconds: Double

    /// Creates run figures.
    public init(eventsPerSecond: Double, wallSeconds: Double) {
        self.eventsPerSecond = eventsPerSecond
        self.wallSeconds = wallSeconds
    }
}
