import Dispatch
import Foundation
import TxGuardDetectors

/// A refit running on another thread; `wait()` blocks until its result is there.
final class RefitJob: @unchecked Sendable {
    // Sendable: `result` is written once by the worker before `done` is signalled and read only
    // after waiting on `done`.
    private let done = DispatchSemaphore(value: 0)
    private var result: ScoringModel?

    init(base: ScoringModel, rows: FeatureMatrix, seed: UInt64) {
        DispatchQueue.global(qos: .utility).async {
            self.result = try? base.refittingForestAndSVM(training: rows, seed: seed)
            self.done.signal()
        }
    }

    /// A job that is already finished (restored from a snapshot).
    init(finished: ScoringModel?) {
        result = finished
        done.signal()
    }

    /// The refitted model, or nil if the refit failed (the current model is then kept).
    func wait() -> ScoringModel? {
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
    private var job: RefitJob?
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
    /// to be swapped in at this event.
    mutating func offer(_ x: [Float], current: ScoringModel) -> ScoringModel? {
        guard settings.every > 0 else { return nil }
        state.offer(x)
        if job == nil, state.seenSinceRefit >= settings.every, state.count >= 50, let rows = try? state.matrix() {
            job = RefitJob(base: current, rows: rows, seed: seed &+ UInt64(state.refits + 1))
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
        job = r.pendingStartedAt != nil ? RefitJob(finished: r.pendingModel) : nil
        r.pendingModel = nil
        state = r
    }
}
