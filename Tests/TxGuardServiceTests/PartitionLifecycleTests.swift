import Testing
import TxGuardKafka
@testable import TxGuardService

/// The partition lifecycle's transitions as plain values: where a partition restarts, what is
/// re-sent, what is snapshotted, how backpressure pauses and resumes, and when a stall is seen.
@Suite struct PartitionLifecycleTests {
    let a = TopicPartition("tx", 0), b = TopicPartition("tx", 1)

    @Test func restartPointFromCommitAndSnapshot() {
        // Snapshot behind the commit: rebuild from it, re-send nothing before the commit.
        #expect(RestartPoint.choose(committed: 120, snapshotOffset: 100) == RestartPoint(basis: .snapshot, fetchFrom: 100, warmUntil: 120))
        // Snapshot ahead of the commit (taken after acknowledgement, crash before the commit).
        // Its records' outputs were acknowledged but the commit was lost: store it again.
        #expect(RestartPoint.choose(committed: 90, snapshotOffset: 100) == RestartPoint(basis: .snapshot, fetchFrom: 100, warmUntil: 100, uncommittedDone: 100))
        #expect(RestartPoint.choose(committed: nil, snapshotOffset: 40) == RestartPoint(basis: .snapshot, fetchFrom: 40, warmUntil: 40, uncommittedDone: 40))
        #expect(RestartPoint.choose(committed: 100, snapshotOffset: 100).uncommittedDone == nil)
        // Committed but no snapshot: rebuild state from the log start, outputs only from the commit.
        #expect(RestartPoint.choose(committed: 120, snapshotOffset: nil)
            == RestartPoint(basis: .rebuildFromLogStart, fetchFrom: KafkaOffset.beginning, warmUntil: 120))
        // librdkafka's "no committed offset" (-1001) counts as none.
        #expect(RestartPoint.choose(committed: -1001, snapshotOffset: nil) == RestartPoint(basis: .fresh, fetchFrom: nil, warmUntil: -1))
    }

    /// The rebalance stall: a member finished a partition, its commit was refused during the
    /// rebalance, it gets the partition back from its snapshot at the end of the log and no record
    /// arrives any more: the snapshot's offset is stored again so the group's commit catches up.
    @Test func workDoneBeforeALostCommitIsCommittedAgain() {
        var l = PartitionLifecycle()
        let actions = l.assigned([a: .choose(committed: 5050, snapshotOffset: 6349), b: .choose(committed: 70, snapshotOffset: 70)], nowMs: 0)
        #expect(actions == [.storeOffsets([TopicPartitionOffset(a, offset: 6349)])])
    }

    @Test func emitsOnlyFromWhereOutputsWereNotYetAcknowledged() {
        var l = PartitionLifecycle()
        #expect(l.assigned([a: RestartPoint.choose(committed: 120, snapshotOffset: 100)], nowMs: 0).isEmpty)
        #expect(!l.emits(a, offset: 100) && !l.emits(a, offset: 119))
        #expect(l.emits(a, offset: 120))
        #expect(l.positions[a]?.next == 100)
    }

    @Test func snapshotsOnlyStateThatMatchesWhatWasAcknowledged() {
        var l = PartitionLifecycle()
        _ = l.assigned([a: RestartPoint.choose(committed: 10, snapshotOffset: 10), b: RestartPoint.choose(committed: nil, snapshotOffset: nil)], nowMs: 0)
        // b has no position yet: nothing to snapshot.
        #expect(l.snapshots() == [.snapshot(a, nextOffset: 10)])
        // a's processor saw up to 20, outputs not acknowledged: its old snapshot must stay.
        l.seen(a, through: 20)
        #expect(l.snapshots().isEmpty)
        _ = l.acknowledged(a, next: 20, nowMs: 5)
        _ = l.acknowledged(b, next: 7, nowMs: 5)
        #expect(l.snapshots() == [.snapshot(a, nextOffset: 20), .snapshot(b, nextOffset: 7)])
        // Revoked: snapshotted, then forgotten.
        #expect(l.revoked([b]) == [.snapshot(b, nextOffset: 7)])
        #expect(l.assigned == [a])
        #expect(l.revoked([b]).isEmpty, "a partition not owned is not snapshotted")
    }

    @Test func backpressurePausesEverythingAndResumesItWithoutCountingAStall() {
        var l = PartitionLifecycle(stallAfterMs: 1000)
        _ = l.assigned([a: .choose(committed: 0, snapshotOffset: 0), b: .choose(committed: 0, snapshotOffset: 0)], nowMs: 0)
        #expect(l.backpressureBegan() == [.pause([a, b])])
        #expect(l.backpressureBegan().isEmpty, "already paused")
        // Paused partitions are never reported stalled, however long the pause.
        #expect(l.checkProgress(nowMs: 60_000) { _ in 500 }.isEmpty)
        #expect(l.backpressureEnded(nowMs: 60_000) == [.resume([a, b])])
        #expect(l.paused.isEmpty)
        // The pause's end counts as progress: no stall right after it.
        #expect(l.checkProgress(nowMs: 60_500) { _ in 500 }.isEmpty)
        // A revoked paused partition is not resumed by this member.
        _ = l.backpressureBegan()
        _ = l.revoked([a])
        #expect(l.backpressureEnded(nowMs: 61_000) == [.resume([b])])
    }

    @Test func aPartitionWithRecordsWaitingAndNoProgressIsReportedAndResumed() {
        var l = PartitionLifecycle(stallAfterMs: 1000)
        _ = l.assigned([a: .choose(committed: 100, snapshotOffset: 100), b: .choose(committed: 50, snapshotOffset: 50)], nowMs: 0)
        let high: (TopicPartition) -> Int64? = { $0 == a ? 300 : 50 }
        #expect(l.checkProgress(nowMs: 999, highWatermark: high).isEmpty, "not yet")
        // b has nothing waiting (high = its position): never stalled.
        #expect(l.checkProgress(nowMs: 1000, highWatermark: high) == [.reportStalled([a]), .resume([a])])
        #expect(l.stalledCount == 1)
        #expect(l.checkProgress(nowMs: 5000, highWatermark: high).isEmpty, "reported once")
        #expect(l.acknowledged(a, next: 150, nowMs: 5100) == [.reportRecovered([a])])
        #expect(l.stalledCount == 0)
        // Unknown watermarks never count as records waiting.
        #expect(l.checkProgress(nowMs: 99_000) { _ in nil }.isEmpty)
        // Re-acknowledging the same position is not progress.
        #expect(l.acknowledged(a, next: 150, nowMs: 99_500).isEmpty)
        #expect(l.checkProgress(nowMs: 99_600, highWatermark: high) == [.reportStalled([a]), .resume([a])])
    }
}
