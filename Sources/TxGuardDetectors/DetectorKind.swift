/// The detectors of the ensemble: the one name for them everywhere (model files, explanations,
/// alerts, metrics, reports).
public enum DetectorKind: String, Sendable, Codable, CaseIterable {
    case isolationForest, oneClassSVM, zScore

    /// The name alerts, metrics and score files use (`isolation_forest`, `ocsvm`, `zscore`).
    public var name: String {
        switch self {
        case .isolationForest: return "isolation_forest"
        case .oneClassSVM: return "ocsvm"
        case .zScore: return "zscore"
        }
    }
}
