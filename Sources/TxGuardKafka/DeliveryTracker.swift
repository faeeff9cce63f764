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
/// `message.timeout.ms`), so the wait always ends.
public final class DeliveryTracker: Sendable {
    struct State {
        var pending = 0
        var sealed = false
        var reports: [DeliveryReport] = []
        var failures = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
    }
    private let state = Mutex(State())
    /// Keep every report (memory grows with the batch); otherwise keep only failures.
    public let keepReports: Bool

    public init(keepReports: Bool = false) { self.keepReports = keepReports }

    func expectOne() { state.withLock { $0.pending += 1 } }

    func record(_ report: DeliveryReport) {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { s in
            s.pending -= 1
            if report.error != nil { s.failures += 1 }
            if keepReports || report.error != nil { s.reports.append(report) }
            guard s.sealed && s.pending == 0 else { return [] }
            defer { s.waiters = [] }
            return s.waiters
        }
        for w in waiters { w.resume() }
    }

    /// Called when an enqueue failed before librdkafka took the record.
    func cancelOne() { record(DeliveryReport(topic: "", partition: -1, offset: -1, error: nil)) }

    /// Waits until every record sent with this tracker has a delivery report.
    /// Returns the reports kept (all, or only failures).
    public func wait() async -> [DeliveryReport] {
        await withCheckedContinuation { (cont: CheckedContinuation<Void, Never>) in
            let ready: Bool = state.withLock { s in
                s.sealed = true
                if s.pending == 0 { return true }
                s.waiters.append(cont)
                return false
            }
            if ready { cont.resume() }
        }
        return state.withLock { $0.reports.filter { !($0.partition == -1 && $0.error == nil) } }
    }

    /// Records still awaiting a report.
    public var pending: Int { state.withLock { $0.pending } }
    /// Records that failed.
    public var failures: Int { state.withLock { $0.failures } }
}
