import Metrics
import TxGuardKafka

/// The service's metrics (swift-metrics; exported by whatever backend is bootstrapped —
/// Prometheus in `txguard run`). Names follow Prometheus conventions.
struct ServiceMetrics: Sendable {
    let eventsIn = Counter(label: "txguard_events_total")
    let normal = Counter(label: "txguard_decisions_total", dimensions: [("decision", "normal")])
    let alerts = Counter(label: "txguard_decisions_total", dimensions: [("decision", "alert")])
    let rebalances = Counter(label: "txguard_rebalances_total")
    let commitFailures = Counter(label: "txguard_commit_failures_total")
    let produceFailures = Counter(label: "txguard_produce_failures_total")
    let transactionsCommitted = Counter(label: "txguard_transactions_committed_total")
    let transactionsAborted = Counter(label: "txguard_transactions_aborted_total")
    let batchLatency = Metrics.Timer(label: "txguard_batch_processing_seconds", preferredDisplayUnit: .seconds)
    let eventLatency = Metrics.Timer(label: "txguard_event_latency_seconds", preferredDisplayUnit: .seconds)
    let score = Recorder(label: "txguard_score")
    let threshold = Gauge(label: "txguard_threshold")
    let pausedPartitions = Gauge(label: "txguard_paused_partitions")
    /// Assigned partitions with records waiting and no progress for the stall period.
    let stalledPartitions = Gauge(label: "txguard_partitions_stalled")
    /// Amounts written by binary floating-point serializers and rounded to their minor unit.
    let amountsRounded = Counter(label: "txguard_amounts_rounded_total")

    /// Per detector: the mean raw score and mean tail probability of the last batch.
    func detectorMeans(_ name: String, score: Double, probability: Double) {
        let (s, p) = detectorGauges.withLock { gauges in
            if let g = gauges[name] { return g }
            let g = (Gauge(label: "txguard_detector_score", dimensions: [("detector", name)]),
                     Gauge(label: "txguard_detector_tail_probability", dimensions: [("detector", name)]))
            gauges[name] = g
            return g
        }
        s.record(score)
        p.record(probability)
    }
    /// The per-detector gauges, made once per detector: making a gauge looks it up in the metrics
    /// factory under its lock, and these are recorded after every batch.
    private let detectorGauges = Locked<[String: (Gauge, Gauge)]>([:])
    func deadLetter(_ reason: String, count: Int = 1) {
        Counter(label: "txguard_decisions_total", dimensions: [("decision", "dead_letter"), ("reason", reason)]).increment(by: count)
    }
    func stateAccounts(_ tp: TopicPartition, _ value: Int) {
        Gauge(label: "txguard_state_accounts", dimensions: [("topic", tp.topic), ("partition", "\(tp.partition)")]).record(Double(value))
    }
    func lag(_ tp: TopicPartition, _ value: Int64) {
        Gauge(label: "txguard_consumer_lag", dimensions: [("topic", tp.topic), ("partition", "\(tp.partition)")]).record(Double(value))
    }
}
