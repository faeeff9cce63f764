#!/usr/bin/env python3
"""Ensemble combination rules compared offline (development only, outside CI).

Every `txguard backtest --scores` line carries each detector's calibrated surprise -ln p
(`"surprise": {"isolation_forest", "ocsvm", "zscore"}`), which is exactly what the ensemble combines.
This script re-combines them under other rules and prints PR-AUC per generator (seeds averaged)
and the mean, so a rule can be judged on every stream without a rerun of txguard:

  scripts/eval/combination_rules.py [RUNS_DIR]   (default out/eval/runs, files <stream>.txguard.scores.jsonl)

Rules: fisher (txguard's: sum of -ln p), the truncated product method (Zaykin et al. 2002: only
p <= tau counts; and a soft version, sum of max(0, -ln p - c)), Tippett's maximum, the Z-score alone,
and detector weights 0.5/0.5/1.
"""
import json, math, os, sys
import numpy as np
from sklearn.metrics import average_precision_score

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STREAMS = ["handbook-s1", "handbook-s2", "handbook-s3", "synccfd-s1", "synccfd-s2", "foreign-s1", "foreign-s2",
           "holdout-s1", "holdout-s2", "issuer-s1", "issuer-s2"]
GENERATORS = ["handbook", "synccfd", "foreign", "holdout", "issuer"]
EPS = 1e-6  # ties broken by the Fisher sum


def rules():
    soft = lambda c: (lambda S: np.maximum(S - c, 0).sum(1) + EPS * S.sum(1))
    tpm = lambda tau: (lambda S: np.where(S >= -math.log(tau), S, 0).sum(1) + EPS * S.sum(1))
    return {"fisher": lambda S: S.sum(1), "soft_c1": soft(1), "soft_c2": soft(2), "soft_c3": soft(3),
            "tpm_0.05": tpm(0.05), "tpm_0.10": tpm(0.10), "max": lambda S: S.max(1),
            "z_only": lambda S: S[:, 2], "w_.5_.5_1": lambda S: S @ np.array([0.5, 0.5, 1.0])}


def load(runs, name):
    """(surprises of isolation forest, SVM and Z-score per scored event, fraud or not, transaction ids)."""
    labels = {}
    for line in open(os.path.join(ROOT, "out/eval/streams", f"{name}.labels.jsonl")):
        o = json.loads(line)
        labels[o["transaction_id"]] = bool(o["is_fraud"])
    S, y, ids = [], [], []
    path = os.path.join(runs, f"{name}.txguard.scores.jsonl")
    if not os.path.exists(path):
        path = os.path.join(runs, f"{name}.scores.jsonl")
    for line in open(path):
        o = json.loads(line)
        s = o["surprise"]
        S.append([s["isolation_forest"], s["ocsvm"], s["zscore"]])
        y.append(labels[o["transaction_id"]])
        ids.append(o["transaction_id"])
    return np.array(S), np.array(y), ids


def print_table(rules, data):
    """PR-AUC of each rule per generator (its streams averaged) and the mean over generators, as a
    markdown table. `rules`: name -> f(*stream data but the labels) -> scores; `data`: stream ->
    (..., labels) with the labels last."""
    print("| rule | " + " | ".join(GENERATORS) + " | mean |")
    print("|---" * (len(GENERATORS) + 2) + "|")
    for r, f in rules.items():
        res = {n: average_precision_score(d[-1], f(*d[:-1])) for n, d in data.items()}
        per = [np.mean([v for k, v in res.items() if k.startswith(g)]) for g in GENERATORS]
        print(f"| {r} | " + " | ".join(f"{p:.3f}" for p in per) + f" | {np.mean(per):.3f} |")


def main():
    runs = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "out/eval/runs")
    data = {}
    for n in STREAMS:
        S, y, _ = load(runs, n)
        data[n] = (S, y)
    print_table(rules(), data)


if __name__ == "__main__":
    main()
