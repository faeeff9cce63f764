import Foundation
@testable import TxGuardSimulator

/// One emitted event as read back through Foundation's JSONSerialization (the independent parser).
struct ParsedEvent: Sendable {
    let raw: String
    let transactionID: String
    let accountID: String
    let timestamp: String
    let timestampMillis: Int64
    /// The amount's JSON text exactly as written (string contents, or number literal).
    let amountText: String
    let amountIsNumber: Bool
    let amountValue: Double
    let currency: String
    let merchantName: String?
    let mcc: String?
    let country: String?
    let channel: String?
    let cardID: String?
    let deviceID: String?
    let isFraud: Bool
    let fraudType: String?
    let lookalike: String?
}

enum DatasetError: Error { case notAnObject(String), missing(String, String) }

/// Parses a JSON line with JSONSerialization; throws if it is not an object with the required fields.
func parseEvent(_ line: [UInt8], formatter: ISO8601DateFormatter = isoFormatter()) throws -> ParsedEvent {
    let raw = String(decoding: line, as: UTF8.self)
    guard let obj = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { throw DatasetError.notAnObject(raw) }
    func str(_ k: String) throws -> String {
        guard let v = obj[k] as? String else { throw DatasetError.missing(k, raw) }
        return v
    }
    let amountIsNumber = obj["amount"] is NSNumber && !(obj["amount"] is String)
    // Raw amount text from the line itself (JSONSerialization turns 12.50 into 12.5).
    guard let r1 = raw.range(of: "\"amount\":"), let r2 = raw.range(of: ",\"currency\"") else { throw DatasetError.missing("amount", raw) }
    var amountText = String(raw[r1.upperBound..<r2.lowerBound])
    if amountText.hasPrefix("\"") { amountText = String(amountText.dropFirst().dropLast()) }
    let ts = try str("timestamp")
    guard let date = formatter.date(from: ts) else { throw DatasetError.missing("timestamp(RFC 3339)", raw) }
    let amountValue: Double
    if let s = obj["amount"] as? String, let d = Double(s) { amountValue = d }
    else if let n = obj["amount"] as? NSNumber { amountValue = n.doubleValue }
    else { throw DatasetError.missing("amount", raw) }
    return ParsedEvent(
        raw: raw, transactionID: try str("transaction_id"), accountID: try str("account_id"), timestamp: ts,
        timestampMillis: Int64((date.timeIntervalSince1970 * 1000).rounded()), amountText: amountText,
        amountIsNumber: amountIsNumber, amountValue: amountValue, currency: try str("currency"),
        merchantName: obj["merchant_name"] as? String, mcc: obj["merchant_category"] as? String,
        country: obj["country"] as? String, channel: obj["channel"] as? String, cardID: obj["card_id"] as? String,
        deviceID: obj["device_id"] as? String, isFraud: (obj["is_fraud"] as? Bool) ?? false,
        fraudType: obj["fraud_type"] as? String, lookalike: obj["lookalike"] as? String)
}

/// An RFC 3339 parser with fractional seconds.
func isoFormatter() -> ISO8601DateFormatter {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f
}

/// A mid-sized simulated stream shared by the scenario tests (built once; ~100k events).
struct Dataset: Sendable {
    let config: SimulatorConfig
    let summary: ScenarioSummary
    let events: [ParsedEvent]
    let homeCountry: [String: String]
    /// Lines JSONSerialization rejected (must be empty), with the error.
    let parseFailures: [String]

    static let shared: Dataset = {
        var config = SimulatorConfig()
        config.seed = 2026
        config.accounts = 1500
        config.days = 28
        config.fraudRate = 0.06
        config.lookalikeRate = 0.04
        guard let sim = try? TransactionSimulator(config: config) else {
            return Dataset(config: config, summary: .init(), events: [], homeCountry: [:], parseFailures: ["config rejected"])
        }
        var events: [ParsedEvent] = []
        var failures: [String] = []
        var homes: [String: String] = [:]
        for a in sim.accounts { homes[a.accountID] = a.country.code }
        let formatter = isoFormatter()
        for tx in sim {
            do { events.append(try parseEvent(tx.jsonLine(includeLabels: true), formatter: formatter)) } catch {
                failures.append("\(error)")
            }
        }
        return Dataset(config: config, summary: sim.summary, events: events, homeCountry: homes, parseFailures: failures)
    }()

    func byAccount() -> [String: [ParsedEvent]] { Dictionary(grouping: events, by: \.accountID) }
}
