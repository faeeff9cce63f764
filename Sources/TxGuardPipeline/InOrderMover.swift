/// Hands out an array's elements in order by moving them out, never copying: for arrays of large
/// values (transactions, verdicts) whose copy would retain and release every string they hold.
/// Pass the array with `consume` (or a temporary), so its buffer is not shared and the reversal
/// below swaps in place.
public struct InOrderMover<Element>: IteratorProtocol {
    private var reversed: [Element]

    public init(_ elements: consuming [Element]) {
        reversed = elements
        reversed.withUnsafeMutableBufferPointer { $0.reverse() }  // swaps by moves (Array.reverse copied)
    }

    /// The next element in the original order, moved out.
    public mutating func next() -> Element? { reversed.popLast() }
}
