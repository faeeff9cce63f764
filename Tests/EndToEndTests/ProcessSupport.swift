import Foundation
import Testing

/// Path of the `txguard` binary built next to this test bundle (or $TXGUARD_BIN).
func txguardBinary() throws -> String {
    if let p = ProcessInfo.processInfo.environment["TXGUARD_BIN"] { return p }
    let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var dir = exe.deletingLastPathComponent()
    // swift test runs <build>/debug/<pkg>PackageTests.xctest (a file on Linux).
    for _ in 0..<3 {
        let candidate = dir.appendingPathComponent("txguard").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    throw ProcessFailure("txguard binary not found next to \(exe.path); run `swift build` first or set TXGUARD_BIN")
}

struct ProcessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// A child process whose stdout lines can be awaited; killed on deinit.
final class ChildProcess: @unchecked Sendable {
    // Sendable: `output` is guarded by `lock`; Process is only touched from the owner.
    let process = Process()
    private let lock = NSLock()
    private var output = Data()
    private var errors = Data()

    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        out.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            self?.lock.withLock { self?.output.append(d) }
        }
        err.fileHandleForReading.readabilityHandler = { [weak self] h in
            let d = h.availableData
            self?.lock.withLock { self?.errors.append(d) }
        }
        try process.run()
    }

    deinit { stop() }

    var stdout: String { lock.withLock { String(decoding: output, as: UTF8.self) } }
    var stderr: String { lock.withLock { String(decoding: errors, as: UTF8.self) } }

    /// Waits for the first line of stdout.
    func firstLine(timeout: Double = 20) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            // One snapshot: the output can grow between two reads, and a partial first line read
            // before a newline arrived in the second was returned as the whole line.
            let seen = stdout
            if let end = seen.firstIndex(of: "\n") { return String(seen[..<end]) }
            if !process.isRunning { throw ProcessFailure("process exited (\(process.terminationStatus)): \(stderr)") }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessFailure("no output line within \(timeout) s; stderr: \(stderr)")
    }

    /// Sends SIGTERM (or `signal`) and waits up to `timeout` seconds for exit; returns the status.
    @discardableResult
    func terminate(signal: Int32 = SIGTERM, timeout: Double = 15) async -> Int32? {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, signal)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// Sends SIGTERM and records an issue unless the process exits with status 0. The issue says
    /// whether the process had already exited before the signal (and how), the status, and the
    /// tail of its stderr. The wait is not a stall detector: `txguard run` enforces its own
    /// shutdown deadline (30 s, then a forced exit 5 s later), so 60 s only bounds a hung test.
    func expectCleanExit(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) async {
        let exitedBefore = !process.isRunning
        let status = await terminate(timeout: 60)
        guard status != 0 else { return }
        let how: String
        if let status {
            let reason = process.terminationReason == .uncaughtSignal ? "killed by signal \(status)" : "exit status \(status)"
            how = exitedBefore ? "had already ended before SIGTERM (\(reason))" : "ended after SIGTERM with \(reason)"
        } else {
            how = "still running 60 s after SIGTERM"
        }
        Issue.record("\(name) \(how); stderr tail:\n\(stderr.suffix(4000))", sourceLocation: sourceLocation)
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Runs a command to completion with optional stdin (and extra environment variables); returns
/// (status, stdout, stderr).
func run(_ executable: String, _ args: [String], stdin: Data? = nil, timeout: Double = 60,
         environment: [String: String]? = nil) async throws -> (Int32, String, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = args
    if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe(), err = Pipe(), inp = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = inp
    try p.run()
    if let stdin { inp.fileHandleForWriting.write(stdin) }
    try inp.fileHandleForWriting.close()
    let outData = Locked<Data>(), errData = Locked<Data>()
    let t1 = Thread { outData.set(out.fileHandleForReading.readDataToEndOfFile()) }
    let t2 = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
    t1.start(); t2.start()
    let deadline = Date().addingTimeInterval(timeout)
    while p.isRunning && Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
    if p.isRunning {
        p.terminate()
        throw ProcessFailure("\(executable) \(args) did not finish within \(timeout) s")
    }
    while outData.get() == nil || errData.get() == nil { try await Task.sleep(for: .milliseconds(10)) }
    return (p.terminationStatus, String(decoding: outData.get()!, as: UTF8.self), String(decoding: errData.get()!, as: UTF8.self))
}

final class Locked<T>: @unchecked Sendable {
    // Sendable: guarded by `lock`.
    private let lock = NSLock()
    private var value: T?
    init(_ v: T? = nil) { value = v }
    func set(_ v: T) { lock.withLock { value = v } }
    func get() -> T? { lock.withLock { value } }
}
