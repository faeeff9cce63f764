import Dispatch
import Foundation
import Logging
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
}
