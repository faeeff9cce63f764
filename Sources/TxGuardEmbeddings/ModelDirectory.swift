import Foundation

/// Where the MiniLM model files live: `--model-dir`, else `$TXGUARD_MODEL_DIR`, else
/// `./models/all-MiniLM-L6-v2` (installed by `scripts/fetch-model.sh`).
public enum ModelDirectory {
    /// The directory used when none is given explicitly.
    public static var defaultPath: String {
        if let env = ProcessInfo.processInfo.environment["TXGUARD_MODEL_DIR"], !env.isEmpty { return env }
        return "./models/all-MiniLM-L6-v2"
    }

    /// `explicit` or the default, after checking the files the embedder needs are there.
    public static func resolve(_ explicit: String? = nil) throws -> String {
        let dir = explicit ?? defaultPath
        for file in ["config.json", "vocab.txt", "model.safetensors"] {
            guard FileManager.default.fileExists(atPath: dir + "/" + file) else {
                throw EmbeddingError.modelMissing(directory: dir, file: file)
            }
        }
        return dir
    }
}
