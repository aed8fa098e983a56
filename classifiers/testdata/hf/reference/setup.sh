#!/usr/bin/env bash
# Installs the reference tokenizer (tokenizers.js, as bundled by
# @huggingface/transformers) that the Go tokenizer parity tests run through
# node, from package-lock.json. Idempotent: skips npm when the installed tree
# matches the lock file. Needs node >= 18 and npm.
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null || { echo "hf reference: npm is required (apt-get install nodejs npm)" >&2; exit 1; }
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.warden-lock-sha256
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
