/// A rejected input record: the reason code, where in the document, where in Kafka, and a log-ready message.
///
/// Produced by every `TransactionDecoder`; turned into a dead-letter record by `DeadLetter.init(…)`.
public struct DecodeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Machine-readable reason.
    public var code: ReasonCode
    /// JSON Pointer (RFC 6901) of the offending value in the input document, when known.
    public var path: String?
    /// Byte offset in the payload where the problem was found, for syntax errors.
    public var byteOffset: Int?
    /// Human-readable explanation, without the source coordinates (see `description`).
    public var message: String
    /// Kafka (or file) coordinates of the rejected record.
    public var source: SourceContext

    /// An error with all of its parts.
    public init(code: ReasonCode, path: String? = nil, byteOffset: Int? = nil, message: String, source: SourceContext = .unknown) {
        self.code = code
        self.path = path
        self.byteOffset = byteOffset
        self.message = message
        self.source = source
    }

    /// One log line: `invalid_amount at /payment/amount/value (transactions/3@1234): amount has 3 fractional digits, EUR allows 2`.
    public var description: String {
        var s = code.rawValue
        if let path { s += " at \(path.isEmpty ? "(document)" : path)" }
        if let byteOffset { s += " byte \(byteOffset)" }
        s += " (\(source.logDescription)): \(message)"
        return s
    }
}

extension DecodeError {
    /// Runs a decode whose errors do not know their input yet and stamps them with `context`.
    @inline(__always)
    static func attributed<T>(to context: SourceContext, _ body: () throws(DecodeError) -> T) throws(DecodeError) -> T {
        do throws(DecodeError) {
            return try body()
        } catch {
            var e = error
            e.source = context
            throw e
        }
    }
}
