import ArgumentParser
import Dispatch
import Glibc
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import TxGuardKafka
import TxGuardPipeline
import TxGuardService
import Yams

/// `txguard run`: the monitor service.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Monitor transaction topics: score every event, produce alerts and dead letters, commit only what is acknowledged.",
        discussion: """
        Joins consumer group --group on the input topics (scale out by starting more instances). Every input \
        ends as normal, an alert on --alert-topic (keyed by account_id, JSON per schemas/alert.v1.schema.json) \
        or a dead-letter record on --dead-letter-topic with its reason in headers. Offsets advance only after \
        the outputs are acknowledged (at-least-once; duplicates keep their alert_id), or inside one Kafka \
        transaction with --exactly-once (downstream consumers then need isolation.level=read_committed).
        Settings come from flags, then TXGUARD_* environment variables, then --config FILE (JSON, or YAML when \
        named .yaml/.yml, with the flag names as keys, e.g. {"brokers": "...", "input_topic": ["tx"], "group": "txguard"}), \
        then defaults. \
        The SASL password is read from TXGUARD_SASL_PASSWORD only. SIGTERM/SIGINT: drain, snapshot, commit, exit 0 (during start-up: exit 0 at once).
        """
    )

    @Option(name: .long, help: "Configuration file, JSON or YAML (.yaml/.yml); keys as the flags, with _ for -.") var config: String?
    @OptionGroup var kafka: KafkaConnectionOptions
    @Option(name: .long, help: "Topic of transactions (repeatable).") var inputTopic: [String] = []
    @Option(name: .long, help: "Topic alerts are written to.") var alertTopic: String?
    @Option(name: .long, help: "Topic rejected records are written to.") var deadLetterTopic: String?
    @Option(name: .long, help: "Consumer group (instances sharing it share the partitions).") var group: String?
    @Option(name: .long, help: "Model file from `txguard train`.") var model: String?
    @Flag(name: .long, help: "Exactly-once: outputs and input offsets in one Kafka transaction per batch.") var exactlyOnce = false
    @Option(name: .long, help: "transactional.id with --exactly-once: unique per instance and stable across its restarts (e.g. a StatefulSet pod name). Default: txguard-<group>-<hostname>.")
    var transactionalId: String?
    @Option(name: .long, help: "With --exactly-once: milliseconds a transaction may keep collecting records after its first (up to --batch-size records). Default 100.")
    var transactionIntervalMs: Int?
    @Option(name: .long, help: "Port for /metrics, /healthz and /readyz (0 = any free port; omit to disable).") var metricsPort: Int?
    @Option(name: .long, help: "Where partition state snapshots go: kafka (a compacted topic; partitions can move between machines) or directory. Default kafka (directory when --state-dir is given).")
    var stateStore: String?
    @Option(name: .long, help: "Compacted topic for state snapshots (created if missing). Default txguard-state.") var stateTopic: String?
    @Option(name: .long, help: "Directory for state snapshots (implies --state-store directory). Default ./txguard-state.") var stateDir: String?
    @Option(name: .long, help: "Records per batch (1-100000): the most taken from Kafka per poll, processed in parallel by partition (one transaction each in exactly-once mode). Default 20000.") var batchSize: Int?
    @Option(name: .long, help: "Seconds allowed for a graceful shutdown (SIGTERM/SIGINT) before it is forced; 5 s after that the process exits 70 whatever the brokers do. Default 30.") var shutdownDeadline: Double?
    @Option(name: .long, help: "Seconds an assigned partition with records waiting may make no progress before it is reported stalled (log, txguard_partitions_stalled) and resumed. Default 30.")
    var stallAfter: Double?
    @Option(name: .long, help: "Topic of labels (label.v1: analyst dispositions, chargebacks) read by every instance; joined labels go to <topic>.resolved (compacted, created if missing). Without it the monitor is unsupervised.")
    var labelsTopic: String?
    @Option(name: .long, help: ArgumentHelp("With a labels topic: count unlabelled events that did not alert as legitimate once this old (e.g. 45d, your chargeback horizon). Needed when labels cover only alerts and chargebacks. Default: only labelled events train the supervised layer.", valueName: "duration"))
    var presumeLegitimateAfter: String?
    @Flag(name: .long, help: "With a labels topic: use a supervised retrain only if trees trained on labels as much older as the labels are late rank the newest labelled events better than the unsupervised score (for labels that arrive weeks late, e.g. chargebacks only).")
    var checkSupervisedModels = false
    @Option(name: .long, help: ArgumentHelp("With a labels topic: weight of the supervised evidence (log-likelihood ratio) added to the ensemble score; 0 keeps it out of the score. Default 3, as in backtest and replay.", valueName: "w"))
    var supervisedWeight: Double?
    @Option(name: .long, help: ArgumentHelp("With a labels topic: retrain the supervised layer every this much event time, at instants aligned to the epoch (as backtest and replay do). Default 1d.", valueName: "duration"))
    var retrainEvery: String?
    @Option(name: .long, help: ArgumentHelp("With a labels topic: training weight of alerts labelled legitimate (the hard negatives). Default 4.", valueName: "w"))
    var falsePositiveWeight: Double?
    @Flag(inversion: .prefixedNo, help: "With a labels topic: false-positive feedback (an alert closed as legitimate lowers the score of the same pattern on the same account for 30 days, bounded). Default on.")
    var feedback: Bool?
    @Option(name: .long, help: "Directory of the MiniLM files, if the model uses them.") var modelDir: String?
    @Option(name: .long, help: "Field mapping JSON for your own transaction shape.") var mapping: String?
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical. Default info.") var logLevel: String?

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let s: RunSettings
        let file: RunSettingsFile
        do {
            file = try RunSettingsFile.load(config)
            s = try RunSettings(flags: self, env: env, file: file)
        } catch let e as ValidationError {
            throw CommandFailure(e.message, exitCode: CommandFailure.configuration)
        }
        var logger = Logger(label: "txguard")
        logger.logLevel = s.logLevel
        logger[metadataKey: "group"] = "\(s.group)"
        // From here on SIGTERM/SIGINT end the start-up at once (nothing is consumed yet) and, once
        // the service group runs, shut it down gracefully.
        let startupLogger = logger
        let signals = TerminationSignals(logger: logger) { sig in
            startupLogger.notice("stop requested during start-up; exiting before consuming anything", metadata: ["signal": "\(sig)"])
            Glibc.exit(0)
        }
        // Alive until `run` returns: an optimized build may release a local after its last use
        // (the hand-over below), and its deinit cancels the signal sources.
        defer { withExtendedLifetime(signals) {} }
        // Large, short-lived snapshot buffers get their own mappings (see the function's comment).
        if !fixLargeAllocationThreshold() { logger.debug("glibc mmap threshold left to the allocator") }
        if let config, let warning = file.secretPermissionWarning(path: config) { logger.warning("\(warning)") }
        // Every Kafka property is checked by librdkafka before anything starts (values of
        // sensitive properties are redacted in its messages and in the log line below).
        var client = try kafka.client(environment: env.merging(["TXGUARD_BROKERS": s.brokers]) { a, _ in a }, fileProperties: file.kafkaProperties)
        client.clientID = "txguard-\(s.group)"
        do { try client.validate() } catch { throw CommandFailure("\(error)", exitCode: CommandFailure.configuration) }
        logger.info("kafka client", metadata: ["brokers": "\(client.bootstrapServers)", "security": "\(client.security)",
                                               "properties": "\(SensitiveProperty.describe(client.properties))"])

        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // The default buckets (5, 10, 25, 50 ms, ...) are too coarse to tell a 10 ms latency
        // objective from a 20 ms one: milliseconds up to 50, then the usual steps.
        let fine: [Duration] = [1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 75, 100, 250, 500, 1000, 2500, 5000, 10_000]
            .map { .milliseconds($0) }
        factory.durationHistogramBuckets = ["txguard_event_latency_seconds": fine, "txguard_batch_processing_seconds": fine]
        MetricsSystem.bootstrap(factory)
        // The endpoint listens from the start, so probes and dashboards see a service that is
        // loading its model or waiting for its broker (not ready) rather than nothing.
        let phase = Locked<String?>("loading model")
        let serviceHealth = Locked<Locked<ServiceHealth>?>(nil)
        var endpoint: HTTPEndpoint?
        if let port = s.metricsPort {
            endpoint = try HTTPEndpoint(port: port, routes: [
                "/metrics": { (200, "text/plain; version=0.0.4", registry.emitToBuffer()) },
                "/healthz": {
                    guard let health = serviceHealth.value else { return (200, "text/plain", Array("ok (\(phase.value ?? "starting"))\n".utf8)) }
                    return health.value.isAlive ? (200, "text/plain", Array("ok\n".utf8)) : (503, "text/plain", Array("not alive\n".utf8))
                },
                "/readyz": {
                    guard let health = serviceHealth.value else { return (503, "text/plain", Array("not ready: \(phase.value ?? "starting")\n".utf8)) }
                    let h = health.value
                    return h.ready && !h.stalled ? (200, "text/plain", Array("ready\n".utf8)) : (503, "text/plain", Array((h.stalled ? "stalled: outputs not acknowledged\n" : "not ready\n").utf8))
                },
            ], logger: logger)
            logger.info("metrics endpoint listening", metadata: ["port": "\(endpoint!.port)"])
            // Tests and scripts read the actual port from stdout.
            print("metrics-port \(endpoint!.port)")
            fflush(nil)
        }
        defer { endpoint?.stop() }

        // Labels (with --labels-topic): one book per process, shared by every partition and kept
        // across model reloads.
        let labelBook = s.labelsTopic.map { _ in LabelBook() }
        labelBook?.joinsTransactions = true
        let (m, runtime) = try Self.loadRuntime(s, labels: labelBook)
        if labelBook != nil && s.supervised.presumeLegitimateAfterMicros == nil {
            logger.notice("labels: only labelled events train the supervised layer; if your labels cover only alerts and chargebacks, set --presume-legitimate-after (it refuses to train on alerts alone as the legitimate side)")
        }
        logger.info("model loaded", metadata: Self.modelMetadata(m, runtime))

        let cc = monitorConsumer(client, group: s.group)
        var conf = MonitorConfiguration(consumer: cc, producer: lowLatencyProducer(client), inputTopics: s.inputTopics,
                                        alertTopic: s.alertTopic, deadLetterTopic: s.deadLetterTopic)
        conf.exactlyOnce = s.exactlyOnce
        if s.exactlyOnce { conf.producer.transactionalID = s.transactionalID }
        conf.transactionIntervalMs = s.transactionIntervalMs
        conf.batchSize = s.batchSize
        conf.stallAfterMs = Int(s.stallAfter * 1000)
        phase.value = "waiting for broker at \(s.brokers)"
        try await waitForBroker(client, logger: logger)
        // One metadata probe at start: missing topics (a common deployment slip) are named, and
        // the state topic is created when missing.
        let probe = try KafkaConsumer(configuration: KafkaConsumerConfiguration(client: client, groupID: "txguard-probe"), logger: logger)
        defer { probe.close() }
        for t in s.inputTopics + [s.alertTopic, s.deadLetterTopic] where (try? probe.partitionCount(t)) == .some(nil) {
            logger.warning("topic does not exist (yet); outputs to it stall until it is created unless the cluster auto-creates topics", metadata: ["topic": "\(t)"])
        }
        let store: any PartitionStateStore
        if s.stateStore == "kafka" {
            try ensureStateTopic(probe: probe, client: client, settings: s, logger: logger)
            store = try KafkaStateStore(client: client, topic: s.stateTopic, logger: logger)
            logger.info("partition state snapshots in compacted topic", metadata: ["topic": "\(s.stateTopic)"])
        } else {
            store = DirectoryStateStore(directory: s.stateDir)
            logger.info("partition state snapshots in directory", metadata: ["dir": "\(s.stateDir)"])
        }
        var labelFeed: LabelFeed?
        if let labelsTopic = s.labelsTopic, let labelBook {
            try ensureCompactedTopic(probe: probe, client: client, name: labelsTopic + ".resolved",
                                     partitions: try probe.partitionCount(labelsTopic) ?? 1, logger: logger)
            labelFeed = LabelFeed(configuration: LabelFeed.Configuration(client: client, labelsTopic: labelsTopic, deadLetterTopic: s.deadLetterTopic),
                                  book: labelBook, logger: logger)
            logger.info("labels: reading every partition of the labels topic and its resolved topic", metadata: ["topic": "\(labelsTopic)"])
        }
        probe.close()  // only needed at start (close is idempotent; the defer covers early exits)
        let service = MonitorService(configuration: conf,
                                     processors: PipelineProcessorFactory(runtime: runtime, alertTopic: s.alertTopic, deadLetterTopic: s.deadLetterTopic),
                                     stateStore: store, logger: logger)
        serviceHealth.value = service.health
        phase.value = nil
        // Last in the list: graceful shutdown reaches it first, and it arms the forced exit (70)
        // 5 s past the deadline, which holds even when librdkafka blocks on an absent broker.
        let watchdog = ShutdownWatchdog(deadline: s.shutdownDeadline + 5, logger: logger) { Glibc.exit(70) }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: service)]
        if let labelFeed { services.append(.init(service: labelFeed)) }
        services.append(.init(service: watchdog, successTerminationBehavior: .ignore))
        // No signals of its own: `signals` (above) triggers its graceful shutdown.
        var groupConfig = ServiceGroupConfiguration(services: services, logger: logger)
        groupConfig.maximumGracefulShutdownDuration = .milliseconds(Int(s.shutdownDeadline * 1000))
        let settings = s
        let gc = groupConfig
        let log = logger
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            let group = ServiceGroup(configuration: gc)
            signals.handOver(to: group)
            tasks.addTask { try await group.run() }
            // Hot reload: a new model file (same path, replaced atomically) is loaded and swapped in
            // at the next batch boundary; a file that fails to load is logged and ignored.
            tasks.addTask {
                var lastModified = Self.modified(settings.model)
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(2))
                    let now = Self.modified(settings.model)
                    guard now != lastModified else { continue }
                    lastModified = now
                    do {
                        let (next, rt) = try Self.loadRuntime(settings, labels: labelBook)
                        service.replaceProcessors(PipelineProcessorFactory(runtime: rt, alertTopic: settings.alertTopic, deadLetterTopic: settings.deadLetterTopic))
                        log.notice("model reloaded", metadata: Self.modelMetadata(next, rt).merging(["path": "\(settings.model)"]) { a, _ in a })
                    } catch {
                        log.error("new model file refused; keeping the running model", metadata: ["path": "\(settings.model)", "error": "\(error)"])
                    }
                }
            }
            try await tasks.next()
            tasks.cancelAll()
        }
    }
}

