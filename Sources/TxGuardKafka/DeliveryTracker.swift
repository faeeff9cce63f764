import CRdKafka
import Synchronization

/// The broker's acknowledgement (or final failure) of one produced record.
public struct DeliveryReport: Sendable, Equatable {
    public var topic: String
    public var partition: Int32
    /// Offset assigned by the broker (-1 on failure).
    public var offset: Int64
    public var error: KafkaError?
    public var isSuccess: Bool { error == nil }
}

/// Counts outstanding deliveries for a group of produced records and lets a caller await them
/// all. librdkafka reports each record exactly once (success, or failure after its retries and
/// `message.timeout.ms`), so the wait always ends. Counting is lock-free; reports are built only
/// when kept (all of them with `keepReports`, otherwise failures only).
public final class DeliveryTracker: Sendable {
    struct Waiting {
        var sealed = false
        var reports: [DeliveryReport] = []
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let pendingCount = Atomic<Int>(0)
    private let failureCount = Atomic<Int>(0)
    private let state = Mutex(Waiting())
    /// Keep every report (memory grows with the batch); otherwise keep only failures.
    public let keepReports: Bool

    public init(keepReports: Bool = false) { self.keepReports = keepReports }

    func expectOne() { pendingCount.add(1, ordering: .relaxed) }

    /// Records one outcome; `makeReport` runs only if the report is kept.
    func record(failed: Bool, _ makeReport: () -> DeliveryReport) {
        if failed { failureCount.add(1, ordering: .relaxed) }
        if keepReports || failed {
            let r = makeReport()
            state.withLock { $0.reports.append(r) }
        }
        settleOne()
    }

    /// Called when an enqueue failed before librdkafka took the record.
    func cancelOne() { settleOne() }

    private func settleOne() {
        let remaining = pendingCount.subtract(1, ordering: .acquiringAndReleasing).newValue
        guard remaining == 0 else { return }
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { s in
            guard s.sealed, pendingCount.load(ordering: .acquiring) == 0 else { return [] }
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    /// Waits until every record sent with this tracker has a delivery report.
    /// Returns the reports kept (all, or only failures).
    public func wait() async -> [DeliveryReport] {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let ready: Bool = state.withLock { s in
                s.sealed = true
                if pendingCount.load(ordering: .acquiring) == 0 { return true }
                s.waiters.append(cont)
                return false
            }
            if ready { cont.resume() }
        }
        return state.withLock { $0.reports }
    }

    /// Records still awaiting a report.
    public var pending: Int { pendingCount.load(ordering: .relaxed) }
    /// Records that failed.
    public var failures: Int { failureCount.load(ordering: .relaxed) }
}
