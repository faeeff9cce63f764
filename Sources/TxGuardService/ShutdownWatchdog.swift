import Dispatch
import Logging
import ServiceLifecycle

/// Makes a shutdown deadline hold whatever the brokers do. The monitor's graceful path (final
/// snapshot, commit, leaving the group, flushing) calls librdkafka, which can block when no broker
/// answers, where task cancellation cannot reach. When graceful shutdown begins (or the group is
/// cancelled), this service arms a timer; if the process is still alive `deadline` later, it logs
/// and calls `exit`. Nothing is lost by that: offsets are committed only for acknowledged work, so
/// a restart processes the rest again from the state snapshots.
///
/// Put it last in the `ServiceGroup` (graceful shutdown reaches services in reverse order, so it
/// arms before the monitor starts shutting down) with `successTerminationBehavior: .ignore`.
public struct ShutdownWatchdog: Service {
    let deadline: Double
    let logger: Logger
    let exit: @Sendable () -> Void

    /// `exit` ends the process (e.g. `{ Glibc.exit(70) }`); `deadline` in seconds.
    public init(deadline: Double, logger: Logger, exit: @escaping @Sendable () -> Void) {
        self.deadline = deadline
        self.logger = logger
        self.exit = exit
    }

    public func run() async throws {
        // Returns when graceful shutdown begins; throws when the group is cancelled instead.
        try? await gracefulShutdown()
        let logger = self.logger, exit = self.exit, deadline = self.deadline
        DispatchQueue.global().asyncAfter(deadline: .now() + deadline) {
            logger.critical("shutdown did not finish within its deadline; exiting", metadata: ["deadline_s": "\(deadline)"])
            exit()
        }
    }
}
