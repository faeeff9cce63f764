import Dispatch
import Foundation
import TxGuardDetectors

/// Work running on another thread (an online refit, a supervised retrain); `wait()` blocks until
/// its result is there. Where the result is used is decided by the caller's event schedule, never
/// by when the work finished.
final class BackgroundJob<Value: Sendable>: @unchecked Sendable {
    // Sendable: `result` is written once by the worker before `done` is signalled and read only
    // after waiting on `done`.
    private let done = DispatchSemaphore(value: 0)
    private var result: Value?

    /// Starts `work` on a utility-priority thread; nil from `work` means it failed.
    init(_ work: @escaping @Sendable () -> Value?) {
        DispatchQueue.global(qos: .utility).async {
            self.result = work()
            self.done.signal()
        }
    }

    /// A job that is already finished (restored from a snapshot).
    init(finished: Value?) {
        result = finished
        done.signal()
    }

    /// The result, or nil if the work failed (the caller keeps what it has).
    func wait() -> Value? {
        done.wait()
        done.signal()
        return result
    }
}

/// The online-refit bookkeeping of one partition: a uniform reservoir of non-alerted feature
/// vectors (Algorithm R, seeded) and the refit schedule.
struct RefitState: Codable {
    var width: Int
    var capacity: Int
    var rows: Data = Data()
    var count = 0
    /// Non-alerted events seen since the last refit started.
    var seenSinceRefit = 0
    /// Non-alerted events seen in total.
    var seen = 0
    var refits = 0
    var rng: UInt64
    /// `seen` when the pending refit started.
    var pendingStartedAt: Int?
    var pendingModel: ScoringModel?

    init(width: Int, capacity: Int, seed: UInt64) {
        self.width = width
        self.capacity = capacity
        rng = seed
    }

    mutating func nextRandom() -> UInt64 {
        rng &+= 0x9e37_79b9_7f4a_7c15
        var z = rng
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Offers a row to the reservoir.
    mutating func offer(_ x: [Float]) {
        seen += 1
        seenSinceRefit += 1
        guard capacity > 0, x.count == width else { return }
        if count < capacity {
            x.withUnsafeBytes { rows.append(contentsOf: $0) }
            count += 1
        } else {
            let j = Int(nextRandom() % UInt64(seenSinceRefit))
            guard j < capacity else { return }
            let stride = width * MemoryLayout<Float>.size
            x.withUnsafeBytes { src in
                rows.replaceSubrange((j * stride)..<((j + 1) * stride), with: src)
            }
        }
    }

    func matrix() throws -> FeatureMatrix {
        let values = rows.withUnsafeBytes { Array($0.bindMemory(to: Float.self).prefix(count * width)) }
        return try FeatureMatrix(rowCount: count, columnCount: width, values: values)
    }

    /// Starts a new reservoir period.
    mutating func resetReservoir() {
        rows = Data()
        count = 0
        seenSinceRefit = 0
    }
}

/// A partition's online refit schedule: non-alerted events go to the reservoir; every
/// `settings.every` of them a refit of the forest and SVM starts on another thread, and it is
/// swapped in exactly `settings.swapAfter` events later (a fixed point in the event sequence, so
/// replays reproduce it whatever the threads' timing).
struct OnlineRefitter {
    private(set) var state: RefitState
    private var job: BackgroundJob<ScoringModel>?
    let settings: OnlineRefitSettings
    let seed: UInt64

    init(settings: OnlineRefitSettings?, width: Int, seed: UInt64) {
        self.settings = settings ?? OnlineRefitSettings()
        self.seed = seed
        state = RefitState(width: width, capacity: self.settings.reservoirSize, seed: seed ^ 0x5EED_0F_4EF1)
    }

    var refits: Int { state.refits }
    var seen: Int { state.seen }

    /// Offers a non-alerted event's features; returns the refitted detectors when a refit is due
    /// to be swapped in at this event. `current` is read only when a refit starts: a copy of the
    /// model per event (a retain and release of each of its arrays) cost ~1 µs of the scorer's ~15.
    mutating func offer(_ x: [Float], current: @autoclosure () -> ScoringModel) -> ScoringModel? {
        guard settings.every > 0 else { return nil }
        state.offer(x)
        if job == nil, state.seenSinceRefit >= settings.every, state.count >= 50, let rows = try? state.matrix() {
            let seed = seed &+ UInt64(state.refits + 1)
            let model = current()
            job = BackgroundJob { try? model.refittingForestAndSVM(training: rows, seed: seed) }
            state.pendingStartedAt = state.seen
            state.resetReservoir()
        }
        guard let j = job, let started = state.pendingStartedAt, state.seen >= started + settings.swapAfter else { return nil }
        job = nil
        state.pendingStartedAt = nil
        guard let refitted = j.wait() else { return nil }
        state.refits += 1
        return refitted
    }

    /// The schedule's state for a snapshot (a pending refit's result included, waited for).
    var snapshot: RefitState {
        var r = state
        if let job { r.pendingModel = job.wait() }
        return r
    }

    /// Continues from a snapshot's schedule (a pending refit resumes with its saved result).
    mutating func restore(_ saved: RefitState) {
        var r = saved
        job = r.pendingStartedAt != nil ? BackgroundJob(finished: r.pendingModel) : nil
        r.pendingModel = nil
        state = r
    }
}
