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

    private struct ScoreLine: FastDecodable {
        var transaction_id: String
        var event_time_ms: Int64
        var score: Double
        var alert: Bool
        var threshold: Double
        var detectors: [String: Double]?

        init?(flat o: FlatJSONObject) {
            guard case let .string(id)? = o["transaction_id"],
                  case let .number(_, time?)? = o["event_time_ms"],
                  case let .number(score, _)? = o["score"],
                  case let .bool(alert)? = o["alert"],
                  case let .number(threshold, _)? = o["threshold"] else { return nil }
            switch o["detectors"] {
            case nil, .null?: detectors = nil
            case let .numbers(d)?: detectors = d
            default: return nil
            }
            transaction_id = id; event_time_ms = time; self.score = score; self.alert = alert; self.threshold = threshold
        }
    }

    private struct LabelLine: FastDecodable {
        var transaction_id: String
        var is_fraud: Bool
        var fraud_type: String?
        var lookalike: String?

        init?(flat o: FlatJSONObject) {
            guard case let .string(id)? = o["transaction_id"], case let .bool(fraud)? = o["is_fraud"] else { return nil }
            func optionalString(_ key: String) -> String?? {
                switch o[key] {
                case nil, .null?: return .some(nil)
                case let .string(s)?: return .some(s)
                default: return nil
                }
            }
            guard let type = optionalString("fraud_type"), let look = optionalString("lookalike") else { return nil }
            transaction_id = id; is_fraud = fraud; fraud_type = type; lookalike = look
        }
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

    private static func decodeLines<T: FastDecodable>(_ type: T.Type, at url: URL) throws -> [(Int, T)] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ReadError.unreadable(path: url.path, underlying: "\(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        return try data.withUnsafeBytes { raw -> [(Int, T)] in
            let buffer = raw.bindMemory(to: UInt8.self)
            var out: [(Int, T)] = []
            var lineNumber = 0
            var start = 0
            while start < buffer.count {
                var end = start
                while end < buffer.count && buffer[end] != UInt8(ascii: "\n") { end += 1 }
                lineNumber += 1
                let line = UnsafeBufferPointer(rebasing: buffer[start..<end])
                start = end + 1
                if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
                // The flat fast path decodes a typical line in about a microsecond; JSONDecoder (≈ 13 µs)
                // takes any line it declines, and names the problem if the line is bad.
                if let flat = FlatJSONObject(line), let value = T(flat: flat) {
                    out.append((lineNumber, value))
                    continue
                }
                do {
                    out.append((lineNumber, try decoder.decode(T.self, from: Data(line))))
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
}

/// A line type with a fast path over `FlatJSONObject` and `Decodable` as the fallback.
private protocol FastDecodable: Decodable {
    init?(flat: FlatJSONObject)
}
