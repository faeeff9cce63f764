#!/usr/bin/env python3
"""txguard's evaluation suite (development only, outside CI): `make eval`.

Generates streams from several generators (several seeds each), runs txguard (`backtest
--train-fraction F`, one or more variants) and three baselines on the same events and split,
and writes per-stream tables, a mean over generators and a leave-one-generator-out check to
docs/DETECTION.md and out/eval/results.json.

  python3 scripts/eval/run.py                       # everything (what `make eval` runs)
  python3 scripts/eval/run.py --txguard-args "" --txguard-args "nomb=--no-merchant-burst"
  python3 scripts/eval/run.py --only handbook --no-doc

--txguard-args is repeatable; each value is one txguard variant, "NAME=ARGS" or just "ARGS"
(the empty string is today's defaults, named "txguard"). Streams are cached under out/eval/streams
(delete it, or pass --regenerate, to rebuild them).
"""
import argparse, collections, importlib.util, json, math, os, platform, shlex, subprocess, sys, time
from datetime import datetime, timezone

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "out", "eval")
STREAMS = os.path.join(OUT, "streams")
TXGUARD = os.environ.get("TXGUARD_BIN") or os.path.join(ROOT, ".build", "release", "txguard")  # TXGUARD_BIN: another build
DAY = 86400.0
TXGUARD_SEED = 42  # txguard's default --seed: its runs keep the file names they had before seeds were averaged

_spec = importlib.util.spec_from_file_location("compare_baselines", os.path.join(ROOT, "scripts", "compare-baselines.py"))
cb = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(cb)

# ---------------------------------------------------------------------------------------------
# Streams: (name, generator, seed, command, train fraction). One split convention per generator.
PY = sys.executable


def stream_specs():
    s = []
    for seed in (1, 2, 3):
        s.append((f"handbook-s{seed}", "handbook", seed, 0.3,
                  [PY, "scripts/eval/handbook_sim.py", "--seed", str(seed), "--customers", "2000", "--terminals", "4000", "--days", "40"]))
    for seed in (1, 2):
        s.append((f"synccfd-s{seed}", "synccfd", seed, 0.3,
                  [PY, "scripts/eval/synccfd_stream.py", "--seed", str(seed), "--customers", "1500", "--terminals", "3000", "--days", "40"]))
    for seed in (1, 2):
        s.append((f"foreign-s{seed}", "foreign", seed, 0.5,
                  [PY, "scripts/foreign-stream.py", "--seed", str(seed), "--accounts", "16000", "--days", "30", "--events-per-day", "4800"]))
    for seed in (1, 2):
        s.append((f"holdout-s{seed}", "holdout", seed, 0.5,
                  [PY, "scripts/holdout-stream.py", "--seed", str(seed), "--customers", "12000", "--days", "40"]))
    for seed in (1, 2):
        s.append((f"issuer-s{seed}", "issuer", seed, 0.5,
                  [PY, "scripts/eval/issuer_stream.py", "--seed", str(seed), "--accounts", "5000", "--days", "30"]))
    s.append(("txguard-sim-s42", "txguard_sim", 42, 0.5,
              [TXGUARD, "simulate", "--accounts", "3000", "--days", "20", "--seed", "42", "--quiet"]))
    return s


# What `make eval` runs: the old defaults, today's, the candidate not chosen, and labels at three delays.
DEFAULT_VARIANTS = [
    "today=--zscore-shrinkage 0 --no-zscore-one-sided --zscore-combination rootMeanSquare --amount-floor-quantile 0 --history-ceiling-quantile 1 --zscore-alpha 0.1",
    "txguard=",
    "alpha-0.1=--zscore-alpha 0.1",
    "alpha-0.05=--zscore-alpha 0.05",
    "no-ceiling=--history-ceiling-quantile 1 --zscore-alpha 0.1",
    "amount-z=--zscore-inputs amount_log1p --zscore-baseline cumulative",
    "labels-1d=--label-delay 1d",
    "labels-7d=--label-delay 7d",
    "labels-30d=--label-delay 30d",
    "labels-1d-fp1=--label-delay 1d --false-positive-weight 1",
    "labels-7d-checked=--label-delay 7d --check-supervised-models",
    "labels-30d-checked=--label-delay 30d --check-supervised-models",
]


