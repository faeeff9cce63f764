#!/usr/bin/env python3
"""A stream from PyPI `synccfd` (0.1.0), the packaged derivative of the Fraud Detection Handbook's
simulator (development only: `pip install synccfd`), converted to txguard's transaction JSON and a
labels file.

synccfd adds card-present/card-not-present transactions with billing, shipping and terminal
locations and a fourth fraud scenario to the book's three. Caveat, checked in its source:
customer and terminal profiles are generated with fixed seeds (np.random.seed(0) / (1)) and each
customer's legitimate transactions are seeded by the customer id, whatever `random_state` is, so
two seeds share the population and the legitimate traffic and differ in their frauds.

Mapping: account_id = "C<CUSTOMER_ID>", merchant_name = "terminal <TERMINAL_ID>", channel = "pos"
(CP) or "ecom" (CNP), currency EUR, RFC 3339 UTC timestamps. The locations become two numbers
txguard keeps as unknown fields (`bill_km_from_terminal`, `ship_km_from_bill`), which no txguard
feature reads. Labels: {transaction_id, is_fraud, fraud_type} with fraud_type = the scenario.
"""
import argparse, gzip, json, math, contextlib, io

import numpy as np

SCEN = {1: "amount_over_220", 2: "compromised_terminal", 3: "compromised_customer", 4: "scenario_4_cnp_location"}


def km(lat1, lon1, lat2, lon2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    d = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    return 6371 * 2 * np.arcsin(np.sqrt(np.clip(d, 0, 1)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--customers", type=int, default=1500)
    ap.add_argument("--terminals", type=int, default=3000)
    ap.add_argument("--days", type=int, default=40)
    ap.add_argument("--events", required=True)
    ap.add_argument("--labels", required=True)
    a = ap.parse_args()
    from synccfd.simulator.generator import DatasetGenerator
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        _, _, tx = DatasetGenerator(n_customers=a.customers, n_terminals=a.terminals, nb_days=a.days, random_state=a.seed).generate()
    tx = tx.sort_values(["TX_DATETIME", "TRANSACTION_ID"], kind="stable").reset_index(drop=True)
    bill_term = km(tx.TX_BILL_LAT.values, tx.TX_BILL_LONG.values, tx.TX_TERM_LAT.values, tx.TX_TERM_LONG.values)
    ship_bill = km(tx.TX_SHIPP_LAT.values, tx.TX_SHIPP_LONG.values, tx.TX_BILL_LAT.values, tx.TX_BILL_LONG.values)
    n = fraud = 0
    scen = {}
    with gzip.open(a.events, "wt") as ev, open(a.labels, "w") as lab:
        for i, r in enumerate(tx.itertuples(index=False)):
            tid = f"sc{a.seed}_{i}"
            ts = r.TX_DATETIME.strftime("%Y-%m-%dT%H:%M:%SZ")
            rec = {"transaction_id": tid, "account_id": f"C{int(r.CUSTOMER_ID)}", "timestamp": ts,
                   "amount": f"{max(float(r.TX_AMOUNT), 0.01):.2f}", "currency": "EUR",
                   "merchant_name": f"terminal {int(r.TERMINAL_ID)}", "channel": "pos" if r.TX_TYPE == "CP" else "ecom",
                   "bill_km_from_terminal": round(float(bill_term[i]), 1) if math.isfinite(bill_term[i]) else None,
                   "ship_km_from_bill": round(float(ship_bill[i]), 1) if math.isfinite(ship_bill[i]) else None}
            ev.write(json.dumps(rec, separators=(",", ":")) + "\n")
            f = int(r.TX_FRAUD)
            s = SCEN.get(int(r.TX_FRAUD_SCENARIO)) if f else None
            lab.write(json.dumps({"transaction_id": tid, "is_fraud": bool(f), "fraud_type": s}) + "\n")
            n += 1; fraud += f
            if s: scen[s] = scen.get(s, 0) + 1
    print(f"synccfd seed {a.seed}: {n} events, {fraud} frauds ({fraud / max(n, 1):.2%}); by scenario {scen}")


if __name__ == "__main__":
    main()
