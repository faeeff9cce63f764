#!/usr/bin/env python3
"""A seeded transaction stream shaped unlike txguard's own simulator, for out-of-distribution checks.

PaySim-like mobile money in Kuwait: one currency, KWD (ISO 4217 minor unit 3, so amounts are
strings with exactly 3 decimals, e.g. "12.345"); transaction types PAYMENT / TRANSFER / CASH_OUT /
CASH_IN / DEBIT (kept verbatim in an extra "type" field; merchant_category carries a 4-digit MCC
per type because txguard's contract requires ISO 18245 codes and dead-letters "TRANSFER");
counterparties are bare ids ("M1234567" merchants, "C1234567" accounts, "A12345" agents); no
descriptions; no cards; channels "app", "ussd", "agent"; activity per account Zipf-like; amounts
lognormal / Pareto; timestamps UTC with 'Z', while behaviour follows Kuwait local time (UTC+3).

Fraud types (label file: transaction_id, is_fraud, fraud_type, lookalike):
  account_drain    victim TRANSFERs 85-99% of its balance to a new payee (often from a new device),
                   then the fresh mule account CASH_OUTs nearly all of it minutes later (both fraud)
  mule_fan_in      10-40 different accounts each TRANSFER an ordinary amount to the same new
                   payee within a few hours (social-engineering campaign); per account it is mild
  structuring      an account moves amounts just under the 3,000 KWD reporting limit 3-7 times in
                   1-3 days (TRANSFER / CASH_IN)
  night_burst      compromised account: 6-20 small PAYMENTs to many merchants 01:00-04:00 local
                   within ~30 minutes from a new device
Benign look-alikes: salary_day (large transfers / cash-outs on the 25th-27th), remittance (expat
workers send most of their salary abroad after payday), night_worker accounts active at night.

  python3 scripts/foreign-stream.py --seed 1 --events out.jsonl.gz --labels out.labels.jsonl
"""
import argparse, bisect, gzip, heapq, json, math
from datetime import datetime, timedelta, timezone

import numpy as np

LOCAL = 3 * 3600                 # Kuwait, UTC+3
LIMIT = 3000.0                   # reporting limit, KWD
MCC = {"PAYMENT": None, "TRANSFER": "4829", "CASH_OUT": "6011", "CASH_IN": "6012", "DEBIT": "6012"}
PAY_MCC = ["5411", "5812", "5814", "4121", "5541", "5999", "4814", "5912", "5311", "4900"]
REMIT = ["IN", "EG", "PH", "BD", "PK", "LK", "NP"]


def amount_str(x):
    return f"{max(x, 0.005):.3f}"