def log(msg):
    print(f"[eval {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def generate(spec, regenerate):
    name, gen, seed, frac, cmd = spec
    ev, lab = os.path.join(STREAMS, f"{name}.jsonl.gz"), os.path.join(STREAMS, f"{name}.labels.jsonl")
    if not regenerate and os.path.exists(ev) and os.path.exists(lab) and os.path.getsize(ev) > 0:
        return ev, lab, 0.0
    t = time.time()
    if gen == "txguard_sim":
        full = cmd + ["--output", ev, "--labels", lab, "--no-labels-in-events"]
    else:
        full = cmd + ["--events", ev, "--labels", lab]
    log(f"generate {name}: {' '.join(shlex.quote(c) for c in full[1:])}")
    subprocess.run(full, cwd=ROOT, check=True)
    return ev, lab, time.time() - t


# ---------------------------------------------------------------------------------------------
# Baselines

def window_sum(g, t, v, a, b):
    """For each event i: sum of v[j] over events j of the same group g with a[i] < t[j] <= b[i].
    g int64 group ids, t seconds (float). Vectorised with one composite sorted key."""
    t0 = t.min()
    ti = np.rint(t - t0).astype(np.int64)
    span = int(ti.max()) + 200 * 86400
    key = g * span + ti + 100 * 86400
    order = np.argsort(key, kind="stable")
    ks = key[order]
    c = np.concatenate([[0.0], np.cumsum(v[order])])
    qa = g * span + np.rint(a - t0).astype(np.int64) + 100 * 86400
    qb = g * span + np.rint(b - t0).astype(np.int64) + 100 * 86400
    lo = np.searchsorted(ks, qa, side="right")
    hi = np.searchsorted(ks, qb, side="right")
    return c[hi] - c[lo]


def encode(values):
    idx = {}
    return np.array([idx.setdefault(v, len(idx)) for v in values], dtype=np.int64)


def handbook_features(t, cust, term, amount, y, delay):
    """The Handbook's feature set (chapter 3.4): amount, weekend, night; customer number of
    transactions and mean amount over 1/7/30 days (windows ending at the event, inclusive);
    terminal number of transactions and fraud share over 1/7/30 days, in windows ending `delay`
    before the event: a label is used only once it is known (event time + delay <= now)."""
    cols, names = [amount], ["amount"]
    dt = t.astype("datetime64[s]")
    wd = ((dt.astype("datetime64[D]").astype(np.int64) + 3) % 7)  # 0 = Monday
    hour = (t % DAY) / 3600.0
    cols += [(wd >= 5).astype(float), (hour <= 6).astype(float)]; names += ["weekend", "night"]
    ones = np.ones_like(amount)
    # Warm-up correction (not in the book, whose training week follows months of history): counts
    # are divided by the part of the window the stream covers, so a 30-day count on day 10 of the
    # stream reads like one on day 40 and the trees do not split on the stream's age.
    since = t - t.min()
    for w in (1, 7, 30):
        n = window_sum(cust, t, ones, t - w * DAY, t)
        s = window_sum(cust, t, amount, t - w * DAY, t)
        cover = np.clip(since / (w * DAY), 1e-3, 1.0)
        cols += [n / cover, s / np.maximum(n, 1)]; names += [f"cust_n_{w}d", f"cust_mean_amount_{w}d"]
    for w in (1, 7, 30):
        b = t - delay
        n = window_sum(term, t, ones, b - w * DAY, b)
        f = window_sum(term, t, y.astype(float), b - w * DAY, b)
        cover = np.clip((since - delay) / (w * DAY), 1e-3, 1.0)
        cols += [n / cover, f / np.maximum(n, 1)]; names += [f"term_n_{w}d", f"term_risk_{w}d"]
    return np.column_stack(cols), names


def gbm_scores(t, cust, term, amount, y, n_train, delay, retrain_every=7 * DAY, neg_keep=0.25):
    """Handbook-feature gradient boosting, refitted every `retrain_every` of event time during the
    scored period (first fit at the split) on every event whose label is known at the refit time
    (event time + delay <= refit time). Legitimate training rows are subsampled to `neg_keep`
    (weight 1/neg_keep) to keep the refits cheap. No label is used before it would be known."""
    X, names = handbook_features(t, cust, term, amount, y, delay)
    rng = np.random.default_rng(0)
    keep_neg = rng.random(len(t)) < neg_keep
    out = np.empty(len(t) - n_train)
    start = n_train
    fits = []
    while start < len(t):
        t_fit = t[start]
        end = int(np.searchsorted(t, t_fit + retrain_every, side="left"))
        end = max(end, start + 1)
        known = np.flatnonzero(t[:start] + delay <= t_fit)
        tr = known[(y[known] == 1) | keep_neg[known]]
        if y[tr].sum() < 5:
            return None, f"too few labelled frauds known at {t_fit} ({int(y[tr].sum())})"
        w = np.where(y[tr] == 1, 1.0, 1.0 / neg_keep)
        m = HistGradientBoostingClassifier(max_depth=3, learning_rate=0.05, max_iter=200, min_samples_leaf=50,
                                           l2_regularization=1.0, early_stopping=False, random_state=0)
        m.fit(X[tr], y[tr], sample_weight=w)
        out[start - n_train:end - n_train] = m.predict_proba(X[start:end])[:, 1]
        fits.append(f"{len(known)} known/{int(y[known].sum())} frauds")
        start = end
    return out, f"{len(fits)} fits (events with known label / frauds among them): " + "; ".join(fits)


def acct_z_scores(acct, x, n_train, k=5.0):
    """Causal per-account z-score of x = log(1+amount): the account's running mean and variance
    (before this event) shrunk toward the population's (from the training prefix) with the weight
    of k pseudo-events. One-sided: higher amounts are more anomalous."""
    mu0, var0 = float(x[:n_train].mean()), float(x[:n_train].var())
    n = collections.defaultdict(float); mean = {}; m2 = collections.defaultdict(float)
    z = np.empty(len(x))
    for i in range(len(x)):
        a = acct[i]; c = n[a]; mu = mean.get(a, 0.0)
        var = m2[a] / c if c > 0 else 0.0
        ms = (c * mu + k * mu0) / (c + k)
        vs = (c * var + k * var0) / (c + k)
        z[i] = (x[i] - ms) / math.sqrt(max(vs, 1e-6))
        c += 1; n[a] = c; d = x[i] - mu; mu += d / c; mean[a] = mu; m2[a] += d * (x[i] - mu)
    return z[n_train:]


# ---------------------------------------------------------------------------------------------
# Metrics

def average_metrics(per):
    """Metrics of several model seeds: each figure's mean, and the PR-AUC of every seed."""
    if len(per) == 1:
        return per[0]
    out = {k: float(np.mean([p[k] for p in per])) for k in ("pr_auc", "roc_auc", "recall@1%")}
    out["scenario_roc_auc"] = {ft: (None if any(p["scenario_roc_auc"][ft] is None for p in per)
                                    else float(np.mean([p["scenario_roc_auc"][ft] for p in per])))
                               for ft in per[0]["scenario_roc_auc"]}
    out["pr_auc_seeds"] = [p["pr_auc"] for p in per]
    return out


def metrics(y, s, types, fraud_types):
    n = len(y)
    res = {"pr_auc": float(average_precision_score(y, s)), "roc_auc": float(roc_auc_score(y, s))}
    k = max(1, int(round(0.01 * n)))
    order = np.argsort(-s, kind="stable")
    res["recall@1%"] = float(y[order[:k]].sum() / max(1, y.sum()))
    neg = y == 0
    res["scenario_roc_auc"] = {}
    for ft in fraud_types:
        m = types == ft
        sel = m | neg
        res["scenario_roc_auc"][ft] = float(roc_auc_score(m[sel].astype(int), s[sel])) if m.any() else None
    return res


def run_txguard(name, ev, lab, frac, variant_name, args, workdir, seed=TXGUARD_SEED):
    """One backtest; `seed` is the model's --seed."""
    tag = variant_name if seed == TXGUARD_SEED else f"{variant_name}@seed{seed}"
    scores = os.path.join(workdir, f"{name}.{tag}.scores.jsonl")
    report = os.path.join(workdir, f"{name}.{tag}.report.json")
    cmd = [TXGUARD, "backtest", "--input", ev, "--labels", lab, "--train-fraction", str(frac),
           "--scores", scores, "--report", report] + shlex.split(args) + ([] if seed == TXGUARD_SEED else ["--seed", str(seed)])
    stamp = scores + ".cmd"
    t = time.time()
    # A run of the same binary with the same command is reused (REUSE_RUNS=0 forces a rerun).
    same = (os.environ.get("REUSE_RUNS", "1") == "1" and os.path.exists(stamp) and os.path.exists(scores)
            and open(stamp).read() == " ".join(cmd) and os.path.getmtime(scores) > os.path.getmtime(TXGUARD))
    if not same:
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"txguard failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-3000:]}")
        with open(stamp, "w") as f:
            f.write(" ".join(cmd))
    sec = time.time() - t
    tx = {}
    for rec in cb.jsonl(scores):
        tx[str(rec["transaction_id"])] = float(rec["score"])
    return tx, sec, same


def seeded(vname):
    """Whether a variant is run with every model seed: the unsupervised ones (the label variants
    cost minutes each and are far above the seed-to-seed spread)."""
    return not vname.startswith("labels")


