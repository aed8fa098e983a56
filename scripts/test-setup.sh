#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine: ONNX Runtime
# (user cache), and, as the suite grows, system packages and npm packages.
# Idempotent; safe to run on every `make test`.
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
