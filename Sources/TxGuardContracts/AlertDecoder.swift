import Foundation

/// Reads `alert.v1` JSON back into an `Alert`, for `txguard tail` and tests (Foundation; not a hot path).
public enum AlertDecoder {
    /// Why an alert document could not be read.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// The field at fault (JSON Pointer), or `""` for the document.
        public var path: String
        /// What is wrong.
        public var problem: String
        /// `alert /score: missing or not a number`.
        public var description: String { "alert \(path.isEmpty ? "document" : path): \(problem)" }
    }

    /// Parses one alert document.
    public static func decode(_ bytes: [UInt8]) throws(Failure) -> Alert {
        let object: [String: Any]
        do {
            guard let o = try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
                throw Failure(path: "", problem: "not a JSON object")
            }
            object = o
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(path: "", problem: "not JSON: \(error.localizedDescription)")
        }
        let version = try string(object, "schema_version")
        guard version == Alert.schemaVersion else { throw Failure(path: "/schema_version", problem: "unsupported version \(version)") }

        var detectors: [DetectorScore] = []
        guard let detectorObject = object["detectors"] as? [String: Any] else { throw Failure(path: "/detectors", problem: "missing or not an object") }
        for name in detectorObject.keys.sorted() {
            guard let d = detectorObject[name] as? [String: Any] else { throw Failure(path: "/detectors/\(name)", problem: "not an object") }
            detectors.append(DetectorScore(name: name, score: try number(d, "score", at: "/detectors/\(name)"),
                                           probability: try number(d, "probability", at: "/detectors/\(name)")))
        }
        guard let reasonArray = object["reasons"] as? [[String: Any]] else { throw Failure(path: "/reasons", problem: "missing or not an array of objects") }
        var reasons: [AlertReason] = []
        for (i, r) in reasonArray.enumerated() {
            let at = "/reasons/\(i)"
            let value: ReasonValue
            switch r["value"] {
            case let n as NSNumber where isBoolean(n): value = .bool(n.boolValue)
            case let n as NSNumber: value = .number(n.doubleValue)
            case let s as String: value = .string(s)
            default: throw Failure(path: at + "/value", problem: "must be a number, string or boolean")
            }
            reasons.append(AlertReason(feature: try string(r, "feature", at: at), value: value,
                                       contribution: try number(r, "contribution", at: at),
                                       detector: try string(r, "detector", at: at), description: try string(r, "description", at: at)))
        }
        guard let sourceObject = object["source"] as? [String: Any] else { throw Failure(path: "/source", problem: "missing or not an object") }
        let source = SourceContext(topic: sourceObject["topic"] as? String,
                                   partition: (sourceObject["partition"] as? NSNumber).map { Int32(truncatingIfNeeded: $0.int64Value) },
                                   offset: (sourceObject["offset"] as? NSNumber)?.int64Value)
        let currency = object["currency"] as? String
        var amount: Money?
        if let text = object["amount"] as? String {
            guard let currency, let digits = ISO4217.minorUnitDigits(currency) else { throw Failure(path: "/currency", problem: "amount without a valid currency") }
            do throws(AmountParser.Problem) {
                let minor = try Array(text.utf8).withUnsafeBufferPointer { buf throws(AmountParser.Problem) -> Int64 in
                    guard let base = buf.baseAddress else { throw AmountParser.Problem(message: "empty") }
                    return try AmountParser.minorUnits(base, 0, buf.count, exponent: digits, inMinorUnits: false,
                                                       maxMajor: 100_000_000_000_000, allowNegative: true, currency: currency)
                }
                amount = Money(minorUnits: minor, exponent: digits)
            } catch {
                throw Failure(path: "/amount", problem: error.message)
            }
        }
        var extra: UnknownFields?
        if let e = object["extra"] as? [String: Any] {
            let data = (try? JSONSerialization.data(withJSONObject: e, options: [.sortedKeys])) ?? Data("{}".utf8)
            extra = UnknownFields(jsonObject: Array(data), count: e.count)
        }
        return Alert(
            alertID: try string(object, "alert_id"), transactionID: try string(object, "transaction_id"),
            accountID: try string(object, "account_id"),
            eventTimeMicros: try time(object, "event_time"), detectionTimeMicros: try time(object, "detection_time"),
            score: try number(object, "score"), threshold: try number(object, "threshold"),
            detectors: detectors, reasons: reasons, modelVersion: try string(object, "model_version"),
            source: source, amount: amount, currency: currency, extra: extra)
    }

    /// JSONSerialization returns booleans as NSNumber; their Objective-C type is `c` (char) on Darwin and Linux.
    private static func isBoolean(_ n: NSNumber) -> Bool {
        String(cString: n.objCType) == "c"
    }

    private static func string(_ o: [String: Any], _ key: String, at prefix: String = "") throws(Failure) -> String {
        guard let s = o[key] as? String else { throw Failure(path: "\(prefix)/\(key)", problem: "missing or not a string") }
        return s
    }

    private static func number(_ o: [String: Any], _ key: String, at prefix: String = "") throws(Failure) -> Double {
        guard let n = o[key] as? NSNumber, !isBoolean(n) else {
            throw Failure(path: "\(prefix)/\(key)", problem: "missing or not a number")
        }
        return n.doubleValue
    }

    private static func time(_ o: [String: Any], _ key: String) throws(Failure) -> Int64 {
        let text = try string(o, key)
        do throws(Timestamps.Problem) {
            return try Array(text.utf8).withUnsafeBufferPointer { buf throws(Timestamps.Problem) -> Int64 in
                guard let base = buf.baseAddress else { throw Timestamps.Problem(message: "empty") }
                return try Timestamps.parseRFC3339(base, 0, buf.count)
            }
        } catch {
            throw Failure(path: "/\(key)", problem: error.message)
        }
    }
}
