#!/usr/bin/env bash
# The gates a candidate model must pass before it replaces a shipped one, in
# one command: it runs the candidate in place of the shipped model of the
# same name through the repository's own checks, in a git worktree of HEAD
# (uncommitted changes are not in it), with the default policy's thresholds
# for its categories taken from its manifest the way the shipped ones were.
#
#   models/train/candidate.sh DIR       # DIR: train.sh --out DIR (model.onnx, manifest.json, parity.json)
#
#   0. short_calib.py: the short-text maps of the three bags, refit with the
#      candidate in place (the manifests in the tree get them);
#   1. go test ./models/ ./internal/check/: parity of ONNX Runtime with the
#      exported weights, the model sanity tests and the regression cases
#      (internal/check/testdata/cases) through the whole guard;
#   2. bench/benign/run.sh: benign prompts blocked or escalated, per set, and
#      the same for pasted code, docs and markup (SETS=structured; reported,
#      not a gate: compare with the shipped model's figures in
#      docs/benchmarks.md);
#   3. bench/load on a server with the candidate, attack-free mix of 1 KB
#      texts (-mix no-attacks, closed loop): no check may escalate.
#
# The model's name is read from DIR/manifest.json (injection, harm or suffix;
# suffix keeps the policy as it is: its thresholds are the injection model's). An
# injection candidate whose jailbreak thresholds moved fails TestSuffixManifest in
# step 1: train a suffix model against it (suffix.py --injection DIR) and ship both. Env:
# WARDEN_DATA (default ../shared/data), WARDEN_ONNXRUNTIME_LIB (default:
# scripts/fetch-onnxruntime.sh), OUT (reports; default a temporary
# directory), N (requests of the load run, default 6000), PORT (default 18391).
set -euo pipefail
unset WARDEN_MODELS_DIR WARDEN_TEST_MODELS
dir=$(cd "${1:?usage: candidate.sh DIR}" && pwd)
cd "$(dirname "$0")/../.."
export WARDEN_DATA=${WARDEN_DATA:-../shared/data}
export WARDEN_ONNXRUNTIME_LIB=${WARDEN_ONNXRUNTIME_LIB:-$(scripts/fetch-onnxruntime.sh)}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$dir/manifest.json")
case "$name" in injection | harm | suffix) ;; *) echo "candidate.sh: model $name: want injection, harm or suffix" >&2; exit 2 ;; esac

# A checkout of HEAD (git worktree) with the candidate in place of the
# shipped model: the tests read models/ from the tree and the binary embeds it.
tree="$out/tree"
git worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
git worktree add -q --detach "$tree" HEAD
cleanup() { git worktree remove --force "$tree" 2>/dev/null || true; }
trap cleanup EXIT
cp "$dir/model.onnx" "$dir/manifest.json" "$dir/parity.json" "$tree/models/$name/"
# The default policy's thresholds come from the manifest (models_test.go
# checks injection's): injection escalates and blocks at the manifest's
# prompt points and escalates at its response point; harm escalates at the
# manifest's *block* points (prompt and response) and keeps the policy's
# own block points (models/README.md, "Recommended thresholds").
python3 - "$name" "$dir/manifest.json" "$tree/policy/bundle/warden/data.json" <<'PY'
import json, sys
name, mpath, dpath = sys.argv[1:]
m = json.load(open(mpath))
if name == "suffix":
    sys.exit(0)  # its thresholds are the injection model's jailbreak thresholds (suffix.py aligns them)
resp = m["training"].get("thresholds_by_stage", {}).get("response")
if not resp:
    sys.exit("candidate.sh: the manifest has no response-stage thresholds (has train.sh finished?)")
