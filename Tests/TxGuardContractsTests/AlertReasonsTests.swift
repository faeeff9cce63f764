import Testing
@testable import TxGuardContracts

/// Two detectors blaming the same feature make one explanation line, not two.
@Suite struct AlertReasonsTests {
    func reason(_ feature: String, _ detector: String, _ contribution: Double) -> AlertReason {
        AlertReason(feature: feature, value: .number(3), contribution: contribution, detector: detector,
                    description: "sentence for \(feature)")
    }

    @Test func eachFeatureOnceInRankedOrder() {
        let reasons = [
            reason("acct_burst_3600s", "ocsvm", 2.0),
            reason("acct_burst_60s", "ocsvm", 1.5),
            reason("acct_burst_3600s", "isolation_forest", 4.0),  // same feature, other detector: dropped
            reason("amount_zscore_account", "zscore", 6.1),
            reason("acct_burst_60s", "isolation_forest", 0.2),    // dropped
        ]
        let once = AlertReason.onePerFeature(reasons)
        #expect(once.map(\.feature) == ["acct_burst_3600s", "acct_burst_60s", "amount_zscore_account"])
        #expect(once.map(\.detector) == ["ocsvm", "ocsvm", "zscore"], "the ranking given wins, not the contribution across detectors")
        #expect(AlertReason.onePerFeature(once) == once)
    }

    @Test func alertsCarryEachFeatureOnce() throws {
        var a = Samples.alert
        let r = a.reasons
        a = Alert(alertID: a.alertID, transactionID: a.transactionID, accountID: a.accountID, eventTimeMicros: a.eventTimeMicros,
                  detectionTimeMicros: a.detectionTimeMicros, score: a.score, threshold: a.threshold, detectors: a.detectors,
                  reasons: r + [reason(r[0].feature, "isolation_forest", 9)], modelVersion: a.modelVersion, source: a.source)
        #expect(a.reasons.count == r.count)
        let decoded = try AlertDecoder.decode(AlertEncoder.encode(a))
        #expect(decoded.reasons.map(\.feature) == r.map(\.feature))
    }
}
