import CRdKafka
import Logging
import Synchronization

/// Owns a librdkafka handle and destroys it when the last owner (client or message batch)
/// lets go, so a batch kept a little too long can never make `rd_kafka_destroy` hang.
final class RDHandle: @unchecked Sendable {
    // Sendable: librdkafka client handles are thread-safe; `rk` is immutable after init.
    let rk: OpaquePointer
    private let onDestroy: @Sendable () -> Void
    init(_ rk: OpaquePointer, onDestroy: @escaping @Sendable () -> Void = {}) {
        self.rk = rk
        self.onDestroy = onDestroy
    }
    deinit {
        rd_kafka_destroy(rk)
        onDestroy()
    }
}

/// State shared with librdkafka's C callbacks (passed as the conf opaque).
final class ClientContext: Sendable {
    let logger: Logger
    let fatalError = Mutex<KafkaError?>(nil)
    let rebalance = Mutex<RebalanceState>(RebalanceState())
    /// Set when the application closes the client (assignment errors are then expected).
    let closing = Mutex(false)
    let onRebalance: (@Sendable (RebalanceEvent) -> Void)?
    let startingOffsets: (@Sendable ([TopicPartition]) -> [TopicPartitionOffset])?
    let commitOnRevoke: Bool
    /// Values of sensitive properties, scrubbed from librdkafka's log and error texts.
    let secrets: [String]

    init(logger: Logger, onRebalance: (@Sendable (RebalanceEvent) -> Void)? = nil,
         startingOffsets: (@Sendable ([TopicPartition]) -> [TopicPartitionOffset])? = nil, commitOnRevoke: Bool = true,
         secrets: [String] = []) {
        self.logger = logger
        self.secrets = secrets
        self.onRebalance = onRebalance
        self.startingOffsets = startingOffsets
        self.commitOnRevoke = commitOnRevoke
    }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> ClientContext? {
        opaque.map { Unmanaged<ClientContext>.fromOpaque($0).takeUnretainedValue() }
    }
}

struct RebalanceState {
    var assignment: Set<TopicPartition> = []
    /// Partitions the application paused and has not resumed (librdkafka keeps that flag on a
    /// partition across a revoke and a later re-assignment).
    var paused: Set<TopicPartition> = []
    var events: [RebalanceEvent] = []
    var count = 0
}

/// Installs log and error callbacks that route librdkafka's messages to swift-log.
func installCommonCallbacks(_ conf: OpaquePointer, context: Unmanaged<ClientContext>) {
    rd_kafka_conf_set_opaque(conf, context.toOpaque())
    rd_kafka_conf_set_log_cb(conf) { rk, level, fac, buf in
        guard let rk, let ctx = ClientContext.from(rd_kafka_opaque(rk)) else { return }
        let text = SensitiveProperty.scrub(buf.map { String(cString: $0) } ?? "", secrets: ctx.secrets)
        let facility = fac.map { String(cString: $0) } ?? ""
        let lvl: Logger.Level = level <= 3 ? .error : level == 4 ? .warning : level <= 6 ? .info : .debug
        ctx.logger.log(level: lvl, "\(text)", metadata: ["librdkafka.facility": "\(facility)"])
    }
    rd_kafka_conf_set_error_cb(conf) { rk, err, reason, opaque in
        guard let ctx = ClientContext.from(opaque) else { return }
        let text = SensitiveProperty.scrub(reason.map { String(cString: $0) } ?? "", secrets: ctx.secrets)
        let code = rd_kafka_resp_err_t(rawValue: err)
        if code == RD_KAFKA_RESP_ERR__FATAL, let rk {
            var buf = [CChar](repeating: 0, count: 512)
            let orig = rd_kafka_fatal_error(rk, &buf, buf.count)
            let e = KafkaError(code: orig.rawValue, name: String(cString: rd_kafka_err2name(orig)),
                               message: SensitiveProperty.scrub(decodeCString(buf), secrets: ctx.secrets), isFatal: true)
            ctx.fatalError.withLock { $0 = e }
            ctx.logger.critical("fatal librdkafka error", metadata: ["error": "\(e)"])
        } else {
            ctx.logger.warning("librdkafka error", metadata: ["code": "\(String(cString: rd_kafka_err2name(code)))", "reason": "\(text)"])
        }
    }
}
