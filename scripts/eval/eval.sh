#!/usr/bin/env bash
# make eval: installs the evaluation suite's development-only Python packages (only when missing),
# builds the release binary (-j 1: the machine is shared), fetches the text model if missing, and
# runs scripts/eval/run.py. Extra arguments go to run.py, e.g.
#   make eval EVAL_ARGS='--txguard-args "" --txguard-args "nomb=--no-merchant-burst"'
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
if ! "$PY" -c 'import numpy, sklearn, pandas, synccfd' 2>/dev/null; then
  echo "[eval] installing scripts/eval/requirements.txt (development only)"
  "$PY" -m pip install --quiet -r scripts/eval/requirements.txt
fi
scripts/fetch-model.sh
# The same CPU target as `make release` (Makefile, scripts/cpu-target.sh), so neither rebuilds the other's.
# shellcheck disable=SC2046  # the flags are words
${SWIFT:-swift} build -c release --product txguard -j ${EVAL_JOBS:-1} $(scripts/cpu-target.sh --flags "${TARGET_CPU:-auto}")
exec "$PY" scripts/eval/run.py "$@"
