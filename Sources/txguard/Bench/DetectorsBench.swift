import ArgumentParser
import Foundation
import TxGuardDetectors

/// `txguard bench detectors`: per-event cost of each detector, calibration + ensemble + threshold,
/// and fit times, on synthetic Gaussian-mixture features (one core).
struct DetectorsBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detectors",
        abstract: "Isolation Forest, one-class SVM, Z-score, gradient-boosted trees, calibration/ensemble/threshold per event; fit times.")

    @Option(help: "Feature dimension.") var features = 32
    @Option(help: "Training rows.") var rows = 100_000
    @Option(help: "Scored events per measurement.") var events = 200_000
    @Option(help: "One-class SVM training sample size.") var svmSample = 2_000
    @Option(help: "Feature dimension of the gradient-boosted trees.") var gbtFeatures = 40
    @Option(help: "Labelled training rows of the gradient-boosted trees.") var gbtRows = 20_000

    func run() async throws {
        let d = features
        var rng = SeededGenerator(seed: 1)
        func event(_ anomalous: Bool) -> [Float] {
            (0..<d).map { f in Float(rng.nextGaussian() * (1 + Double(f % 3)) + (anomalous ? 4 : 0)) }
        }
        var values = [Float]()
        values.reserveCapacity(rows * d)
        for _ in 0..<rows { values += event(false) }
        let training = try FeatureMatrix(rowCount: rows, columnCount: d, values: values)
        let names = (0..<d).map { "f\($0)" }
        let queries = (0..<4_096).map { i in event(i % 50 == 0) }
        print("detectors: \(rows) × \(d) training rows, \(events) scored events per line, one core")

        var t0 = monotonicNanos()
        let forest = try IsolationForest.fit(training, configuration: .init(seed: 2))
        let forestFit = Double(monotonicNanos() - t0) / 1e9
        print(String(format: "fit isolation forest (100 trees, ψ=256)        %.3f s", forestFit))

        var config = ScoringModel.Configuration()
        config.oneClassSVM.sampleSize = svmSample
        t0 = monotonicNanos()
        let model = try ScoringModel.fit(training: training, featureNames: names, zScoreInputs: ["f0", "f1", "f2"],
                                         seed: 3, configuration: config)
        let modelFit = Double(monotonicNanos() - t0) / 1e9
        print(String(format: "fit scoring model (IF + SVM on %d + calibrators) %.3f s, %d support vectors",
                     svmSample, modelFit, model.oneClassSVM.supportVectorCount))

        // Supervised: labelled rows whose log-odds depend non-linearly on a few of `gbtFeatures` columns.
        let g = gbtFeatures
        func labelledEvent() -> ([Float], Bool) {
            let x = (0..<g).map { _ in Float(rng.nextGaussian()) }
            let z = 2 * Double(x[0]) - 1.5 * Double(x[1] * x[2]) + (x[3] > 1 ? 2 : 0) - 3
            return (x, rng.nextUnit() < 1 / (1 + exp(-z)))
        }
        var gbtValues = [Float](), gbtLabels = [Bool]()
        gbtValues.reserveCapacity(gbtRows * g)
        for _ in 0..<gbtRows {
            let (x, y) = labelledEvent()
            gbtValues += x
            gbtLabels.append(y)
        }
        t0 = monotonicNanos()
        let gbt = try GradientBoostedTrees.fit(FeatureMatrix(rowCount: gbtRows, columnCount: g, values: gbtValues),
                                               labels: gbtLabels, featureNames: (0..<g).map { "g\($0)" })
        let gbtFit = Double(monotonicNanos() - t0) / 1e9
        print(String(format: "fit gradient-boosted trees (%d trees, %d × %d)  %.3f s, %d nodes",
                     gbt.treeCount, gbtRows, g, gbtFit, gbt.nodes.count))

        let flat = queries.flatMap { $0 }
        var sink = 0.0
        func measure(_ name: String, queries flat: [Float] = flat, dimension d: Int = d,
                     _ body: (UnsafeBufferPointer<Float>) -> Double) -> BenchResult {
            let queryCount = flat.count / d
            var latencies = [Double]()
            latencies.reserveCapacity(events / 16)
            let start = monotonicNanos()
            let cpuStart = processCPUSeconds()
            flat.withUnsafeBufferPointer { all in
                for i in 0..<events {
                    let q = i % queryCount
                    let x = UnsafeBufferPointer(rebasing: all[(q * d)..<((q + 1) * d)])
                    if i % 16 == 0 {
                        let a = monotonicNanos()
                        sink += body(x)
                        latencies.append(Double(monotonicNanos() - a))
                    } else {
                        sink += body(x)
                    }
                }
            }
            let seconds = Double(monotonicNanos() - start) / 1e9
            let cpu = processCPUSeconds() - cpuStart
            let result = BenchResult(name: name, operations: events, seconds: seconds, latenciesNanos: latencies)
            // CPU time per event is robust to other processes sharing the core; wall rate is not.
            print(result.line + String(format: "   cpu %.2f µs/event", cpu / Double(events) * 1e6))
            return result
        }

        let stats = model.newAccountStats()
        _ = measure("isolation forest score (100 trees, d=\(d))") { forest.score($0) }
        _ = measure("one-class SVM score (\(model.oneClassSVM.supportVectorCount) SV, d=\(d))") { model.oneClassSVM.score($0) }
        _ = measure("z-score score (3 inputs)") { x in
            model.zScore.score(UnsafeBufferPointer(rebasing: x[0..<3]), state: stats).score
        }
        let gbtQueries = (0..<4_096).flatMap { _ in labelledEvent().0 }
        let gbtResult = measure("gradient-boosted trees (\(gbt.treeCount) trees, d=\(g))", queries: gbtQueries, dimension: g) {
            gbt.probability($0)
        }
        print(String(format: "  = %.0f ns/event (wall)", gbtResult.seconds / Double(gbtResult.operations) * 1e9))

        // Calibration + ensemble + threshold on precomputed raw scores.
        var raw = [DetectorTriple]()
        for q in queries {
            let s = try model.score(q, accountStats: stats)
            raw.append(s.raw)
        }
        var calibration = [Double]()
        for r in 0..<min(rows, 20_000) {
            calibration.append(try model.score(training.row(r), accountStats: stats).combined)
        }
        var spot = try SPOTThreshold(calibration: calibration, configuration: .init(risk: 1e-3))
        var calibrateIndex = 0
        let cal = model.calibrators
        let combiner = model.combiner
        _ = measure("calibrate ×3 + ensemble + SPOT threshold") { _ in
            let r = raw[calibrateIndex % raw.count]
            calibrateIndex += 1
            let logs = DetectorTriple(isolationForest: cal.isolationForest.logUpperTail(r.isolationForest),
                                      oneClassSVM: cal.oneClassSVM.logUpperTail(r.oneClassSVM),
                                      zScore: cal.zScore.logUpperTail(r.zScore))
            let combined = combiner.combine(logTails: logs).score
            return spot.observe(combined).isAlert ? 1 : combined
        }
        _ = measure("full ScoringModel.score (all detectors)") { model.score($0, accountStats: stats).combined }
        if sink.isNaN { print("unreachable: \(sink)") }
    }
}
