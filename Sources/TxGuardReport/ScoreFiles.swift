import Foundation

/// Reads the JSON-lines files `txguard report` consumes: score lines
/// `{"transaction_id","event_time_ms","score","alert","threshold","detectors":{…}}` and optional
/// label lines `{"transaction_id","is_fraud","fraud_type","lookalike"}`, joined by transaction id.
public enum ScoreFiles {
    /// A file or line that could not be read, with where it happened.
    public enum ReadError: Error, CustomStringConvertible {
        /// The file could not be opened.
        case unreadable(path: String, underlying: String)
        /// A line is not valid JSON of the expected shape (1-based line number).
        case badLine(path: String, line: Int, message: String)

        public var description: String {
            switch self {
            case let .unreadable(path, underlying): return "cannot read \(path): \(underlying)"
            case let .badLine(path, line, message): return "\(path):\(line): \(message)"
            }
        }
    }

    private struct ScoreLine: Decodable {
        var transaction_id: String
        var event_time_ms: Int64
        var score: Double
        var alert: Bool
        var threshold: Double
        var detectors: [String: Double]?
    }

    private struct LabelLine: Decodable {
        var transaction_id: String
        var is_fraud: Bool
        var fraud_type: String?
        var lookalike: String?
    }

    /// Scored events from a score file, labelled from `labels` when given (unmatched events stay unlabelled).
    public static func readEvents(scores: URL, labels: URL? = nil) throws -> [ScoredEvent] {
        var byID: [String: LabelLine] = [:]
        if let labels {
            for (line, label) in try decodeLines(LabelLine.self, at: labels) {
                _ = line
                byID[label.transaction_id] = label
            }
        }
        return try decodeLines(ScoreLine.self, at: scores).map { _, s in
            let label = byID[s.transaction_id]
            return ScoredEvent(
                transactionID: s.transaction_id, eventTimeMillis: s.event_time_ms, score: s.score, alert: s.alert,
                threshold: s.threshold, label: label?.is_fraud, fraudType: label?.fraud_type, lookalike: label?.lookalike,
                detectorScores: s.detectors ?? [:])
        }
    }

    /// The `score` of every line of another score file (e.g. a backtest without one detector),
    /// aligned with `events` by transaction id; throws if an event has no score there.
    public static func readVariant(_ url: URL, alignedWith events: [ScoredEvent]) throws -> [Double] {
        var byID: [String: Double] = [:]
        for (_, s) in try decodeLines(ScoreLine.self, at: url) { byID[s.transaction_id] = s.score }
        return try events.map { e in
            guard let v = byID[e.transactionID] else {
                throw ReadError.badLine(path: url.path, line: 0, message: "no score for transaction \(e.transactionID)")
            }
            return v
        }
    }

    /// One "<detector> only" variant per detector present on every event, for the ablation table.
    public static func detectorVariants(_ events: [ScoredEvent]) -> [String: [Double]] {
        guard let first = events.first else { return [:] }
        var out: [String: [Double]] = [:]
        for name in first.detectorScores.keys {
            let values = events.compactMap { $0.detectorScores[name] }
            if values.count == events.count && values.allSatisfy(\.isFinite) { out["\(name) only"] = values }
        }
        return out
    }

    private static func decodeLines<T: Decodable>(_ type: T.Type, at url: URL) throws -> [(Int, T)] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ReadError.unreadable(path: url.path, underlying: "\(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        var out: [(Int, T)] = []
        var lineNumber = 0
        for slice in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if slice.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            do {
                out.append((lineNumber, try decoder.decode(T.self, from: Data(slice))))
            } catch let DecodingError.keyNotFound(key, _) {
                throw ReadError.badLine(path: url.path, line: lineNumber, message: "missing field \"\(key.stringValue)\"")
            } catch let DecodingError.typeMismatch(_, ctx) {
                throw ReadError.badLine(path: url.path, line: lineNumber, message: "wrong type at \(ctx.codingPath.map(\.stringValue).joined(separator: "."))")
            } catch {
                throw ReadError.badLine(path: url.path, line: lineNumber, message: "not valid JSON")
            }
        }
        return out
    }
}
