#!/usr/bin/env python3
"""A card-issuer stream written for the evaluation suite WITHOUT reading txguard's feature code.

Legitimate traffic: cardholders in four European countries, each with one or two cards, a home
country and currency, one or two personal devices for online payments, a handful of habitual
merchants (Zipf), weekly rhythm and a pay-day lift on the 1st/15th, card-present purchases,
online purchases and ATM withdrawals. Look-alikes (labelled legitimate): holidays abroad (a week of
card-present spending in another country) and a new phone (a new device for good).

Fraud:
  skimmed_terminal  some ATMs/POS terminals are compromised for a few days; cards used there are
                    cashed out 1-10 days later at ATMs abroad (several withdrawals within hours)
  device_ring       a ring of fraudsters controls a few devices; each device logs into many
                    different accounts (taken over) and buys gift cards / electronics online at
                    amounts typical for the account's own spending
  card_testing      a bot runs many cards through one small web shop at tiny amounts (0.5-3) within
                    an hour; a few of those cards then see one big online purchase
  account_takeover  one account, a new device from a new country, one to three large online
                    purchases at a merchant the account never used

Split convention: events in time order; the suite trains on the first half.
"""
import argparse, gzip, json, math
from datetime import datetime, timezone

import numpy as np

COUNTRIES = {"DE": "EUR", "FR": "EUR", "GB": "GBP", "PL": "PLN"}
ABROAD = ["ES", "IT", "PT", "GR", "US", "TH", "TR", "HR"]
MCC = {"grocery": "5411", "fuel": "5541", "restaurant": "5812", "pharmacy": "5912", "clothing": "5651",
       "electronics": "5732", "travel": "4511", "atm": "6011", "giftcard": "5947", "online_retail": "5999",
       "streaming": "4899", "hotel": "7011"}
CAT_AMT = {"grocery": (3.4, 0.6), "fuel": (3.9, 0.3), "restaurant": (3.2, 0.5), "pharmacy": (2.9, 0.6),
           "clothing": (4.0, 0.6), "electronics": (4.8, 0.8), "travel": (5.5, 0.6), "atm": (4.4, 0.6),
           "giftcard": (3.9, 0.5), "online_retail": (3.6, 0.8), "streaming": (2.4, 0.2), "hotel": (5.0, 0.5)}
