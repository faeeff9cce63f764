/// A function from strings to fixed-width vectors, shared by the MiniLM model and the hashed fallback.
///
/// Implementations are immutable after construction (or internally locked) so one instance can be
/// called from several tasks at once.
public protocol TextEmbedder: Sendable {
    /// Width of every vector returned by `embed(_:)`.
    var dimension: Int { get }
    /// One L2-normalised vector per input text, in input order.
    func embed(_ texts: [String]) throws -> [[Float]]
}

extension TextEmbedder {
    /// Embeds a single text.
    public func embed(_ text: String) throws -> [Float] {
        try embed([text])[0]
    }
}
