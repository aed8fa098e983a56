"""Response-stage thresholds and metrics for the exported harm model.

Run by `models/train/train.sh harm` after harm.py (or alone):

  /usr/bin/python3 models/train/harm_stage.py [models/harm]

It rebuilds the same corpus and splits, scores the dev and test splits with
the *exported* weights (fp16 embedding, folded calibration: exactly what is
served), chooses response-stage thresholds with the prompt-stage rule on the
benign *response* families of the dev split, and writes them into the
manifest (training.thresholds_by_stage, metrics.response_stage). The
manifest's top-level thresholds stay the prompt-stage ones.
"""

import collections
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import feats  # noqa: E402
import harm as HM  # noqa: E402
import harm_data as H  # noqa: E402
import model as M  # noqa: E402
import pipeline as P  # noqa: E402

RESPONSE_FAMILIES = {"codealpaca/output", "self-instruct/output", "dices", "diasafety"}
RESPONSE_NEG_SOURCES = ["codealpaca/output", "self-instruct/output", "dices/safe", "diasafety/response"]


def probs(W, Fe, idx):
    """Per-text probabilities (max over windows) of the exported weights."""
    out = np.zeros((len(idx), W["W2"].shape[1]), np.float32)
    for n, t in enumerate(idx):
        out[n] = M.text_window_probs(W, Fe, t).max(axis=0)
    return out


def family(s):
    if s in ("codealpaca/output", "self-instruct/output"):
        return s
    return s.split("/")[0]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HM.REPO, "models", "harm")
    man_path = os.path.join(out, "manifest.json")
    man = json.load(open(man_path), object_pairs_hook=collections.OrderedDict)
    data_root = os.environ.get("WARDEN_DATA") or os.path.join(HM.REPO, "..", "shared", "data")
    data_root = os.path.normpath(data_root if os.path.isabs(data_root) else os.path.join(HM.REPO, data_root))
    work = os.environ.get("WARDEN_WORK", "/tmp/warden-models-work")
    fbin = os.environ.get("WARDEN_FEATURIZE", os.path.join(work, "bin", "featurize"))
    c = H.build(data_root, fbin)
    texts = [r["text"] for r in c.records]
    Fe = feats.featurize(fbin, texts, man["featurizer"], man["window"]["runes"], man["window"]["overlap"], work)
    W = M.load_weights(os.path.join(out, man["file"]))
    y = np.array([r["y"] for r in c.records], dtype=np.int64)
    split = np.array([r["split"] for r in c.records])
    src = np.array([r["source"] for r in c.records], dtype=object)
    kind = np.array([r["kind"] for r in c.records], dtype=object)
    LABELS = man["labels"]
    fam = np.array([family(s) for s in src], dtype=object)
    allneg = (y == 0).all(1) | ((y <= 0).all(1) & (src == "diasafety/response"))
    dv = np.where((split == "dev") & np.isin(fam, list(RESPONSE_FAMILIES)) & allneg)[0]
    pdv = probs(W, Fe, dv)
    prompt_thr = man["thresholds"]
    resp_thr, detail = {}, {}
    for l, name in enumerate(LABELS):
        resp_thr[name] = {}
        for op, (mean_fpr, max_fpr) in HM.TARGET_FPR.items():
            t = HM.threshold_rule(pdv[:, l], [fam[i] for i in dv], mean_fpr, max_fpr)
            # never below the prompt-stage threshold: the response stage is not more permissive of FPs
            resp_thr[name][op] = max(t, prompt_thr[name][op])
            detail.setdefault(name, {})[op + "_rule"] = t
        resp_thr[name]["escalate"] = min(resp_thr[name]["escalate"], resp_thr[name]["block"])
    # response-stage test metrics: positives and negatives of response sources
    te = np.where((split == "test") & (kind == "response"))[0]
    pt = probs(W, Fe, te)
    metrics = {"thresholds_rule_detail": detail, "by_label": {}, "fpr_test": {}}
    for l, name in enumerate(LABELS):
        k = y[te, l] >= 0
        if np.sum(y[te, l][k] == 1) >= 3:
            metrics["by_label"][name] = P.summary(y[te, l][k], pt[k, l], resp_thr[name])
    anyh = np.array([bool(c.records[i]["anyharm"]) for i in te])
    k = anyh & ~(y[te] == 1).any(1)
    if k.any():
        hb = np.zeros(int(k.sum()), bool)
        he = np.zeros(int(k.sum()), bool)
        for l, name in enumerate(LABELS):
            hb |= pt[k, l] >= resp_thr[name]["block"]
            he |= pt[k, l] >= resp_thr[name]["escalate"]
        metrics["anyharm_recall_test"] = dict(sources=sorted(set(src[te][k])), n=int(k.sum()),
                                              any_block=round(float(hb.mean()), 4), any_escalate=round(float(he.mean()), 4))
    for s in RESPONSE_NEG_SOURCES:
        kk = (src[te] == s) & allneg[te]
        if not kk.any():
            continue
        e = dict(n=int(kk.sum()))
        for stage, th in (("response_thresholds", resp_thr), ("prompt_thresholds", prompt_thr)):
            hb = np.zeros(int(kk.sum()), bool)
            for l, name in enumerate(LABELS):
                hb |= pt[kk, l] >= th[name]["block"]
            e["any_block_at_" + stage] = round(float(hb.mean()), 4)
            he = np.zeros(int(kk.sum()), bool)
            for l, name in enumerate(LABELS):
                he |= pt[kk, l] >= th[name]["escalate"]
            e["any_escalate_at_" + stage] = round(float(he.mean()), 4)
        metrics["fpr_test"][s] = e
    write_stage(man_path, man, prompt_thr, resp_thr, metrics,
                "prompt: the manifest thresholds. response: the same rule on the benign response families of the dev "
                "split (codealpaca outputs, self-instruct outputs, DICES safe replies, DiaSafety replies without a "
                "positive label), final model only, never below the prompt threshold")


def write_stage(man_path, man, prompt_thr, resp_thr, metrics, how):
    """Writes response-stage thresholds (training.thresholds_by_stage) and
    metrics (metrics.response_stage) into the manifest at man_path; the
    top-level thresholds stay the prompt-stage ones."""
    man["training"]["thresholds_by_stage"] = collections.OrderedDict(prompt=prompt_thr, response=resp_thr, how=how)
    man["metrics"]["response_stage"] = metrics
    with open(man_path, "w") as f:
        json.dump(man, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(json.dumps(dict(response=resp_thr, metrics=metrics), indent=1))


if __name__ == "__main__":
    main()
