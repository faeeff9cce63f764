import ArgumentParser
import Foundation
import TxGuardDetectors
import TxGuardPipeline

/// `txguard model inspect FILE`: a readable summary of a model file.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "Inspect model files.", subcommands: [Inspect.self])

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print what a model file holds (refuses corrupt or incompatible files).")
        @Argument(help: "Model file.") var file: String

        func run() throws {
            let m: TxGuardModel
            m = try ModelFile.read(path: file)  // a bad file exits 65, as from every command
            let t = m.training
            func bounds(_ s: ScoringModel) -> String {
                var named = [String]()
                for i in s.featureNames.indices {
                    if let f = s.detectorFloors, f[i] > -.greatestFiniteMagnitude { named.append("\(s.featureNames[i]) >= \(String(format: "%.3f", f[i]))") }
                    if let c = s.detectorCeilings, c[i] < .greatestFiniteMagnitude { named.append("\(s.featureNames[i]) <= \(String(format: "%.3f", c[i]))") }
                }
                return named.isEmpty ? "none (the forest and the SVM see every feature as it is)"
                    : "the forest and the SVM see " + named.joined(separator: ", ")
            }
            func date(_ ms: Int64?) -> String { ms.map { ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double($0) / 1000)) } ?? "-" }
            print("""
            model          \(m.modelVersion)   (format \(m.formatVersion), seed \(m.seed))
            trained        \(t.trainedAt) in \(String(format: "%.1f", t.seconds)) s from \(t.source)
            training data  \(t.events) events (\(t.deadLetters) rejected), \(t.trainingRows) rows fitted, \(date(t.firstEventMillis)) .. \(date(t.lastEventMillis))
            text           \(m.text.embedder.rawValue)\(m.featureSpec.textProjection.map { ", PCA \($0.inputDimension) -> \($0.outputDimension)" } ?? "")
            features       \(m.scoring.featureCount): \(m.scoring.featureNames.joined(separator: " "))
            detectors      isolation forest (\(m.scoring.isolationForest.treeCount) trees), one-class SVM (RBF, \(m.scoring.oneClassSVM.supportVectorCount) support vectors), z-score on \(m.scoring.zScoreInputIndices.map { m.scoring.featureNames[$0] }.joined(separator: ", "))
            bounds         \(bounds(m.scoring))
            ensemble       \(m.scoring.combiner.method.rawValue), weights \(m.scoring.combiner.weights.map { String(format: "%.2f", $0) }.joined(separator: "/")) (isolation forest/svm/z-score)
            threshold      \(m.threshold.method.rawValue), target alert rate \(m.threshold.alertRate), \(m.threshold.calibrationScores.count) calibration scores
            """)
        }
    }
}
