/// A change of a group member's partitions, reported synchronously from inside the rebalance
/// so the application can finish in-flight work, snapshot state and commit before it completes.
public enum RebalanceEvent: Sendable, Equatable {
    /// Partitions now owned by this member (incremental under cooperative-sticky, whole set under eager).
    case assigned([TopicPartition], cooperative: Bool)
    /// Partitions taken away. `lost` means they were lost (e.g. session timeout), so commits will fail.
    case revoked([TopicPartition], cooperative: Bool, lost: Bool)

    public var partitions: [TopicPartition] {
        switch self {
        case .assigned(let p, _), .revoked(let p, _, _): return p
        }
    }
}
