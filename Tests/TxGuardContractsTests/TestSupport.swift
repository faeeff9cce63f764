import Foundation
import TxGuardTestSupport
@testable import TxGuardContracts

/// Paths and helpers shared by the contract tests.
enum TestSupport {
    /// The repository root (this file is Tests/TxGuardContractsTests/TestSupport.swift).
    static let repoRoot = URL(fileURLWithPath: packageRoot)

    /// A committed fixture under Tests/TxGuardContractsTests/Fixtures (copied into the test bundle).
    static func fixtureURL(_ relative: String) -> URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").appendingPathComponent(relative)
    }

    static func fixtureBytes(_ relative: String) throws -> [UInt8] {
        Array(try Data(contentsOf: fixtureURL(relative)))
    }

    static func repoFile(_ relative: String) -> URL { repoRoot.appendingPathComponent(relative) }

    /// Non-empty lines of a JSONL file in the repository.
    static func jsonLines(_ relative: String) throws -> [[UInt8]] {
        let data = try Data(contentsOf: repoFile(relative))
        return data.split(separator: UInt8(ascii: "\n")).filter { !$0.isEmpty }.map(Array.init)
    }

    static func mapping(_ relative: String) throws -> FieldMapping {
        try JSONDecoder().decode(FieldMapping.self, from: Data(contentsOf: repoFile(relative)))
    }

    /// A canonical document with overridable members (raw JSON text).
    static func document(_ extra: String = "", amount: String = "\"12.50\"", currency: String = "\"EUR\"") -> [UInt8] {
        var s = #"{"transaction_id":"t1","account_id":"a1","timestamp":"2026-11-29T12:00:00Z","amount":"#
        s += amount + #","currency":"# + currency
        if !extra.isEmpty { s += "," + extra }
        return Array((s + "}").utf8)
    }

    /// Runs `python3 scripts/validate_schema.py schema files…`; returns (exit status, output).
    static func validateSchema(_ schema: String, _ files: [URL]) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repoFile("scripts/validate_schema.py").path, repoFile("schemas/" + schema).path] + files.map(\.path)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Writes `lines` as a JSONL file in a fresh temporary directory.
    static func writeTemp(_ name: String, _ lines: [[UInt8]]) throws -> URL {
        let dir = URL(fileURLWithPath: scratchPath("contracts"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        var data = Data()
        for line in lines { data.append(contentsOf: line); data.append(UInt8(ascii: "\n")) }
        try data.write(to: url)
        return url
    }
}
