import Foundation
import TxGuardDetectors

/// Reference values written by scripts/fixtures/detectors/generate.py (scikit-learn 1.9.1).
struct Reference: Decodable {
    struct PathLength: Decodable { let n: [Int]; let c: [Double] }
    struct AUCCase: Decodable { let scores: [Double]; let labels: [Int]; let auc: Double }
    struct ForestAUC: Decodable { let seeds: [Int]; let aucs: [Double]; let mean_auc: Double }
    struct SVMRef: Decodable {
        let n_train: Int; let nu: Double; let gamma: Double; let auc: Double
        let n_support: Int; let rho: Double; let decision_first200: [Double]
    }
    struct Tree: Decodable {
        let feature: [Int]; let threshold: [Double]; let left: [Int]; let right: [Int]; let n_node_samples: [Int]
    }
    struct Exported: Decodable { let max_samples: Int; let trees: [Tree]; let queries: [[Double]]; let score_samples: [Double] }
    struct Expected: Decodable { let train: [[Double]]; let queries: [[Double]]; let mean_score_samples: [Double] }

    let average_path_length: PathLength
    let roc_auc_cases: [AUCCase]
    let iforest_shuttle: ForestAUC
    let ocsvm_shuttle: SVMRef
    let exported_forest: Exported
    let expected_scores: Expected

    static let shared: Reference = {
        // Test-only: a missing fixture is a broken checkout and should fail loudly.
        let url = Bundle.module.url(forResource: "Fixtures/reference", withExtension: "json")!
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()
}

/// The committed Shuttle subsample: 9 features and the anomaly label.
struct Shuttle {
    let features: FeatureMatrix
    let labels: [Bool]

    static let shared: Shuttle = {
        let url = Bundle.module.url(forResource: "Fixtures/shuttle_10k", withExtension: "csv")!
        let text = try! String(contentsOf: url, encoding: .utf8)
        var values = [Float]()
        var labels = [Bool]()
        for line in text.split(separator: "\n").dropFirst() {
            let cells = line.split(separator: ",")
            for c in cells.prefix(9) { values.append(Float(c)!) }
            labels.append(cells[9] == "1")
        }
        return Shuttle(features: try! FeatureMatrix(rowCount: labels.count, columnCount: 9, values: values), labels: labels)
    }()
}

func matrix(_ rows: [[Double]]) -> FeatureMatrix {
    try! FeatureMatrix(rows: rows.map { $0.map { Float($0) } })
}

/// Exact quantile (linear interpolation of order statistics, numpy's default).
func exactQuantile(_ values: [Double], _ p: Double) -> Double {
    let s = values.sorted()
    let h = p * Double(s.count - 1)
    let lo = Int(h), hi = min(lo + 1, s.count - 1)
    return s[lo] + (h - Double(lo)) * (s[hi] - s[lo])
}
