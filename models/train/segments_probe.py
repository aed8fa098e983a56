"""Measured, not shipped: score a text as the max over its 256-rune windows
*and* each of its lines and sentences alone (does a sentence diluted in a
window hide an attack?). Same corpus, splits, folds, calibration and
threshold rule as the shipped recipe (pipeline.SHIPPED).

    WARDEN_WORK=DIR python3 models/train/segments_probe.py eval OUT.json [MIN_RUNES]
        the model trains on windows as shipped; scoring (calibration,
        thresholds, every metric) takes the segments too
    ... mil OUT.json: training sees the segments as extra windows as well
        (multiple-instance learning; ~2.3x the windows; not run)

Run after train.sh has built WARDEN_WORK/bin/featurize. The segmentation
is this file's regular expression (line breaks, sentence ends), not Go
code: a probe, not a serving path. Results: train/pool_variants.json
("mlp64-c345-w256-mm-tags-segments-eval"); models/README.md "Limitations".
"""
import json
import os
import re
import sys
import types

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa
import feats  # noqa
import model as M  # noqa
import pipeline as P  # noqa

mode, out = sys.argv[1], sys.argv[2]
minr = int(sys.argv[3]) if len(sys.argv) > 3 else 1
SEG = re.compile(r"\n+|(?<=[.!?;])\s+|(?<=[\u3002\uff01\uff1f\uff1b])\s*")


def segments(t):
    parts = [p.strip() for p in SEG.split(t)]
    parts = [p for p in parts if p and len(p) >= minr]
    return parts if len(parts) >= 2 else []


data_root = os.environ.get("WARDEN_DATA") or os.path.join("..", "shared", "data")
data_root = os.path.normpath(data_root if os.path.isabs(data_root) else os.path.join(P.REPO, data_root))
work = os.environ["WARDEN_WORK"]
fbin = os.path.join(work, "bin", "featurize")
v = P.VARIANTS[P.SHIPPED]
corpus = data.build(data_root, fbin)
texts = [r["text"] for r in corpus.records]
fcfg = P.featurizer_cfg(v)
tcfg = dict(P.BASE_TRAIN, **v["train"], buckets=fcfg["buckets"])
win = v["window"]
F = feats.featurize(fbin, texts, fcfg, win["runes"], win["overlap"], work)
segs, sown = [], []
for i, t in enumerate(texts):
    for s in segments(t):
        segs.append(s)
        sown.append(i)
P.log("segments: %d from %d texts" % (len(segs), len(set(sown))))
S = feats.featurize(fbin, segs, fcfg, win["runes"], win["overlap"], work)
# merge: windows of text t, then windows of its segments
sown = np.asarray(sown, dtype=np.int64)
w_owner = np.concatenate([F.owner.astype(np.int64), sown[S.owner]])
w_src = np.concatenate([np.zeros(F.n_windows, np.int8), np.ones(S.n_windows, np.int8)])
w_idx = np.concatenate([np.arange(F.n_windows), np.arange(S.n_windows)])
order = np.argsort(w_owner, kind="stable")
lens = np.where(w_src == 0, np.diff(F.offsets)[np.minimum(w_idx, F.n_windows - 1)],
                np.diff(S.offsets)[np.minimum(w_idx, S.n_windows - 1)])
lens = lens[order]
offs = np.zeros(len(order) + 1, np.int64)
np.cumsum(lens, out=offs[1:])
ids = np.empty(offs[-1], np.int32)
k = 0
for o in order:
    if w_src[o] == 0:
        a, b = F.offsets[w_idx[o]], F.offsets[w_idx[o] + 1]
        ids[k:k + b - a] = F.ids[a:b]
    else:
        a, b = S.offsets[w_idx[o]], S.offsets[w_idx[o] + 1]
        ids[k:k + b - a] = S.ids[a:b]
    k += b - a
FA = feats.Feats(ids, offs, w_owner[order].astype(np.int32), len(texts))
P.log("augmented windows: %d (was %d)" % (FA.n_windows, F.n_windows))

tr = types.ModuleType("segtrainer")
tr.train = lambda Fx, *a, **kw: M.train(FA if mode == "mil" else F, *a, **kw)
tr.score = lambda m, Fx, idx, **kw: M.score(m, FA, idx, **kw)
sys.modules["segtrainer"] = tr
res, m, calib, run = P.evaluate_variant(corpus, F, tcfg, folds=True, trainer=tr)
for k in ("_test_scores", "_fold_scores", "_dev_negs"):
    res.pop(k, None)
json.dump(res, open(out, "w"), indent=1, sort_keys=True, default=float)
P.log("summary %s thresholds %s" % (json.dumps(res["summary"]), res["thresholds"]))
