#!/usr/bin/env bash
# Trains Warden's PERSON/LOCATION tagger end to end with one seed and
# writes models/ner/{ner.onnx,manifest.json}:
#
#   1. nertrain data      featurise Presidio synthetic data + generated
#                         sentences (classifiers/detect/nerfeat, the same
#                         code that serves) into WORK;
#   2. train.py           train the convolutional tagger with Debian's torch
#                         (/usr/bin/python3) and export ONNX;
#   3. nertrain manifest  verify through the serving code with real ONNX
#                         Runtime, choose the threshold on dev, record test
#                         metrics, sha256 and provenance.
#
# Takes a few minutes on 2 cores. Env: WARDEN_SHARED_DATA (default
# ../shared/data), WORK (default /tmp/warden-nertrain), SEED (default 1).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${WARDEN_SHARED_DATA:-../shared/data}
work=${WORK:-/tmp/warden-nertrain}
seed=${SEED:-1}
lib=${WARDEN_ONNXRUNTIME_LIB:-$(scripts/fetch-onnxruntime.sh)}

go run ./models/nertrain data -data "$data" -work "$work" -seed "$seed" >/dev/null
/usr/bin/python3 models/nertrain/train.py --work "$work" --out models/ner --seed "$seed" \
  --epochs 12 --dim 24 --hidden 64 --version 1.0.0
go run ./models/nertrain manifest -work "$work" -model models/ner -ort "$lib"
