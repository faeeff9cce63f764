/// Area under the ROC curve of `scores` (higher = more positive) against binary `labels`,
/// computed exactly with mid-ranks for ties (Mann–Whitney U); equals sklearn's `roc_auc_score`.
/// Returns nil when one class is absent or the lengths differ.
public func rocAUC(scores: [Double], labels: [Bool]) -> Double? {
    guard scores.count == labels.count, !scores.isEmpty else { return nil }
    let order = scores.indices.sorted { scores[$0] < scores[$1] }
    var positiveRankSum = 0.0
    var positives = 0
    var i = 0
    while i < order.count {
        var j = i
        while j + 1 < order.count && scores[order[j + 1]] == scores[order[i]] { j += 1 }
        let midRank = Double(i + j) / 2 + 1
        for k in i...j where labels[order[k]] {
            positiveRankSum += midRank
            positives += 1
        }
        i = j + 1
    }
    let negatives = scores.count - positives
    guard positives > 0, negatives > 0 else { return nil }
    let p = Double(positives)
    return (positiveRankSum - p * (p + 1) / 2) / (p * Double(negatives))
}
