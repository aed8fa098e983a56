#!/usr/bin/env bash
# Installs the official provider SDKs the streams tests drive (openai,
# @anthropic-ai/sdk) from package-lock.json. Idempotent: skips npm when the
# installed tree matches the lock file. Needs node >= 20 and npm.
set -euo pipefail
cd "$(dirname "$0")"
command -v npm >/dev/null || { echo "streams clients: npm is required (apt-get install nodejs npm)" >&2; exit 1; }
want=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.warden-lock-sha256
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
echo "$want" >"$stamp"
