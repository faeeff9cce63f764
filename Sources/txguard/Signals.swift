import Dispatch
import Foundation
import TxGuardService

/// Suspends until SIGINT or SIGTERM arrives; returns its name.
func waitForTerminationSignal() async -> String {
    await withCheckedContinuation { (cont: CheckedContinuation<String, Never>) in
        let once = SignalOnce(cont)
        for source in signalSources([SIGINT, SIGTERM], queue: .global(), handler: { once.fire($0 == SIGINT ? "SIGINT" : "SIGTERM") }) {
            once.retain(source)
        }
    }
}

/// Resumes a continuation once, whichever signal comes first; keeps the signal sources alive.
private final class SignalOnce: @unchecked Sendable {
    // Sendable: all state is guarded by `lock`.
    private let lock = NSLock()
    private var cont: CheckedContinuation<String, Never>?
    private var sources: [DispatchSourceSignal] = []
    init(_ c: CheckedContinuation<String, Never>) { cont = c }
    func retain(_ s: DispatchSourceSignal) { lock.withLock { sources.append(s) } }
    func fire(_ name: String) {
        let c: CheckedContinuation<String, Never>? = lock.withLock {
            defer { cont = nil }
            return cont
        }
        c?.resume(returning: name)
    }
}
