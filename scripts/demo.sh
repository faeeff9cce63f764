#!/usr/bin/env bash
# make demo: a local broker, transactions produced to it, read back — all with the txguard binary.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TXGUARD_BIN:-.build/release/txguard}
WORK=$(mktemp -d)
trap 'kill $BROKER_PID 2>/dev/null || true; wait $BROKER_PID 2>/dev/null || true; rm -rf "$WORK"' EXIT

"$BIN" broker --topic transactions --partitions 4 >"$WORK/broker.out" 2>"$WORK/broker.log" &
BROKER_PID=$!
for _ in $(seq 100); do [ -s "$WORK/broker.out" ] && break; sleep 0.05; done
BOOT=$(head -1 "$WORK/broker.out")
echo "== local Kafka (librdkafka mock cluster) at $BOOT"

python3 - >"$WORK/tx.jsonl" <<'PY'
import json, random
random.seed(7)
merchants = ["Tesco Metro #221", "Shell 0442", "Amazon Mktp DE", "Uber *Trip", "Carrefour Express", "Steam Purchase"]
for i in range(20):
    print(json.dumps({"transaction_id": f"tx-{i:04d}", "account_id": f"acct-{i % 5}",
                      "timestamp": f"2026-11-29T10:{i:02d}:00Z", "amount": f"{random.uniform(2, 120):.2f}",
                      "currency": "EUR", "merchant_name": random.choice(merchants), "country": "FR"}))
PY
echo "== producing 20 transactions to 'transactions' (keyed by account_id)"
"$BIN" produce --brokers "$BOOT" --topic transactions "$WORK/tx.jsonl"
echo "== reading them back"
"$BIN" consume --brokers "$BOOT" --topic transactions --from-beginning --count 20
echo "== done"
