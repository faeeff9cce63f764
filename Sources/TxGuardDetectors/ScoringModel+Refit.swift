extension ScoringModel {
    /// A copy with the Isolation Forest and the one-class SVM refitted on `training` (recent,
    /// non-alerted events) and their calibrators refitted on the new detectors' scores of those
    /// rows. The Z-score detector, its calibrator and the combiner are kept, so per-account
    /// statistics stay valid. Seeded: the same rows and seed give the same model.
    public func refittingForestAndSVM(training: FeatureMatrix, seed: UInt64,
                                      isolationForest ifConfig: IsolationForestConfiguration = .init(),
                                      oneClassSVM svmConfig: OneClassSVM.Configuration = .init(),
                                      tailLevel: Double = 0.98) throws -> ScoringModel {
        guard training.columnCount == featureCount else {
            throw DetectorError.dimensionMismatch(expected: featureCount, actual: training.columnCount)
        }
        guard training.rowCount >= 50 else { throw DetectorError.notEnoughRows(needed: 50, actual: training.rowCount) }
        try training.validateFinite()
        // The detectors are refitted on rows as they see them (the model's floors and ceilings kept).
        let training = training.clamped(detectorBounds)
        var rng = SeededGenerator(seed: seed)
        var ic = ifConfig
        ic.seed = rng.next()
        var sc = svmConfig
        sc.seed = rng.next()
        let forest = try IsolationForest.fit(training, configuration: ic)
        let svm = try OneClassSVM.fit(training, configuration: sc)
        var ifScores = [Double](), svmScores = [Double]()
        ifScores.reserveCapacity(training.rowCount)
        svmScores.reserveCapacity(training.rowCount)
        for r in 0..<training.rowCount {
            training.withRow(r) { x in
                ifScores.append(forest.score(x))
                svmScores.append(svm.score(x))
            }
        }
        var calibrators = self.calibrators
        calibrators = DetectorCalibrators(isolationForest: try TailCalibrator(scores: ifScores, tailLevel: tailLevel),
                                          oneClassSVM: try TailCalibrator(scores: svmScores, tailLevel: tailLevel),
                                          zScore: calibrators.zScore)
        return ScoringModel(featureNames: featureNames, zScoreInputIndices: zScoreInputIndices, seed: seed,
                            isolationForest: forest, oneClassSVM: svm, zScore: zScore, calibrators: calibrators, combiner: combiner,
                            detectorFloors: detectorFloors, detectorCeilings: detectorCeilings)
    }
}
