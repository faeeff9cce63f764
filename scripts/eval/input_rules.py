#!/usr/bin/env python3
"""Z-score inputs re-combined offline (development only, outside CI).

`combination_rules.py` re-combines the three detectors' surprises. This script goes one level down:
it needs each Z-score input's own calibrated surprise, which a score line does not carry, so it runs
one backtest per input (`txguard backtest --zscore-inputs X`, cached as
out/eval/runs/<stream>.z_<X>.scores.jsonl; the `zscore` surprise of that run is input X's) beside the
default run of `make eval` (<stream>.txguard.scores.jsonl, the forest's and the SVM's surprises).
Then it prints PR-AUC per generator (seeds averaged) and the mean for rules that weigh, truncate or
maximise the inputs inside the Z-score as well as between detectors.

  scripts/eval/input_rules.py [--amount-weight W]   (after make eval; about 5 min of backtests the
                                                    first time, and again after each rebuild)

Where a rule re-calibrates a combined Z-score, the calibration here is the empirical tail of the
scored events' own values (label-free, like txguard's calibration on the training replay, but on
other events), so figures are close to, not exactly, what txguard would give.
"""
import argparse, importlib.util, json, os, subprocess, sys
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_spec = importlib.util.spec_from_file_location("combination_rules", os.path.join(ROOT, "scripts/eval/combination_rules.py"))
cr = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(cr)
RUNS = os.path.join(ROOT, "out/eval/runs")
STREAMS = os.path.join(ROOT, "out/eval/streams")
TXGUARD = os.environ.get("TXGUARD_BIN") or os.path.join(ROOT, ".build/release/txguard")
# The default Z-score inputs the default feature spec produces (acct_count_3600s is replaced by the
# burst surprisal). Their weights in the calibrated sum: the amount's (txguard's default 3, as
# `TrainingOptions.zScoreInputWeights`; --amount-weight), the others 1.
INPUTS = ["amount_log1p", "acct_burst_3600s", "acct_sum_log1p_86400s", "acct_surprisal_merchant_category",
          "merchant_accounts_surprisal"]
WEIGHTS = np.array([3.0, 1, 1, 1, 1])


def per_input_run(name, inp):
    """Input `inp`'s surprise per transaction id, from a backtest of that input alone (rerun when the
    cached one is older than the binary)."""
    out = os.path.join(RUNS, f"{name}.z_{inp}.scores.jsonl")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(TXGUARD):
        frac = "0.3" if name.startswith(("handbook", "synccfd")) else "0.5"
        subprocess.run([TXGUARD, "backtest", "--input", os.path.join(STREAMS, f"{name}.jsonl.gz"),
                        "--labels", os.path.join(STREAMS, f"{name}.labels.jsonl"), "--train-fraction", frac,
                        "--scores", out, "--no-ablation", "--zscore-inputs", inp],
                       check=True, capture_output=True)
    return {o["transaction_id"]: o["surprise"]["zscore"] for o in map(json.loads, open(out))}


def load(name):
    """(detector surprises, each input's surprise, labels) of a stream's scored events."""
    detectors, y, ids = cr.load(RUNS, name)
    inputs = np.array([[m[i] for i in ids] for m in (per_input_run(name, inp) for inp in INPUTS)]).T
    return detectors, inputs, y


def tail_surprise(x):
    """−ln of the empirical upper-tail probability of each value among all of them."""
    n = len(x)
    rank = np.searchsorted(np.sort(x), x, side="right")  # values <= x
    return -np.log((n - rank + 1) / (n + 1))


def rules():
    zsum = lambda Z: Z @ WEIGHTS
    soft = lambda Z, c: np.maximum(Z - c, 0) @ WEIGHTS + 1e-6 * zsum(Z)
    return {
        "fisher (default)": lambda D, Z: D.sum(1),
        "amount input alone": lambda D, Z: Z[:, 0],
        "flat: IF + SVM + weighted inputs": lambda D, Z: D[:, 0] + D[:, 1] + zsum(Z),
        "IF + SVM + recalibrated sum": lambda D, Z: D[:, 0] + D[:, 1] + tail_surprise(zsum(Z)),
        "IF + SVM + recal. soft c=1": lambda D, Z: D[:, 0] + D[:, 1] + tail_surprise(soft(Z, 1)),
        "IF + SVM + recal. soft c=2": lambda D, Z: D[:, 0] + D[:, 1] + tail_surprise(soft(Z, 2)),
        "IF + SVM + recal. soft c=3": lambda D, Z: D[:, 0] + D[:, 1] + tail_surprise(soft(Z, 3)),
        "IF + SVM + recal. max input": lambda D, Z: D[:, 0] + D[:, 1] + tail_surprise((Z * WEIGHTS).max(1)),
        "flat, every term soft c=2": lambda D, Z: np.maximum(D[:, :2] - 2, 0).sum(1) + soft(Z, 2) + 1e-6 * D[:, :2].sum(1),
        "flat, every term soft c=3": lambda D, Z: np.maximum(D[:, :2] - 3, 0).sum(1) + soft(Z, 3) + 1e-6 * D[:, :2].sum(1),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--amount-weight", type=float, default=WEIGHTS[0], help="the amount's weight (default 3, txguard's)")
    WEIGHTS[0] = ap.parse_args().amount_weight
    if not os.access(TXGUARD, os.X_OK):
        sys.exit(f"{TXGUARD} missing: run make eval first")
    cr.print_table(rules(), {n: load(n) for n in cr.STREAMS})


if __name__ == "__main__":
    main()
