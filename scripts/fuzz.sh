#!/usr/bin/env bash
# libFuzzer targets (outside CI; `make test` never runs them). Builds TARGET with
# `swiftc -sanitize=fuzzer,address` and runs it for SECONDS (default 60), one process, one core.
#   scripts/fuzz.sh TARGET [SECONDS]     TARGET: decoder label config model snapshot safetensors, or all
# all runs every target one after the other, SECONDS each. Seeds: fuzz/corpus/TARGET/ (committed).
# New corpus entries, crash reproducers, builds and logs go to fuzz-out/ (gitignored):
# fuzz-out/TARGET/{corpus,artifacts,fuzz.log}. Exit status: non-zero when a target found a crash.
#
# How each target is built: the code under test is compiled into the same module as the harness
# (fuzz/<Name>Fuzz.swift), so internal types are reachable; the modules it imports are compiled
# first, separately, as instrumented objects (fuzz-out/build/, rebuilt only when their sources change).
set -euo pipefail
cd "$(dirname "$0")/.."
TARGET="${1:?usage: scripts/fuzz.sh decoder|label|config|model|snapshot|safetensors|all [SECONDS]}"
SECONDS_TO_RUN="${2:-60}"
SWIFTC="${SWIFTC:-$(command -v swiftc || echo /opt/swift/usr/bin/swiftc)}"
CLANG="${CLANG:-$(dirname "$SWIFTC")/clang}"
OUT=fuzz-out
B="$OUT/build"
mkdir -p "$B/modules"
FLAGS=(-sanitize=fuzzer,address -parse-as-library -O -g)

if [[ "$TARGET" == all ]]; then
  status=0
  for t in decoder label config model snapshot safetensors; do "$0" "$t" "$SECONDS_TO_RUN" || status=1; done
  exit $status
fi

# newer OUTPUT INPUTS...: true when OUTPUT exists and is newer than every input.
newer() { local o=$1; shift; [[ -e "$o" ]] || return 1; for f in "$@"; do [[ "$f" -nt "$o" ]] && return 1; done; return 0; }

# A Swift module as one instrumented object: swift_module NAME FLAGS... -- SOURCES...
swift_module() {
  local name=$1; shift
  local extra=(); while [[ "$1" != -- ]]; do extra+=("$1"); shift; done; shift
  newer "$B/$name.o" "$@" && return 0
  echo "[fuzz] compiling module $name" >&2
  "$SWIFTC" "${FLAGS[@]}" -wmo -module-name "$name" -emit-module -emit-module-path "$B/modules/$name.swiftmodule" \
    -I "$B/modules" "${extra[@]}" -c "$@" -o "$B/$name.o"
}

C_INCLUDES=(-I Sources/COpenBLAS -I Sources/CCrypto)
for flag in $(pkg-config --cflags-only-I openblas libcrypto 2>/dev/null); do C_INCLUDES+=(-Xcc "$flag"); done
C_LIBS=(-lopenblas -lcrypto)

build() {
  local exe="$OUT/$TARGET/$TARGET-fuzz"
  mkdir -p "$OUT/$TARGET"
  local sources=() objects=() extra=()
  case "$TARGET" in
    decoder) sources=(Sources/TxGuardContracts/*.swift fuzz/DecoderFuzz.swift) ;;
    label) sources=(Sources/TxGuardContracts/*.swift fuzz/LabelFuzz.swift) ;;
    safetensors) sources=(Sources/TxGuardEmbeddings/*.swift fuzz/SafetensorsFuzz.swift); extra=("${C_INCLUDES[@]}" "${C_LIBS[@]}") ;;
    model|snapshot)
      swift_module TxGuardContracts -- Sources/TxGuardContracts/*.swift
      swift_module TxGuardDetectors -- Sources/TxGuardDetectors/*.swift
      swift_module TxGuardEmbeddings "${C_INCLUDES[@]}" -- Sources/TxGuardEmbeddings/*.swift
      objects=("$B/TxGuardContracts.o" "$B/TxGuardDetectors.o" "$B/TxGuardEmbeddings.o")
      local harness=fuzz/ModelFuzz.swift; [[ "$TARGET" == snapshot ]] && harness=fuzz/SnapshotFuzz.swift
      sources=(Sources/TxGuardPipeline/*.swift "$harness"); extra=("${C_INCLUDES[@]}" "${C_LIBS[@]}") ;;
    config)
      local yams=.build/checkouts/Yams/Sources
      [[ -d "$yams" ]] || swift package resolve >/dev/null
      if ! newer "$B/CYaml.a" "$yams"/CYaml/src/*.c; then
        echo "[fuzz] compiling CYaml" >&2
        mkdir -p "$B/cyaml"
        for c in "$yams"/CYaml/src/*.c; do
          "$CLANG" -c -O1 -g -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_STATIC -I "$yams/CYaml/include" "$c" -o "$B/cyaml/$(basename "$c" .c).o"
        done
        rm -f "$B/CYaml.a"; ar rcs "$B/CYaml.a" "$B"/cyaml/*.o
      fi
      # As SwiftPM builds it: SWIFT_PACKAGE selects `import CYaml`, YAML_DECLARE_STATIC its linkage.
      swift_module Yams -D SWIFT_PACKAGE -Xcc -DYAML_DECLARE_STATIC -I "$yams/CYaml/include" -- "$yams"/Yams/*.swift
      objects=("$B/Yams.o" "$B/CYaml.a")
      sources=(Sources/txguard/RunSettingsFile.swift fuzz/ConfigFuzz.swift); extra=(-I "$yams/CYaml/include" -Xcc -DYAML_DECLARE_STATIC) ;;
    *) echo "unknown target $TARGET" >&2; exit 64 ;;
  esac
  if ! newer "$exe" "${sources[@]}" "${objects[@]}"; then
    echo "[fuzz] building $exe" >&2
    "$SWIFTC" "${FLAGS[@]}" -I "$B/modules" "${extra[@]}" "${sources[@]}" "${objects[@]}" -o "$exe"
  fi
}
build

mkdir -p "$OUT/$TARGET/corpus" "$OUT/$TARGET/artifacts"
args=(-max_total_time="$SECONDS_TO_RUN" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$OUT/$TARGET/artifacts/" -print_final_stats=1)
case "$TARGET" in
  decoder) args+=(-dict=fuzz/decoder.dict -max_len=8192) ;;   # the 10 MB case is a unit test
  label) args+=(-dict=fuzz/decoder.dict -max_len=4096) ;;
  config) args+=(-dict=fuzz/config.dict -max_len=4096) ;;
  safetensors) args+=(-dict=fuzz/safetensors.dict -max_len=4096) ;;
  model) args+=(-max_len=600000) ;;     # the seed model is ~0.3 MB of JSON
  snapshot) args+=(-max_len=65536) ;;
esac
# libFuzzer and ASan report crashes; Swift's own backtracer would get in their way (its memory
# reader trips ASan, and its orphaned helper keeps the log pipe open).
export SWIFT_BACKTRACE=enable=no
echo "[fuzz] running $TARGET for ${SECONDS_TO_RUN}s" >&2
"$OUT/$TARGET/$TARGET-fuzz" "$OUT/$TARGET/corpus" "fuzz/corpus/$TARGET" "${args[@]}" 2>&1 | tee "$OUT/$TARGET/fuzz.log"
exit "${PIPESTATUS[0]}"
