import Foundation
import Testing

/// Bad configuration is refused at start with a message naming the key and the problem.
@Suite struct ConfigurationTests {
    func check(_ json: String, _ ws: Workspace) async throws -> (Int32, String) {
        try json.write(toFile: ws.path("c.json"), atomically: true, encoding: .utf8)
        let (status, out, err) = try await run(try txguardBinary(), ["config", "check", ws.path("c.json")])
        return (status, out + err)
    }

    @Test func configCheckNamesTheProblem() async throws {
        let ws = try Workspace()
        try await ws.txguard(["simulate", "--accounts", "100", "--days", "6", "--output", ws.path("tx.jsonl")])
        try await ws.txguard(["train", "--input", ws.path("tx.jsonl"), "--model", ws.path("m.txg"), "--text", "none"])
        let good = """
        {"brokers": "127.0.0.1:9092", "input_topic": ["tx"], "alert_topic": "alerts", "dead_letter_topic": "dlq",
         "group": "g", "model": "\(ws.path("m.txg"))"}
        """
        let (s0, o0) = try await check(good, ws)
        #expect(s0 == 0, "\(o0)")
        #expect(o0.contains("ok"))

        let (s1, o1) = try await check(good.replacingOccurrences(of: "\"group\"", with: "\"gruop\""), ws)
        #expect(s1 != 0 && o1.contains("unknown key \"gruop\""))
        let (s2, o2) = try await check(good.replacingOccurrences(of: "\"input_topic\": [\"tx\"]", with: "\"input_topic\": \"tx\""), ws)
        #expect(s2 != 0 && o2.contains("input_topic") && o2.contains("wrong type"))
        let (s3, o3) = try await check(good.replacingOccurrences(of: "\"group\": \"g\",", with: ""), ws)
        #expect(s3 != 0 && o3.contains("missing setting group"))
        let (s4, o4) = try await check(good.replacingOccurrences(of: "m.txg", with: "nope.txg"), ws)
        #expect(s4 != 0 && o4.contains("cannot be read"))
        let (s5, o5) = try await check(good.replacingOccurrences(of: "\"alert_topic\": \"alerts\"", with: "\"alert_topic\": \"tx\""), ws)
        #expect(s5 != 0 && o5.contains("must differ from the input topics"))
        let (s9, o9) = try await check(good.replacingOccurrences(of: "\"group\": \"g\",", with: "\"group\": \"g\", \"transaction_interval_ms\": -5,"), ws)
        #expect(s9 != 0 && o9.contains("transaction_interval_ms must be 0...60000"))
        let (s10, o10) = try await check(good.replacingOccurrences(of: "\"group\": \"g\",", with: "\"group\": \"g\", \"transactional_id\": \"\","), ws)
        #expect(s10 != 0 && o10.contains("transactional_id must not be empty"))
        let (s11, o11) = try await check(good.replacingOccurrences(of: "\"group\": \"g\",", with: "\"group\": \"g\", \"presume_legitimate_after\": \"45d\","), ws)
        #expect(s11 != 0 && o11.contains("presume_legitimate_after needs labels_topic"), "\(o11)")
        let (s12, o12) = try await check(good.replacingOccurrences(of: "\"group\": \"g\",", with: "\"group\": \"g\", \"labels_topic\": \"labels\", \"presume_legitimate_after\": \"soon\","), ws)
        #expect(s12 != 0 && o12.contains("presume_legitimate_after \"soon\" must be a duration"), "\(o12)")
        let (s13, o13) = try await check(good.replacingOccurrences(of: "\"group\": \"g\",", with: "\"group\": \"g\", \"labels_topic\": \"labels\", \"presume_legitimate_after\": \"45d\","), ws)
        #expect(s13 == 0, "\(o13)")
        let (s14, o14) = try await check(good.replacingOccurrences(of: "\"group\": \"g\",", with: "\"group\": \"g\", \"check_supervised_models\": true,"), ws)
        #expect(s14 != 0 && o14.contains("check_supervised_models needs labels_topic"), "\(o14)")
        let (s15, o15) = try await check(good.replacingOccurrences(of: "\"group\": \"g\",", with: "\"group\": \"g\", \"labels_topic\": \"labels\", \"check_supervised_models\": true,"), ws)
        #expect(s15 == 0, "\(o15)")
        // The supervised layer's settings: as backtest and replay take them, checked the same way,
        // refused without a labels topic (they would be ignored), and shown as they will be used.
        func withLabels(_ extra: String) -> String { good.replacingOccurrences(of: "\"group\": \"g\",", with: "\"group\": \"g\", \"labels_topic\": \"labels\", \(extra)") }
        let (s16, o16) = try await check(withLabels(#""supervised_weight": 2, "retrain_every": "12h", "false_positive_weight": 1, "feedback": false,"#), ws)
        #expect(s16 == 0 && o16.contains("supervised: weight 2, retrain every 12h, false-positive weight 1, feedback off, presume legitimate after never"), "\(o16)")
        let (s17, o17) = try await check(good.replacingOccurrences(of: "\"group\": \"g\",", with: "\"group\": \"g\", \"supervised_weight\": 2,"), ws)
        #expect(s17 != 0 && o17.contains("supervised_weight needs labels_topic"), "\(o17)")
        let (s18, o18) = try await check(withLabels(#""supervised_weight": -1,"#), ws)
        #expect(s18 != 0 && o18.contains("supervised_weight must be a number >= 0"), "\(o18)")
        let (s19, o19) = try await check(withLabels(#""retrain_every": "10s","#), ws)
        #expect(s19 != 0 && o19.contains("retrain_every \"10s\" must be a duration of at least 1m"), "\(o19)")
        let (s20, o20) = try await check(withLabels(#""false_positive_weight": 0,"#), ws)
        #expect(s20 != 0 && o20.contains("false_positive_weight must be in (0, 1000]"), "\(o20)")
        let (s21, o21) = try await check(withLabels(#""feedback": "no","#), ws)
        #expect(s21 != 0 && o21.contains("key \"feedback\" has the wrong type"), "\(o21)")
        // A TXGUARD_* variable that is set but does not parse is refused by name (it was once
        // skipped in silence, the file's value or the default taken instead), its value not quoted.
        try good.write(toFile: ws.path("c.json"), atomically: true, encoding: .utf8)
        for (key, value, expected) in [("TXGUARD_BATCH_SIZE", "lots", "a whole number"), ("TXGUARD_EXACTLY_ONCE", "yes", "true or false"),
                                       ("TXGUARD_STALL_AFTER", "soon", "a number"), ("TXGUARD_SUPERVISED_WEIGHT", "heavy", "a number")] {
            let (status, out, err) = try await run(try txguardBinary(), ["run", "--config", ws.path("c.json")], environment: [key: value])
            #expect(status == 78 && err.contains("\(key) is set but is not \(expected)") && !(out + err).contains(value), "\(key): \(status) \(err)")
        }
        // The same settings as YAML.
        let yaml = """
        brokers: 127.0.0.1:9092
        input_topic: [tx]
        alert_topic: alerts
        dead_letter_topic: dlq
        group: g
        model: \(ws.path("m.txg"))
        batch_size: 2000
        """
        try yaml.write(toFile: ws.path("c.yaml"), atomically: true, encoding: .utf8)
        let (y0, yo0, ye0) = try await run(try txguardBinary(), ["config", "check", ws.path("c.yaml")])
        #expect(y0 == 0 && yo0.contains("ok (group g"), "\(ye0)")
        try yaml.replacingOccurrences(of: "batch_size", with: "batch_sise").write(toFile: ws.path("c2.yaml"), atomically: true, encoding: .utf8)
        let (y1, _, ye1) = try await run(try txguardBinary(), ["config", "check", ws.path("c2.yaml")])
        #expect(y1 != 0 && ye1.contains("unknown key \"batch_sise\""))
        try "brokers: [unclosed".write(toFile: ws.path("c3.yml"), atomically: true, encoding: .utf8)
        let (y2, _, ye2) = try await run(try txguardBinary(), ["config", "check", ws.path("c3.yml")])
        #expect(y2 != 0 && ye2.contains("not valid YAML"))
        let (s6, o6) = try await check("{ not json", ws)
        #expect(s6 != 0 && o6.contains("not a JSON object"))

        // Hostile YAML is refused with a message, never a crash. `? -` (a key that is a
        // sequence, found by the config fuzzer) made Yams' loader trap with signal 4.
        for (i, (hostile, expected)) in [("? -\n", "a key that is not a plain name"), ("? [a, b]\n: c\n", "a key that is not a plain name"),
                                          ("? {a: 1}\n: c\n", "a key that is not a plain name"),
                                          (String(repeating: "[", count: 40) + String(repeating: "]", count: 40), "nested more than 32 levels"),
                                          ("group: &g x\nbrokers: *g\n", "missing setting input_topic"),
                                          // A YAML 1.1 sexagesimal integer that overflows trapped in Yams (found by fuzzing).
                                          ("batch_size: 311111111111111111:2:2:30\n", "\"batch_size\" has the wrong type"), ("- a\n- b\n", "not a YAML mapping")].enumerated() {
            try hostile.write(toFile: ws.path("h\(i).yaml"), atomically: true, encoding: .utf8)
            let (h, _, he) = try await run(try txguardBinary(), ["config", "check", ws.path("h\(i).yaml")])
            #expect(h == 78 && he.contains(expected) && !he.contains("crashed"), "\(hostile.debugDescription): \(h) \(he)")
        }

        // A corrupt model file is refused by `run` before anything starts.
        var bytes = try ws.bytes("m.txg")
        bytes[bytes.count - 5] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: ws.path("bad.txg")))
        let (s7, _, e7) = try await run(try txguardBinary(), ["run", "--brokers", "127.0.0.1:1", "--input-topic", "tx", "--alert-topic", "a",
                                                             "--dead-letter-topic", "d", "--group", "g", "--model", ws.path("bad.txg")])
        #expect(s7 != 0 && e7.contains("corrupt"))
        // A missing text model says how to install it.
        let (s8, _, e8) = try await run(try txguardBinary(), ["embed", "--model-dir", ws.path("no-model"), "hello"])
        #expect(s8 != 0 && e8.contains("fetch-model.sh"))
    }
}
