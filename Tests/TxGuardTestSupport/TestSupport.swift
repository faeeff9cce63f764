import Foundation
import Logging

/// Helpers shared by txguard's test targets (one copy, not one per target), like
/// ServiceLifecycleTestKit for swift-service-lifecycle.

/// Deterministic generator for tests (SplitMix64, Steele, Lea and Flood 2014).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public init(state: UInt64) { self.state = state }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    public mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Standard normal (Box–Muller).
    public mutating func normal() -> Double {
        let u = max(uniform(), 1e-300), v = uniform()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

/// A logger that stays quiet unless `TXGUARD_TEST_LOG` is set.
public func quietLogger(_ label: String) -> Logger {
    var l = Logger(label: "test.\(label)")
    l.logLevel = ProcessInfo.processInfo.environment["TXGUARD_TEST_LOG"] != nil ? .debug : .critical
    return l
}

/// A log handler that keeps every message, for asserting on what a component logged.
public final class RecordedLogs: LogHandler, @unchecked Sendable {
    // Sendable: `stored` is guarded by `lock`; the other properties are set before use.
    private let lock = NSLock()
    private var stored: [String] = []
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace
    public init() {}
    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    public func log(event: LogEvent) {
        lock.lock(); defer { lock.unlock() }
        stored.append("\(event.message)")
    }
    public var messages: [String] { lock.lock(); defer { lock.unlock() }; return stored }
}

/// Polls `check` until it reports done; gives up (false) only when its progress figure has not
/// changed for `stallSeconds`. Tests wait on progress, never on a wall-clock total, so a loaded
/// machine makes them slower, not red.
public func untilDone(stallSeconds: Double = 120, every: Duration = .milliseconds(200),
                      _ check: () async throws -> (done: Bool, progress: Double)) async throws -> Bool {
    var last = -Double.infinity
    var lastMove = Date()
    while true {
        let (done, progress) = try await check()
        if done { return true }
        if progress != last { last = progress; lastMove = Date() }
        if Date().timeIntervalSince(lastMove) > stallSeconds { return false }
        try await Task.sleep(for: every)
    }
}

/// A fresh path (not created) for a test's scratch file or directory:
/// `<tmp>/txguard-tests-<pid>/<prefix>-<random>`. Scratch roots of test processes that are no
/// longer running are removed the first time this is called, so the last run's files stay for a
/// post-mortem and repeated runs do not fill the temporary directory.
public func scratchPath(_ prefix: String) -> String {
    "\(scratchRoot)/\(prefix)-\(UUID().uuidString.prefix(8))"
}

private let scratchRoot: String = {
    let tmp = NSTemporaryDirectory()
    let fm = FileManager.default
    let legacy = ["txguard-e2e-", "txg-", "txguard-report-", "txguard-contracts-", "txguard-shot-"]
    for name in (try? fm.contentsOfDirectory(atPath: tmp)) ?? [] {
        if name.hasPrefix("txguard-tests-") {
            guard let pid = Int32(name.dropFirst("txguard-tests-".count)), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? fm.removeItem(atPath: tmp + name)
        } else if legacy.contains(where: name.hasPrefix),
                  let made = (try? fm.attributesOfItem(atPath: tmp + name))?[.modificationDate] as? Date,
                  Date().timeIntervalSince(made) > 86_400 {
            // Left by versions of these tests that did not clean up (a day old: not a live run's).
            try? fm.removeItem(atPath: tmp + name)
        }
    }
    let root = tmp + "txguard-tests-\(getpid())"
    try? fm.createDirectory(atPath: root, withIntermediateDirectories: true)
    return root
}()

/// The package's root directory (this file is `Tests/TxGuardTestSupport/TestSupport.swift`).
public let packageRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

/// Where tests find the MiniLM files: `$TXGUARD_MODEL_DIR`, else `<package>/models/all-MiniLM-L6-v2`
/// (`make test` installs them there; tests that need them fail, never skip, without them).
public var miniLMModelDirectory: String {
    if let env = ProcessInfo.processInfo.environment["TXGUARD_MODEL_DIR"], !env.isEmpty { return env }
    return packageRoot + "/models/all-MiniLM-L6-v2"
}
