#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: ONNX Runtime
# (user cache), the system packages named as arguments (apt, only when
# missing) and the npm packages of the Node test clients (npm ci from their
# lock files). Idempotent; safe to run on every `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/fetch-onnxruntime.sh >/dev/null

# System packages (only when missing; needs root or sudo).
need=()
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# npm packages for the tests that drive real clients: the official OpenAI
# and Anthropic SDKs (streams) and playwright-core for Chromium (review UI).
command -v npm >/dev/null || { echo "test-setup: npm is required (apt-get install nodejs npm)" >&2; exit 1; }
streams/testdata/clients/setup.sh
review/web/testdata/browser/setup.sh
# The reference tokenizer (transformers.js' tokenizers) and the tiny
# transformer the users'-own-model tests load (built with Debian's torch).
classifiers/testdata/hf/setup.sh
