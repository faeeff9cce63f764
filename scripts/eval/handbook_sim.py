#!/usr/bin/env python3
"""The Fraud Detection Handbook's transaction simulator (Le Borgne, Siblini, Lebichot, Bontempi,
"Reproducible Machine Learning for Credit Card Fraud Detection - Practical Handbook", 2022,
chapter 3.2 "Transaction data simulator"), re-implemented with numpy, converted to txguard's
transaction JSON and a labels file.

Why not PyPI `synccfd` (0.1.0, checked with `pip download --no-deps synccfd`): it is a modified
derivative, not the book's simulator: it adds card-not-present/location features and a fourth
fraud scenario, and it hard-seeds the customer and terminal profiles (np.random.seed(0) / (1))
whatever `random_state` is, so several seeds would share one population. It is also a per-customer
pandas loop (slow). This file follows the book's published functions:

  generate_customer_profiles_table  x,y ~ U(0,100); mean_amount ~ U(5,100); std = mean/2;
                                    mean_nb_tx_per_day ~ U(0,4)
  generate_terminal_profiles_table  x,y ~ U(0,100)
  get_list_terminals_within_radius  terminals with Euclidean distance < r (book: r = 5)
  generate_transactions_table       per day: n ~ Poisson(mean_nb_tx_per_day); time ~ N(43200, 20000)
                                    s, kept if in [0, 86400); amount ~ N(mean, std), if < 0 then
                                    U(0, 2*mean); rounded to cents; terminal uniform among available
  add_frauds                        1: amount > 220 is fraud;
                                    2: each day, compromised terminals: every transaction on them in
                                       the next 28 days is fraud;
                                    3: each day, compromised customers: over the next 14 days a third
                                       of their transactions get amount*5 and are fraud.

Scale: the book uses 5000 customers, 10000 terminals, 183 days, 2 terminals and 3 customers
compromised per day. Here the population is smaller (defaults 2000 / 4000 / 40 days); the daily
numbers of compromised terminals and customers are scaled with it (Poisson with mean 2*T/10000 and
3*C/5000) so the scenario mix and fraud prevalence stay the book's. Terminal density per customer
is kept by the same r=5 on a smaller population (fewer terminals per customer: about 31 vs 78).

Output: account_id = "C<CUSTOMER_ID>", merchant_name = "terminal <TERMINAL_ID>" (the terminal is
the only merchant key the book has), currency EUR, RFC 3339 UTC timestamps from 2018-04-01.
Labels: {transaction_id, is_fraud, fraud_type} with fraud_type = TX_FRAUD_SCENARIO name.
"""
import argparse, gzip, json
from datetime import datetime, timezone

import numpy as np

SCEN = {1: "amount_over_220", 2: "compromised_terminal", 3: "compromised_customer"}


def simulate(seed, customers, terminals, days, radius=5.0):
    rng = np.random.default_rng(seed)
    cx, cy = rng.uniform(0, 100, customers), rng.uniform(0, 100, customers)
    mean_amt = rng.uniform(5, 100, customers)
    std_amt = mean_amt / 2
    rate = rng.uniform(0, 4, customers)
    tx, ty = rng.uniform(0, 100, terminals), rng.uniform(0, 100, terminals)
    avail = []
    for c in range(customers):
        d2 = (tx - cx[c]) ** 2 + (ty - cy[c]) ** 2
        avail.append(np.flatnonzero(d2 < radius * radius))
    # transactions
    n = rng.poisson(np.repeat(rate[None, :], days, axis=0))          # days x customers
    day_idx, cust_idx = np.nonzero(n)
    reps = n[day_idx, cust_idx]
    day = np.repeat(day_idx, reps); cust = np.repeat(cust_idx, reps)
    t = np.rint(rng.normal(86400 / 2, 20000, len(day))).astype(np.int64)
    keep = (t >= 0) & (t < 86400)
    day, cust, t = day[keep], cust[keep], t[keep]
    has_term = np.array([len(avail[c]) > 0 for c in range(customers)])
    keep = has_term[cust]
    day, cust, t = day[keep], cust[keep], t[keep]
    amt = rng.normal(mean_amt[cust], std_amt[cust])
    neg = amt < 0
    amt[neg] = rng.uniform(0, 2 * mean_amt[cust[neg]])
    amt = np.round(amt, 2)
    term = np.empty(len(cust), np.int64)
    u = rng.random(len(cust))
    for c in np.unique(cust):
        m = cust == c
        a = avail[c]
        term[m] = a[np.minimum((u[m] * len(a)).astype(np.int64), len(a) - 1)]
    secs = day * 86400 + t
    order = np.lexsort((cust, secs))
    day, cust, secs, amt, term = day[order], cust[order], secs[order], amt[order], term[order]
    # frauds
    scen = np.zeros(len(cust), np.int64)
    scen[amt > 220] = 1
    lam_t, lam_c = 2.0 * terminals / 10000, 3.0 * customers / 5000
    for d in range(days):
        ct = rng.choice(terminals, size=min(terminals, rng.poisson(lam_t)), replace=False)
        m = np.isin(term, ct) & (day >= d) & (day < d + 28) & (scen == 0)
        scen[m] = 2
        cc = rng.choice(customers, size=min(customers, rng.poisson(lam_c)), replace=False)
        for c in cc:
            idx = np.flatnonzero((cust == c) & (day >= d) & (day < d + 14) & (scen == 0))
            if len(idx) == 0:
                continue
            pick = rng.choice(idx, size=len(idx) // 3, replace=False)
            amt[pick] = np.round(amt[pick] * 5, 2)
            scen[pick] = 3
    return secs, cust, term, amt, scen


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--customers", type=int, default=2000)
    ap.add_argument("--terminals", type=int, default=4000)
    ap.add_argument("--days", type=int, default=40)
    ap.add_argument("--events", required=True)
    ap.add_argument("--labels", required=True)
    a = ap.parse_args()
    secs, cust, term, amt, scen = simulate(a.seed, a.customers, a.terminals, a.days)
    start = int(datetime(2018, 4, 1, tzinfo=timezone.utc).timestamp())
    op = gzip.open if a.events.endswith(".gz") else open
    with op(a.events, "wt", encoding="utf-8") as fe, open(a.labels, "w", encoding="utf-8") as fl:
        for i in range(len(secs)):
            ts = datetime.fromtimestamp(start + int(secs[i]), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            tid = f"hb{a.seed}_{i}"
            fe.write(json.dumps({"transaction_id": tid, "account_id": f"C{cust[i]}", "timestamp": ts,
                                 "amount": f"{amt[i]:.2f}", "currency": "EUR",
                                 "merchant_name": f"terminal {term[i]}"}, separators=(",", ":")) + "\n")
            s = int(scen[i])
            fl.write(json.dumps({"transaction_id": tid, "is_fraud": s > 0, "fraud_type": SCEN.get(s)},
                                separators=(",", ":")) + "\n")
    print(f"handbook seed {a.seed}: {len(secs)} events, {int((scen > 0).sum())} frauds "
          f"({(scen > 0).mean():.2%}); by scenario { {SCEN[k]: int((scen == k).sum()) for k in SCEN} }")


if __name__ == "__main__":
    main()
