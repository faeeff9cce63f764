extension AlertReason {
    /// The reasons with each feature once: the first (highest-ranked) occurrence is kept, in order.
    ///
    /// Two detectors often blame the same feature (Isolation Forest and the SVM both see a burst of
    /// transactions); an analyst should read that sentence once. Contributions are in each
    /// detector's own units, so they are not compared across detectors: the ranking given wins.
    public static func onePerFeature(_ reasons: [AlertReason]) -> [AlertReason] {
        var seen = Set<String>()
        return reasons.filter { seen.insert($0.feature).inserted }
    }
}
