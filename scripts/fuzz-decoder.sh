#!/usr/bin/env bash
# Builds the libFuzzer target for the JSON transaction decoder (fuzz/DecoderFuzz.swift + the
# TxGuardContracts sources, with AddressSanitizer) and runs it for SECONDS (default 60).
# Seeds: fuzz/corpus/decoder/ (committed). New corpus entries, crash reproducers and the log go
# to fuzz-out/ (gitignored). Exit status is libFuzzer's: non-zero when a crash was found.
#   scripts/fuzz-decoder.sh 600
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN="${1:-60}"
SWIFTC="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
OUT=fuzz-out
mkdir -p "$OUT/corpus" "$OUT/artifacts"
echo "[fuzz] building $OUT/decoder-fuzz" >&2
"$SWIFTC" -sanitize=fuzzer,address -parse-as-library -O -g \
  Sources/TxGuardContracts/*.swift fuzz/DecoderFuzz.swift -o "$OUT/decoder-fuzz"
echo "[fuzz] running for ${SECONDS_TO_RUN}s" >&2
# -max_len 8192: documents far above the typical 300 bytes, still fast; the 10 MB case is a unit test.
exec "$OUT/decoder-fuzz" "$OUT/corpus" fuzz/corpus/decoder \
  -dict=fuzz/decoder.dict -max_total_time="$SECONDS_TO_RUN" -max_len=8192 -timeout=10 \
  -rss_limit_mb=2048 -artifact_prefix="$OUT/artifacts/" -print_final_stats=1 2>&1 | tee "$OUT/fuzz.log"
