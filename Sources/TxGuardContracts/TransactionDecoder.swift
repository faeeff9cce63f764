/// Turns one record's bytes into a typed `Transaction`, or a `DecodeError` saying exactly why not.
///
/// The pipeline only knows this protocol, so another wire format (Avro with the Confluent schema
/// registry, Protobuf) can be added as a new conforming type without touching the pipeline.
/// Implementations must be pure functions of their input: no I/O, no shared mutable state.
public protocol TransactionDecoder: Sendable {
    /// Decodes and validates `bytes`; `context` is copied into any error.
    func decode(_ bytes: UnsafeRawBufferPointer, context: SourceContext) throws(DecodeError) -> Transaction
}

extension TransactionDecoder {
    /// Convenience for byte arrays (tests, files).
    public func decode(_ bytes: [UInt8], context: SourceContext = .unknown) throws(DecodeError) -> Transaction {
        // Array.withUnsafeBytes is untyped `rethrows`, so carry the typed error out in a Result.
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(DecodeError) -> Transaction in try decode(raw, context: context) }
        }
        return try result.get()
    }
}
