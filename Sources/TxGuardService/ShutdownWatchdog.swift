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
        let made = signalSources(signals, queue: queue) { [weak self] sig in self?.arm(reason: "signal \(sig)") }
        lock.withLock { sources.append(contentsOf: made) }
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

/// The termination signals of a service process, from its first line to its exit. Before the
/// service group runs (loading a model, waiting for a broker, reading state) nothing has been
/// consumed, so a signal then calls `beforeStart` (log, exit 0) at once. Once `handOver(to:)`
/// has been called, a signal triggers the group's graceful shutdown (remembered by the group if
/// it has not started running yet).
///
/// Without it, a signal during start-up either killed the process by its default action (status
/// "signal 15", which supervisors and tests read as a crash) or, once other dispatch sources had
/// set `SIG_IGN` and before the group's own handler existed, was lost. Give the group no
/// `gracefulShutdownSignals` of its own: this is the one path.
public final class TerminationSignals: @unchecked Sendable {
    // Sendable: `group` is guarded by `lock`; `sources` is set once in `init` (a `var` only because
    // the sources' handlers capture `self`) and read in `deinit`; the rest is immutable.
    private let lock = NSLock()
    private var group: ServiceGroup?
    private var sources: [any DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "txguard.termination-signals")
    private let beforeStart: @Sendable (Int32) -> Void
    private let logger: Logger

    /// Watches `signals` from now on; `beforeStart` runs (on a dispatch queue) for a signal that
    /// comes before `handOver(to:)`.
    public init(signals: [Int32] = [SIGTERM, SIGINT], logger: Logger, beforeStart: @escaping @Sendable (Int32) -> Void) {
        self.beforeStart = beforeStart
        self.logger = logger
        sources = signalSources(signals, queue: queue) { [weak self] sig in self?.received(sig) }
    }

    deinit { for source in sources { source.cancel() } }

    /// From now on a signal shuts `group` down gracefully.
    public func handOver(to group: ServiceGroup) {
        lock.withLock { self.group = group }
    }

    private func received(_ sig: Int32) {
        guard let group = lock.withLock({ self.group }) else { return beforeStart(sig) }
        logger.notice("termination signal; shutting down gracefully", metadata: ["signal": "\(sig)"])
        Task { await group.triggerGracefulShutdown() }
    }
}

/// Resumed dispatch sources for `signals`, each calling `handler` on `queue`. libdispatch on Linux
/// registers a source asynchronously and then installs its own `sigaction` handler (feeding a
/// signalfd); until then the default action of SIGTERM/SIGINT would end the process. So the
/// disposition is set to ignore, but only while it is still the default: setting it once
/// libdispatch's handler is in place would replace that handler, and every source of the process
/// would stop seeing the signal (what a second watcher did, before this check).
public func signalSources(_ signals: [Int32], queue: DispatchQueue, handler: @escaping @Sendable (Int32) -> Void) -> [any DispatchSourceSignal] {
    signals.map { sig in
        var current = sigaction()
        if sigaction(sig, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil {  // nil: SIG_DFL
            signal(sig, SIG_IGN)
        }
        let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
        source.setEventHandler { handler(sig) }
        source.resume()
        return source
    }
}
