#!/usr/bin/env python3
"""Peers of txguard for `make bench-compare`, written the way a team would write them in Python.

Each reads the benchmark topic with its own consumer group (confluent-kafka), builds simple
features per message and scores it:

  sklearn-each   scikit-learn IsolationForest.score_samples on each message as it arrives
  sklearn-batch  the same forest on micro-batches of 500 messages (consumer.consume(500))
  river          river's HalfSpaceTrees (after a MinMaxScaler) learn-and-score, one message at a time

Features (the same for all three; deliberately simple): log1p(amount) in the transaction's own
currency (no FX), hour of day as sin/cos, the account's running mean/std z-score of log amount
(Welford, before this event), log1p(seconds since the account's previous event), log1p(the
account's event count so far), and 0/1 flags for a merchant and a country new to the account.
Account state is warmed on the training part (the first events of the same simulation), on which the
scikit-learn forest is also fitted (100 trees, max_samples=256, seed 42).

Prints one JSON object on stdout: events, seconds and CPU seconds from the first message to the
last, and writes transaction_id<TAB>score lines to --scores (higher = more anomalous).
"""
import argparse, json, math, resource, sys, time
from datetime import datetime

import numpy as np


class Featurizer:
    def __init__(self):
        self.acct = {}  # account_id -> [n, mean, m2, last_ts, merchants set, countries set]

    def __call__(self, tx):
        amt = tx.get("amount", 0)
        try:
            a = math.log1p(abs(float(amt)))
        except (TypeError, ValueError):
            a = 0.0
        ts = tx.get("timestamp")
        if isinstance(ts, (int, float)):
            t = ts / 1000.0
        else:
            t = datetime.fromisoformat(ts).timestamp()
        hour = (t % 86400) / 3600.0
        st = self.acct.get(tx.get("account_id"))
        if st is None:
            st = [0, 0.0, 0.0, None, set(), set()]
            self.acct[tx.get("account_id")] = st
        n, mean, m2, last, merchants, countries = st
        std = math.sqrt(m2 / (n - 1)) if n > 1 else 0.0
        z = (a - mean) / std if std > 1e-9 else 0.0
        gap = math.log1p(max(0.0, t - last)) if last is not None else 15.0
        m = tx.get("merchant_name") or ""
        c = tx.get("country") or ""
        new_m = 0.0 if m in merchants else 1.0
        new_c = 0.0 if c in countries else 1.0
        # update
        n += 1
        d = a - mean
        mean += d / n
        m2 += d * (a - mean)
        st[0], st[1], st[2], st[3] = n, mean, m2, t
        merchants.add(m)
        countries.add(c)
        return [a, math.sin(2 * math.pi * hour / 24), math.cos(2 * math.pi * hour / 24), z, gap, math.log1p(n - 1), new_m, new_c]


NAMES = ["log_amount", "hour_sin", "hour_cos", "acct_amount_z", "log_gap_s", "log_acct_count", "new_merchant", "new_country"]


def cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_SELF)
    return u.ru_utime + u.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["sklearn-each", "sklearn-batch", "river"])
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--train", required=True, help="training events (JSON lines), the first part of the simulation")
    ap.add_argument("--count", type=int, required=True, help="messages in the topic")
    ap.add_argument("--max-seconds", type=float, default=0, help="stop after this long (0: read everything)")
    ap.add_argument("--scores", required=True)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()

    from confluent_kafka import Consumer

    feat = Featurizer()
    train_x = []
    with open(args.train) as f:
        for line in f:
            if line.strip():
                train_x.append(feat(json.loads(line)))
    model = None
    if args.mode.startswith("sklearn"):
        from sklearn.ensemble import IsolationForest
        model = IsolationForest(n_estimators=100, max_samples=256, random_state=42).fit(np.asarray(train_x))
    else:
        from river import anomaly, compose, preprocessing
        model = compose.Pipeline(preprocessing.MinMaxScaler(), anomaly.HalfSpaceTrees(n_trees=10, height=8, window_size=250, seed=42))
        # Warm it on the training part, as the forest was fitted on it.
        for x in train_x[-20000:]:
            model.learn_one(dict(zip(NAMES, x)))
    del train_x

    c = Consumer({"bootstrap.servers": args.brokers, "group.id": args.group, "auto.offset.reset": "earliest",
                  "enable.auto.commit": False, "enable.partition.eof": False})
    c.subscribe([args.topic])
    out = open(args.scores, "w")
    got, t0, c0, idle = 0, None, None, 0
    deadline = None
    while got < args.count:
        if args.mode == "sklearn-batch":
            msgs = c.consume(num_messages=args.batch, timeout=1.0)
        else:
            m = c.poll(1.0)
            msgs = [m] if m is not None else []
        msgs = [m for m in msgs if m.error() is None]
        if not msgs:
            idle += 1
            if idle > 60:
                break
            continue
        idle = 0
        if t0 is None:
            t0, c0 = time.monotonic(), cpu_seconds()
            deadline = t0 + args.max_seconds if args.max_seconds > 0 else None
        txs = [json.loads(m.value()) for m in msgs]
        if args.mode == "sklearn-batch":
            X = np.asarray([feat(tx) for tx in txs])
            scores = -model.score_samples(X)
            for tx, s in zip(txs, scores):
                out.write(f"{tx['transaction_id']}\t{s:.6f}\n")
        elif args.mode == "sklearn-each":
            tx = txs[0]
            s = -model.score_samples(np.asarray([feat(tx)]))[0]
            out.write(f"{tx['transaction_id']}\t{s:.6f}\n")
        else:
            tx = txs[0]
            x = dict(zip(NAMES, feat(tx)))
            s = model.score_one(x)
            model.learn_one(x)
            out.write(f"{tx['transaction_id']}\t{s:.6f}\n")
        got += len(msgs)
        if deadline is not None and time.monotonic() > deadline:
            break
    t1, c1 = time.monotonic(), cpu_seconds()
    out.close()
    c.close()
    print(json.dumps({"mode": args.mode, "events": got, "seconds": round(t1 - (t0 or t1), 4),
                      "cpu_seconds": round(c1 - (c0 or c1), 4), "truncated": got < args.count}))


if __name__ == "__main__":
    main()
