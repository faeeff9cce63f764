import TxGuardContracts
import TxGuardEmbeddings

/// A loaded model ready to score: the model plus its decoder, featurizer and text embedder.
/// Immutable and shared by every partition's `PartitionScorer`.
public struct ScoringRuntime: Sendable {
    public let model: TxGuardModel
    public let decoder: JSONTransactionDecoder
    public let featurizer: TabularFeaturizer
    public let text: TextFeatureEncoder
    /// Accounts kept per partition before the least recently seen are evicted.
    public let accountCapacity: Int
    public let accountIdleTTLSeconds: Int?
    /// The threshold every partition starts from (fitted once from the model's calibration
    /// sample, not once per assigned partition).
    public let initialThreshold: PartitionThreshold
    /// Labels known to this process (shared by every partition), or nil when labels are not an
    /// input: the pipeline is then exactly the unsupervised ensemble.
    public var labels: LabelBook?
    /// How the supervised layer and false-positive feedback use the labels.
    public var supervised = SupervisedSettings()

    public init(model: TxGuardModel, decoder: JSONTransactionDecoder, text: TextFeatureEncoder,
                accountCapacity: Int = 1_000_000, accountIdleTTLSeconds: Int? = 90 * 86400) throws {
        // The account store indexes its slots in 24 bits.
        guard accountCapacity >= 1, accountCapacity <= SlotIndex.slotLimit else {
            throw PipelineError.input("account capacity \(accountCapacity) outside 1...\(SlotIndex.slotLimit) per partition")
        }
        self.model = model
        self.decoder = decoder
        self.featurizer = try TabularFeaturizer(spec: model.featureSpec)
        self.text = text
        self.accountCapacity = accountCapacity
        self.accountIdleTTLSeconds = accountIdleTTLSeconds
        self.initialThreshold = try PartitionThreshold(settings: model.threshold)
        guard featurizer.featureNames == model.scoring.featureNames else {
            throw PipelineError.input("model is inconsistent: feature specification and detectors disagree on features")
        }
    }

    /// Loads the text embedder the model was trained with.
    public static func load(model: TxGuardModel, mapping: FieldMapping = .canonical, limits: DecodeLimits = .default,
                            modelDirectory: String? = nil) throws -> ScoringRuntime {
        let decoder = try JSONTransactionDecoder(mapping: mapping, limits: limits)
        let text = try TextFeatureEncoder(settings: model.text, modelDirectory: modelDirectory)
        return try ScoringRuntime(model: model, decoder: decoder, text: text)
    }
}
