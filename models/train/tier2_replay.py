"""Replays the second-tier Router (classifiers.Tier: band, Scale, replace)
on saved scores of the first-tier bag and the byte CNN, for the cross-source
figures of models/README.md ("What the band buys, measured"):

  /usr/bin/python3 models/train/tier2_replay.py                 # default bands + two wide settings
  /usr/bin/python3 models/train/tier2_replay.py 'prompt_injection=0.1:0.94,jailbreak=0.1:0.9855'

Reads, from WARDEN_WORK (default /tmp/warden-models-work), the
leave-one-group-out scores (folds-<variant>.npz) and the test-split scores
(scores-<variant>.npz) that pipeline.py saves for the variants named in
models/injection/manifest.json and models/injection_cnn/manifest.json, so both
must have been trained with folds on the current corpus (train.sh, and
train.sh cnn [--variants cnn-byte-k357 --exp-out FILE]). Thresholds come from
the two manifests, as at serving time.
"""

import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import data  # noqa: E402
import pipeline as P  # noqa: E402

MODELS = os.path.dirname(HERE)


def band_default(thr):
    """classifiers.DefaultBand: half the lowest threshold to halfway
    between the highest and 1."""
    lo, hi = min(thr.values()), max(thr.values())
    return lo / 2, hi + (1 - hi) / 2


def scale(x, frm, to):
    """classifiers.Scale.Apply: piecewise linear through (0,0), the second
    tier's escalate and block onto the first tier's, and (1,1)."""
    xs = [0.0, frm["escalate"], frm["block"], 1.0]
    ys = [0.0, to["escalate"], to["block"], 1.0]
    return np.interp(np.clip(x, 0, 1), xs, ys)


def parse(spec, t1):
    if spec == "default":
        return {n: band_default(t1[n]) for n in P.LABELS}
    out = {}
    for part in spec.split(","):
        cat, rng = part.split("=")
        lo, hi = rng.split(":")
        out[cat.strip()] = (float(lo), float(hi))
    return out


def routed(p1, p2, l, bands, t1, t2):
    """The score that stands for label l, and which texts went to tier 2."""
    name = P.LABELS[l]
    if name not in bands:
        return p1[:, l], np.zeros(len(p1), bool)
    lo, hi = bands[name]
    inb = (p1[:, l] >= lo) & (p1[:, l] <= hi)
    return np.where(inb, scale(p2[:, l], t2[name], t1[name]), p1[:, l]), inb


def main():
    work = os.environ.get("WARDEN_WORK", "/tmp/warden-models-work")
    data_root = os.environ.get("WARDEN_DATA") or os.path.join(MODELS, "..", "..", "shared", "data")
    fbin = os.environ.get("WARDEN_FEATURIZE", os.path.join(work, "bin", "featurize"))
    m1 = json.load(open(os.path.join(MODELS, "injection", "manifest.json")))
    m2 = json.load(open(os.path.join(MODELS, "injection_cnn", "manifest.json")))
    t1, t2 = m1["thresholds"], m2["thresholds"]
    v1, v2 = m1["training"]["variant"], m2["training"]["variant"]
    f1, f2 = np.load(os.path.join(work, "folds-%s.npz" % v1)), np.load(os.path.join(work, "folds-%s.npz" % v2))
    s1, s2 = np.load(os.path.join(work, "scores-%s.npz" % v1)), np.load(os.path.join(work, "scores-%s.npz" % v2))
    if not np.array_equal(s1["idx"], s2["idx"]):
        sys.exit("test-split scores of %s and %s index different records: retrain both on this corpus" % (v1, v2))
    corpus = data.build(os.path.normpath(data_root), fbin)
    y = np.array([[r["pi"], r["jb"]] for r in corpus.records], dtype=np.int64)
    src = np.array([r["source"] for r in corpus.records], dtype=object)
    te = s1["idx"]
    benign = np.isin(src[te], P.BENIGN_PROMPT_SOURCES) & (y[te] == 0).all(axis=1)

    specs = sys.argv[1:] or ["none", "default", "prompt_injection=0.02:0.94,jailbreak=0.02:0.9855",
                             "prompt_injection=0:1,jailbreak=0:1"]
    print("first tier %s %s, second tier %s %s; thresholds %s / %s" % (m1["name"], m1["version"], m2["name"],
                                                                      m2["version"], t1, t2))
    print("| setting | routed PI / JB | cross AUPRC PI / JB | @50 % PI / JB | cross R@esc PI / JB |")
    print("|---|---:|---:|---:|---:|")
    for spec in specs:
        bands = {} if spec == "none" else parse(spec, t1)
        share = []
        for l in range(len(P.LABELS)):
            _, inb = routed(s1["probs"][benign], s2["probs"][benign], l, bands, t1, t2)
            share.append(inb.mean())
        per = {n: [] for n in P.LABELS}
        for g, l in P.FOLDS:
            idx = f1["%s_idx" % g]
            if not np.array_equal(idx, f2["%s_idx" % g]):
                sys.exit("fold %s: the two score files index different records: retrain both with folds" % g)
            p, _ = routed(f1["%s_probs" % g], f2["%s_probs" % g], l, bands, t1, t2)
            per[P.LABELS[l]].append(P.summary(y[idx, l], p, t1[P.LABELS[l]]))

        def mean(key, sub=None):
            return [np.mean([(s[key][sub] if sub else s[key]) for s in per[n]]) for n in P.LABELS]
        a, b, r = mean("auprc"), mean("auprc_balanced"), mean("escalate", "recall")
        label = "%s (%s)" % (spec, ", ".join("%s %.4g:%.4g" % (n, *bands[n]) for n in bands)) if spec == "default" else spec
        print("| %s | %s | %.3f / %.3f | %.3f / %.3f | %.3f / %.3f |" % (
            label, "–" if not bands else "%.1f %% / %.1f %%" % (100 * share[0], 100 * share[1]),
            a[0], a[1], b[0], b[1], r[0], r[1]))


if __name__ == "__main__":
    main()
