import ArgumentParser
import Foundation
import TxGuardEmbeddings

/// `txguard embed`: prints the token ids and embedding of each text as one JSON line.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed texts (arguments, or one per line on stdin) with MiniLM or the hashed n-gram embedder.")

    @Option(name: .long, help: "Directory with model.safetensors, vocab.txt, config.json (default: $TXGUARD_MODEL_DIR or ./models/all-MiniLM-L6-v2).")
    var modelDir: String?

    @Flag(name: .long, help: "Use the hashed character n-gram embedder instead of MiniLM (no model needed; tokens are empty).")
    var hashed = false

    @Option(name: .long, help: "Width of the hashed embedding.")
    var hashedDimension = 64

    @Argument(help: "Texts to embed; when none are given, one text per line is read from stdin.")
    var texts: [String] = []

    private struct Line: Encodable {
        let text: String
        let tokens: [Int32]
        let embedding: [Float]
    }

    func run() throws {
        var inputs = texts
        if inputs.isEmpty {
            while let line = readLine(strippingNewline: true) { inputs.append(line) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        if hashed {
            let embedder = try HashedNGramEmbedder(dimension: hashedDimension)
            for (text, vector) in zip(inputs, try embedder.embed(inputs)) {
                try write(Line(text: text, tokens: [], embedding: vector), encoder)
            }
        } else {
            let embedder = try MiniLMEmbedder(modelDirectory: modelDir, cacheCapacity: 0)
            var start = 0
            while start < inputs.count {
                let chunk = Array(inputs[start..<min(start + 32, inputs.count)])
                for (text, vector) in zip(chunk, try embedder.embed(chunk)) {
                    try write(Line(text: text, tokens: embedder.tokenize(text), embedding: vector), encoder)
                }
                start += 32
            }
        }
    }

    private func write(_ line: Line, _ encoder: JSONEncoder) throws {
        let data = try encoder.encode(line)
        FileHandle.standardOutput.write(data)
        FileHandle.standardOutput.write(Data([0x0A]))
    }
}
