import Foundation
import TxGuardDetectors
import TxGuardEmbeddings

/// Everything a running txguard needs to judge transactions, fitted by `txguard train`: feature
/// specification (with its fitted scalers and text projection), detectors and calibrators,
/// threshold settings and calibration sample, seed and training metadata. Stored as one
/// versioned, checksummed file (`ModelFile`).
public struct TxGuardModel: Sendable, Codable, Equatable {
    /// File format version this build reads and writes.
    public static let formatVersion = 4

    public var formatVersion: Int = TxGuardModel.formatVersion
    /// Identifies the model in alerts (`model_version`) and in `alert_id`s.
    public var modelVersion: String
    public var seed: UInt64
    public var featureSpec: FeatureSpec
    public var text: TextSettings
    public var scoring: ScoringModel
    public var threshold: ThresholdSettings
    public var training: TrainingSummary
    /// Periodic refit of Isolation Forest and SVM on recent non-alerted events (nil: defaults).
    public var onlineRefit: OnlineRefitSettings?

    public init(modelVersion: String, seed: UInt64, featureSpec: FeatureSpec, text: TextSettings, scoring: ScoringModel,
                threshold: ThresholdSettings, training: TrainingSummary, onlineRefit: OnlineRefitSettings? = nil) {
        self.onlineRefit = onlineRefit
        self.modelVersion = modelVersion
        self.seed = seed
        self.featureSpec = featureSpec
        self.text = text
        self.scoring = scoring
        self.threshold = threshold
        self.training = training
    }
}

/// Which text embedder turns merchant names and memos into vectors.
public struct TextSettings: Sendable, Codable, Equatable {
    public enum Embedder: String, Sendable, Codable, CaseIterable {
        /// all-MiniLM-L6-v2 run natively (needs the model files; `scripts/fetch-model.sh`).
        case minilm
        /// Hashed character n-grams: fast, no model files, weaker semantics.
        case hashed
        /// No text features.
        case none
    }
    public var embedder: Embedder
    /// Width of the hashed embedder.
    public var hashedDimension: Int = 64
    /// PCA components of the text embedding fed to the detectors (≤ 16). One by default: with
    /// `text_novelty` (the per-account semantic surprise) text gets two columns, so it cannot take over
    /// the random feature choice of Isolation Forest or the kernel distances of the SVM when the text
    /// says little (README, "Detection quality").
    public var components: Int = 1

    public init(embedder: Embedder, hashedDimension: Int = 64, components: Int = 1) {
        self.embedder = embedder
        self.hashedDimension = hashedDimension
        self.components = components
    }
}

/// How the per-partition adaptive threshold is set.
public struct ThresholdSettings: Sendable, Codable, Equatable {
    public enum Method: String, Sendable, Codable, CaseIterable {
        /// SPOT: extreme-value (generalised Pareto) threshold at risk `alertRate` (Siffer et al. 2017).
        case spot
        /// DSPOT: SPOT on drift-corrected scores.
        case dspot
        /// P² streaming quantile at 1 − `alertRate`.
        case quantile
    }
    public var method: Method = .spot
    /// Target fraction of events alerted (SPOT's risk q).
    public var alertRate: Double = 0.005
    /// DSPOT's moving-average depth.
    public var driftDepth: Int = 200
    /// Ensemble scores of training events (the threshold's starting sample).
    public var calibrationScores: [Double]

    public init(method: Method = .spot, alertRate: Double = 0.005, calibrationScores: [Double]) {
        self.method = method
        self.alertRate = alertRate
        self.calibrationScores = calibrationScores
    }
}

/// Where and when the model was trained.
public struct TrainingSummary: Sendable, Codable, Equatable {
    public var source: String
    public var events: Int
    public var deadLetters: Int
    public var trainingRows: Int
    public var firstEventMillis: Int64?
    public var lastEventMillis: Int64?
    public var trainedAt: String
    public var seconds: Double

    public init(source: String, events: Int, deadLetters: Int, trainingRows: Int, firstEventMillis: Int64?, lastEventMillis: Int64?, trainedAt: String, seconds: Double) {
        self.source = source
        self.events = events
        self.deadLetters = deadLetters
        self.trainingRows = trainingRows
        self.firstEventMillis = firstEventMillis
        self.lastEventMillis = lastEventMillis
        self.trainedAt = trainedAt
        self.seconds = seconds
    }
}

/// Online refit of the Isolation Forest and the one-class SVM, per partition, from a reservoir of
/// recent non-alerted events. The refit runs on another thread and is swapped in a fixed number of
/// events after it started, so the same input always gives the same decisions.
public struct OnlineRefitSettings: Sendable, Codable, Equatable {
    /// Non-alerted events between refits (0, the default, disables it: measured on simulated data, refits
    /// from a recent reservoir lowered PR-AUC, so they are opt-in).
    public var every: Int = 0
    /// Rows kept (uniform reservoir sample of the non-alerted events since the last refit).
    public var reservoirSize: Int = 10_000
    /// Events between starting a refit and swapping it in.
    public var swapAfter: Int = 2_000

    public init(every: Int = 0, reservoirSize: Int = 10_000, swapAfter: Int = 2_000) {
        self.every = every
        self.reservoirSize = reservoirSize
        self.swapAfter = swapAfter
    }
}
