import Dispatch
import Foundation
import Logging
import ServiceLifecycle

/// Makes a shutdown deadline hold whatever the brokers do. The monitor's graceful path (final
/// snapshot, commit, leaving the group, flushing) calls librdkafka, which can block when no broker
/// answers, where task cancellation cannot reach. The watchdog arms a timer the moment a
/// termination signal arrives (or graceful shutdown begins, or the group is cancelled); if the
/// process is still alive `deadline` later, it logs and calls `exit`. Nothing is lost by that:
/// offsets are committed only for acknowledged work, so a restart processes the rest again from
/// the state snapshots.
///
/// Neither the signal nor the timer depends on Swift concurrency's cooperative pool: the signals
/// are observed by a dispatch source on the watchdog's own serial queue, and the timer is a
/// dedicated thread that sleeps. When blocking librdkafka calls hold every pool thread (2 on a
/// 2-core machine), a watchdog that waited for its task to be scheduled armed seconds late.
///
/// Put it last in the `ServiceGroup` with `successTerminationBehavior: .ignore`.
public struct ShutdownWatchdog: Service {
    let deadline: Double
    let logger: Logger
    let exit: @Sendable () -> Void
    let timer: DeadlineTimer

    /// `exit` ends the process (e.g. `{ Glibc.exit(70) }`); `deadline` in seconds. `signals`: the
    /// termination signals that arm it at once (the group's graceful-shutdown signals).
    public init(deadline: Double, logger: Logger, signals: [Int32] = [SIGTERM, SIGINT], exit: @escaping @Sendable () -> Void) {
        self.deadline = deadline
        self.logger = logger
        self.exit = exit
        timer = DeadlineTimer(deadline: deadline, logger: logger, exit: exit)
        timer.watch(signals: signals)
    }

    /// True once the timer runs (for tests).
    public var isArmed: Bool { timer.isArmed }

    public func run() async throws {
        // Returns when graceful shutdown begins; throws when the group is cancelled instead. Either
        // way (if no signal armed it already) the timer starts now.
        try? await gracefulShutdown()
        timer.arm(reason: "graceful shutdown began")
    }
}

/// A one-shot deadline on its own thread, armed by a signal source or by a call.
final class DeadlineTimer: @unchecked Sendable {
    // Sendable: `armed` and `sources` are guarded by `lock`; the rest is immutable.
    private let lock = NSLock()
    private var armed = false
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "txguard.shutdown-watchdog")
    let deadline: Double
    let logger: Logger
    let exit: @Sendable () -> Void

    init(deadline: Double, logger: Logger, exit: @escaping @Sendable () -> Void) {
        self.deadline = deadline
        self.logger = logger
        self.exit = exit
    }

    var isArmed: Bool { lock.withLock { armed } }

    /// Arms on the first of `signals`. Another dispatch source for the same signal (the service
    /// group's) still sees it: libdispatch delivers a signal to every source registered for it.
    func watch(signals: [Int32]) {
        for sig in signals {
            // The default action would end the process before any source sees the signal (the
            // service group sets the same when it starts; it observes through its own source).
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [weak self] in self?.arm(reason: "signal \(sig)") }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }

    func arm(reason: String) {
        let first: Bool = lock.withLock {
            defer { armed = true }
            return !armed
        }
        guard first else { return }
        let deadline = self.deadline, logger = self.logger, exit = self.exit
        logger.debug("shutdown deadline armed", metadata: ["deadline_s": "\(deadline)", "by": "\(reason)"])
        let thread = Thread {
            Thread.sleep(forTimeInterval: deadline)
            logger.critical("shutdown did not finish within its deadline; exiting", metadata: ["deadline_s": "\(deadline)"])
            exit()
        }
        thread.name = "txguard-shutdown-deadline"
        thread.start()
    }
}
