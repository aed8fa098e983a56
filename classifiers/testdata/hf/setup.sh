#!/usr/bin/env bash
# Prepares what the HF tests need:
#   1. the reference tokenizer (npm, reference/setup.sh);
#   2. the tiny transformer (tiny/build.py with Debian's python3-torch at
#      /usr/bin/python3), rebuilt only when its inputs change: the digest of
#      build.py, cases.json and the WordPiece fixture is kept in
#      tiny/out/inputs.sha256 (the Go tests check it too).
set -euo pipefail
cd "$(dirname "$0")"
reference/setup.sh
py=${WARDEN_TORCH_PYTHON:-/usr/bin/python3}
want=$(cat tiny/build.py tiny/cases.json tokenizers/wordpiece/tokenizer.json | sha256sum | cut -d' ' -f1)
if [[ -f tiny/out/inputs.sha256 && $(cat tiny/out/inputs.sha256) == "$want" && -f tiny/out/model.onnx ]]; then
  exit 0
fi
"$py" -c 'import torch' 2>/dev/null || { echo "hf setup: $py cannot import torch (apt-get install python3-torch python3-onnx)" >&2; exit 1; }
rm -rf tiny/out.tmp
"$py" tiny/build.py tiny/out.tmp
echo "$want" >tiny/out.tmp/inputs.sha256
rm -rf tiny/out
mv tiny/out.tmp tiny/out
