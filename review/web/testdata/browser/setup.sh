#!/usr/bin/env bash
# Installs the browser tests' npm packages (playwright-core, pinned by
# package-lock.json) into node_modules. Chromium itself comes from Debian
# (apt-get install -y chromium): playwright-core downloads no browser.
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