/// Waits until a broker answers a metadata request, logging each failed attempt at once and
/// retrying with a growing back-off (1, 2, 4 ... 30 s), so a service started before its cluster
/// (or pointed at the wrong address) says so immediately and recovers when the broker comes.
func waitForBroker(_ client: KafkaClientConfiguration, logger: Logger) async throws {
    var delay = 1.0
    var attempt = 1
    while let error = brokerProblem(client, timeoutMs: 5_000) {
        if let e = error as? KafkaError, e.isConfiguration { throw brokerFailure(client, e, timeoutMs: 5_000) }
        logger.error("no Kafka broker answers; retrying", metadata: [
            "brokers": "\(client.bootstrapServers)", "error": "\(error)", "attempt": "\(attempt)", "retry_in_s": "\(Int(delay))",
        ])
        try await Task.sleep(for: .seconds(delay))
        delay = min(delay * 2, 30)
        attempt += 1
    }
    if attempt > 1 { logger.notice("Kafka broker answers", metadata: ["brokers": "\(client.bootstrapServers)", "attempts": "\(attempt)"]) }
}

/// Creates a compacted topic if it is missing.
func ensureCompactedTopic(probe: KafkaConsumer, client: KafkaClientConfiguration, name: String, partitions: Int, logger: Logger) throws {
    if try probe.partitionCount(name) != nil { return }
    do {
        try KafkaAdmin(client: client, logger: logger).createTopics([
            KafkaAdmin.NewTopic(name: name, partitions: partitions, replicationFactor: -1, config: ["cleanup.policy": "compact"]),
        ])
        logger.notice("created compacted topic", metadata: ["topic": "\(name)", "partitions": "\(partitions)"])
    } catch {
        throw ValidationError("topic \(name) does not exist and could not be created (\(error)); create it with cleanup.policy=compact")
    }
}

