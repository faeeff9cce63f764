import Foundation
import Testing
@testable import TxGuardReport

@Suite struct HTMLReportTests {
    static func sampleHTML() throws -> String {
        let s = SampleEvents.make()
        let r = try BacktestReport.build(events: s.events, variants: s.variants, run: RunInfo(eventsPerSecond: 250_000, wallSeconds: 0.02))
        return HTMLReport.render(r)
    }

    /// The opening tag of every chart.
    static func chartTags(_ html: String) -> [String] {
        var tags: [String] = []
        var rest = html[...]
        while let start = rest.range(of: "<svg class=\"chart\"") {
            guard let end = rest[start.upperBound...].firstIndex(of: ">") else { break }
            tags.append(String(rest[start.lowerBound...end]))
            rest = rest[end...]
        }
        return tags
    }

    static func attribute(_ name: String, in tag: String) -> String? {
        guard let r = tag.range(of: " \(name)=\"") else { return nil }
        return tag[r.upperBound...].split(separator: "\"", maxSplits: 1).first.map(String.init)
    }

    @Test func everyChartHasData() throws {
        let html = try Self.sampleHTML()
        let tags = Self.chartTags(html)
        let ids = tags.compactMap { Self.attribute("id", in: $0) }
        #expect(ids == ["chart-pr", "chart-roc", "chart-histogram", "chart-type-recall", "chart-alert-rate", "chart-threshold"])
        for tag in tags {
            let series = try #require(Self.attribute("data-series-count", in: tag).flatMap { Int($0) })
            let points = try #require(Self.attribute("data-points", in: tag)).split(separator: ",").compactMap { Int($0) }
            #expect(series >= 1, "\(tag)")
            #expect(points.count == series, "\(tag)")
            #expect(points.allSatisfy { $0 > 0 }, "\(tag)")
        }
        // The PR chart: the curve, the live point, three budget points.
        let pr = try #require(tags.first { $0.contains("chart-pr") })
        #expect(Self.attribute("data-series-count", in: pr) == "3")
        #expect(Self.attribute("data-points", in: pr)?.hasSuffix(",1,3") == true)
        // Histogram: legitimate, unlabelled, fraud.
        #expect(Self.attribute("data-series-count", in: try #require(tags.first { $0.contains("chart-histogram") })) == "3")
        #expect(!html.contains("No data"))
    }

    @Test func selfContainedWithoutExternalURLs() throws {
        let html = try Self.sampleHTML()
        let withoutNamespace = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        #expect(!withoutNamespace.contains("http://"))
        #expect(!withoutNamespace.contains("https://"))
        #expect(!html.contains("<script src") && !html.contains("<link") && !html.contains("@import"))
        let urlRefs = html.components(separatedBy: "url(").dropFirst()
        #expect(urlRefs.allSatisfy { $0.hasPrefix("#") })
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("</html>"))
    }

    @Test func headlineAndTablesCarryTheFigures() throws {
        let s = SampleEvents.make()
        let r = try BacktestReport.build(events: s.events, variants: s.variants)
        let html = HTMLReport.render(r)
        #expect(html.contains(ReportFormat.metric(r.ranking?.averagePrecision)))
        #expect(html.contains(ReportFormat.metric(r.ranking?.rocAUC)))
        #expect(html.contains("<td>without zscore</td>"))
        #expect(html.contains("Recall @ 1%"))
        for t in SampleEvents.fraudTypes { #expect(html.contains(t)) }
    }

    @Test func textIsEscaped() throws {
        var events = SampleEvents.make(n: 400).events
        for i in events.indices where events[i].label == true { events[i].fraudType = "<script>alert(1)</script>" }
        var options = ReportOptions()
        options.title = "Q&A \"backtest\""
        let html = HTMLReport.render(try BacktestReport.build(events: events, options: options))
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("<title>Q&amp;A &quot;backtest&quot;</title>"))
    }
}
