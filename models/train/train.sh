#!/usr/bin/env bash
# One command to rebuild models/injection/{model.onnx,manifest.json,parity.json}
# from ../shared/data:
#
#   models/train/train.sh            # shipped variant (folds, thresholds, export,
#                                    # then injection_stage.py: response-stage thresholds)
#   models/train/train.sh --compare  # every variant -> models/train/variants.json
#   models/train/train.sh harm       # models/harm/{model.onnx,manifest.json,parity.json}
#   models/train/train.sh suffix     # models/suffix: the adversarial-suffix detector (suffix.py)
#   models/train/train.sh short-calib  # short-text maps -> the short_calibration section of the
#                                    # injection, harm and suffix manifests (short_calib.py); rerun
#                                    # after retraining any of the three (TestShortCalibration)
#   models/train/train.sh cnn        # models/injection_cnn: the byte-level CNN (kind hf), the
#                                    # sequence-model family measured against the n-gram bag
#   models/train/train.sh harm --variant linear-c345 --no-export   # family comparison
#                                    # -> models/train/harm_variants.json
#
# Env: WARDEN_DATA (default ../shared/data, relative to the repository root),
#      WARDEN_WORK (scratch dir, default /tmp/warden-models-work),
#      PYTHON (default /usr/bin/python3: Debian's torch 1.13 + onnx 1.12).
set -euo pipefail
cd "$(dirname "$0")/../.."
export WARDEN_WORK=${WARDEN_WORK:-/tmp/warden-models-work}
export WARDEN_DATA=${WARDEN_DATA:-../shared/data}
PYTHON=${PYTHON:-/usr/bin/python3}
mkdir -p "$WARDEN_WORK/bin"
go build -o "$WARDEN_WORK/bin/featurize" ./models/featurize
export WARDEN_FEATURIZE="$WARDEN_WORK/bin/featurize"
# single-threaded, deterministic
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 PYTHONHASHSEED=0
if [ "${1:-}" = cnn ]; then
  # the byte-level CNN (kind hf) -> models/injection_cnn; its manifest is
  # written by hfmanifest, which reads the graph with ONNX Runtime
  shift
  go build -o "$WARDEN_WORK/bin/hfmanifest" ./classifiers/tokenizer/cmd/hfmanifest
  export WARDEN_HFMANIFEST="$WARDEN_WORK/bin/hfmanifest"
  WARDEN_ONNXRUNTIME_LIB=${WARDEN_ONNXRUNTIME_LIB:-$(scripts/fetch-onnxruntime.sh)}
  export WARDEN_ONNXRUNTIME_LIB
  exec "$PYTHON" models/train/pipeline.py --variant cnn-byte-k357 --out models/injection_cnn "$@"
fi
if [ "${1:-}" = suffix ]; then
  # the adversarial-suffix detector -> models/suffix; its report needs the
  # injection recipe's leave-one-group-out scores (pipeline.py writes them)
  shift
  case " $* " in *" --parity-only "*) exec "$PYTHON" models/train/suffix.py --out models/suffix "$@" ;; esac
  shipped=$("$PYTHON" -c 'import sys; sys.path.insert(0, "models/train"); import pipeline; print(pipeline.SHIPPED)')
  base="$WARDEN_WORK/folds-$shipped.npz"
  if [ ! -f "$base" ]; then
    "$PYTHON" models/train/pipeline.py --variants "$shipped" --exp-out "$WARDEN_WORK/injection-recipe.json"
  fi
  exec "$PYTHON" models/train/suffix.py --base "$base" --out models/suffix "$@"
fi
if [ "${1:-}" = short-calib ]; then
  shift
  shipped=$("$PYTHON" -c 'import sys; sys.path.insert(0, "models/train"); import pipeline; print(pipeline.SHIPPED)')
  base="$WARDEN_WORK/folds-$shipped.npz"
  if [ ! -f "$base" ]; then
    "$PYTHON" models/train/pipeline.py --variants "$shipped" --exp-out "$WARDEN_WORK/injection-recipe.json"
  fi
  exec "$PYTHON" models/train/short_calib.py --base "$base" --write --summary models/train/short_calib.json "$@"
fi
if [ "${1:-}" = harm ]; then
  shift
  "$PYTHON" models/train/harm.py "$@"
  out=models/harm
  prev=
  for a in "$@"; do
    case "$prev" in --out) out=$a ;; esac
    case "$a" in --out=*) out=${a#--out=} ;; --no-export|--parity-only) exit 0 ;; esac
    prev=$a
  done
  # response-stage thresholds and metrics -> $out/manifest.json
  exec "$PYTHON" models/train/harm_stage.py "$out"
fi
"$PYTHON" models/train/pipeline.py "$@"
out=models/injection
prev=
for a in "$@"; do
  case "$prev" in --out) out=$a ;; esac
  case "$a" in --out=*) out=${a#--out=} ;; --compare|--exp|--exp=*|--parity-only) exit 0 ;; esac
  prev=$a
done
# response-stage thresholds and metrics -> $out/manifest.json
exec "$PYTHON" models/train/injection_stage.py "$out"