/// Creates the compacted state topic (as many partitions as the first input topic) if it is missing.
func ensureStateTopic(probe: KafkaConsumer, client: KafkaClientConfiguration, settings s: RunSettings, logger: Logger) throws {
    if try probe.partitionCount(s.stateTopic) != nil { return }
    let partitions = try probe.partitionCount(s.inputTopics[0]) ?? 1
    do {
        try KafkaAdmin(client: client, logger: logger).createTopics([
            KafkaAdmin.NewTopic(name: s.stateTopic, partitions: partitions, replicationFactor: -1, config: ["cleanup.policy": "compact"]),
        ])
        logger.notice("created state topic", metadata: ["topic": "\(s.stateTopic)", "partitions": "\(partitions)"])
    } catch {
        throw ValidationError("state topic \(s.stateTopic) does not exist and could not be created (\(error)); create it with cleanup.policy=compact, or use --state-dir DIR")
    }
}

extension RunCommand {
    /// The model file and its runtime with this instance's labels and supervised settings: the one
    /// way `run` builds a runtime, at start and at every hot reload (a reload once kept the labels
    /// and silently fell back to the default supervised settings).
    static func loadRuntime(_ s: RunSettings, labels: LabelBook?) throws -> (TxGuardModel, ScoringRuntime) {
        let m = try ModelFile.read(path: s.model)
        var runtime = try ScoringRuntime.load(model: m, mapping: try loadMapping(s.mapping), modelDirectory: s.modelDir)
        runtime.labels = labels
        runtime.supervised = s.supervised
        return (m, runtime)
    }

