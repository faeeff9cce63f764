#!/usr/bin/env bash
# The transaction decoder's libFuzzer target; see scripts/fuzz.sh (this is `scripts/fuzz.sh decoder`).
#   scripts/fuzz-decoder.sh 600
exec "$(dirname "$0")/fuzz.sh" decoder "${1:-60}"
