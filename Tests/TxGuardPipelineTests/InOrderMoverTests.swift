@testable import TxGuardPipeline
import Testing

@Suite struct InOrderMoverTests {
    /// Elements come out in order, and the mover keeps the caller's buffer: reversing it through
    /// the stored property copied every element into a new one first (seen as a 1% share of the
    /// scorer's retains and releases).
    @Test func handsOutInOrderFromTheCallersBuffer() {
        var values: [String] = []
        values.reserveCapacity(100)
        for i in 0..<100 { values.append("transaction \(i) with a heap-allocated string") }
        let before = values.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) }
        var mover = InOrderMover(consume values)
        #expect(mover.storageAddress == before)
        var out: [String] = []
        while let v = mover.next() { out.append(v) }
        #expect(out == (0..<100).map { "transaction \($0) with a heap-allocated string" })
    }
}