    /// Log metadata of a loaded model: its version, shape and, with labels, the supervised settings in force.
    static func modelMetadata(_ m: TxGuardModel, _ runtime: ScoringRuntime) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["model": "\(m.modelVersion)", "features": "\(m.scoring.featureCount)", "text": "\(m.text.embedder.rawValue)"]
        if runtime.labels != nil { metadata["supervised"] = "\(SupervisedOptions.describe(runtime.supervised))" }
        return metadata
    }

    static func modified(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }
}

/// The run settings after flags, environment and file are merged (flags win, then env, then file).
struct RunSettings: Sendable {
    var brokers: String
    var inputTopics: [String]
    var alertTopic: String
    var deadLetterTopic: String
    var group: String
    var model: String
    var exactlyOnce: Bool
    var transactionalID: String
    var transactionIntervalMs: Int
    var metricsPort: Int?
    var stateDir: String
    var stateStore: String
    var stateTopic: String
    var labelsTopic: String?
    /// The supervised layer's settings (defaults without a labels topic).
    var supervised = SupervisedSettings()
    var batchSize: Int
    var shutdownDeadline: Double
    var stallAfter: Double
    var modelDir: String?
    var mapping: String?
    var logLevel: Logger.Level

    init(flags f: RunCommand, env: [String: String], file: RunSettingsFile) throws {
        // An environment variable that is set but does not parse is an error, not silently skipped
        // (its value is not quoted: the environment may hold secrets).
        func pick<T>(_ flag: T?, _ envKey: String, _ fromFile: T?, _ parse: (String) -> T?) throws -> T? {
            if let flag { return flag }
            if let raw = env[envKey] {
                guard let v = parse(raw) else { throw ValidationError("\(envKey) is set but is not \(Self.expected(T.self))") }
                return v
            }
            return fromFile
        }
        func envFlag(_ key: String) throws -> Bool {
            try pick(nil, key, nil, Self.bool) ?? false
        }
        func need<T>(_ v: T?, _ key: String) throws -> T {
            guard let v else { throw ValidationError("missing setting \(key): pass --\(key.replacingOccurrences(of: "_", with: "-")), set TXGUARD_\(key.uppercased()), or put \"\(key)\" in --config") }
            return v
        }
        brokers = try need(pick(f.kafka.brokers, "TXGUARD_BROKERS", file.brokers, { $0 }), "brokers")
        let topics = f.inputTopic.isEmpty ? (env["TXGUARD_INPUT_TOPIC"].map { $0.split(separator: ",").map(String.init) } ?? file.input_topic ?? []) : f.inputTopic
        guard !topics.isEmpty else { throw ValidationError("missing setting input_topic: pass --input-topic (repeatable), set TXGUARD_INPUT_TOPIC=a,b, or put \"input_topic\": [...] in --config") }
        inputTopics = topics
        alertTopic = try need(pick(f.alertTopic, "TXGUARD_ALERT_TOPIC", file.alert_topic, { $0 }), "alert_topic")
        deadLetterTopic = try need(pick(f.deadLetterTopic, "TXGUARD_DEAD_LETTER_TOPIC", file.dead_letter_topic, { $0 }), "dead_letter_topic")
        group = try need(pick(f.group, "TXGUARD_GROUP", file.group, { $0 }), "group")
        model = try need(pick(f.model, "TXGUARD_MODEL", file.model, { $0 }), "model")
        exactlyOnce = try f.exactlyOnce || envFlag("TXGUARD_EXACTLY_ONCE") || (file.exactly_once ?? false)
        transactionalID = try pick(f.transactionalId, "TXGUARD_TRANSACTIONAL_ID", file.transactional_id, { $0 })
            ?? MonitorConfiguration.defaultTransactionalID(group: group)
        guard !transactionalID.isEmpty else { throw ValidationError("transactional_id must not be empty") }
        transactionIntervalMs = try pick(f.transactionIntervalMs, "TXGUARD_TRANSACTION_INTERVAL_MS", file.transaction_interval_ms, { Int($0) }) ?? 100
        guard (0...60_000).contains(transactionIntervalMs) else { throw ValidationError("transaction_interval_ms must be 0...60000, got \(transactionIntervalMs)") }
        metricsPort = try pick(f.metricsPort, "TXGUARD_METRICS_PORT", file.metrics_port, { Int($0) })
        let dir = try pick(f.stateDir, "TXGUARD_STATE_DIR", file.state_dir, { $0 })
        stateDir = dir ?? "./txguard-state"
        stateStore = try pick(f.stateStore, "TXGUARD_STATE_STORE", file.state_store, { $0 }) ?? (dir != nil ? "directory" : "kafka")
        stateTopic = try pick(f.stateTopic, "TXGUARD_STATE_TOPIC", file.state_topic, { $0 }) ?? "txguard-state"
        labelsTopic = try pick(f.labelsTopic, "TXGUARD_LABELS_TOPIC", file.labels_topic, { $0 })
        if let t = labelsTopic {
            guard isValidTopicName(t), isValidTopicName(t + ".resolved") else { throw ValidationError("labels_topic \(t.debugDescription) is not a valid Kafka topic name") }
            guard !inputTopics.contains(t), t != alertTopic, t != deadLetterTopic else { throw ValidationError("labels_topic must differ from the input, alert and dead-letter topics") }
        }
        let options = SupervisedOptions(
            weight: try pick(f.supervisedWeight, "TXGUARD_SUPERVISED_WEIGHT", file.supervised_weight, { Double($0) }),
            retrainEvery: try pick(f.retrainEvery, "TXGUARD_RETRAIN_EVERY", file.retrain_every, { $0 }),
            falsePositiveWeight: try pick(f.falsePositiveWeight, "TXGUARD_FALSE_POSITIVE_WEIGHT", file.false_positive_weight, { Double($0) }),
            feedback: try pick(f.feedback, "TXGUARD_FEEDBACK", file.feedback, Self.bool),
            presumeLegitimateAfter: try pick(f.presumeLegitimateAfter, "TXGUARD_PRESUME_LEGITIMATE_AFTER", file.presume_legitimate_after, { $0 }),
            checkModels: try f.checkSupervisedModels || envFlag("TXGUARD_CHECK_SUPERVISED_MODELS") || (file.check_supervised_models ?? false))
        supervised = try options.settings()
        // These only shape how labels are used: without a labels topic they would be silently ignored.
        if labelsTopic == nil, let key = options.givenKeys.first {
            throw ValidationError("\(key) needs labels_topic (it tells the supervised layer how to use labels)")
        }
        guard ["kafka", "directory"].contains(stateStore) else { throw ValidationError("state_store \(stateStore.debugDescription): use kafka or directory") }
        batchSize = try pick(f.batchSize, "TXGUARD_BATCH_SIZE", file.batch_size, { Int($0) }) ?? MonitorConfiguration.defaultBatchSize
        shutdownDeadline = try pick(f.shutdownDeadline, "TXGUARD_SHUTDOWN_DEADLINE", file.shutdown_deadline, { Double($0) }) ?? 30
        stallAfter = try pick(f.stallAfter, "TXGUARD_STALL_AFTER", file.stall_after, { Double($0) }) ?? 30
        guard stallAfter >= 1 && stallAfter <= 86_400 else { throw ValidationError("stall_after must be 1...86400 seconds, got \(stallAfter)") }
        modelDir = try pick(f.modelDir, "TXGUARD_MODEL_DIR", file.model_dir, { $0 })
        mapping = try pick(f.mapping, "TXGUARD_MAPPING", file.mapping, { $0 })
        let level = try pick(f.logLevel, "TXGUARD_LOG_LEVEL", file.log_level, { $0 }) ?? "info"
        guard let l = Logger.Level(rawValue: level) else { throw ValidationError("log_level \(level.debugDescription): use trace, debug, info, notice, warning, error or critical") }
        logLevel = l
        guard batchSize >= 1 && batchSize <= 100_000 else { throw ValidationError("batch_size must be 1...100000, got \(batchSize)") }
        guard shutdownDeadline > 0 else { throw ValidationError("shutdown_deadline must be positive") }
        if let p = metricsPort, !(0...65535).contains(p) { throw ValidationError("metrics_port must be 0...65535, got \(p)") }
        for t in inputTopics + [alertTopic, deadLetterTopic] where !isValidTopicName(t) {
            throw ValidationError("topic \(t.debugDescription) is not a valid Kafka topic name")
        }
        guard !inputTopics.contains(alertTopic) && !inputTopics.contains(deadLetterTopic) else {
            throw ValidationError("the alert and dead-letter topics must differ from the input topics (txguard would read its own output)")
        }
    }
}

