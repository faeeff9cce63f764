import Foundation
import TxGuardEmbeddings

/// Tabular featurizer benchmark (filled in with the featurizer).
enum TabularBench {
    static func run(accounts: Int) throws -> [String] {
        ["(tabular featurizer not built yet)"]
    }
}
