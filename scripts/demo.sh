#!/usr/bin/env bash
# make demo: the whole product in one command (local broker, simulated transactions, training,
# the live monitor, alerts with explanations, a report). See `txguard demo --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${TXGUARD_BIN:-.build/release/txguard}
exec "$BIN" demo "$@"