extension RunSettings {
    /// `true` or `false` (as in the configuration file).
    static func bool(_ s: String) -> Bool? { ["true": true, "false": false][s.trimmingCharacters(in: .whitespaces).lowercased()] }

    /// What a setting of type `T` must look like, for messages.
    static func expected<T>(_ type: T.Type) -> String {
        if T.self == Int.self { return "a whole number" }
        if T.self == Double.self || T.self == Float.self { return "a number" }
        if T.self == Bool.self { return "true or false" }
        return "a valid \(T.self)"
    }
}

extension RunSettingsFile {
    /// A warning when the file holds a secret (a sensitive `kafka_property`, see
    /// `SensitiveProperty`) and its group or other users may read it; nil otherwise.
    func secretPermissionWarning(path: String) -> String? {
        let secrets = kafkaProperties.keys.filter(SensitiveProperty.isSensitive).sorted()
        guard !secrets.isEmpty else { return nil }
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let mode = st.st_mode & 0o777
        guard mode & 0o077 != 0 else { return nil }
        return "--config \(path) holds secrets (\(secrets.joined(separator: ", "))) but is readable by its group or others (mode 0\(String(mode, radix: 8))); restrict it with: chmod 600 \(path)"
    }

    /// Reads a JSON file, or YAML when the name ends in `.yaml`/`.yml` (the same keys).
    static func load(_ path: String?) throws -> RunSettingsFile {
        guard let path else { return RunSettingsFile() }
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("--config \(path): cannot read the file") }
        do {
            return try parse([UInt8](data), yaml: path.hasSuffix(".yaml") || path.hasSuffix(".yml"))
        } catch {
            throw ValidationError("--config \(path): \(error.message)")
        }
    }
}

