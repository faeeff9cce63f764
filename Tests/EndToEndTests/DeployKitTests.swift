import Foundation
import Testing
import TxGuardTestSupport
import Yams

/// The repository root (this file is Tests/EndToEndTests/DeployKitTests.swift).
let repositoryRoot = packageRoot

func repoFile(_ relative: String) throws -> String {
    guard let d = FileManager.default.contents(atPath: "\(repositoryRoot)/\(relative)") else { throw ProcessFailure("missing \(relative)") }
    return String(decoding: d, as: UTF8.self)
}

/// The deploy kit (deploy/): its files parse, its txguard configurations pass `txguard config check`,
/// its alert rules pass promtool, its dashboard and rules name only metrics a live `txguard run`
/// exports, and the image's runtime libraries are the ones the binary links.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct DeployKitTests {
    static func deployFiles(_ extensions: Set<String>) throws -> [String] {
        let root = "\(repositoryRoot)/deploy"
        let all = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return all.filter { extensions.contains(($0 as NSString).pathExtension) }.sorted().map { "deploy/\($0)" }
    }

    @Test func everyYAMLAndJSONFileParses() throws {
        let yaml = try Self.deployFiles(["yaml", "yml"])
        let json = try Self.deployFiles(["json"])
        #expect(yaml.count >= 15 && json.count >= 2, "\(yaml) \(json)")
        for f in yaml {
            let docs = try Array(Yams.load_all(yaml: try repoFile(f)))
            #expect(!docs.isEmpty && docs.allSatisfy { $0 is [String: Any] }, "\(f): every document is a mapping")
        }
        for f in json {
            #expect(try JSONSerialization.jsonObject(with: Data(try repoFile(f).utf8)) is [String: Any], "\(f)")
        }
    }

    /// The Kubernetes objects, by kind.
    static func kubernetes() throws -> [String: [[String: Any]]] {
        var byKind: [String: [[String: Any]]] = [:]
        for f in try deployFiles(["yaml"]) where f.hasPrefix("deploy/kubernetes/") {
            for case let doc as [String: Any] in try Yams.load_all(yaml: try repoFile(f)) {
                byKind[doc["kind"] as? String ?? "?", default: []].append(doc)
            }
        }
        return byKind
    }

    /// The txguard configurations shipped in deploy/ (ConfigMap, Compose, the examples) pass
    /// `config check` once their model path points at a real model; the pod spec fits them.
    @Test func shippedConfigurationsPassConfigCheck() async throws {
        let ws = try Workspace()
        try await ws.txguard(["simulate", "--accounts", "100", "--days", "6", "--output", ws.path("tx.jsonl")])
        try await ws.txguard(["train", "--input", ws.path("tx.jsonl"), "--model", ws.path("m.txg"), "--text", "none"])
        let k8s = try Self.kubernetes()
        let configMap = try #require(k8s["ConfigMap"]?.first { ($0["metadata"] as? [String: Any])?["name"] as? String == "txguard-config" })
        let fromConfigMap = try #require((configMap["data"] as? [String: Any])?["txguard.yaml"] as? String)
        let compose = try #require(try Yams.load(yaml: try repoFile("deploy/compose.yaml")) as? [String: Any])
        let fromCompose = try #require(((compose["configs"] as? [String: Any])?["txguard-config"] as? [String: Any])?["content"] as? String)
        let configs: [(String, String)] = [("configmap.yaml", fromConfigMap), ("compose.yaml", fromCompose),
                                           ("txguard.yaml", try repoFile("deploy/txguard.yaml")), ("txguard.json", try repoFile("deploy/txguard.json"))]
        var deadlines: [String: Double] = [:]
        for (name, text) in configs {
            let settings = try #require(name.hasSuffix(".json") ? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] : Yams.load(yaml: text) as? [String: Any])
            let model = try #require(settings["model"] as? String)
            let local = text.replacingOccurrences(of: model, with: ws.path("m.txg"))
            try local.write(toFile: ws.path("check-\(name)"), atomically: true, encoding: .utf8)
            let (status, out, err) = try await run(try txguardBinary(), ["config", "check", ws.path("check-\(name)")])
            #expect(status == 0 && out.contains(": ok (group"), "\(name): \(out)\(err)")
            deadlines[name] = (settings["shutdown_deadline"] as? Double) ?? (settings["shutdown_deadline"] as? Int).map(Double.init) ?? 30
        }
        // The pod's grace period leaves room for the shutdown deadline (drain, snapshot, commit).
        let sts = try #require(k8s["StatefulSet"]?.first)
        let pod = try #require(((sts["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])
        let grace = try #require(pod["terminationGracePeriodSeconds"] as? Int)
        let deadline = try #require(deadlines["configmap.yaml"])
        #expect(Double(grace) > deadline && Double(grace) <= deadline + 30, "grace \(grace) s vs shutdown_deadline \(deadline) s")
        let container = try #require((pod["containers"] as? [[String: Any]])?.first)
        let env = container["env"] as? [[String: Any]] ?? []
        let txid = env.first { $0["name"] as? String == "TXGUARD_TRANSACTIONAL_ID" }
        #expect((((txid?["valueFrom"] as? [String: Any])?["fieldRef"] as? [String: Any])?["fieldPath"] as? String) == "metadata.name",
                "one transactional.id per pod: the StatefulSet pod name")
        #expect(env.contains { $0["name"] as? String == "TXGUARD_SASL_PASSWORD" && $0["valueFrom"] != nil })
        // Compose: the stop grace period also exceeds the deadline.
        let service = try #require((compose["services"] as? [String: Any])?["txguard"] as? [String: Any])
        #expect((service["stop_grace_period"] as? String) == "45s")
        // KEDA never scales past the partition count it states.
        let scaled = try #require(k8s["ScaledObject"]?.first?["spec"] as? [String: Any])
        let trigger = try #require((scaled["triggers"] as? [[String: Any]])?.first?["metadata"] as? [String: Any])
        #expect(trigger["allowIdleConsumers"] as? String == "false")
        #expect((scaled["maxReplicaCount"] as? Int ?? 0) >= (scaled["minReplicaCount"] as? Int ?? 1))
        #expect(k8s["PodDisruptionBudget"]?.count == 1 && k8s["Secret"]?.isEmpty == false && k8s["Service"]?.isEmpty == false)
    }

    static func promtool() throws -> String {
        for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/promtool") { return "\(dir)/promtool" }
        throw ProcessFailure("promtool not found: scripts/bootstrap.sh installs it (Debian package prometheus); run `make setup`")
    }

    @Test func promtoolAcceptsAndUnitTestsTheAlertRules() async throws {
        let promtool = try Self.promtool()
        let dir = "\(repositoryRoot)/deploy/prometheus"
        let (c, co, ce) = try await run(promtool, ["check", "rules", "\(dir)/txguard-rules.yaml"])
        #expect(c == 0 && (co + ce).contains("SUCCESS"), "\(co)\(ce)")
        let (t, to, te) = try await run(promtool, ["test", "rules", "\(dir)/txguard-rules.test.yaml"])
        #expect(t == 0 && (to + te).contains("SUCCESS"), "\(to)\(te)")
        // Every alert has a firing case in the unit tests (a rule nobody tested would pass silently).
        let rules = try Yams.load(yaml: try repoFile("deploy/prometheus/txguard-rules.yaml")) as? [String: Any]
        let alerts = ((rules?["groups"] as? [[String: Any]]) ?? []).flatMap { ($0["rules"] as? [[String: Any]]) ?? [] }.compactMap { $0["alert"] as? String }
        #expect(alerts.count >= 9)
        let tests = try repoFile("deploy/prometheus/txguard-rules.test.yaml")
        for a in alerts {
            let firing = tests.components(separatedBy: "alertname: \(a)\n").dropFirst().contains { $0.drop { $0 == " " }.hasPrefix("exp_alerts:\n") }
            #expect(firing, "no promtool test fires \(a)")
        }
    }

    /// `name{labels}` and `by (labels)` uses of txguard_* metrics in PromQL expressions.
    static func metricUses(_ expr: String) -> [(name: String, labels: Set<String>)] {
        var out: [(String, Set<String>)] = []
        let ns = expr as NSString
        let re = try! NSRegularExpression(pattern: #"\b(txguard_[a-z0-9_]+)(\{([^}]*)\})?"#)
        for m in re.matches(in: expr, range: NSRange(location: 0, length: ns.length)) {
            let name = ns.substring(with: m.range(at: 1))
            var labels = Set<String>()
            if m.range(at: 3).location != NSNotFound {
                for matcher in ns.substring(with: m.range(at: 3)).split(separator: ",") {
                    labels.insert(String(matcher.prefix { $0.isLetter || $0 == "_" }).trimmingCharacters(in: .whitespaces))
                }
            }
            out.append((name, labels))
        }
        // `sum by (reason) (rate(txguard_x...))`: the grouping labels must exist on the metric inside.
        let by = try! NSRegularExpression(pattern: #"by \(([a-z_, ]+)\) \(([a-z_]+\()?(txguard_[a-z0-9_]+)"#)
        for m in by.matches(in: expr, range: NSRange(location: 0, length: ns.length)) {
            let labels = Set(ns.substring(with: m.range(at: 1)).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            out.append((ns.substring(with: m.range(at: 3)), labels))
        }
        return out
    }

    /// Every PromQL expression of the alert rules and the dashboard.
    static func shippedExpressions() throws -> [String] {
        var exprs: [String] = []
        let rules = try Yams.load(yaml: try repoFile("deploy/prometheus/txguard-rules.yaml")) as? [String: Any]
        for g in (rules?["groups"] as? [[String: Any]]) ?? [] {
            for r in (g["rules"] as? [[String: Any]]) ?? [] { if let e = r["expr"] as? String { exprs.append(e) } }
        }
        let dash = try JSONSerialization.jsonObject(with: Data(try repoFile("deploy/grafana/dashboards/txguard.json").utf8)) as? [String: Any]
        for p in (dash?["panels"] as? [[String: Any]]) ?? [] {
            for t in (p["targets"] as? [[String: Any]]) ?? [] { if let e = t["expr"] as? String { exprs.append(e) } }
        }
        return exprs
    }

    /// Scrapes a live `txguard run` (after it decided some events, one of them a dead letter) and
    /// requires every metric name and label the rules and dashboard use to be among its series.
    @Test func rulesAndDashboardUseOnlyExportedMetrics() async throws {
        let exprs = try Self.shippedExpressions()
        let uses = exprs.flatMap(Self.metricUses)
        #expect(Set(uses.map(\.name)).count >= 14, "\(Set(uses.map(\.name)).sorted())")

        let ws = try Workspace()
        try await ws.txguard(["simulate", "--accounts", "150", "--days", "6", "--seed", "3", "--output", ws.path("tx.jsonl")])
        try await ws.txguard(["train", "--input", ws.path("tx.jsonl"), "--model", ws.path("m.txg"), "--text", "hashed"])
        let broker = try await BrokerProcess(topics: [("tx", 2), ("alerts", 2), ("dlq", 2)])
        var lines = String(decoding: try ws.bytes("tx.jsonl"), as: UTF8.self).split(separator: "\n").suffix(600).map(String.init)
        lines.append("{not json")
        try lines.joined(separator: "\n").write(toFile: ws.path("live.jsonl"), atomically: true, encoding: .utf8)
        try await ws.txguard(["produce", "--brokers", broker.bootstrap, "--topic", "tx", ws.path("live.jsonl")])
        let svc = try ChildProcess(try txguardBinary(), ["run", "--brokers", broker.bootstrap, "--input-topic", "tx", "--alert-topic", "alerts",
                                                        "--dead-letter-topic", "dlq", "--group", "g", "--model", ws.path("m.txg"),
                                                        "--state-dir", ws.path("state"), "--metrics-port", "0", "--kafka-property", "fetch.wait.max.ms=5"])
        let port = try #require(Int(try await svc.firstLine().replacingOccurrences(of: "metrics-port ", with: "")))
        var text = ""
        let done = try await untilDone(stallSeconds: 60) {
            text = (try? httpGet(port: port, path: "/metrics").1) ?? ""
            let events = metric(text, "txguard_events_total")
            return (events >= Double(lines.count) && text.contains("txguard_detector_score{") && text.contains("txguard_consumer_lag{"), events)
        }
        #expect(done, "the service made no progress: \(svc.stderr.suffix(2000))")
        await svc.terminate()

        // Exported series: name -> label names.
        var exported: [String: Set<String>] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let name = String(line.prefix { $0 != "{" && $0 != " " })
            var labels = Set<String>()
            if let open = line.firstIndex(of: "{"), let close = line.firstIndex(of: "}") {
                for kv in line[line.index(after: open)..<close].split(separator: ",") { labels.insert(String(kv.prefix { $0 != "=" })) }
            }
            exported[name, default: []].formUnion(labels)
        }
        let added = ["job", "instance"]  // attached by Prometheus at scrape time
        for use in uses {
            let known = exported[use.name]
            #expect(known != nil, "\(use.name) is used by deploy/ but not exported by txguard run (exported: \(exported.keys.filter { $0.hasPrefix("txguard_") }.sorted()))")
            let missing = use.labels.subtracting(known ?? []).subtracting(added)
            #expect(missing.isEmpty, "\(use.name) has no label(s) \(missing.sorted()); it has \((known ?? []).sorted())")
        }
    }

    /// The runtime stage installs exactly the Debian packages of the shared libraries the binary
    /// links, apart from the Swift runtime (linked statically in the image) and what the slim base
    /// already has (libc6, libstdc++6, libgcc-s1).
    @Test func runtimeLibrariesMatchTheBinary() async throws {
        let dockerfile = try repoFile("deploy/Dockerfile")
        let runtimeStage = try #require(dockerfile.components(separatedBy: "AS runtime").last)
        let install = try #require(runtimeStage.components(separatedBy: "apt-get install").dropFirst().first)
        let command = install.components(separatedBy: "&&").first ?? ""
        let listed = Set(command.split(whereSeparator: { " \n\\".contains($0) }).map(String.init)
            .filter { !$0.hasPrefix("-") && ($0.hasPrefix("lib") || $0.hasPrefix("zlib")) })
        #expect(dockerfile.contains("--static-swift-stdlib"))

        let binary = try txguardBinary()
        let (rs, readelf, re) = try await run("/usr/bin/readelf", ["-d", binary])
        #expect(rs == 0, "\(re)")
        let needed = readelf.split(separator: "\n").filter { $0.contains("(NEEDED)") }.compactMap { l -> String? in
            guard let a = l.firstIndex(of: "["), let b = l.firstIndex(of: "]") else { return nil }
            return String(l[l.index(after: a)..<b])
        }
        let (ls, ldd, le) = try await run("/usr/bin/ldd", [binary])
        #expect(ls == 0, "\(le)")
        var paths: [String: String] = [:]
        for l in ldd.split(separator: "\n") {
            let parts = l.split(separator: " ")
            if parts.count >= 3, parts[1] == "=>" { paths[String(parts[0].trimmingCharacters(in: .whitespaces))] = String(parts[2]) }
        }
        let base: Set<String> = ["libc6", "libstdc++6", "libgcc-s1"]
        var packages = Set<String>()
        var swiftRuntime: [String] = []
        for lib in needed where !lib.hasPrefix("ld-linux") {
            let path = try #require(paths[lib], "ldd does not resolve \(lib)")
            if path.contains("/lib/swift/") { swiftRuntime.append(lib); continue }
            // dpkg knows a file by the path its package ships (/lib/... on merged-/usr systems; the
            // real file behind an alternatives link such as libopenblas.so.0).
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            var owner: String?
            for candidate in [path, real, real.replacingOccurrences(of: "/usr/lib/", with: "/lib/")] {
                let (ds, out, _) = try await run("/usr/bin/dpkg", ["-S", candidate])
                if ds == 0 { owner = out; break }
            }
            let package = String(try #require(owner, "no package owns \(path)").prefix { $0 != ":" })
            if !base.contains(package) { packages.insert(package) }
        }
        #expect(!swiftRuntime.isEmpty && swiftRuntime.allSatisfy { $0.hasPrefix("lib") })
        #expect(packages == listed, "the binary needs \(packages.sorted()); deploy/Dockerfile's runtime stage installs \(listed.sorted())")
    }
}
