#!/usr/bin/env bash
# Compares Warden's PII/secret detectors with JavaScript libraries from npm
# (redact-pii, @openredaction/openredaction) on the same texts, and writes
# bench/pii/RESULTS.md. Run from anywhere; needs Go, Node 20, npm, the
# shared data folder (../shared/data) and, for the NER column, ONNX Runtime
# (scripts/fetch-onnxruntime.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
work=${WARDEN_BENCH_DIR:-/tmp/warden-bench-pii}
data=${WARDEN_SHARED_DATA:-../shared/data}

# npm packages, pinned in bench/pii/package.json, into bench/pii/node_modules.
# (--legacy-peer-deps: openredaction's optional peers, React and PDF/OCR
# tooling, are not needed for text.)
(cd bench/pii && npm install --no-audit --no-fund --legacy-peer-deps >/dev/null)

export WARDEN_ONNXRUNTIME_LIB=${WARDEN_ONNXRUNTIME_LIB:-$(scripts/fetch-onnxruntime.sh)}
go run ./bench/pii export -dir "$work" -data "$data"
go run ./bench/pii warden -dir "$work"
go run ./bench/pii warden -dir "$work" -ner
node bench/pii/bench.mjs redact-pii "$work"
node bench/pii/bench.mjs openredaction "$work"
go run ./bench/pii report -dir "$work" -out bench/pii/RESULTS.md
echo "wrote bench/pii/RESULTS.md"