d = json.load(open(dpath))
thr = d["config"]["defaults"]["thresholds"]
for c, t in m["thresholds"].items():
    if name == "injection":
        thr["prompt"][c] = {"block": t["block"], "escalate": t["escalate"]}
        thr["response"][c] = {"escalate": resp[c]["escalate"]}
        continue
    for stage, point in (("prompt", t["block"]), ("response", resp[c]["block"])):
        thr[stage].setdefault(c, {})["escalate"] = point
        if thr[stage][c].get("block", 1) <= point:
            print("   warning: %s %s escalates at %.3f, not below the policy's block %.3f" % (stage, c, point, thr[stage][c]["block"]))
json.dump(d, open(dpath, "w"), ensure_ascii=False)
PY
echo "== candidate $name $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$dir/manifest.json") in $tree (HEAD $(git rev-parse --short HEAD))"

# The short-text maps of every bag are fit against the models and the
# policy as they now are in the tree (train.sh short-calib writes them into
# the manifests; a freshly trained manifest has none, and moved thresholds
# move the maps). Ship the candidate's manifest from $tree/models/$name.
echo "== 0. short-text maps (short_calib.py in the tree; ~4 minutes)"
mkdir -p "$out/bin" "$out/work/bin"
(cd "$tree" && go build -o "$out/work/bin/featurize" ./models/featurize)
data_abs=$(cd "$WARDEN_DATA" && pwd)
(cd "$tree" && WARDEN_DATA="$data_abs" WARDEN_WORK="$out/work" WARDEN_FEATURIZE="$out/work/bin/featurize" OMP_NUM_THREADS=1 \
  MKL_NUM_THREADS=1 PYTHONHASHSEED=0 "${PYTHON:-/usr/bin/python3}" models/train/short_calib.py --write \
  --summary "$out/short_calib.json" >"$out/short_calib.log" 2>&1) || { echo "   FAILED ($out/short_calib.log)"; exit 1; }
echo "   maps written into $tree/models/{injection,harm,suffix}/manifest.json (figures: $out/short_calib.json)"

echo "== 1. parity, sanity and regression cases"
status=0
(cd "$tree" && go test -count=1 ./models/ ./internal/check/) >"$out/tests.txt" 2>&1 || status=$?
grep -E '^(ok|FAIL|---)' "$out/tests.txt" || true
[ $status -eq 0 ] || echo "   FAILED (go test output: $out/tests.txt)"

echo "== 2. benign prompts"
(cd "$tree" && go build -o "$out/bin/warden" ./cmd/warden && go build -o "$out/bin/load" ./bench/load)
WARDEN_BIN="$out/bin/warden" OUT="$out/benign" bench/benign/run.sh | tee "$out/benign.txt"
WARDEN_BIN="$out/bin/warden" OUT="$out/structured" SETS=structured bench/benign/run.sh | tee "$out/structured.txt"

echo "== 3. attack-free mix (1 KB texts)"
port=${PORT:-18391}
data=$(mktemp -d)
WARDEN_CHECK_TIMEOUT=30s WARDEN_DATA_DIR="$data" WARDEN_ADDR=127.0.0.1:$port WARDEN_KAFKA_ADDR=127.0.0.1:$((port + 1)) \
  WARDEN_LOG_LEVEL=warn "$out/bin/warden" serve >"$out/serve.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$data"; cleanup' EXIT
for _ in $(seq 300); do
  curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "server exited (log: $out/serve.log)" >&2; exit 1; }
  sleep 0.2
done
"$out/bin/load" -url "http://127.0.0.1:$port/v1/check" -mix no-attacks -c 2 -n "${N:-6000}" -pid "$pid" | tee "$out/load.txt"
# The mix carries PII and secrets (redact) but no attack: no check may
# escalate (with the shipped models and N=6000: allow 585, redact 5415;
# compare the counts too). The gate is about the models' decisions, not
# speed: closed loop, and a check timeout that a busy machine does not
# reach (a timed-out check fails closed, which would read as a block).
if grep -qE 'actions map\[.*escalate' "$out/load.txt"; then
  echo "   attack-free mix: some checks escalated"
  status=1
else
  echo "   attack-free mix: no check escalated"
fi
echo "== reports in $out"
exit $status
