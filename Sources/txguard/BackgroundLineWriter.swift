import Dispatch
import Foundation

/// Writes buffers to a `LineSink` on a background thread, so that generating events and
/// compressing/writing them overlap (gzip costs more than generation). At most `depth` buffers
/// are in flight; the first write error is reported by `write` or `close`.
final class BackgroundLineWriter: @unchecked Sendable {
    // Sendable: `sink` is used only on `queue` after init; `failure` is guarded by `lock`;
    // `slots` is a semaphore.
    private let sink: LineSink
    private let queue = DispatchQueue(label: "txguard.simulate.writer")
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var failure: Error?

    init(sink: LineSink, depth: Int = 4) {
        self.sink = sink
        slots = DispatchSemaphore(value: depth)
    }

    /// Queues `bytes` for writing; blocks while `depth` buffers are already queued.
    func write(_ bytes: [UInt8]) throws {
        if let failure = lock.withLock({ failure }) { throw failure }
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard lock.withLock({ failure == nil }) else { return }
            do { try sink.write(bytes) } catch { lock.withLock { if failure == nil { failure = error } } }
        }
    }

    /// Waits for every queued buffer, closes the sink, and throws the first error.
    func close() throws {
        let closeError: Error? = queue.sync { () -> Error? in
            do { try sink.close(); return nil } catch { return error }
        }
        if let failure = lock.withLock({ failure }) { throw failure }
        if let closeError { throw closeError }
    }
}