/// `txguard config check FILE`: validates a run configuration file without starting anything.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "config", abstract: "Check configuration files.", subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a `txguard run` configuration file (and the model it names).")
        @Argument(help: "Configuration file (JSON, or YAML when named .yaml/.yml).") var file: String

        func run() throws {
            var flags = try RunCommand.parse([])
            flags.config = file
            let s: RunSettings
            let settingsFile: RunSettingsFile
            do {
                settingsFile = try RunSettingsFile.load(file)
                s = try RunSettings(flags: flags, env: [:], file: settingsFile)
            } catch let e as ValidationError {
                throw CommandFailure(e.message, exitCode: CommandFailure.configuration)
            }
            if let warning = settingsFile.secretPermissionWarning(path: file) {
                FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
            }
            let client = try flags.kafka.client(environment: ["TXGUARD_BROKERS": s.brokers], fileProperties: settingsFile.kafkaProperties)
            do { try client.validate() } catch { throw CommandFailure("--config \(file): \(error)", exitCode: CommandFailure.configuration) }
            _ = try ModelFile.read(path: s.model)  // a bad model exits 65, as from run and backtest
            let properties = client.properties.isEmpty ? "" : ", kafka properties \(SensitiveProperty.describe(client.properties))"
            let labels = s.labelsTopic.map { ", labels \($0) (supervised: \(SupervisedOptions.describe(s.supervised)))" } ?? ""
            print("\(file): ok (group \(s.group), input \(s.inputTopics.joined(separator: ",")), alerts \(s.alertTopic), dead letters \(s.deadLetterTopic), model \(s.model)\(labels)\(properties))")
        }
    }
}