def evaluate_stream(spec, variants, regenerate, model_seeds=(42,)):
    name, gen, seed, frac, _ = spec
    ev_path, lab_path, gen_sec = generate(spec, regenerate)
    t0 = time.time()
    ev = cb.load_events(ev_path)
    labels = {str(r["transaction_id"]): r for r in cb.jsonl(lab_path)}
    n = len(ev)
    n_train = int(math.floor(frac * n + 0.5))
    ids = [e["id"] for e in ev]
    yall = np.array([int(labels.get(i, {}).get("is_fraud") in (True, 1, "1", "true")) for i in ids])
    tall = np.array([(labels.get(i, {}).get("fraud_type") or "unknown") if yall[k] else "" for k, i in enumerate(ids)])
    t = np.array([e["t"] for e in ev])
    if np.any(np.diff(t) < 0):
        log(f"warning: {name}: timestamps not nondecreasing in file order")
    amount = np.array([e["amount"] for e in ev])
    acct = [e["acct"] for e in ev]
    y, types = yall[n_train:], tall[n_train:]
    fraud_types = sorted(set(types) - {""})
    log(f"{name}: {n} events, train {n_train} (first {frac:.0%}), scored {n - n_train}, frauds {int(y.sum())} "
        f"({y.mean():.2%}) {dict(collections.Counter(types[y == 1]))}")
    scores, secs, notes = {}, {}, {}
    reused = 0
    # A model's quality moves with its seed (the forest's and the SVM's sampling): unsupervised
    # variants are run once per model seed and their metrics averaged; so is the sklearn forest.
    for vname, vargs in variants:
        runs = []
        for ms in (model_seeds if seeded(vname) else model_seeds[:1]):
            tx, sec, same = run_txguard(name, ev_path, lab_path, frac, vname, vargs, os.path.join(OUT, "runs"), ms)
            runs.append(tx); secs[vname] = secs.get(vname, 0.0) + sec; reused += int(same)
        scores[vname] = runs
        log(f"  {vname} ({vargs or 'defaults'}): {secs[vname]:.0f} s, {len(runs)} model seed(s)")
    st = time.time()
    Xn, _ = cb.naive_features(ev, n_train)
    scores["iforest"] = [cb.iforest(Xn, n_train, k) for k in range(len(model_seeds))]; secs["iforest"] = time.time() - st
    st = time.time()
    scores["acct_z"] = acct_z_scores(acct, np.log1p(np.maximum(amount, 0)), n_train); secs["acct_z"] = time.time() - st
    cust = encode(acct); term = encode([e["merchant"] for e in ev])
    for d in (7, 1):
        st = time.time()
        s, note = gbm_scores(t, cust, term, amount, yall, n_train, d * DAY)
        if s is not None:
            scores[f"gbm_delay{d}d"] = s
        notes[f"gbm_delay{d}d"] = note; secs[f"gbm_delay{d}d"] = time.time() - st
    # evaluate every method on the events txguard scored (all of them unless dead-lettered)
    keep = np.ones(n - n_train, bool)
    for vname, _ in variants:
        for tx in scores[vname]:
            keep &= np.array([i in tx for i in ids[n_train:]])
    if not keep.all():
        log(f"warning: {name}: txguard scored {int(keep.sum())}/{len(keep)} events; all methods evaluated on those")
    for vname, _ in variants:
        scores[vname] = [np.array([tx.get(i, 0.0) for i in ids[n_train:]]) for tx in scores[vname]]
    res = {}
    for m, s in scores.items():
        if isinstance(s, list):
            per = [metrics(y[keep], np.asarray(x)[keep], types[keep], fraud_types) for x in s]
            res[m] = average_metrics(per)
        else:
            res[m] = metrics(y[keep], np.asarray(s)[keep], types[keep], fraud_types)
        res[m]["seconds"] = round(secs.get(m, 0.0), 1)
        if m in notes:
            res[m]["note"] = notes[m]
    return {"stream": name, "generator": gen, "seed": seed, "train_fraction": frac, "events": n, "train_events": n_train,
            "scored_events": int(keep.sum()), "frauds_scored": int(y[keep].sum()), "fraud_rate_scored": float(y[keep].mean()),
            "fraud_types": {ft: int((types[keep] == ft).sum()) for ft in fraud_types},
            "generate_seconds": round(gen_sec, 1), "evaluate_seconds": round(time.time() - t0, 1), "methods": res,
            "txguard_runs_reused": reused}


# ---------------------------------------------------------------------------------------------
# Aggregation and the leave-one-generator-out check

def by_generator(results, metric="pr_auc", exclude=("txguard_sim",)):
    """{generator: {method: mean over that generator's seeds}}."""
    acc = collections.defaultdict(lambda: collections.defaultdict(list))
    for r in results:
        if r["generator"] in exclude:
            continue
        for m, v in r["methods"].items():
            acc[r["generator"]][m].append(v[metric])
    return {g: {m: float(np.mean(v)) for m, v in ms.items()} for g, ms in acc.items()}


def mean_over_generators(results, metric="pr_auc", exclude=("txguard_sim",)):
    g = by_generator(results, metric, exclude)
    methods = set.intersection(*(set(v) for v in g.values())) if g else set()
    return {m: float(np.mean([g[x][m] for x in g])) for m in methods}


def leave_one_generator_out(results, variants, metric="pr_auc", exclude=("txguard_sim",)):
    """Given per-stream results holding several txguard variants, for each generator G: pick the
    variant with the best mean `metric` over the other generators (each generator weighted
    equally, its seeds averaged), and report that pick's and the best variant's figure on G.
    A default chosen this way that also wins on the left-out generators generalises; one that
    wins only in-sample was fitted to the generators it was chosen on."""
    g = by_generator(results, metric, exclude)
    out = []
    for left in sorted(g):
        rest = [x for x in g if x != left]
        if not rest:
            continue
        mean_rest = {v: float(np.mean([g[x][v] for x in rest])) for v in variants}
        pick = max(variants, key=lambda v: mean_rest[v])
        best = max(variants, key=lambda v: g[left][v])
        out.append({"left_out": left, "picked_on_rest": pick, "rest_mean": mean_rest[pick],
                    "picked_on_left_out": g[left][pick], "best_on_left_out": best, "best_value": g[left][best],
                    "regret": g[left][best] - g[left][pick]})
    return out


def targets(results, vnames, default="txguard", today="today"):
    """The issue's targets, checked on this run's figures (PR-AUC)."""
    out = []
    def pr(r, m):
        return r["methods"].get(m, {}).get("pr_auc")
    if default in vnames:
        for r in results:
            if r["generator"] == "txguard_sim":
                continue
            best = max(pr(r, "iforest") or 0, pr(r, "acct_z") or 0)
            out.append({"target": "without labels >= best of iforest and acct_z", "stream": r["stream"],
                        "value": pr(r, default), "bar": best, "met": pr(r, default) >= best - 1e-9})
    if default in vnames and today in vnames:
        m = mean_over_generators(results)
        out.append({"target": "mean over generators >= today's + 0.10", "stream": "mean", "value": m.get(default),
                    "bar": m.get(today, 0) + 0.10, "met": m.get(default, 0) >= m.get(today, 0) + 0.10 - 1e-9})
        for r in results:
            if r["generator"] == "txguard_sim":
                continue
            out.append({"target": "no stream more than 0.03 below today's", "stream": r["stream"], "value": pr(r, default),
                        "bar": pr(r, today) - 0.03, "met": pr(r, default) >= pr(r, today) - 0.03 - 1e-9})
    if "labels-1d" in vnames:
        for r in results:
            if r["generator"] == "handbook" and pr(r, "gbm_delay1d") is not None:
                out.append({"target": "handbook, 1-day labels >= supervised baseline", "stream": r["stream"],
                            "value": pr(r, "labels-1d"), "bar": pr(r, "gbm_delay1d"), "met": pr(r, "labels-1d") >= pr(r, "gbm_delay1d") - 1e-9})
    return out


# ---------------------------------------------------------------------------------------------
# Report

def fmt(v):
    return "–" if v is None else f"{v:.3f}"


