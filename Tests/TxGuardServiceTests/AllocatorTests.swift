import Glibc
import Testing
@testable import TxGuardService

/// The fixed mmap threshold that keeps snapshot buffers out of glibc's arenas (soak, issue 15).
/// Each case runs in a fresh process (an exit test): whether a block comes from an arena or from
/// its own mapping depends on the arena's free space, which a long test run has plenty of.
@Suite struct AllocatorTests {
    /// Allocates 24 MiB (mapped: above glibc's initial 128 KiB threshold) and frees it, which makes
    /// glibc's dynamic threshold 24 MiB; then whether a 2 MiB block gets its own mapping. glibc marks
    /// a mapped chunk with bit 1 (IS_MMAPPED) of the size word just before the returned pointer
    /// (malloc/malloc.c, "chunk representations").
    static func twoMiBIsMappedAfterALargeFree() -> Bool {
        func isMapped(_ p: UnsafeMutableRawPointer) -> Bool {
            (p - MemoryLayout<UInt>.size).load(as: UInt.self) & 0x2 != 0
        }
        guard let large = malloc(24 << 20) else { return false }
        free(large)
        guard let block = malloc(2 << 20) else { return false }
        defer { free(block) }
        return isMapped(block)
    }

    @Test func withTheFixedThresholdLargeBlocksStayMapped() async {
        await #expect(processExitsWith: .success) {
            guard fixLargeAllocationThreshold(bytes: 1 << 20, environment: [:]) else { exit(2) }
            exit(AllocatorTests.twoMiBIsMappedAfterALargeFree() ? 0 : 1)
        }
    }

    /// The control: glibc's default behaviour, which the fix exists to change, so the case above
    /// can fail.
    @Test func withoutItALargeFreeMovesTheThresholdUp() async {
        await #expect(processExitsWith: .success) {
            exit(AllocatorTests.twoMiBIsMappedAfterALargeFree() ? 1 : 0)
        }
    }

    @Test func anEnvironmentSettingWins() {
        #expect(!fixLargeAllocationThreshold(environment: ["MALLOC_MMAP_THRESHOLD_": "4194304"]))
    }
}
