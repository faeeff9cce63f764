import Foundation
import TxGuardTestSupport
import Testing
@testable import TxGuardReport

/// Renders the sample report with headless Chromium (installed by scripts/bootstrap.sh) and checks
/// the screenshot is a real page: right size, and far more detailed than a blank page of the same size.
@Suite struct ScreenshotTests {
    static let chromium = "/usr/bin/chromium"

    func screenshot(html: String, in dir: URL, name: String) throws -> Data {
        let page = dir.appendingPathComponent("\(name).html")
        let png = dir.appendingPathComponent("\(name).png")
        try Data(html.utf8).write(to: page)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.chromium)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                             "--user-data-dir=\(dir.appendingPathComponent("profile-\(name)").path)",
                             "--screenshot=\(png.path)", "--window-size=1400,3000", page.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { process.terminate() }
        #expect(process.terminationStatus == 0)
        return try Data(contentsOf: png)
    }

    /// Width and height from the PNG signature and IHDR chunk.
    func pngSize(_ data: Data) -> (Int, Int)? {
        let bytes = [UInt8](data.prefix(24))
        guard bytes.count == 24, bytes[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A],
              bytes[12..<16] == [0x49, 0x48, 0x44, 0x52] else { return nil }
        let be: (Int) -> Int = { i in bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (be(16), be(20))
    }

    @Test func sampleReportRendersToANonTrivialPNG() throws {
        #expect(FileManager.default.isExecutableFile(atPath: Self.chromium), "install chromium (scripts/bootstrap.sh does)")
        let dir = URL(fileURLWithPath: scratchPath("shot"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = SampleEvents.make()
        let html = HTMLReport.render(try BacktestReport.build(events: s.events, variants: s.variants))
        let report = try screenshot(html: html, in: dir, name: "report")
        let blank = try screenshot(html: "<!DOCTYPE html><html><body style=\"background:#f4f5f7\"></body></html>", in: dir, name: "blank")
        #expect(pngSize(report).map { $0 == (1400, 3000) } == true)
        #expect(pngSize(blank).map { $0 == (1400, 3000) } == true)
        // Charts, text and tables compress far worse than a flat page.
        #expect(report.count > 100_000, "report PNG only \(report.count) bytes")
        #expect(report.count > 10 * blank.count, "report \(report.count) bytes vs blank \(blank.count)")
    }
}
