import Foundation
import TxGuardTestSupport
import Testing
@testable import TxGuardReport

@Suite struct ScoreFilesTests {
    func temp(_ name: String, _ text: String) throws -> URL {
        let dir = URL(fileURLWithPath: scratchPath("report"))
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test func joinsLabelsByTransactionID() throws {
        let scores = try temp("s.jsonl", """
        {"transaction_id":"a","event_time_ms":1000,"score":0.9,"alert":true,"threshold":0.5,"detectors":{"isolation_forest":0.7,"zscore":3.1}}
        {"transaction_id":"b","event_time_ms":2000,"score":0.1,"alert":false,"threshold":0.5,"detectors":{"isolation_forest":0.4,"zscore":0.2}}

        {"transaction_id":"c","event_time_ms":3000,"score":0.2,"alert":false,"threshold":0.6}
        """)
        let labels = try temp("l.jsonl", """
        {"transaction_id":"b","is_fraud":false,"fraud_type":null,"lookalike":"travel_abroad"}
        {"transaction_id":"a","is_fraud":true,"fraud_type":"card_testing"}
        """)
        let events = try ScoreFiles.readEvents(scores: scores, labels: labels)
        #expect(events.map(\.transactionID) == ["a", "b", "c"])
        #expect(events[0] == ScoredEvent(transactionID: "a", eventTimeMillis: 1000, score: 0.9, alert: true, threshold: 0.5,
                                         label: true, fraudType: "card_testing", detectorScores: ["isolation_forest": 0.7, "zscore": 3.1]))
        #expect(events[1].label == false && events[1].lookalike == "travel_abroad")
        #expect(events[2].label == nil && events[2].detectorScores.isEmpty)
        // "c" lacks detector scores, so no detector variant covers every event.
        #expect(ScoreFiles.detectorVariants(events).isEmpty)
        #expect(ScoreFiles.detectorVariants(Array(events.prefix(2))) == ["isolation_forest only": [0.7, 0.4], "zscore only": [3.1, 0.2]])
    }

    @Test func badLineNamesFileAndLine() throws {
        let scores = try temp("bad.jsonl", """
        {"transaction_id":"a","event_time_ms":1000,"score":0.9,"alert":true,"threshold":0.5}
        {"transaction_id":"b","event_time_ms":2000,"alert":false,"threshold":0.5}
        """)
        do {
            _ = try ScoreFiles.readEvents(scores: scores)
            Issue.record("expected an error")
        } catch let error as ScoreFiles.ReadError {
            #expect(error.description.hasSuffix("bad.jsonl:2: missing field \"score\""))
        }
    }
}