class Gen:
    def __init__(self, seed, n_accounts, days, events_per_day):
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.start = datetime(2026, 3, 1, tzinfo=timezone.utc).timestamp()
        self.days, self.n_acc, self.epd = days, n_accounts, events_per_day
        self.out = []            # (t, seq, record, label)
        self.seq = 0
        self.txn = 0
        r = self.rng
        ranks = r.permutation(n_accounts) + 1
        w = 1.0 / (ranks + 5.0)
        self.w = w / w.sum()
        self.base = np.exp(r.normal(math.log(6.0), 0.9, n_accounts))          # typical payment, KWD
        self.balance = self.base * np.exp(r.normal(math.log(40), 0.7, n_accounts))
        self.salary = self.balance * r.uniform(0.4, 1.2, n_accounts)
        self.expat = r.random(n_accounts) < 0.35
        self.home = r.choice(REMIT, n_accounts)
        self.night = r.random(n_accounts) < 0.04
        self.chan = r.choice(["app", "ussd", "agent"], n_accounts, p=[0.7, 0.2, 0.1])
        self.mix = r.dirichlet([6, 2, 1.5, 1, 0.3], n_accounts)   # PAYMENT TRANSFER CASH_OUT CASH_IN DEBIT
        self.dev = [f"d{r.integers(16**10):010x}" for _ in range(n_accounts)]
        self.payees = [list(r.integers(1_000_000, 9_999_999, r.integers(1, 6))) for _ in range(n_accounts)]
        self.merch = [list(r.integers(1_000_000, 9_999_999, r.integers(2, 12))) for _ in range(n_accounts)]
        self.merch_mcc = {}
        self.next_acct = n_accounts

    def acct_id(self, i):
        return f"C{100000000 + i * 7919 % 900000000}"

    def emit(self, t, acct, typ, amount, label=None, device=None, country="KW", chan=None, payee=None,
             lookalike=None):
        r = self.rng
        self.txn += 1
        rec = {"transaction_id": f"T{self.seed:02d}{self.txn:08d}", "account_id": self.acct_id(acct),
               "timestamp": datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
               "amount": amount_str(amount), "currency": "KWD", "type": typ}
        if typ == "PAYMENT":
            m = payee if payee is not None else int(r.choice(self.merch[acct]))
            rec["merchant_name"] = f"M{m}"
            rec["merchant_category"] = self.merch_mcc.setdefault(m, str(r.choice(PAY_MCC)))
        elif typ in ("TRANSFER",):
            p = payee if payee is not None else int(r.choice(self.payees[acct]))
            rec["merchant_name"] = f"C{p}"
            rec["merchant_category"] = MCC[typ]
        elif typ in ("CASH_OUT", "CASH_IN"):
            rec["merchant_name"] = f"A{r.integers(10000, 10400)}"
            rec["merchant_category"] = MCC[typ]
        else:
            rec["merchant_category"] = MCC[typ]
        rec["country"] = country
        c = chan or (self.chan[acct] if acct < self.n_acc else "app")
        if typ in ("CASH_OUT", "CASH_IN") and r.random() < 0.6:
            c = "agent"
        rec["channel"] = c
        if c != "agent":
            rec["device_id"] = device or (self.dev[acct] if acct < self.n_acc else f"d{r.integers(16**10):010x}")
        lab = {"transaction_id": rec["transaction_id"], "is_fraud": label is not None, "fraud_type": label,
               "lookalike": lookalike}
        self.seq += 1
        self.out.append((t, self.seq, rec, lab))

    def local_time(self, day):
        """A local time of day (s) with a diurnal profile peaking around 12:00 and 20:00."""
        r = self.rng
        h = r.choice([r.normal(12.5, 2.5), r.normal(20, 2.0), r.uniform(7, 24)], p=[0.45, 0.4, 0.15])
        return self.start + day * 86400 + (h % 24) * 3600 - LOCAL

    def normal_amount(self, a, typ):
        r = self.rng
        b = self.base[a]
        if typ == "PAYMENT":
            return b * math.exp(r.normal(0, 0.8))
        if typ == "TRANSFER":
            return min(b * 2 * (r.pareto(1.6) + 1), self.balance[a] * 0.6)
        if typ in ("CASH_OUT", "CASH_IN"):
            return max(5.0, round(b * 4 * math.exp(r.normal(0, 0.7)) / 5) * 5)
        return b * 0.5 * math.exp(r.normal(0, 0.5))

    def normal_traffic(self):
        r = self.rng
        types = ["PAYMENT", "TRANSFER", "CASH_OUT", "CASH_IN", "DEBIT"]
        for day in range(self.days):
            dow = (datetime.fromtimestamp(self.start, timezone.utc).weekday() + day) % 7
            n = int(r.poisson(self.epd * (0.8 if dow == 4 else 1.0)))   # Friday quieter
            accts = r.choice(self.n_acc, n, p=self.w)
            for a in accts:
                typ = types[r.choice(5, p=self.mix[a])]
                t = self.local_time(day)
                if self.night[a]:
                    t = self.start + day * 86400 + r.uniform(0, 6) * 3600 - LOCAL + 86400 * (r.random() < 0.5)
                if r.random() < 0.05 and len(self.payees[a]) < 30 and typ == "TRANSFER":
                    self.payees[a].append(int(r.integers(1_000_000, 9_999_999)))
                if r.random() < 0.03 and typ == "PAYMENT":
                    self.merch[a].append(int(r.integers(1_000_000, 9_999_999)))
                self.emit(t, a, typ, self.normal_amount(a, typ))
            dom = day + 1                       # March: day 0 is the 1st
            if dom in (25, 26, 27):             # salary day: many accounts move big amounts
                k = int(self.n_acc * 0.06)
                for a in r.choice(self.n_acc, k, replace=False):
                    t = self.local_time(day)
                    if self.expat[a] and r.random() < 0.7:
                        self.emit(t, a, "TRANSFER", self.salary[a] * r.uniform(0.5, 0.9), country=self.home[a],
                                  payee=int(r.integers(1_000_000, 9_999_999)), lookalike="remittance")
                    else:
                        typ = r.choice(["TRANSFER", "CASH_OUT", "PAYMENT"], p=[0.4, 0.4, 0.2])
                        amt = self.normal_amount(a, typ) * r.uniform(2, 6)
                        if typ == "CASH_OUT":
                            amt = round(amt / 10) * 10 + 10
                        self.emit(t, a, typ, amt, lookalike="salary_day")

    def new_mule(self):
        m = self.next_acct
        self.next_acct += 1
        return m

    def frauds(self, n_drain, n_fanin, n_struct, n_night):
        r = self.rng
        span = self.days * 86400
        victims = lambda k: r.choice(self.n_acc, k, replace=False, p=self.w)
        for a in victims(n_drain):
            t = self.start + r.uniform(0.05, 0.98) * span
            mule = self.new_mule()
            amt = self.balance[a] * r.uniform(0.85, 0.99)
            dev = f"d{r.integers(16**10):010x}" if r.random() < 0.5 else None
            self.emit(t, a, "TRANSFER", amt, "account_drain", device=dev, payee=int(self.acct_id(mule)[1:]), chan="app")
            t2 = t + r.uniform(60, 1800)
            self.emit(t2, mule, "CASH_OUT", math.floor(amt * r.uniform(0.97, 1.0) / 10) * 10, "account_drain")
        for _ in range(n_fanin):
            t0 = self.start + r.uniform(0.05, 0.97) * span
            payee = int(r.integers(1_000_000, 9_999_999))
            for a in victims(int(r.integers(10, 41))):
                amt = round(self.base[a] * r.uniform(3, 15), 0)
                self.emit(t0 + r.uniform(0, 4 * 3600), a, "TRANSFER", amt, "mule_fan_in", payee=payee)
        for a in victims(n_struct):
            t = self.start + r.uniform(0.05, 0.9) * span
            for _ in range(int(r.integers(3, 8))):
                typ = "TRANSFER" if r.random() < 0.6 else "CASH_IN"
                self.emit(t, a, typ, LIMIT - r.uniform(5, 150), "structuring",
                          payee=int(r.integers(1_000_000, 9_999_999)))
                t += r.uniform(2, 20) * 3600
        for a in victims(n_night):
            day = int(r.integers(1, self.days - 1))
            t = self.start + day * 86400 + r.uniform(1, 3.5) * 3600 - LOCAL
            dev = f"d{r.integers(16**10):010x}"
            for _ in range(int(r.integers(6, 21))):
                self.emit(t, a, "PAYMENT", self.base[a] * r.uniform(0.5, 3.0), "night_burst", device=dev,
                          payee=int(r.integers(1_000_000, 9_999_999)))
                t += r.uniform(20, 240)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--events", required=True, help="output JSON lines (.gz to compress)")
    ap.add_argument("--labels", required=True)
    ap.add_argument("--accounts", type=int, default=20000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--events-per-day", type=int, default=4800)
    a = ap.parse_args()
    g = Gen(a.seed, a.accounts, a.days, a.events_per_day)
    g.normal_traffic()
    g.frauds(n_drain=110, n_fanin=14, n_struct=55, n_night=35)
    g.out.sort(key=lambda x: (x[0], x[1]))
    end = g.start + a.days * 86400
    op = gzip.open if a.events.endswith(".gz") else open
    nf = n = 0
    with op(a.events, "wt") as fe, open(a.labels, "w") as fl:
        for t, _, rec, lab in g.out:
            if t < g.start or t >= end:
                continue
            fe.write(json.dumps(rec, separators=(",", ":")) + "\n")
            fl.write(json.dumps(lab, separators=(",", ":")) + "\n")
            n += 1
            nf += lab["is_fraud"]
    print(f"wrote {n} events, {nf} fraud ({nf / n:.3%}) to {a.events}, labels {a.labels}")


if __name__ == "__main__":
    main()
