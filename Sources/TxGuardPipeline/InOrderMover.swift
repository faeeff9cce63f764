/// Hands out an array's elements in order by moving them out, never copying: for arrays of large
/// values (transactions, verdicts) whose copy would retain and release every string they hold.
/// Pass the array with `consume` (or a temporary), so its buffer is not shared and the reversal
/// below swaps in place.
public struct InOrderMover<Element>: IteratorProtocol {
    private var reversed: [Element]

    public init(_ elements: consuming [Element]) {
        // Reversed in a local and then stored: reversed through the stored property, the buffer was
        // not known to be unique and every element was copied first (its strings retained) before
        // the swaps. Swaps by moves (Array.reverse copied).
        var local = consume elements
        local.withUnsafeMutableBufferPointer { $0.reverse() }
        reversed = consume local
    }

    /// The next element in the original order, moved out.
    public mutating func next() -> Element? { reversed.popLast() }

    /// Where the elements are stored (tests check that the caller's buffer was kept, not copied).
    var storageAddress: UnsafeRawPointer? { reversed.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress) } }
}
