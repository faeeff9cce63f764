import CRdKafka

/// An error reported by librdkafka or by the binding, carrying librdkafka's code and name
/// and whether retrying the same operation can succeed.
public struct KafkaError: Error, Sendable, Equatable, CustomStringConvertible {
    /// librdkafka's `rd_kafka_resp_err_t` value (negative: client-side, positive: broker).
    public let code: Int32
    /// librdkafka's symbolic name of the code, e.g. `_TRANSPORT` or `NOT_COORDINATOR`.
    public let name: String
    /// A human-readable explanation (librdkafka's text, plus context from the binding).
    public let message: String
    /// True when librdkafka says the operation may succeed if retried.
    public let isRetriable: Bool
    /// True when the client instance can no longer be used (e.g. a fenced producer).
    public let isFatal: Bool
    /// True when a transactional operation failed such that the transaction must be aborted.
    public let requiresAbort: Bool
    /// True when librdkafka refused the client's configuration (a property it rejects, or
    /// `rd_kafka_new` failing: a missing SASL password, an unreadable `ssl.ca.location`): retrying
    /// cannot help, the configuration must change.
    public let isConfiguration: Bool

    public init(
        code: Int32, name: String, message: String,
        isRetriable: Bool = false, isFatal: Bool = false, requiresAbort: Bool = false, isConfiguration: Bool = false
    ) {
        self.code = code
        self.name = name
        self.message = message
        self.isRetriable = isRetriable
        self.isFatal = isFatal
        self.requiresAbort = requiresAbort
        self.isConfiguration = isConfiguration
    }

    /// Builds an error from a bare response code.
    init(_ err: rd_kafka_resp_err_t, context: String? = nil) {
        let name = String(cString: rd_kafka_err2name(err))
        let text = String(cString: rd_kafka_err2str(err))
        self.init(
            code: err.rawValue, name: name,
            message: context.map { "\($0): \(text)" } ?? text,
            isRetriable: KafkaError.retriableCodes.contains(err.rawValue)
        )
    }

    /// Builds an error from an `rd_kafka_error_t` and destroys it.
    init(consuming error: OpaquePointer, context: String? = nil) {
        let err = rd_kafka_error_code(error)
        let name = String(cString: rd_kafka_error_name(error))
        let text = String(cString: rd_kafka_error_string(error))
        self.init(
            code: err.rawValue, name: name,
            message: context.map { "\($0): \(text)" } ?? text,
            isRetriable: rd_kafka_error_is_retriable(error) != 0,
            isFatal: rd_kafka_error_is_fatal(error) != 0,
            requiresAbort: rd_kafka_error_txn_requires_abort(error) != 0
        )
        rd_kafka_error_destroy(error)
    }

    /// An error raised by the binding itself (not by librdkafka).
    static func binding(_ message: String, code: rd_kafka_resp_err_t = RD_KAFKA_RESP_ERR__INVALID_ARG) -> KafkaError {
        KafkaError(code: code.rawValue, name: String(cString: rd_kafka_err2name(code)), message: message)
    }

    /// librdkafka refused the configuration (`isConfiguration`).
    static func configuration(_ message: String) -> KafkaError {
        let code = RD_KAFKA_RESP_ERR__INVALID_ARG
        return KafkaError(code: code.rawValue, name: String(cString: rd_kafka_err2name(code)), message: message, isConfiguration: true)
    }

    /// Codes librdkafka itself treats as transient for requests (timeouts, transport, leadership moves).
    static let retriableCodes: Set<Int32> = [
        RD_KAFKA_RESP_ERR__TRANSPORT.rawValue,
        RD_KAFKA_RESP_ERR__TIMED_OUT.rawValue,
        RD_KAFKA_RESP_ERR__MSG_TIMED_OUT.rawValue,
        RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN.rawValue,
        RD_KAFKA_RESP_ERR__WAIT_COORD.rawValue,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT.rawValue,
        RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION.rawValue,
        RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE.rawValue,
        RD_KAFKA_RESP_ERR_NOT_COORDINATOR.rawValue,
        RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE.rawValue,
        RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS.rawValue,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS.rawValue,
        RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND.rawValue,
        RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION.rawValue,
        RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART.rawValue,
        RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS.rawValue,
        RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS.rawValue,
    ]

    public var description: String {
        var flags: [String] = []
        if isRetriable { flags.append("retriable") }
        if isFatal { flags.append("fatal") }
        if isConfiguration { flags.append("configuration") }
        if requiresAbort { flags.append("abort-required") }
        let suffix = flags.isEmpty ? "" : " [\(flags.joined(separator: ", "))]"
        return "Kafka error \(name) (\(code)): \(message)\(suffix)"
    }
}
