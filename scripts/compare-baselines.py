#!/usr/bin/env python3
"""Compare txguard's backtest scores with standard unsupervised baselines on the same events.

Same split as `txguard backtest --train-fraction F`: the first F of the events (file order)
train every method, the rest are scored. Baselines:
  iforest_naive  IsolationForest(n_estimators=100, random_state=0) on per-event features
  iforest_hist   the same forest on per-event + causal per-account history features
  river_hst      river MinMaxScaler | HalfSpaceTrees on the history features (online)
  lof_hist       LocalOutlierFactor(novelty=True) on standardised history features
                 (fitted on a 20k subsample of the training rows to stay cheap)
Metrics on the scored suffix: PR-AUC, ROC-AUC, recall/precision at alert budgets (top-k),
recall at 1% and ROC-AUC (fraud type vs all non-fraud events) per fraud type.

  python3 scripts/compare-baselines.py --events d.jsonl.gz --labels d.labels.jsonl \
      --txguard-scores d.scores.jsonl [--train-fraction 0.5] [--json out.json]
"""
import argparse, collections, gzip, json, math, sys, time
from datetime import datetime

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import StandardScaler

BUDGETS = (0.001, 0.005, 0.01)
CATS = ("merchant_category", "channel", "country", "currency")


def jsonl(path):
    op = gzip.open if path.endswith(".gz") else open
    with op(path, "rt", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                yield json.loads(line)


def parse_ts(v):
    if isinstance(v, (int, float)) or (isinstance(v, str) and v.replace(".", "", 1).isdigit()):
        return float(v) / 1000.0  # epoch ms, as txguard's default
    s = v.replace("z", "Z").replace("t", "T")
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    if len(s) > 10 and s[10] == " ":
        s = s[:10] + "T" + s[11:]
    # fromisoformat accepts at most 6 fraction digits
    if "." in s:
        head, rest = s.split(".", 1)
        i = 0
        while i < len(rest) and rest[i].isdigit():
            i += 1
        s = head + "." + (rest[:i] + "000000")[:6] + rest[i:]
    return datetime.fromisoformat(s).timestamp()


def load_events(path):
    ev = []
    for r in jsonl(path):
        t = parse_ts(r["timestamp"])
        ev.append({
            "id": str(r["transaction_id"]), "acct": str(r["account_id"]), "t": t,
            "amount": float(r["amount"]), "merchant": r.get("merchant_name") or "",
            **{c: str(r.get(c) or "") for c in CATS},
            "device": r.get("device_id") or r.get("card_id") or "",
            "is_fraud": r.get("is_fraud", r.get("label")), "fraud_type": r.get("fraud_type"),
        })
    return ev


def naive_features(ev, n_train):
    """log1p(amount), hour, weekday (UTC), frequency encodings fitted on the training prefix,
    one-hot channel and currency (values seen in training)."""
    freq = {}
    for c in CATS:
        cnt = collections.Counter(e[c] for e in ev[:n_train])
        freq[c] = {k: v / n_train for k, v in cnt.items()}
    onehot = {c: sorted({e[c] for e in ev[:n_train]})[:30] for c in ("channel", "currency")}
    names = ["log_amount", "hour", "weekday"] + [f"freq_{c}" for c in CATS] + \
        [f"{c}={v}" for c in onehot for v in onehot[c]]
    X = np.zeros((len(ev), len(names)))
    for i, e in enumerate(ev):
        dt = datetime.utcfromtimestamp(e["t"])
        row = [math.log1p(max(e["amount"], 0.0)), dt.hour + dt.minute / 60.0, dt.weekday()]
        row += [freq[c].get(e[c], 0.0) for c in CATS]
        row += [1.0 if e[c] == v else 0.0 for c in onehot for v in onehot[c]]
        X[i] = row
    return X, names


def history_features(ev):
    """Per-account history, strictly causal: each row uses only the account's earlier events
    (file order), then the state is updated with the current event."""
    st = {}
    names = ["amt_z", "log_secs_since_prev", "n_last_hour", "log_n_prev", "new_merchant",
             "new_country", "new_device", "new_category"]
    X = np.zeros((len(ev), len(names)))
    for i, e in enumerate(ev):
        s = st.get(e["acct"])
        if s is None:
            s = st[e["acct"]] = {"n": 0, "mean": 0.0, "m2": 0.0, "last": None,
                                 "recent": collections.deque(), "merch": set(), "ctry": set(),
                                 "dev": set(), "mcc": set()}
        x = math.log1p(max(e["amount"], 0.0))
        if s["n"] >= 2:
            sd = math.sqrt(s["m2"] / (s["n"] - 1))
            z = (x - s["mean"]) / max(sd, 0.25)
        elif s["n"] == 1:
            z = (x - s["mean"]) / 1.0
        else:
            z = 0.0
        gap = e["t"] - s["last"] if s["last"] is not None else 30 * 86400.0
        rec = s["recent"]
        while rec and rec[0] < e["t"] - 3600:
            rec.popleft()
        known = s["n"] > 0
        X[i] = [z, math.log1p(max(gap, 0.0)), len(rec), math.log1p(s["n"]),
                float(known and e["merchant"] not in s["merch"]),
                float(known and e["country"] not in s["ctry"]),
                float(known and e["device"] != "" and e["device"] not in s["dev"]),
                float(known and e["merchant_category"] not in s["mcc"])]
        # update
        s["n"] += 1
        d = x - s["mean"]
        s["mean"] += d / s["n"]
        s["m2"] += d * (x - s["mean"])
        s["last"] = e["t"]
        rec.append(e["t"])
        s["merch"].add(e["merchant"]); s["ctry"].add(e["country"]); s["mcc"].add(e["merchant_category"])
        if e["device"]:
            s["dev"].add(e["device"])
    return X, names


def iforest(X, n_train, seed=0):
    m = IsolationForest(n_estimators=100, random_state=seed).fit(X[:n_train])
    return -m.score_samples(X[n_train:])


def lof(X, n_train, sub=20000):
    sc = StandardScaler().fit(X[:n_train])
    Z = sc.transform(X)
    rng = np.random.default_rng(0)
    idx = rng.choice(n_train, size=min(sub, n_train), replace=False)
    m = LocalOutlierFactor(n_neighbors=20, novelty=True).fit(Z[idx] + rng.normal(0, 1e-6, Z[idx].shape))
    return -m.score_samples(Z[n_train:])


def river_hst(X, names, n_train):
    from river import anomaly, compose, preprocessing
    model = compose.Pipeline(preprocessing.MinMaxScaler(), anomaly.HalfSpaceTrees(seed=0))
    for row in X[:n_train]:
        model.learn_one(dict(zip(names, row)))
    out = np.zeros(len(X) - n_train)
    for j, row in enumerate(X[n_train:]):
        x = dict(zip(names, row))
        out[j] = model.score_one(x)
        model.learn_one(x)
    return out


def metrics(y, s, types, fraud_types):
    n = len(y)
    order = np.argsort(-s, kind="stable")
    res = {"pr_auc": float(average_precision_score(y, s)), "roc_auc": float(roc_auc_score(y, s))}
    npos = int(y.sum())
    for b in BUDGETS:
        k = max(1, int(round(b * n)))
        hit = y[order[:k]].sum()
        res[f"recall@{b:.1%}"] = float(hit / max(npos, 1))
        res[f"precision@{b:.1%}"] = float(hit / k)
    k = max(1, int(round(0.01 * n)))
    top = np.zeros(n, bool); top[order[:k]] = True
    res["type_recall@1%"], res["type_auc"] = {}, {}
    neg = y == 0
    for t in fraud_types:
        m = types == t
        res["type_recall@1%"][t] = float(top[m].mean())
        sel = m | neg
        res["type_auc"][t] = float(roc_auc_score(m[sel].astype(int), s[sel]))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", required=True)
    ap.add_argument("--labels")
    ap.add_argument("--train-fraction", type=float, default=0.5)
    ap.add_argument("--txguard-scores")
    ap.add_argument("--json")
    ap.add_argument("--no-river", action="store_true")
    ap.add_argument("--no-lof", action="store_true")
    a = ap.parse_args()

    t0 = time.time()
    ev = load_events(a.events)
    labels = {}
    if a.labels:
        for r in jsonl(a.labels):
            labels[str(r["transaction_id"])] = r
    n = len(ev)
    n_train = int(math.floor(a.train_fraction * n + 0.5))
    if any(ev[i + 1]["t"] < ev[i]["t"] for i in range(n - 1)):
        print("warning: timestamps are not nondecreasing in file order", file=sys.stderr)
    suffix = ev[n_train:]
    y, types, lookalike = [], [], []
    for e in suffix:
        lab = labels.get(e["id"], {"is_fraud": e["is_fraud"], "fraud_type": e["fraud_type"]})
        f = lab.get("is_fraud") in (True, 1, "1", "true")
        y.append(int(f)); types.append((lab.get("fraud_type") or "unknown") if f else "")
        lookalike.append(lab.get("lookalike") or "")
    y, types, lookalike = np.array(y), np.array(types), np.array(lookalike)
    fraud_types = sorted(set(types) - {""})
    print(f"{a.events}: {n} events, train {n_train}, scored {len(suffix)}, "
          f"frauds {y.sum()} ({y.mean():.4%}) types {dict(collections.Counter(str(t) for t in types[y == 1]))}")

    scores, notes = {}, {}
    Xn, nn = naive_features(ev, n_train)
    Xh, hn = history_features(ev)
    Xb, bn = np.hstack([Xn, Xh]), nn + hn
    t = time.time(); scores["iforest_naive"] = iforest(Xn, n_train); notes["iforest_naive"] = time.time() - t
    t = time.time(); scores["iforest_hist"] = iforest(Xb, n_train); notes["iforest_hist"] = time.time() - t
    if not a.no_lof:
        t = time.time(); scores["lof_hist"] = lof(Xb, n_train); notes["lof_hist"] = time.time() - t
    if a.no_river:
        print("river: skipped (--no-river)")
    else:
        try:
            t = time.time(); scores["river_hst"] = river_hst(Xb, bn, n_train); notes["river_hst"] = time.time() - t
        except ImportError as exc:
            print(f"river: SKIPPED, cannot import river ({exc}); install with `pip install river`")

    keep = np.ones(len(suffix), bool)
    if a.txguard_scores:
        tx = {}
        for r in jsonl(a.txguard_scores):
            tx[str(r["transaction_id"])] = float(r["score"])
        ids = [e["id"] for e in suffix]
        missing = sum(1 for i in ids if i not in tx)
        extra = len(set(tx) - set(ids))
        if missing or extra:
            print(f"WARNING: txguard scores cover {len(ids) - missing}/{len(ids)} scored events, "
                  f"{extra} scores outside the suffix (split mismatch or dead letters); "
                  f"all methods evaluated on the common {len(ids) - missing} events")
        keep = np.array([i in tx for i in ids])
        scores = {"txguard": np.array([tx.get(i, 0.0) for i in ids]), **scores}

    results = {}
    for name, s in scores.items():
        results[name] = metrics(y[keep], s[keep], types[keep], fraud_types)
        # share of the top-1% alerts that are benign look-alikes (travel, salary day, ...)
        k = max(1, int(round(0.01 * keep.sum())))
        top = np.argsort(-s[keep], kind="stable")[:k]
        results[name]["lookalike_share_top1%"] = float((lookalike[keep][top] != "").mean())
        if name in notes:
            results[name]["seconds"] = round(notes[name], 1)

    cols = ["pr_auc", "roc_auc"] + [f"{m}@{b:.1%}" for b in BUDGETS for m in ("recall", "precision")] + ["lookalike_share_top1%"]
    short = {"lookalike_share_top1%": "LA@1%"}
    w = max(len(k) for k in results) + 1
    print("\n" + "method".ljust(w) + "".join(short.get(c, c.replace("precision", "prec")).rjust(13) for c in cols))
    for name, r in results.items():
        print(name.ljust(w) + "".join(f"{r[c]:13.4f}" for c in cols))
    for key, title in (("type_recall@1%", "recall@1% per fraud type"), ("type_auc", "ROC-AUC per fraud type vs non-fraud")):
        print(f"\n{title} (n per type: " + ", ".join(f"{t}={int((types[keep] == t).sum())}" for t in fraud_types) + ")")
        tw = max([len(t) for t in fraud_types] + [10]) + 2
        print("method".ljust(w) + "".join(t.rjust(tw) for t in fraud_types))
        for name, r in results.items():
            print(name.ljust(w) + "".join(f"{r[key][t]:{tw}.4f}" for t in fraud_types))
    print(f"\n(total {time.time() - t0:.0f} s)")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"events": a.events, "n_events": n, "n_train": n_train, "n_scored": int(keep.sum()),
                       "n_fraud": int(y[keep].sum()), "features_naive": nn, "features_hist": hn,
                       "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