def write_doc(path, payload, variants):
    results = payload["streams"]
    vnames = [v for v, _ in variants]
    methods = vnames + ["iforest", "acct_z", "gbm_delay7d", "gbm_delay1d"]
    L = []
    L.append("# Detection quality: the evaluation suite\n")
    commit = payload.get("commit") or os.environ.get("EVAL_COMMIT")
    if commit:
        L.append(f"txguard binary built from commit `{commit}`.\n")
    L.append(f"Generated by `make eval` (`scripts/eval/run.py`) on {payload['date']} on {payload['machine']}; "
             f"whole run {payload['total_seconds'] / 60:.1f} min. Raw figures: `out/eval/results.json` (not committed). "
             "Do not edit the tables by hand: rerun the suite.\n")
    reused = sum(r.get("txguard_runs_reused", 0) for r in results)
    if reused:
        L.append(f"{reused} of the txguard backtests were not run again: an earlier run of the same command left score files "
                 "newer than the binary (`REUSE_RUNS=0` reruns everything); their timings below read 0 s.\n")
    L.append("## Method\n")
    L.append("""- **Streams.** Five generators whose shape txguard was not designed on, plus txguard's own simulator as one
  row that is not counted in the means:
  - `handbook`: the Fraud Detection Handbook's simulator (Le Borgne et al.), re-implemented from the book's
    published functions in `scripts/eval/handbook_sim.py` (PyPI `synccfd` 0.1.0 is a modified derivative:
    a fourth scenario, location/CNP features, and customer/terminal profiles hard-seeded whatever the seed).
    2000 customers, 4000 terminals, r = 5, 40 days; compromised terminals/customers per day scaled from the
    book's 2/10000 and 3/5000. Fraud types = the book's `TX_FRAUD_SCENARIO`: `amount_over_220`,
    `compromised_terminal` (28 days), `compromised_customer` (14 days, a third of transactions × 5).
    Events carry only account, time, amount (EUR) and `merchant_name = "terminal <id>"`. Seeds 1, 2, 3.
  - `synccfd`: PyPI `synccfd` 0.1.0 itself (`scripts/eval/synccfd_stream.py`), the packaged derivative of
    the Handbook's simulator: card-present and card-not-present transactions with locations and a fourth
    scenario (`scenario_4_cnp_location`). 1500 customers, 3000 terminals, 40 days, seeds 1 and 2. Its
    profiles and legitimate transactions are hard-seeded, so the two seeds share the legitimate traffic
    and differ in their frauds. Events carry `channel` pos/ecom and two distances txguard does not read.
  - `foreign`: `scripts/foreign-stream.py` (mobile money, PaySim-like), 16000 accounts, 30 days. Seeds 1, 2.
  - `holdout`: `scripts/holdout-stream.py` (marketplace, INR/BRL, festival sale on days 30-32), 12000 customers, 40 days. Seeds 1, 2.
  - `issuer`: `scripts/eval/issuer_stream.py`, a card-issuer stream written for this suite without reading
    txguard's feature code: skimmed terminals cashed out abroad, a device-sharing ring, card testing, account
    takeover; holidays abroad and new phones as legitimate look-alikes. 5000 accounts, 30 days. Seeds 1, 2.
  - `txguard_sim`: `txguard simulate --accounts 3000 --days 20 --seed 42` (txguard's own shape; not the judge).
- **Split.** Events in file (time) order; every method trains on the same leading fraction and is scored
  on the rest, as `txguard backtest --train-fraction F` does: F = 0.3 on `handbook` and `synccfd` (the issue's
  Handbook split: train on the first 30%), F = 0.5 on every other stream (the README's convention).
- **txguard.** `txguard backtest --input S --labels L --train-fraction F --scores ...`, release build.
  Variants (the exact flags are under "Variants"):
  - `today`: the defaults before this work (Z-score over six inputs, root mean square, two-sided,
    the account's own moments after 5 events);
  - `txguard`: today's defaults: the Z-score's per-account moments shrunk toward the population
    (5 pseudo-events), one-sided, each input's z calibrated on the training replay and combined as
    a weighted sum of −ln p, the amount weighing 2 and the other inputs 1, the account moments
    exponential with α = 0.03 (`--zscore-alpha`, about 65 events of memory); the Isolation Forest and
    the one-class SVM see the amount floored at the training's 75th percentile (`--amount-floor-quantile
    0.75`: smaller amounts all look alike to them) and the account's event count capped at the
    training's 75th percentile (`--history-ceiling-quantile 0.75`: it grows with the stream's age);
    no labels reach the pipeline (they are evaluation-only);
  - `alpha-0.1`: today's defaults with the Z-score's account moments at α = 0.1 (about 20 events of
    memory), the default until 2026-12-06;
  - `alpha-0.05`: the same at α = 0.05;
  - `no-ceiling`: the defaults of the 2026-12-06 morning run (`93c2226`): α = 0.1 and the account's
    event count uncapped;
  - `amount-z`: the Z-score on the amount alone (the shape of the `acct_z` baseline), a candidate
    that was not chosen;
  - `labels-1d`, `labels-7d`, `labels-30d`: `--label-delay 1d/7d/30d`: every event's label reaches
    the pipeline 1, 7 or 30 days after the event (entity risk, the supervised layer, false-positive
    feedback).
    A label never reaches a feature or a model before its delay has passed (`LabelPipelineTests`).
  - `labels-1d-fp1`: `labels-1d` with the alerts labelled legitimate (the ensemble's false
    positives, all trained on) weighing 1 in the supervised layer's training, their inclusion
    weight, instead of the default 4 (what a sampled legitimate row weighs): the candidate not
    chosen.
  - `labels-7d-checked`, `labels-30d-checked`: `--check-supervised-models` (off by default): a
    retrain is used only if trees trained on rows as much older than the newest labelled events as
    those are late rank those events better than the unsupervised score. With every label 30 days
    late the unchecked layer loses PR-AUC on `holdout` (and lost it on `synccfd` until each model's
    evidence was anchored, below); the check can judge a model only once the kept rows reach twice
    the lag back, which delays 7-day models.
- **Baselines** (same events, same split):
  - `iforest`: scikit-learn `IsolationForest(n_estimators=100, random_state=k)` on per-event features
    (log amount, hour, weekday, training-prefix frequency of category/channel/country/currency, one-hot
    channel and currency) — `naive_features` of `scripts/compare-baselines.py`; k = 0, 1, … one per
    model seed, metrics averaged like txguard's.
  - `acct_z`: causal per-account z-score of log(1+amount) against the account's running mean and variance
    before the event, shrunk toward the training prefix's population mean/variance with 5 pseudo-events
    (`(n·m + 5·m0)/(n+5)`); one-sided (higher amounts score higher). Warmed on the training prefix.
  - `gbm_delay7d` / `gbm_delay1d`: scikit-learn `HistGradientBoostingClassifier(max_iter=200)` with the
    Handbook's features (chapter 3.4): amount, weekend, night (hour ≤ 6); the customer's number of
    transactions and mean amount over 1/7/30 days; the terminal's (`merchant_name`'s) number of transactions
    and share of frauds over 1/7/30-day windows ending D before the event. A label becomes usable D after
    its transaction: D = 7 days is the Handbook's delay period; D = 1 day is the issue's target setting.
    The classifier is trained on the training-prefix events whose label is known at the split (event time
    + D ≤ the first scored event's time); no label is used before it would be known.
- **Model seeds.** A model's quality moves with its seed: the forest's subsamples and splits and the
  SVM's sample are drawn from it, and a different draw (or the same seed on a machine whose OpenBLAS
  kernel rounds the MiniLM embeddings differently in the last bits, which changes the first
  data-dependent draw) gives another model. Over five seeds the default's (then weight 2) PR-AUC per stream spread with a
  standard deviation of 0.005–0.025 (`issuer` 0.12–0.18, `holdout` 0.59–0.65), more than some of the
  differences the targets test. So every unsupervised variant is run with each of the model seeds
  listed under "Variants" (`--model-seeds`; 42 is txguard's default) and its metrics are the mean over
  them; the per-stream tables give each seed's PR-AUC. The label variants run once (seed 42): they take
  minutes per stream and sit far above the spread. Training is bit-reproducible on one machine (the
  end-to-end determinism test compares two trainings' model files).
- **Metrics** on the scored events: PR-AUC (average precision), ROC-AUC, recall at a 1% alert budget
  (the top 1% of scored events by score), and per fraud type the ROC-AUC of that type against the
  legitimate events (other fraud types left out).
- **Mean over generators**: each generator's seeds are averaged, then the generators are averaged with
  equal weight, excluding `txguard_sim`.
- **Choosing defaults.** The earlier defaults were chosen on txguard's simulator and the foreign
  stream, then adjusted after the hold-out stream. This time the candidates were scored on all four
  generators (seed 1, then seeds 2 and 3 to confirm): `amount-z` had the best mean PR-AUC but fell
  0.05–0.13 below the old defaults on `issuer` and up to 0.06 on `foreign` (the burst inputs it drops
  carry card testing and skimming); the Z-score over all six inputs with the root mean square,
  maximum or uncalibrated combinations stayed near 0.02 on `handbook` (a heavy-tailed burst input
  drowns the amount); per-input calibration with the exponential account moments was the best
  candidate with no stream more than 0.03 below the old defaults, and became the default.
  Then the input weights: with five inputs summed at weight 1, the amount's deviation (the input
  that carries most frauds on four of the five generators: `amount-z` alone ranks them) is diluted
  by four behavioural inputs that are noise there. Counting the amount twice (`--zscore-input-weights
  amount_log1p=2`) was scored on every stream of all five generators (seeds 1–2, and 3 for
  `handbook`) on 2026-12-03 (one model seed, before this VM was re-provisioned): mean PR-AUC over those 11 streams 0.274 → 0.310, higher on every stream except `issuer`
  seed 1 (0.167 → 0.146; seed 2 0.210 → 0.211); a weight of 3 raised the mean further on seed 1
  (0.336) but cost `issuer` 0.035, more than the 0.03 allowed, so 2 became the default. Leaving
  `issuer` out would have picked 3: the weight is a compromise between amount-driven and
  velocity-driven fraud, which only labels resolve (the supervised layer).
  **Re-decided on 2026-12-04 with three model seeds per variant.** The 0.035 that ruled out 3 was one
  model seed's figure on `issuer`, whose PR-AUC spreads by an SD of about 0.02 from seed to seed. Seeds
  42, 1 and 2 averaged, mean PR-AUC over the five generators (weight 2 / 3 / 4): 0.324 / 0.334 / 0.337;
  `handbook` 0.075 / 0.102 / 0.117, `synccfd` 0.256 / 0.278 / 0.290, `holdout` 0.622 / 0.653 / 0.666,
  `foreign` 0.529 / 0.510 / 0.495, `issuer` 0.140 / 0.127 / 0.118. Against the old defaults
  (`today`), weight 3 is at most 0.018 below on any stream (`issuer-s2`) and weight 4 0.026, next to the
  0.03 bound, for 0.003 more mean (about the seed-averaged mean's own spread), so 3 became the default:
  the bound kept with a margin for the seed spread, rather than the highest mean. Leaving one generator
  out, the other four would have picked 4 every time (regret 0.035 on `foreign` and 0.022 on `issuer`,
  where weight 2 was best; 0 on the other three): the weight trades velocity-driven streams for
  amount-driven ones, and only labels resolve that (`out/eval/weights.json` holds that run).
  The supervised weight 3 was chosen on seed 1 of `handbook`, `foreign`, `holdout` and `issuer` with
  1-day labels (PR-AUC with weight 1 → 3: 0.608 → 0.801, 0.841 → 0.886, 0.804 → 0.845,
  0.751 → 0.814; `synccfd` and the other seeds played no part).
  Combination rules, scored offline on the 2026-12-03 run's per-detector surprises (one model seed) (`scripts/eval/combination_rules.py`
  re-combines the `surprise` of every score line), mean PR-AUC over the five generators: Fisher's sum
  (the default) 0.334; the truncated product method (Zaykin et al. 2002, only p <= 0.05 or 0.10
  counts) 0.318 / 0.321; a soft truncation, sum of max(0, -ln p - c) for c = 1, 2, 3: 0.333 / 0.330 /
  0.325; Tippett's maximum 0.303; detector weights 0.5/0.5/1 0.330; the Z-score alone 0.254. Rules
  that quiet the forest and the SVM gain on `handbook` (up to 0.137 with the weights, 0.172 with the
  Z-score alone) and lose more on `issuer` and `holdout`: no label-free combination closes the
  `handbook` gap to `acct_z`, because the Z-score over all its inputs is itself at 0.17 there.
  Re-checked on 2026-12-04 with each Z-score input's own calibrated surprise (one backtest per input,
  `--zscore-inputs X`; `scripts/eval/input_rules.py` prints the table), so that the inputs could be re-weighted or truncated inside the Z-score as
  well as between detectors: the amount alone ranks `handbook` at 0.258 (`acct_z` 0.269), but every
  label-free way of adding it to the forest and the SVM (flat sums, soft truncation at 1–3 nats per
  input, the maximum over inputs) stayed below Fisher's mean (0.300–0.323 against 0.331; seed 42, the
  amount weighing 3), higher on `handbook` only where it lost on `issuer` and `foreign`. Averaging
  five model seeds' scores (in effect a five-times larger forest and SVM) raised the mean by 0.006: not
  worth five times the scoring cost.
  Robust learning of the account moments (tried 2026-12-06, not kept): an input further than c of
  the account's scales from its baseline learned as if at c (winsorized), so that a compromised
  account's run of large frauds would not drag its baseline up. txguard already leaves alerted
  events out of the moments, and the rest gained little: seed 1 of each generator, hashed text,
  one model seed, PR-AUC without / c = 3 / c = 2: `handbook` 0.106 / 0.109 / 0.100, `synccfd`
  0.272 / 0.279 / 0.283, `foreign` 0.441 / 0.441 / 0.438, `holdout` 0.620 / 0.589 / 0.580 (its
  legitimate changes of habit, a festival sale or a move abroad, are learned more slowly),
  `issuer` 0.142 / 0.139 / 0.131. The same clipping raises the `acct_z` baseline itself on
  `handbook-s1` from 0.327 to 0.347 (c = 2.5) and 0.389 (c = 1.5): it learns every event.
  Account-relative detector surprises (tried offline 2026-12-06, not kept): the forest's and the
  SVM's surprise minus the account's own running mean of it (shrunk toward the stream's mean with
  c pseudo-events), on the hypothesis that `handbook`'s false alarms come from accounts that always
  look unusual to those detectors. Seed 1, default scores re-combined, PR-AUC default / c = 5 / c = 20:
  `handbook` 0.106 / 0.100 / 0.103, `synccfd` 0.272 / 0.271 / 0.274, `foreign` 0.441 / 0.436 / 0.442,
  `holdout` 0.620 / 0.579 / 0.605, `issuer` 0.142 / 0.144 / 0.147. The hypothesis is wrong: of the
  792 legitimate events among `handbook-s1`'s top 1,000, most sit on accounts with long, ordinary
  histories; 113 are amounts under 5 EUR (3% of the scored events, 12 of its 929 frauds) that the
  forest and the SVM isolate at 10–12 nats, a two-sided view of the amount that card testing on
  `issuer` needs and `handbook` punishes.
  **The amount floored for the forest and the SVM (2026-12-06, the default since).** `handbook`'s top
  false alarms were small amounts (above). The Z-score already counts only upward deviations, but the
  forest and the SVM see `amount_log1p` and `amount_robust` as they are, and a 1 EUR payment is as
  isolated in log space as a 200 EUR one. `--amount-floor-quantile q` makes every amount below the
  training's q-quantile read as that quantile to those two detectors (`ScoringModel.detectorFloors`);
  the Z-score and the supervised layer read the amount unchanged. Scored on every stream of the five
  generators, model seeds 42, 1, 2, the amount weighing 3 (the default then), PR-AUC per generator,
  q = 0 / 0.75 / 0.9 / 0.95: `handbook` 0.100 / 0.211 / 0.248 / 0.261, `synccfd` 0.278 / 0.381 / 0.405 /
  0.420, `foreign` 0.510 / 0.472 / 0.430 / 0.432, `holdout` 0.653 / 0.612 / 0.594 / 0.552, `issuer`
  0.127 / 0.114 / 0.108 / 0.082; mean 0.333 / 0.358 / 0.357 / 0.349 (q = 0.5 and 0.6 on `issuer` and
  `holdout-s2`: no better there than 0.75). Every floor cost `issuer-s2` more than the 0.03 the suite
  allows below the old defaults (0.152): 0.115 at q = 0.75, 0.119 at q = 0.5. Card testing there
  is small amounts, which the unfloored forest isolates. With the floor the amount no longer needs to
  outweigh the forest's small-amount alarms, so the weight was re-chosen with it: q = 0.75 with the
  amount weighing 2 had mean 0.355 (`handbook` 0.188, `synccfd` 0.362, `foreign` 0.502, `holdout`
  0.600, `issuer` 0.126, `issuer-s2` 0.125) with every stream within the bound, and became the
  default. q = 0.9 with weight 2 had a higher mean, 0.360 (`handbook` 0.231, `synccfd` 0.390,
  `foreign` 0.460), but put `issuer-s2` at 0.121, past the bound (by 0.001, well inside the seed
  spread: the two are close to a tie, and the bound decided). Leaving one generator out of the
  weight-3 sweep, the other four pick q = 0.75 when `handbook` or `synccfd` is left out, q = 0.9 when
  `foreign` is, 0.9 and 0.75 tie (0.419) when `issuer` is, and q = 0.95 when `holdout` is:
  the floor trades the streams whose frauds hide among small amounts (`holdout` loses 0.05) for those
  whose frauds are large ones, which only labels resolve.
  The 2026-12-06 morning run (`93c2226`) checked that choice with the `no-floor` (0.333), `amount-3`
  (0.358) and `floor-0.9` (0.360) rows; they are no longer run.
  **The account's event count capped for the forest and the SVM (2026-12-06 afternoon, the default
  since).** `acct_history_log1p` grows with the stream's age: an account with 40 events in the
  training weeks has 130 a month later, beyond every value the forest and the SVM were fitted on.
  The one-class SVM's mean surprise (−ln p, 1 on the training replay by construction) rose steadily
  across the scored part of every long stream, on `handbook-s1` from 1.50 in its first fifth to 2.84
  in its last (`synccfd-s1` 1.50 → 2.73), so the ensemble's score and the alert volume depended on
  how long the model had been running, not only on the event. `--history-ceiling-quantile q` caps the
  count the two detectors see at the training rows' q-quantile (`ScoringModel.detectorCeilings`; the
  Z-score and the supervised layer read it unchanged). With q = 0.75 the SVM's mean surprise stays at
  1.13–1.19 through `handbook-s1` and `synccfd-s1`. PR-AUC per generator, model seeds 42, 1, 2,
  uncapped / q = 0.5 / q = 0.75: `handbook` 0.188 / 0.199 / 0.193, `synccfd` 0.361 / 0.354 / 0.358,
  `foreign` 0.502 / 0.493 / 0.503, `holdout` 0.599 / 0.610 / 0.608, `issuer` 0.126 / 0.125 / 0.129;
  mean 0.355 / 0.356 / 0.358 (seed 42 alone, q = 0.25 / 0.9: 0.345 / 0.350 against 0.354 uncapped).
  The gain is inside the seed spread: the cap was adopted for what it fixes (a score that drifts
  with the model's age), and 0.75 because it keeps every generator within 0.003 of the uncapped
  model or above, and each leave-one-generator-out choice among the three picks it (a tie with 0.5
  when `foreign` is left out). The `no-ceiling` row below is this run's check (with α = 0.1, the
  default it was chosen under).
  **The Z-score's account moments over a longer memory (2026-12-06, α = 0.1 → 0.03).** The Z-score
  standardizes each input by the account's exponential mean and variance, with α the newest event's
  weight (about 2/α events of memory). At α = 0.1 an account's scale rests on about 20 events, so its
  z has heavier tails than the calibration (fitted on the training replay) allows for; the
  cumulative moments (`--zscore-baseline cumulative`, all history) go the other way and cannot
  follow a change of habit. Seed 42, PR-AUC mean over generators, α = 0.1 / 0.05 / 0.03 / 0.02 /
  cumulative: 0.362 / 0.371 / 0.374 / 0.374 / 0.356 (cumulative: `holdout` 0.518 against 0.614, its
  gaming top-ups' recall at 1% 0.73 → 0.13; `synccfd` 0.401 against 0.357). Model seeds 42, 1, 2,
  per generator, α = 0.1 / 0.05 / 0.03: `handbook` 0.193 / 0.188 / 0.184, `synccfd` 0.358 / 0.371 /
  0.377, `foreign` 0.503 / 0.507 / 0.509, `holdout` 0.608 / 0.632 / 0.653, `issuer` 0.129 / 0.134 /
  0.131; mean 0.358 / 0.366 / 0.371, every stream far within the bound. 0.03 became the default;
  leaving one generator out, the other four pick 0.03 every time (by 0.0002 over 0.05 when `holdout`
  is left out; regret 0.009 when `handbook` is, the one generator that prefers 0.1, and 0.003 when
  `issuer` is). It moves `handbook` away from the `acct_z` baseline (0.193 → 0.184), not toward it.
  The `alpha-0.1` and `alpha-0.05` rows below are this run's check.
  The featurizer's own `acct_amount_z` shrunk toward the population (tried 2026-12-06, not kept): the
  feature the forest and the SVM read standardizes the amount by the account's exponential moments
  (α = 0.1) with a 0.1 floor on the scale, so an account's second event is measured against one
  amount. Mixing in the training population's median and IQR with the weight of k pseudo-events, as
  the `acct_z` baseline does, and a longer memory: seed 42, PR-AUC per generator, today / k = 5 /
  k = 20 / k = 5 with α = 0.03: `handbook` 0.172 / 0.176 / 0.181 / 0.184, `synccfd` 0.377 / 0.380 /
  0.382 / 0.390, `foreign` 0.525 / 0.531 / 0.519 / 0.507, `holdout` 0.656 / 0.650 / 0.646 / 0.655,
  `issuer` 0.141 / 0.141 / 0.135 / 0.146; mean 0.374 / 0.376 / 0.373 / 0.376. Within one seed's
  noise everywhere, and no closer to `acct_z` on `handbook`: the forest and the SVM do not rank by
  that feature much, however it is scaled.
  Where the `handbook` and `synccfd` gap to `acct_z` sits (offline, from this run's score files,
  model seeds 42, 1, 2): in the combination, not in the Z-score. The `amount-z` variant's Z-score
  alone (its calibrated surprise, before the forest and the SVM are added) ranks every stream of
  both generators above `acct_z`: `handbook-s1/s2/s3` 0.389 / 0.237 / 0.324 against 0.327 / 0.205 /
  0.276, `synccfd-s1/s2` 0.474 / 0.468 against 0.454 / 0.450. Added to the forest and the SVM it
  falls to 0.319 / 0.174 / 0.275 and 0.431 / 0.435. The same Z-score alone is far below the default
  ensemble elsewhere (`foreign` 0.307 / 0.274 against 0.482 / 0.537, `holdout` 0.207 / 0.159 against
  0.656 / 0.650, `issuer` 0.013 / 0.014 against 0.127 / 0.136), and the default's own Z-score over six
  inputs sits near its ensemble on `handbook` and `synccfd` (0.131–0.377 against 0.116–0.382).
  Counting the forest's and the SVM's surprise only beyond c nats (c = 4; `amount-z`, seed 42) lifts `handbook-s1` to
  0.362 and drops `issuer-s1` from 0.106 to 0.042. So the bar is reachable on those two generators
  only by a configuration that gives up the other three (`--zscore-inputs amount_log1p
  --zscore-baseline cumulative --ensemble-weights 0,0,1`, for streams that carry little beyond
  account, time and amount; run as a backtest, model seed 42: `handbook-s1` 0.397, `synccfd-s1`
  0.483); no label-free rule found yet tells the two kinds of stream apart.
  Two attempts at the 30-day-label loss (tried 2026-12-06, not kept; seed 42; the reference is the
  `labels-*` runs redone with the same build as the attempts, OpenBLAS on one thread, whose
  `synccfd` runs equal this page's byte for byte). With every label 30 days late on a 40-day stream, the only
  labels the layer ever sees are those of the stream's first days, when every account is new, so
  the first guess was that the trees learn a cold start. Leaving the labels of the first 2, 4 or 7
  days out (the pipeline never sees them) did not help: `synccfd-s1` PR-AUC 0.251 (all labels) /
  0.242 / 0.273 / 0.355 against 0.367 without labels, and on the days after the first model the
  trees trained on the early days ranked best (0.378 against 0.316 / 0.274 / 0.302): the loss is
  frauds that have moved on (compromised terminals and customers change), not the cold start. What
  the late model does in operation is an alert flood: its evidence gives a tenth of the legitimate
  events +8.8 or more (+14 at the 99th percentile; with 1-day labels those are −2.6 and +5.6), the
  adaptive threshold learned the score without it, and `synccfd-s1` alerted on 235 and 171 events
  in the stream's last two 2-day spans at a precision of 0.31 and 0.36 (without labels: 12 and 11
  at 0.67 and 0.82). Starting the threshold again from the recent events' scores under each model
  swapped in ends the flood (30-day labels, `synccfd` alert rate 1.03% / 1.41% → 0.32% / 0.30%,
  precision 0.61 / 0.48 → 0.90 / 0.98) but breaks the good models: with 1-day labels the frauds are
  the top of the recent scores, SPOT's tail fit on them put the threshold above most frauds, and
  recall at the threshold fell from 0.48 to 0.18 (mean of the five generators' first streams; alert
  rate 0.59% → 0.15%). Restarted from the events not known to be fraud, the threshold let through
  twice the configured rate with 1-day labels (1.20% against 0.59%, precision 0.93 → 0.81, recall
  0.48 → 0.77) and fewer alerts with 7-day labels (0.43% against 0.63%, recall 0.46 → 0.34), PR-AUC
  within 0.012 of the reference. Neither keeps the alert rate the operator set, so the threshold
  still carries over a swap; what a swap may no longer move is the evidence's location (below).
  **Anchored supervised evidence (2026-12-06 evening, the default since).** The flood above is a
  move of the evidence's location more than of its ranking: with 30-day labels each day's retrain
  put the same ordinary traffic elsewhere on the scale (`synccfd-s1`, median evidence of successive
  3-day spans −14, −10, +0.8, +7.3; with 1-day labels −7 to −8 throughout), while the threshold had
  learned the first model's scale. On the events after the first 30-day model swapped in (the last
  32% of the scored days) those models ranked better than the unsupervised score (`synccfd-s1`
  PR-AUC 0.367 against 0.294, `synccfd-s2` 0.343 against 0.322): the whole-stream loss came from the
  jumps between models. Now each new model's evidence is shifted by a constant so that its median
  over the 5,000 most recent events at its retrain instant equals the first model's
  (`SupervisedSettings.anchorsEvidence`); the ranking of the events one model scores is unchanged.
  Against the same runs without it (the build before, seed 42): with 30-day labels `synccfd-s1/s2`
  PR-AUC 0.251 / 0.205 → 0.365 / 0.368 (without labels 0.362 / 0.391), alert rate 1.03% / 1.41% →
  0.51% / 0.51% at precision 0.61 / 0.48 → 0.87 / 0.91, every other stream within 0.01
  (`holdout-s2` 0.585 → 0.575, its alert rate still 1.95%: there the late model widens the
  evidence's spread, which a location cannot fix); with 1-day labels the mean over the five
  generators' first streams 0.839 → 0.839 (alert rate 0.59% → 0.57%, per stream −0.14 to +0.09
  points), with 7-day labels 0.684 → 0.683 (`handbook-s1` 0.588 → 0.569, `foreign-s1` 0.809 →
  0.822; alert rate 0.63% → 0.56%). It does not hold the location exactly: a model trained on
  month-old labels drifts within its own day (`synccfd-s1` without the anchor: +11 in a day's first
  quarter, −5 in its last), so anchored on the days before its swap a 30-day model put the days
  after lower (−15 to −23), and `synccfd-s1` alerted on almost nothing in its last four days (recall
  at the threshold 0.175 → 0.124). The label variants' rows below are this build's; the
  unsupervised rows are the 10:41 run's (build `643e5b3`, OpenBLAS on two threads), reused: the
  change touches only the supervised layer.
  **What the text embedding adds** (seed 1 of `foreign`, `holdout` and `issuer`, model seeds 42,
  1, 2; on `handbook` and `synccfd` every merchant text is "terminal" once txguard drops digits, so
  the text features are constant and the three give the same scores): PR-AUC with MiniLM / hashed n-grams / no text (`--text none`):
  `foreign-s1` 0.482 / 0.466 / 0.484, `holdout-s1` 0.656 / 0.640 / 0.654, `issuer-s1` 0.127 /
  0.125 / 0.126. On these generators the text features add nothing beyond the seed spread: what
  their merchant names carry, the other features already see. MiniLM stays the default for streams
  whose words say what nothing else does (a payee's name, a payment reference); `--text none`
  loses nothing measurable here and skips the embedding's cost.
  The leave-one-generator-out table below reports, for each generator, which unsupervised variant
  the other generators would pick and what it gets on the one left out. Pass variants with
  `--txguard-args`; `--doc-only` rewrites this page from `out/eval/results.json`.
""")
    if payload.get("targets"):
        L.append("## The issue's targets on this run\n")
        L.append("| target | stream | txguard | bar | met |")
        L.append("|---|---|---|---|---|")
        for t in payload["targets"]:
            L.append(f"| {t['target']} | {t['stream']} | {fmt(t['value'])} | {fmt(t['bar'])} | {'yes' if t['met'] else '**no**'} |")
        L.append("")
    L.append("## Mean over generators (excluding txguard's simulator)\n")
    for metric, title in (("pr_auc", "PR-AUC"), ("roc_auc", "ROC-AUC"), ("recall@1%", "recall at 1%")):
        g = by_generator(results, metric)
        mean = mean_over_generators(results, metric)
        gens = sorted(g)
        if metric == "pr_auc":
            L.append("| " + title + " | " + " | ".join(gens) + " | **mean** |")
        else:
            L.append("\n| " + title + " | " + " | ".join(gens) + " | **mean** |")
        L.append("|---|" + "---|" * (len(gens) + 1))
        for m in methods:
            if m in mean:
                L.append(f"| {m} | " + " | ".join(fmt(g[x].get(m)) for x in gens) + f" | **{fmt(mean[m])}** |")
    L.append("")
    if len(vnames) > 1:
        L.append("## Leave one generator out (PR-AUC)\n")
        L.append("| left out | picked on the others | its mean there | on the left-out | best on the left-out | regret |")
        L.append("|---|---|---|---|---|---|")
        for r in payload["leave_one_generator_out"]:
            L.append(f"| {r['left_out']} | {r['picked_on_rest']} | {fmt(r['rest_mean'])} | {fmt(r['picked_on_left_out'])} | "
                     f"{r['best_on_left_out']} ({fmt(r['best_value'])}) | {fmt(r['regret'])} |")
        L.append("")
    L.append("## Variants\n")
    seeds = payload.get("model_seeds") or [42]
    L.append(f"Model seeds of the unsupervised variants and of the sklearn forest: {', '.join(map(str, seeds))} "
             "(`--seed`; the label variants use 42).\n")
    for v, a in variants:
        L.append(f"- `{v}`: `txguard backtest ... {a}`" if a else f"- `{v}`: today's defaults")
    L.append("")
    L.append("## Per stream\n")
    for r in results:
        fts = list(r["fraud_types"])
        L.append(f"### {r['stream']}\n")
        L.append(f"{r['events']} events, train on the first {r['train_events']} ({r['train_fraction']:.0%}), "
                 f"{r['scored_events']} scored, {r['frauds_scored']} frauds ({r['fraud_rate_scored']:.2%}): "
                 + ", ".join(f"{k} {v}" for k, v in r["fraud_types"].items()) + ".\n")
        L.append("| method | PR-AUC | PR-AUC by seed | ROC-AUC | recall@1% | " + " | ".join(f"AUC {ft}" for ft in fts) + " |")
        L.append("|---|---|---|---|---|" + "---|" * len(fts))
        for m in methods:
            x = r["methods"].get(m)
            if x is None:
                continue
            by_seed = " / ".join(fmt(v) for v in x["pr_auc_seeds"]) if "pr_auc_seeds" in x else "–"
            L.append(f"| {m} | {fmt(x['pr_auc'])} | {by_seed} | {fmt(x['roc_auc'])} | {fmt(x['recall@1%'])} | "
                     + " | ".join(fmt(x["scenario_roc_auc"].get(ft)) for ft in fts) + " |")
        L.append("")
    L.append("## Timings\n")
    L.append("| stream | generate s | evaluate s | " + " | ".join(f"{m} s" for m in methods) + " |")
    L.append("|---|---|---|" + "---|" * len(methods))
    for r in results:
        L.append(f"| {r['stream']} | {r['generate_seconds']} | {r['evaluate_seconds']} | "
                 + " | ".join(str(r['methods'].get(m, {}).get('seconds', '–')) for m in methods) + " |")
    L.append("\n(Generation time is 0 when the stream was cached from an earlier run.)\n")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(L))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--txguard-args", action="append", default=None,
                    help='a txguard variant: "NAME=ARGS" or "ARGS" (repeatable; default: DEFAULT_VARIANTS)')
    ap.add_argument("--only", action="append", help="only streams whose name or generator contains this (repeatable)")
    ap.add_argument("--regenerate", action="store_true", help="regenerate cached streams")
    ap.add_argument("--no-doc", action="store_true", help="do not rewrite docs/DETECTION.md")
    ap.add_argument("--doc", default=os.path.join(ROOT, "docs", "DETECTION.md"))
    ap.add_argument("--json", default=os.path.join(OUT, "results.json"))
    ap.add_argument("--jobs", type=int, default=2, help="streams evaluated at once (default 2)")
    ap.add_argument("--model-seeds", default="42,1,2",
                    help="model seeds the unsupervised variants and the sklearn forest are averaged over (default 42,1,2)")
    ap.add_argument("--doc-only", action="store_true", help="rewrite --doc from --json without running anything")
    a = ap.parse_args()
    if a.doc_only:
        with open(a.json) as f:
            payload = json.load(f)
        vn = [v for v, _ in payload["variants"]]
        payload["targets"] = targets(payload["streams"], vn)
        payload["leave_one_generator_out"] = leave_one_generator_out(payload["streams"], [v for v in vn if not v.startswith("labels")])
        write_doc(a.doc, payload, [tuple(v) for v in payload["variants"]])
        log(f"table: {a.doc}")
        return
    variants = []
    for v in (a.txguard_args if a.txguard_args is not None else DEFAULT_VARIANTS):
        head = v.split("=", 1)[0]
        if "=" in v and not head.startswith("-") and " " not in head:
            variants.append((head, v.split("=", 1)[1]))
        else:
            variants.append(("txguard" if not v.strip() else "txguard[" + v.strip() + "]", v))
    os.makedirs(STREAMS, exist_ok=True); os.makedirs(os.path.join(OUT, "runs"), exist_ok=True)
    if not os.access(TXGUARD, os.X_OK):
        sys.exit(f"{TXGUARD} missing: build it first (make eval does)")
    specs = [s for s in stream_specs() if not a.only or any(o in s[0] or o == s[1] for o in a.only)]
    # The tree the binary was built from (eval.sh builds it just before): read now, not after a
    # run of an hour during which the working tree may move on.
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    started = time.time()
    results = []
    # Streams in parallel (--jobs; each txguard run uses about one core).
    import concurrent.futures
    with concurrent.futures.ProcessPoolExecutor(max_workers=a.jobs) as pool:
        seeds = tuple(int(x) for x in a.model_seeds.split(","))
        for r in pool.map(evaluate_stream, specs, [variants] * len(specs), [a.regenerate] * len(specs), [seeds] * len(specs)):
            results.append(r)
            log(f"{r['stream']}: " + "  ".join(f"{m} {v['pr_auc']:.3f}" for m, v in r["methods"].items()))
    vn = [v for v, _ in variants]
    payload = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit, "model_seeds": list(seeds),
               "machine": f"{platform.node() and 'Linux'} {platform.machine()}, {os.cpu_count()} cores "
                          f"({platform.processor() or 'cpu'}), shared",
               "total_seconds": time.time() - started, "variants": variants, "streams": results,
               "mean_over_generators": {m: mean_over_generators(results, m) for m in ("pr_auc", "roc_auc", "recall@1%")},
               "leave_one_generator_out": leave_one_generator_out(results, [v for v in vn if not v.startswith("labels")])
               if len([v for v in vn if not v.startswith("labels")]) > 1 else [],
               "targets": targets(results, vn)}
    with open(a.json, "w") as f:
        json.dump(payload, f, indent=1)
    log(f"results: {a.json}")
    if not a.no_doc:
        write_doc(a.doc, payload, variants)
        log(f"table: {a.doc}")
    mean = payload["mean_over_generators"]["pr_auc"]
    log("mean PR-AUC over generators: " + "  ".join(f"{m} {v:.3f}" for m, v in sorted(mean.items())))


if __name__ == "__main__":
    main()
