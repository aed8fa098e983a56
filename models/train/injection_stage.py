"""Response-stage thresholds and metrics for the exported injection model.

Run by `models/train/train.sh` after pipeline.py (or alone):

  /usr/bin/python3 models/train/injection_stage.py [models/injection]

A model's answer can carry an injection too: a retrieved document, a tool
result or a quoted attack that the next step (an agent, a tool, another
model) would read as instructions. This scores benign *responses* with the
exported weights (exactly what is served), chooses response-stage
thresholds with the prompt-stage rule (every benign family of the dev half
at most 0.5 % / 2 % false positives, never below the prompt threshold),
and writes them into the manifest with stages ["prompt", "response"]
(training.thresholds_by_stage, metrics.response_stage). The top-level
thresholds stay the prompt-stage ones.

Benign responses, none of them trained on by this model: CodeAlpaca
outputs of the injection corpus's dev/test splits (its train split was
trained on), self-instruct first outputs and DICES safe replies (not in the
injection corpus at all; split as in the harm corpus). Recall is measured
on the injection corpus's test positives read as responses (direct attacks,
jailbreak templates and injections embedded in documents).
"""

import collections
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data as D  # noqa: E402
import feats  # noqa: E402
import harm_data as H  # noqa: E402
import harm_stage as HS  # noqa: E402
import model as M  # noqa: E402
import pipeline as P  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
LABELS = ["prompt_injection", "jailbreak"]
KEYS = {"prompt_injection": "pi", "jailbreak": "jb"}
FROM_INJECTION = {"codealpaca/output"}
FROM_HARM = {"self-instruct/output", "dices/safe"}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "models", "injection")
    man_path = os.path.join(out, "manifest.json")
    man = json.load(open(man_path), object_pairs_hook=collections.OrderedDict)
    data_root = os.environ.get("WARDEN_DATA") or os.path.join(REPO, "..", "shared", "data")
    data_root = os.path.normpath(data_root if os.path.isabs(data_root) else os.path.join(REPO, data_root))
    work = os.environ.get("WARDEN_WORK", "/tmp/warden-models-work")
    fbin = os.environ.get("WARDEN_FEATURIZE", os.path.join(work, "bin", "featurize"))

    ic = D.build(data_root, fbin)
    hc = H.build(data_root, fbin)
    trained = {D.norm_key(r["text"]) for r in ic.records if r["split"] == "train"}
    rows = []  # (text, source, split, pi, jb)
    for r in ic.records:
        if r["source"] in FROM_INJECTION and r["split"] in ("dev", "test"):
            rows.append((r["text"], r["source"], r["split"], 0, 0))
        elif r["split"] == "test" and (r["pi"] == 1 or r["jb"] == 1):
            rows.append((r["text"], r["source"], "test", r["pi"], r["jb"]))
    for r in hc.records:
        if r["source"] in FROM_HARM and r["split"] in ("dev", "test") and D.norm_key(r["text"]) not in trained:
            rows.append((r["text"], r["source"], r["split"], 0, 0))
    texts = [t for t, *_ in rows]
    Fe = feats.featurize(fbin, texts, man["featurizer"], man["window"]["runes"], man["window"]["overlap"], work)
    W = M.load_weights(os.path.join(out, man["file"]))
    p = HS.probs(W, Fe, range(len(rows)))
    src = np.array([s for _, s, *_ in rows], dtype=object)
    split = np.array([s for _, _, s, *_ in rows], dtype=object)
    y = np.array([[a, b] for *_, a, b in rows], dtype=np.int64)
    neg = (y <= 0).all(1) & np.isin(src, list(FROM_INJECTION | FROM_HARM))

    prompt_thr = {n: {"block": man["thresholds"][n]["block"], "escalate": man["thresholds"][n]["escalate"]} for n in LABELS}
    resp_thr, detail = {}, {}
    dv = np.where(neg & (split == "dev"))[0]
    for l, name in enumerate(LABELS):
        resp_thr[name] = {}
        for op, fpr in P.TARGET_FPR.items():
            t = P.threshold_for_fpr(p[dv, l], fpr, src[dv])
            resp_thr[name][op] = max(t, prompt_thr[name][op])
            detail.setdefault(name, {})[op + "_rule"] = t
            detail[name][op + "_per_family"] = P.family_thresholds(p[dv, l], src[dv], fpr)
        resp_thr[name]["escalate"] = min(resp_thr[name]["escalate"], resp_thr[name]["block"])

    te = split == "test"
    metrics = {"thresholds_rule_detail": detail, "fpr_test": {}, "recall_test": {}}
    for s in sorted(FROM_INJECTION | FROM_HARM):
        k = te & neg & (src == s)
        if not k.any():
            continue
        e = dict(n=int(k.sum()))
        for name in LABELS:
            l = LABELS.index(name)
            for op in ("escalate", "block"):
                e["%s_%s" % (name, op)] = round(float(np.mean(p[k, l] >= resp_thr[name][op])), 4)
                e["%s_%s_at_prompt_thresholds" % (name, op)] = round(float(np.mean(p[k, l] >= prompt_thr[name][op])), 4)
        metrics["fpr_test"][s] = e
    for l, name in enumerate(LABELS):
        k = te & ((y[:, l] == 1) | neg)
        metrics["recall_test"][name] = P.summary(y[k, l], p[k, l], resp_thr[name])
        groups = collections.Counter(src[te & (y[:, l] == 1)])
        metrics["recall_test"][name]["positives_by_source"] = dict(sorted(groups.items()))
    composed = te & (src == "composed/indirect-pi")
    if composed.any():
        l = LABELS.index("prompt_injection")
        metrics["recall_test"]["indirect_in_documents"] = dict(
            n=int(composed.sum()),
            escalate=round(float(np.mean(p[composed, l] >= resp_thr["prompt_injection"]["escalate"])), 4),
            block=round(float(np.mean(p[composed, l] >= resp_thr["prompt_injection"]["block"])), 4))

    man["stages"] = ["prompt", "response"]
    HS.write_stage(man_path, man, prompt_thr, resp_thr, metrics,
                   "prompt: the manifest thresholds. response: the prompt rule (every benign family <= 0.5 % block / "
                   "2 % escalate) on benign responses of the dev half never trained on (CodeAlpaca outputs of the "
                   "injection corpus's dev split, self-instruct first outputs, DICES safe replies), final model only, "
                   "never below the prompt threshold")


if __name__ == "__main__":
    main()
