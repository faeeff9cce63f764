/// Why an embedder or its model files could not be used; every case names what to do about it.
public enum EmbeddingError: Error, CustomStringConvertible, Equatable {
    /// The model directory or one of its files is missing.
    case modelMissing(directory: String, file: String)
    /// A model file exists but cannot be read or mapped.
    case unreadableFile(path: String, reason: String)
    /// The safetensors header or a tensor in it is malformed.
    case malformedSafetensors(path: String, reason: String)
    /// A tensor the encoder needs is absent or has the wrong shape or type.
    case badTensor(name: String, reason: String)
    /// config.json or vocab.txt does not describe a BERT model this encoder supports.
    case badConfig(reason: String)
    /// A serialized state blob could not be decoded.
    case corruptState(reason: String)
    /// A configuration value is out of range.
    case invalidConfiguration(reason: String)
    /// A model file's SHA-256 is not the expected one (corrupted, truncated or another model).
    case checksumMismatch(path: String, expected: String, actual: String)

    public var description: String {
        switch self {
        case let .modelMissing(directory, file):
            return "MiniLM model file '\(file)' not found in '\(directory)': run scripts/fetch-model.sh "
                + "(or `make model`), or point --model-dir / TXGUARD_MODEL_DIR at a directory holding "
                + "config.json, vocab.txt and model.safetensors (a model trained with --text hashed needs none)"
        case let .unreadableFile(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .malformedSafetensors(path, reason):
            return "malformed safetensors file '\(path)': \(reason)"
        case let .badTensor(name, reason):
            return "tensor '\(name)': \(reason)"
        case let .badConfig(reason):
            return "unsupported model configuration: \(reason)"
        case let .corruptState(reason):
            return "corrupt serialized state: \(reason)"
        case let .invalidConfiguration(reason):
            return "invalid configuration: \(reason)"
        case let .checksumMismatch(path, expected, actual):
            return "model file '\(path)' is corrupted or not the expected one (SHA-256 \(actual.prefix(16))…, expected \(expected.prefix(16))…): "
                + "fetch it again with scripts/fetch-model.sh (or `make model`); for another model, list its files' sums in SHA256SUMS beside them"
        }
    }
}
