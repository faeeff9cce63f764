import Dispatch
import Foundation
import Logging
import ServiceLifecycle
import Testing
@testable import TxGuardService
import TxGuardTestSupport

@Suite(.serialized, .timeLimit(.minutes(1)))
struct ShutdownWatchdogTests {
    /// The deadline is armed by the signal itself, even while blocking calls hold every thread of
    /// the cooperative pool (what librdkafka does with no broker): the watchdog's task never runs
    /// here, and the forced exit still comes about `deadline` after the signal.
    @Test func signalArmsTheDeadlineWhileThePoolIsBlocked() async throws {
        let fired = DispatchSemaphore(value: 0)
        // SIGUSR2 stands in for SIGTERM (which would end the test runner's graceful paths).
        let watchdog = ShutdownWatchdog(deadline: 0.3, logger: quiet("wd"), signals: [SIGUSR2]) { fired.signal() }
        #expect(!watchdog.isArmed)
        let release = DispatchSemaphore(value: 0)
        let blockers = ProcessInfo.processInfo.activeProcessorCount + 2
        let started = Date()
        // Off the pool: this thread sends the signal and waits for the forced exit while every pool
        // thread is blocked (a semaphore wait, as a blocking C call would), then lets them go.
        let result = Locked<(Bool, Double)?>(nil)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.2)
            kill(getpid(), SIGUSR2)
            let ok = fired.wait(timeout: .now() + 30) == .success
            result.value = (ok, Date().timeIntervalSince(started))
            for _ in 0..<blockers { release.signal() }
        }
        await withTaskGroup(of: Void.self) { g in
            for _ in 0..<blockers { g.addTask { release.wait() } }
        }
        let (ok, took) = try #require(result.value)
        #expect(ok, "the deadline never fired")
        #expect(watchdog.isArmed)
        #expect(took >= 0.45, "fired \(took) s after the start: before the signal's deadline")
    }

    /// Without a signal, graceful shutdown (or cancellation) of the group arms it.
    @Test func gracefulShutdownArmsItToo() async throws {
        let fired = DispatchSemaphore(value: 0)
        let watchdog = ShutdownWatchdog(deadline: 0.1, logger: quiet("wd"), signals: []) { fired.signal() }
        let task = Task { try await watchdog.run() }
        task.cancel()
        try await task.value
        #expect(watchdog.isArmed)
        #expect(fired.wait(timeout: .now() + 30) == .success)
    }

    /// A termination signal before the service group exists ends the start-up (the process would
    /// exit 0); after the hand-over the same signal shuts the group down gracefully instead. SIGUSR1
    /// stands in for SIGTERM.
    @Test func terminationSignalsEndStartUpThenShutTheGroupDown() async throws {
        let early = Locked<[Int32]>([])
        let signals = TerminationSignals(signals: [SIGUSR1], logger: quiet("sig")) { sig in early.withLock { $0.append(sig) } }
        // libdispatch registers the source asynchronously, and this test process has threads that
        // do not block the signal, so one sent before the registration is dropped: send until seen.
        try #require(try await repeatSignal(SIGUSR1) { !early.value.isEmpty }, "the start-up path never saw the signal")
        #expect(early.value.allSatisfy { $0 == SIGUSR1 })

        // As in `txguard run`: the shutdown watchdog watches the same signal from its own source,
        // created after the first has registered. It must not take the signal from the first.
        let watchdog = ShutdownWatchdog(deadline: 3600, logger: quiet("wd"), signals: [SIGUSR1]) {}
        let stopped = Locked<Bool>(false)
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [AwaitsShutdown(stopped: stopped)], logger: quiet("group")))
        signals.handOver(to: group)
        let startUpSignals = early.value.count
        let run = Task { try await group.run() }
        // The group may not be running yet when the first signal comes: it must remember the request.
        // Both sources must see a signal: the group's shutdown and the watchdog's arming.
        try #require(try await repeatSignal(SIGUSR1) { stopped.value && watchdog.isArmed },
                     "after the hand-over: group stopped \(stopped.value), watchdog armed \(watchdog.isArmed)")
        try await run.value
        #expect(early.value.count == startUpSignals, "after the hand-over the start-up path is not taken")
    }
}

private struct AwaitsShutdown: Service {
    let stopped: Locked<Bool>
    func run() async throws {
        try await gracefulShutdown()
        stopped.value = true
    }
}

/// Sends `sig` to this process every 50 ms until `condition` holds (`untilDone` with no progress
/// figure: false after 30 s without the condition, a delivery bound on a loaded machine).
private func repeatSignal(_ sig: Int32, until condition: () -> Bool) async throws -> Bool {
    try await untilDone(stallSeconds: 30, every: .milliseconds(50)) {
        if condition() { return (true, 0) }
        kill(getpid(), sig)
        return (false, 0)
    }
}
