import ArgumentParser
import Foundation
import TxGuardContracts

/// `txguard bench decode`: JSON transaction decode + validate (txguard's byte scanner vs Foundation
/// `JSONDecoder` on the same documents), and alert encoding, on one core.
struct DecodeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Transaction decode+validate (txguard vs Foundation JSONDecoder) and alert encode rates."
    )

    @Option(help: "Distinct synthetic events (about 300 bytes each).")
    var events = 100_000

    @Option(help: "Passes over the events per measurement.")
    var rounds = 5

    @Option(help: "Which measurements: all, canonical, nested, foundation, alerts.")
    var part = "all"

    func wants(_ name: String) -> Bool { part == "all" || part == name }

    /// The Foundation baseline: the same fields, amount as an exact `Decimal`, timestamp left as text.
    struct FoundationTransaction: Decodable {
        var transaction_id: String
        var account_id: String
        var timestamp: String
        var amount: Decimal
        var currency: String
        var merchant_name: String?
        var merchant_category: String?
        var description: String?
        var country: String?
        var channel: String?
        var card_id: String?
        var device_id: String?
        var label: Bool?
    }

    func run() async throws {
        let docs = Self.syntheticEvents(events)
        let nested = Self.nestedEvents(events)
        let meanBytes = docs.reduce(0) { $0 + $1.count } / max(docs.count, 1)
        print("decode benchmark: \(docs.count) distinct events, mean \(meanBytes) bytes, \(rounds) rounds; one core")

        let canonical = try JSONTransactionDecoder()
        if wants("canonical") { print(measure("txguard decode+validate (canonical)", docs) { d in
            d.withUnsafeBytes { (try? canonical.decode($0, context: .unknown)) != nil }
        }.line) }

        let mapped = try JSONTransactionDecoder(mapping: FieldMapping([
            .transactionID: FieldSource(path: "/pspReference"), .accountID: FieldSource(path: "/shopper/reference"),
            .timestamp: FieldSource(path: "/eventDate"),
            .amount: FieldSource(path: "/payment/amount/value", amountUnits: .minor),
            .currency: FieldSource(path: "/payment/amount/currency"), .merchantName: FieldSource(path: "/merchant/name"),
            .merchantCategory: FieldSource(path: "/merchant/mcc"), .country: FieldSource(path: "/merchant/address/country"),
        ]))
        if wants("nested") { print(measure("txguard decode+validate (nested mapping)", nested) { d in
            d.withUnsafeBytes { (try? mapped.decode($0, context: .unknown)) != nil }
        }.line) }

        let foundation = JSONDecoder()
        let baselineRounds = max(1, rounds / 5)
        if wants("foundation") { print(measure("Foundation JSONDecoder (baseline)", docs, rounds: baselineRounds) { d in
            (try? foundation.decode(FoundationTransaction.self, from: Data(d))) != nil
        }.line) }
        guard wants("alerts") else { return }

        // Alert encoding: one writer reused, as the pipeline would.
        let transactions = docs.prefix(10_000).compactMap { try? canonical.decode($0) }
        let alerts = transactions.enumerated().map { i, t in
            Alert(alertID: AlertID.make(source: SourceContext(topic: "tx", partition: Int32(i % 12), offset: Int64(i)),
                                        transactionID: t.transactionID, modelVersion: "bench-1"),
                  transactionID: t.transactionID, accountID: t.accountID, eventTimeMicros: t.timestampMicros,
                  detectionTimeMicros: t.timestampMicros + 1500, score: 0.91 + Double(i % 7) * 0.001, threshold: 0.85,
                  detectors: [DetectorScore(name: "isolation_forest", score: 0.71, probability: 0.002),
                              DetectorScore(name: "zscore", score: 5.2, probability: 1e-6),
                              DetectorScore(name: "ocsvm", score: 1.3, probability: 0.01)],
                  reasons: [AlertReason(feature: "amount_zscore_account", value: .number(5.2), contribution: 0.4, detector: "zscore",
                                        description: "amount is 5.2σ above this account's mean"),
                            AlertReason(feature: "new_country", value: .string(t.country ?? "??"), contribution: 0.2,
                                        detector: "isolation_forest", description: "first transaction in this country")],
                  modelVersion: "bench-1", source: SourceContext(topic: "tx", partition: Int32(i % 12), offset: Int64(i)),
                  amount: t.amount, currency: t.currency)
        }
        var writer = JSONWriter(capacity: 1024)
        var alertBytes = 0
        let alertResult = measure("txguard alert encode (JSONWriter)", alerts, rounds: rounds * 5) { a in
            writer.reset()
            AlertEncoder.encode(a, into: &writer)
            alertBytes = writer.bytes.count
            return true
        }
        print(alertResult.line + "   (\(alertBytes) bytes/alert)")

        // Baseline: Foundation JSONEncoder on an equivalent Encodable alert.
        let encoder = JSONEncoder()
        let mirrors = alerts.map(FoundationAlert.init)
        print(measure("Foundation JSONEncoder alert (baseline)", mirrors, rounds: rounds) { a in
            (try? encoder.encode(a)) != nil
        }.line)
    }

    /// The same alert content as a Foundation `Encodable` (times pre-formatted, so the baseline is favoured).
    struct FoundationAlert: Encodable {
        struct Detector: Encodable { var score: Double; var probability: Double }
        struct Reason: Encodable { var feature: String; var value: Double?; var text: String?; var contribution: Double; var detector: String; var description: String }
        struct Source: Encodable { var topic: String?; var partition: Int32?; var offset: Int64? }
        var schema_version = "1"
        var alert_id, transaction_id, account_id, event_time, detection_time: String
        var score, threshold: Double
        var detectors: [String: Detector]
        var reasons: [Reason]
        var model_version: String
        var source: Source
        var amount: String?
        var currency: String?

        init(_ a: Alert) {
            alert_id = a.alertID; transaction_id = a.transactionID; account_id = a.accountID
            event_time = Timestamps.rfc3339(micros: a.eventTimeMicros); detection_time = Timestamps.rfc3339(micros: a.detectionTimeMicros)
            score = a.score; threshold = a.threshold
            detectors = Dictionary(uniqueKeysWithValues: a.detectors.map { ($0.name, Detector(score: $0.score, probability: $0.probability)) })
            reasons = a.reasons.map { r in
                var value: Double?, text: String?
                switch r.value { case .number(let x): value = x; case .string(let s): text = s; case .bool(let b): text = b ? "true" : "false" }
                return Reason(feature: r.feature, value: value, text: text, contribution: r.contribution, detector: r.detector, description: r.description)
            }
            model_version = a.modelVersion
            source = Source(topic: a.source.topic, partition: a.source.partition, offset: a.source.offset)
            amount = a.amount?.description; currency = a.currency
        }
    }

    /// Runs `body` over `items` `rounds` times; latency sampled per batch of 64 (divided by 64).
    func measure<T>(_ name: String, _ items: [T], rounds: Int? = nil, _ body: (T) -> Bool) -> BenchResult {
        let passes = rounds ?? self.rounds
        var ok = 0
        for item in items.prefix(2000) where body(item) { ok += 0 } // warm-up
        var latencies: [Double] = []
        latencies.reserveCapacity(items.count / 64 * passes + 1)
        let cpuStart = processCPUSeconds()
        let start = monotonicNanos()
        for _ in 0..<passes {
            var i = 0
            while i < items.count {
                let end = min(i + 64, items.count)
                let t0 = monotonicNanos()
                for j in i..<end where body(items[j]) { ok += 1 }
                latencies.append(Double(monotonicNanos() - t0) / Double(end - i))
                i = end
            }
        }
        let seconds = Double(monotonicNanos() - start) / 1e9
        let cpu = processCPUSeconds() - cpuStart
        // On a shared machine wall time includes waiting for a core; CPU time is the single-core cost.
        print("  \(name): \(formatRate(Double(items.count * passes) / max(cpu, 1e-9))) events per CPU-second "
              + "(wall \(String(format: "%.2f", seconds)) s, cpu \(String(format: "%.2f", cpu)) s)")
        if ok != items.count * passes { print("  note: \(items.count * passes - ok) of \(items.count * passes) rejected") }
        return BenchResult(name: name, operations: items.count * passes, seconds: seconds, latenciesNanos: latencies)
    }

    static let merchants = ["REWE Markt GmbH", "Amazon EU S.a.r.l.", "Shell Station 4471", "Uber BV", "Netflix.com",
                            "Café Central", "Deutsche Bahn AG", "Lidl Dienstleistung", "Apple.com/bill", "Booking.com BV"]
    static let countries = ["DE", "FR", "NL", "GB", "US", "ES", "IT", "AT", "CH", "PL"]
    static let currencies = ["EUR", "EUR", "EUR", "GBP", "USD", "CHF", "JPY", "PLN"]
    static let channels = ["pos", "ecom", "atm", "contactless"]

    /// Canonical documents, about 300 bytes, deterministic.
    static func syntheticEvents(_ n: Int) -> [[UInt8]] {
        var state: UInt64 = 0x5EED
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(truncatingIfNeeded: state >> 33)
        }
        return (0..<n).map { i in
            let currency = currencies[next() % currencies.count]
            let amount = currency == "JPY" ? "\(next() % 200_000)" : "\(next() % 5000).\(String(format: "%02d", next() % 100))"
            let ms = 1_764_417_600_000 + i * 137
            let seconds = ms / 1000
            let ts = Timestamps.rfc3339(micros: Int64(seconds) * 1_000_000 + Int64(ms % 1000) * 1000)
            let doc = """
            {"transaction_id":"tx-\(String(format: "%09d", i))","account_id":"acct-\(next() % 50_000)","timestamp":"\(ts)",\
            "amount":\(amount),"currency":"\(currency)","merchant_name":"\(merchants[next() % merchants.count])",\
            "merchant_category":"\(5000 + next() % 900)","country":"\(countries[next() % countries.count])",\
            "channel":"\(channels[next() % channels.count])","card_id":"tok_\(next() % 1_000_000)",\
            "device_id":"dev-\(next() % 90_000)","description":"card payment ref \(next() % 1_000_000)","label":false}
            """
            return Array(doc.utf8)
        }
    }

    /// The same kind of event in a card processor's nested shape.
    static func nestedEvents(_ n: Int) -> [[UInt8]] {
        (0..<n).map { i in
            let doc = """
            {"pspReference":"88153298\(String(format: "%08d", i))","eventDate":"2025-11-29T12:01:44.\(String(format: "%03d", i % 1000))+01:00",\
            "shopper":{"reference":"SHP-\(i % 40_000)"},"payment":{"amount":{"value":\(1000 + i % 99_000),"currency":"EUR"},\
            "card":{"token":"tok_\(i % 77_777)","brand":"visa"}},"merchant":{"name":"\(merchants[i % merchants.count])",\
            "mcc":"\(5000 + i % 900)","address":{"country":"\(countries[i % countries.count])","city":"Berlin"}},\
            "shopperInteraction":"Ecommerce","eventCode":"AUTHORISATION"}
            """
            return Array(doc.utf8)
        }
    }
}