CP_CATS = ["grocery", "fuel", "restaurant", "pharmacy", "clothing", "atm"]
ONLINE_CATS = ["online_retail", "streaming", "electronics", "travel", "clothing", "giftcard"]
BRANDS = ["Kauf", "Markt", "Shop", "Haus", "Center", "Point", "Express", "Depot", "Corner", "Plaza"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--accounts", type=int, default=5000)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--events", required=True)
    ap.add_argument("--labels", required=True)
    a = ap.parse_args()
    rng = np.random.default_rng(1000 + a.seed)
    start = int(datetime(2026, 3, 2, tzinfo=timezone.utc).timestamp())
    D = a.days

    # merchants: per country and category, plus online merchants (global)
    merchants = {}  # (country, cat) -> list of names
    for c in list(COUNTRIES) + ABROAD:
        for cat in CP_CATS + ["hotel"]:
            k = 3 if c in ABROAD else 40
            merchants[(c, cat)] = [f"{cat.upper() if cat == 'atm' else BRANDS[rng.integers(len(BRANDS))]} {cat} {c}-{j}" for j in range(k)]
    online = {cat: [f"web {cat} {j}" for j in range(60)] for cat in ONLINE_CATS}

    A = a.accounts
    home = rng.choice(list(COUNTRIES), A, p=[0.4, 0.25, 0.25, 0.1])
    rate = rng.gamma(1.5, 0.6, A)                       # events/day
    online_share = rng.beta(2, 4, A)
    amt_scale = rng.lognormal(0, 0.4, A)
    ncards = 1 + (rng.random(A) < 0.3)
    devices = [[f"dev{a_}_{k}" for k in range(1 + (rng.random() < 0.4))] for a_ in range(A)]
    habit = []
    for i in range(A):
        h = {}
        for cat in CP_CATS:
            lst = merchants[(home[i], cat)]
            h[cat] = list(rng.choice(lst, size=min(len(lst), 1 + rng.integers(4)), replace=False))
        habit.append(h)

    ev = []  # (t, acct, amount, currency, merchant, cat, country, channel, card, device, fraud_type, lookalike)

    def emit(t, i, amount, merchant, cat, country, channel, card, device, ft=None, la=None):
        cur = COUNTRIES.get(home[i], "EUR")
        ev.append((int(t), i, round(float(amount), 2), cur, merchant, cat, country, channel, card, device, ft, la))

    travel = {}
    for i in np.flatnonzero(rng.random(A) < 0.06):
        d0 = rng.integers(0, max(1, D - 7)); travel[i] = (d0, d0 + rng.integers(3, 8), rng.choice(ABROAD))
    newphone = {i: rng.integers(1, D) for i in np.flatnonzero(rng.random(A) < 0.03)}

    for i in range(A):
        for d in range(D):
            wd = (d % 7)
            lam = rate[i] * (1.25 if wd >= 5 else 1.0) * (1.5 if d % 14 == 0 else 1.0)
            for _ in range(rng.poisson(lam)):
                t = start + d * 86400 + int(np.clip(rng.normal(15 * 3600, 4 * 3600), 6 * 3600, 86399))
                card = f"card{i}_{rng.integers(ncards[i])}"
                tr = travel.get(i)
                abroad = tr is not None and tr[0] <= d < tr[1]
                if rng.random() < online_share[i] and not abroad:
                    cat = rng.choice(ONLINE_CATS)
                    m = online[cat][min(59, int(rng.zipf(1.6)) - 1)]
                    dev = devices[i][rng.integers(len(devices[i]))]
                    if i in newphone and d >= newphone[i]:
                        dev = f"dev{i}_new"
                    mu, sd = CAT_AMT[cat]
                    emit(t, i, amt_scale[i] * math.exp(rng.normal(mu, sd)), m, cat, home[i], "online", card, dev,
                         la="new_phone" if i in newphone and d >= newphone[i] else None)
                else:
                    cat = rng.choice(CP_CATS, p=[0.35, 0.12, 0.2, 0.08, 0.1, 0.15])
                    if abroad:
                        cty = tr[2]
                        if rng.random() < 0.15:
                            cat = "hotel"
                        m = rng.choice(merchants[(cty, cat)])
                    else:
                        cty = home[i]
                        m = rng.choice(habit[i][cat]) if rng.random() < 0.8 else rng.choice(merchants[(cty, cat)])
                    mu, sd = CAT_AMT[cat]
                    amt = amt_scale[i] * math.exp(rng.normal(mu, sd))
                    if cat == "atm":
                        amt = max(20, round(amt / 10) * 10)
                    emit(t, i, amt, m, cat, cty, "atm" if cat == "atm" else "pos", card, None,
                         la="travel" if abroad else None)

    # --- fraud: skimmed terminals -> cash-out abroad
    byterm = {}
    for k, e in enumerate(ev):
        if e[7] in ("pos", "atm") and e[6] in COUNTRIES:
            byterm.setdefault(e[4], []).append(k)
    terms = sorted(byterm)
    for _ in range(max(1, D // 3)):
        m = terms[rng.integers(len(terms))]
        d0 = rng.integers(0, max(1, D - 8)) * 86400 + start
        victims = {ev[k][8]: ev[k][1] for k in byterm[m] if d0 <= ev[k][0] < d0 + 3 * 86400}
        cty = rng.choice(ABROAD)
        for card, i in victims.items():
            if rng.random() < 0.6:
                t = d0 + rng.integers(1, 10) * 86400 + rng.integers(0, 86400)
                for _ in range(rng.integers(2, 5)):
                    t += rng.integers(300, 7200)
                    emit(t, i, 10 * rng.integers(10, 50), rng.choice(merchants[(cty, "atm")]), "atm", cty, "atm", card, None, ft="skimmed_terminal")
    # --- fraud: device ring
    for r in range(max(1, D // 10)):
        ring_devs = [f"ringdev{a.seed}_{r}_{k}" for k in range(3)]
        victims = rng.choice(A, size=25, replace=False)
        d0 = rng.integers(0, max(1, D - 5))
        for i in victims:
            dev = ring_devs[rng.integers(3)]
            t = start + (d0 + rng.integers(0, 5)) * 86400 + rng.integers(0, 86400)
            for _ in range(rng.integers(1, 4)):
                t += rng.integers(60, 3600)
                cat = rng.choice(["giftcard", "electronics"])
                emit(t, i, amt_scale[i] * math.exp(rng.normal(3.9, 0.4)), rng.choice(online[cat][:10]), cat, home[i], "online",
                     f"card{i}_0", dev, ft="device_ring")
    # --- fraud: card testing at a small web shop, then a few big purchases
    for r in range(max(1, D // 6)):
        shop = f"web tiny shop {a.seed}-{r}"
        t0 = start + rng.integers(0, D) * 86400 + rng.integers(0, 86400)
        victims = rng.choice(A, size=40, replace=False)
        for i in victims:
            t = t0 + rng.integers(0, 3600)
            emit(t, i, rng.uniform(0.5, 3), shop, "online_retail", home[i], "online", f"card{i}_0", f"bot{a.seed}_{r}", ft="card_testing")
            if rng.random() < 0.2:
                emit(t + rng.integers(3600, 3 * 86400), i, math.exp(rng.normal(6.0, 0.4)), rng.choice(online["electronics"]),
                     "electronics", home[i], "online", f"card{i}_0", f"bot{a.seed}_{r}", ft="card_testing")
    # --- fraud: account takeover
    for i in rng.choice(A, size=max(5, A // 300), replace=False):
        t = start + rng.integers(1, D) * 86400 + rng.integers(0, 86400)
        cty = rng.choice(ABROAD)
        for _ in range(rng.integers(1, 4)):
            t += rng.integers(120, 7200)
            cat = rng.choice(["electronics", "travel", "giftcard"])
            emit(t, i, math.exp(rng.normal(6.3, 0.5)), rng.choice(online[cat][20:]), cat, cty, "online", f"card{i}_0", f"ato{i}", ft="account_takeover")

    end = start + D * 86400
    ev = [e for e in ev if e[0] < end]
    ev.sort(key=lambda e: (e[0], e[1]))
    op = gzip.open if a.events.endswith(".gz") else open
    nf = {}
    with op(a.events, "wt", encoding="utf-8") as fe, open(a.labels, "w", encoding="utf-8") as fl:
        for k, e in enumerate(ev):
            t, i, amount, cur, m, cat, cty, ch, card, dev, ft, la = e
            tid = f"is{a.seed}_{k}"
            rec = {"transaction_id": tid, "account_id": f"acc{i:05d}",
                   "timestamp": datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "amount": f"{max(amount, 0.01):.2f}", "currency": cur, "merchant_name": m,
                   "merchant_category": MCC[cat], "country": cty, "channel": ch, "card_id": card}
            if dev:
                rec["device_id"] = dev
            fe.write(json.dumps(rec, separators=(",", ":")) + "\n")
            lab = {"transaction_id": tid, "is_fraud": ft is not None, "fraud_type": ft}
            if la:
                lab["lookalike"] = la
            fl.write(json.dumps(lab, separators=(",", ":")) + "\n")
            if ft:
                nf[ft] = nf.get(ft, 0) + 1
    print(f"issuer seed {a.seed}: {len(ev)} events, {sum(nf.values())} frauds ({sum(nf.values()) / len(ev):.2%}) {nf}")


if __name__ == "__main__":
    main()
