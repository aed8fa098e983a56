#!/usr/bin/env bash
# How often the default policy blocks or escalates benign prompts: every
# benign set the shipped classifiers did not train on (bench/benign/sets.py
# says which and why), through the whole pipeline with `warden eval`.
#
#   make build && bench/benign/run.sh            # summary per set
#   OUT=/tmp/benign bench/benign/run.sh          # keep the JSONL, text and JSON reports
#   SHOW=1 bench/benign/run.sh                   # also list the flagged prompts
#   SETS=structured bench/benign/run.sh          # pasted code, docs and markup instead
#                                                # (bench/benign/structured.py: this
#                                                # machine's Go tree, Python library, docs)
#
# Env: WARDEN_DATA (default ../shared/data), WARDEN_ONNXRUNTIME_LIB (default:
# scripts/fetch-onnxruntime.sh), WARDEN_BIN (default bin/warden).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${WARDEN_DATA:-../shared/data}
bin=${WARDEN_BIN:-bin/warden}
out=${OUT:-$(mktemp -d)}
export WARDEN_ONNXRUNTIME_LIB=${WARDEN_ONNXRUNTIME_LIB:-$(scripts/fetch-onnxruntime.sh)}
case ${SETS:-prompts} in
  prompts) python3 bench/benign/sets.py "$data" "$out" >/dev/null ;;
  structured) python3 bench/benign/structured.py "$(go env GOROOT)" "$out" >/dev/null ;;
  *) echo "SETS: prompts or structured, not ${SETS}" >&2; exit 2 ;;
esac
total=0 flagged=0
for f in "$out"/*.jsonl; do
  name=$(basename "$f" .jsonl)
  "$bin" eval -concurrency 2 -progress off -json "$out/$name.json" -rows "$out/$name.rows.jsonl" "$f" >"$out/$name.txt"
  line=$(grep -E '^benign rows' "$out/$name.txt")
  n=$(sed -E 's/^benign rows ([0-9]+):.*/\1/' <<<"$line")
  k=$(sed -E 's/.*blocked or escalated [0-9.]+% \(([0-9]+)\).*/\1/' <<<"$line")
  cats=$(awk '/^category/{on=1; next} on && NF==0 {on=0} on && $NF!="0.0%" {printf "%s %s  ", $1, $NF}' "$out/$name.txt")
  printf '%-16s %5d prompts  blocked or escalated %5.1f %% (%d)  %s\n' "$name" "$n" "$(awk -v k="$k" -v n="$n" 'BEGIN{print 100*k/n}')" "$k" "$cats"
  # fragments are not whole prompts: kept out of the total (comparable with earlier runs)
  [ "$name" = short-fragments ] || { total=$((total + n)) flagged=$((flagged + k)); }
done
printf '%-16s %5d prompts  blocked or escalated %5.1f %% (%d)\n' "$([ "${SETS:-prompts}" = prompts ] && echo "all but short" || echo all)" "$total" "$(awk -v k="$flagged" -v n="$total" 'BEGIN{print 100*k/n}')" "$flagged"
if [ -n "${SHOW:-}" ]; then
  # The flagged prompts themselves (row results joined to the input by line).
  python3 - "$out" <<'PY'
import glob, json, os, sys
for rows in sorted(glob.glob(os.path.join(sys.argv[1], "*.rows.jsonl"))):
    name = os.path.basename(rows)[:-len(".rows.jsonl")]
    texts = [json.loads(l)["text"] for l in open(os.path.join(sys.argv[1], name + ".jsonl"), encoding="utf-8")]
    for l in open(rows, encoding="utf-8"):
        r = json.loads(l)
        if r["flagged"]:
            print("%-16s %-8s %-28s %s" % (name, r["action"], ",".join(r.get("rules", [])), texts[r["line"] - 1][:120].replace("\n", " ")))
PY
fi
echo "reports in $out"
