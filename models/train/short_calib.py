"""Short-text calibration (the short_calibration section of the
injection, harm and suffix manifests; classifiers.ShortCalibration).

Why: with a handful of n-grams a window's pooled vector is one or two
embedding rows, far from the means of the long texts the bags were fit on,
and their scores on a word or two are extreme: "100" and "O" blocked as
prompt injection, "ok" and "42" escalated as violence (docs/decisions.md 16
and 19). The scores still rank short texts (in-scope test AUPRC: hate 0.72,
harassment 0.63), but their operating points are off: the policy's
thresholds flag 9 % of short benign texts. So on texts inside SCOPE, per
bin of BINS (one word of at most 10 runes; up to three words), each model's
probability p of a label becomes min(p, sigmoid(a*logit(p) + b)), with
(a, b) sending the model's own thresholds on the bin's texts (TARGET_FPR on
the dev split's short benign families) to the default policy's prompt
thresholds. A label whose own thresholds are already at or below the
policy's keeps its scores (the map never raises one).

Data: the records of both corpora (data.build, harm_data.build: their
dedupe, clusters and splits) whose text is inside SCOPE, merged by
normalised key (labels: a positive wins; split: test over dev over train),
plus FRAG spans of 1-3 words of benign prompts of each split
(data.fragments over data.FRAGMENT_SOURCES; bench/benign's held-out
prompt sets are not among them). The shipped models were fit on the train
split and calibrated on dev; the maps are fit on dev and measured on test.

    short_calib.py [--base WORK/folds-VARIANT.npz] [--write] [--compare-model]

--write puts the maps into models/{injection,harm,suffix}/manifest.json;
--base adds the injection recipe's cross-source figures with the maps
applied to the in-scope texts of each held-out evaluation set;
--compare-model also trains the alternative measured against it (a bag fit
on in-scope texts only, docs/decisions.md 19) and reports it beside.
"""
import argparse
import collections
import json
import os
import random
import sys

import numpy as np

import data
import feats
import harm as HM
import harm_data as H
import model as M
import pipeline as P
import suffix as S

LABELS = ["prompt_injection", "jailbreak"] + list(H.BASE)
NPI = 2  # the first NPI labels come from the injection corpus
# a text is in scope when it has at most max_words white-space words and at
# most max_runes runes: the last and largest of BINS
SCOPE = {"max_words": 3, "max_runes": 24}
# the bins of SCOPE, each with its own maps; a text is in the first bin that
# holds it. A word of at most 10 runes ("100", "ok", "Python") is where the
# bags are worst; one fit over all of SCOPE lowered three-word attacks with
# them ("ignore all instructions"), and a bin of one white-space word alone
# would hold whole Chinese and Japanese sentences.
BINS = [{"max_words": 1, "max_runes": 10}, dict(SCOPE)]
# --compare-model: the bag fit on in-scope texts only
FEAT = dict(buckets=2 ** 16, word_ngrams=[1, 2], char_ngrams=[2, 3, 4])
WINDOW = {"runes": 32, "overlap": 8}  # every text in scope fits one window
TRAIN = dict(P.BASE_TRAIN, pool="meanmax", empty_zero=True, buckets=FEAT["buckets"])
# composed/short-frag negatives per split: spans of 1-3 words of benign
# prompts of that split
FRAG = {"train": 30000, "dev": 3000, "test": 3000}
FRAG_SOURCE = "composed/short-frag"
# per label and benign family in scope (dev split); eight labels at 0.15 %
# flag ~1.5 % of short benign texts (test split)
TARGET_FPR = {"escalate": 0.0015, "block": 0.0005}
POLICY = os.path.join(P.REPO, "policy", "bundle", "warden", "data.json")
SPLIT_RANK = {"train": 0, "dev": 1, "test": 2}
# --compare-model: sentences of positive texts, confirmed by the shipped
# model of their corpus
MINED_SOURCE = "composed/short-mined"
MINE_MIN_P = 0.5
# in scope there are almost no jailbreaks (role play and templates are long):
# the jailbreak label counts any attack (prompt injection or jailbreak)
JB_ANY_ATTACK = True
# the models the maps are fit for, and the labels of LABELS they score
MODELS = {"injection": ["prompt_injection", "jailbreak"], "harm": list(H.BASE), "suffix": ["jailbreak"]}
SLOPE = (0.25, 4.0)  # the map's slope a is clamped to this range


def bin_of(text):
    """classifiers.ShortCalibration.Bin: the index of the first bin of BINS
    that holds text (white-space words and runes), or -1."""
    for j, b in enumerate(BINS):
        if len(text.split()) <= b["max_words"] and len(text) <= b["max_runes"]:
            return j
    return -1


def in_scope(text):
    """Whether text is in SCOPE (in some bin of BINS)."""
    return len(text.split()) <= SCOPE["max_words"] and len(text) <= SCOPE["max_runes"]


def injection_row(r):
    """Labels of an injection-corpus record: its own for the first two (the
    jailbreak label also for prompt injections, JB_ANY_ATTACK); for harm,
    negative for an attack (an injection is not harm) or a prompt of a
    benign prompt family (harm.THRESHOLD_FAMILIES), unknown otherwise (a
    harmful request; ConvAbuse's turns, abusive or not, are negatives of the
    injection corpus only)."""
    harm = 0 if (r["pi"] == 1 or r["jb"] == 1 or P.family(r["source"]) in HM.THRESHOLD_FAMILIES) else -1
    return [r["pi"], max(r["pi"], r["jb"]) if JB_ANY_ATTACK else r["jb"]] + [harm] * len(H.BASE)


def harm_row(r):
    """Labels of a harm-corpus record: not an injection or jailbreak; its
    own harm labels (unknown stays unknown)."""
    return [0, 0] + list(r["y"][:len(H.BASE)])


def merge(a, b):
    """Per label the stronger of two known labels (1 over 0 over unknown)."""
    return [max(x, y) for x, y in zip(a, b)]


def build(data_root, fbin):
    """The short corpus: a data.Corpus whose records carry y (len(LABELS))."""
    inj = data.build(data_root, fbin)
    harm = H.build(data_root, fbin)
    by_key = collections.OrderedDict()
    counts = collections.Counter()
    for corpus, row, tag in ((inj, injection_row, "injection"), (harm, harm_row, "harm")):
        for r in corpus.records:
            if r["source"].startswith("composed/") or not in_scope(r["text"]):
                continue
            counts[tag] += 1
            y = row(r)
            k = r["key"]
            if k in by_key:
                o = by_key[k]
                o["y"] = merge(o["y"], y)
                if SPLIT_RANK[r["split"]] > SPLIT_RANK[o["split"]]:
                    o["split"] = r["split"]
                continue
            by_key[k] = dict(text=r["text"], key=k, y=y, source=r["source"], group=r["group"], kind=r["kind"],
                             split=r["split"], cid="%s:%s" % (tag, r["cid"]), cluster=None, corpus=tag)
    c = data.Corpus(data_root, fbin)
    c.records = list(by_key.values())
    for corpus in (inj, harm):
        for s, v in corpus.sources.items():
            if not s.startswith("composed/"):
                c.sources.setdefault(s, v)
    P.log("in scope: %d injection-corpus and %d harm-corpus records -> %d distinct" % (
        counts["injection"], counts["harm"], len(c.records)))
    # fragments of benign prompts of each split
    known = set(by_key)
    for split, n in FRAG.items():
        pool = [r["text"] for r in inj.records if r["split"] == split and r["source"] in data.FRAGMENT_SOURCES]
        rng = random.Random(data.h64(data.SEED, "short-frag", split))
        for i, t in enumerate(data.fragments(pool, n, rng, known)):
            if not in_scope(t):
                continue
            k = data.norm_key(t)
            known.add(k)
            c.records.append(dict(text=t, key=k, y=[0] * len(LABELS), source=FRAG_SOURCE, group="composed-benign",
                                  kind="benign", split=split, cid="sf:%s:%d" % (split, i), cluster=None,
                                  corpus="composed"))
    c.src(FRAG_SOURCE, "(composed at train time)", [], "%s per split: spans of 1-3 white-space words of benign "
          "prompts of the split (%s; data.fragments), punctuation trimmed -> negative for every category" % (
              json.dumps(FRAG), ", ".join(data.FRAGMENT_SOURCES)), "inherits the licences of its parts", "neg")
    return c, inj, harm


def teacher_probs(model, texts, fbin, work):
    """A shipped model's (models/<model>) probabilities for texts, the
    maximum over windows: the teacher that confirms mined sentences. The
    shipped models were fit on the train split and calibrated on dev, the
    splits mined."""
    man = json.load(open(os.path.join(P.REPO, "models", model, "manifest.json")))
    W = M.load_weights(os.path.join(P.REPO, "models", model, man["file"]))
    Fw = feats.featurize(fbin, texts, man["featurizer"], man["window"]["runes"], man["window"]["overlap"], work)
    return np.array([M.text_window_probs(W, Fw, i).max(0) for i in range(len(texts))])


def mine(c, inj, harm, fbin, work):
    """Appends MINED_SOURCE rows: per train or dev text positive for some
    label, its in-scope sentences (data.short_sentences: 1-3 words, never a
    whole text) that the shipped model of its corpus (injection or harm)
    scores >= MINE_MIN_P for a label the text has. Labels: positive where
    the teacher confirms, masked for the text's other positive labels, the
    text's own elsewhere (row of its corpus). Never in the test split."""
    known = {r["key"] for r in c.records}
    n = collections.Counter()
    for corpus, teacher, row, off in ((inj, "injection", injection_row, 0), (harm, "harm", harm_row, NPI)):
        def positive(r):
            return r["split"] in ("train", "dev") and not r["source"].startswith("composed/") and 1 in row(r)
        cands = [(i, t) for i, t in data.short_sentences(corpus.records, positive, (1, SCOPE["max_words"]))
                 if in_scope(t) and data.norm_key(t) not in known]
        if not cands:
            continue
        probs = teacher_probs(teacher, [t for _, t in cands], fbin, work)
        for (i, t), p in zip(cands, probs):
            r = corpus.records[i]
            y = row(r)
            conf = [l for l in range(len(LABELS)) if y[l] == 1 and off <= l < off + len(p) and p[l - off] >= MINE_MIN_P]
            k = data.norm_key(t)
            if not conf or k in known:
                continue
            known.add(k)
            y = [(1 if l in conf else -1) if v == 1 else v for l, v in enumerate(y)]
            c.records.append(dict(text=t, key=k, y=y, source=MINED_SOURCE, group=r["group"], kind="composed-pos",
                                  split=r["split"], cid="%s:%s" % (teacher, r["cid"]), cluster=None,
                                  corpus="composed"))
            n[teacher] += 1
    c.src(MINED_SOURCE, "(composed at train time)", [], "train and dev splits: sentences of 1-%d words of texts "
          "positive for some label that the shipped model of their corpus (injection, harm) scores >= %.1f for a "
          "label their text has -> positive for those labels, masked for the text's other positive labels" % (
              SCOPE["max_words"], MINE_MIN_P), "inherits the licences of its parts", "pos")
    return dict(n)


STAGES = ("prompt", "response")


def policy_thresholds(stage="prompt"):
    """The default policy's thresholds at stage per label; a label without a
    block point (self_harm; prompt_injection and jailbreak in responses)
    gets max(0.85, escalate + 0.1), past the policy's usual block, as the
    second point of the map."""
    t = json.load(open(POLICY))["config"]["defaults"]["thresholds"][stage]
    out = {}
    for l in LABELS:
        e = t[l]["escalate"]
        out[l] = dict(escalate=e, block=t[l].get("block", max(0.85, e + 0.1)))
    return out


def threshold_rows(c, idx, l):
    """The rows of idx that set label l's in-scope thresholds: negatives
    for l of the benign prompt families (harm.THRESHOLD_FAMILIES, the
    fragments) and, for the attack labels, also harmful requests and
    ConvAbuse's chit-chat (P.THRESHOLD_KINDS, as the injection model)."""
    keep = []
    for i in idx:
        r = c.records[i]
        if r["y"][l] != 0:
            continue
        if r["source"] == FRAG_SOURCE or P.family(r["source"]) in HM.THRESHOLD_FAMILIES or (
                l < NPI and r["kind"] in P.THRESHOLD_KINDS):
            keep.append(i)
    return np.array(keep, dtype=np.int64)


def logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


def apply_map(p, f):
    """classifiers.ShortCalibration.Apply: min(p, sigmoid(a*logit(p) + b))."""
    if f is None:
        return p
    return np.minimum(p, 1 / (1 + np.exp(-(f["a"] * logit(p) + f["b"]))))


def own_map(p, src, to_l):
    """The own thresholds of probabilities p (threshold rows of sources
    src) at TARGET_FPR, and the map logit' = a*logit + b sending them to
    to_l (a label's policy thresholds), a clamped to SLOPE keeping the
    escalate point: (own, a, b, clamped)."""
    own = {op: P.threshold_for_fpr(p, fpr, src) for op, fpr in TARGET_FPR.items()}
    own["block"] = max(own["block"], round(own["escalate"] + 0.001, 4))
    a, b = S.align(own, to_l)
    ca = min(max(a, SLOPE[0]), SLOPE[1])
    if ca != a:
        b = float(logit(to_l["escalate"]) - ca * logit(own["escalate"]))
    return own, ca, float(b), ca != a


def fit_maps(c, scores, to):
    """Per bin, model and label: own thresholds on the bin's dev texts and
    the map (a, b) sending them to the policy's, or none when the own
    escalate threshold is already at or below the policy's."""
    spl = np.array([r["split"] for r in c.records])
    src = np.array([r["source"] for r in c.records], dtype=object)
    bins = np.array([bin_of(r["text"]) for r in c.records])
    maps, fit = [], []
    for j in range(len(BINS)):
        dv = np.where((spl == "dev") & (bins == j))[0]
        mj, fj = {}, {}
        for model, labels in MODELS.items():
            mj[model], fj[model] = {}, {}
            for name in labels:
                l = LABELS.index(name)
                k = threshold_rows(c, dv, l)
                p = scores[model][k, labels.index(name)]
                own, a, b, clamped = own_map(p, src[k], to[name])
                fams = P.family_thresholds(p, src[k], TARGET_FPR["escalate"])
                if own["escalate"] <= to[name]["escalate"]:
                    fj[model][name] = dict(own=own, families=fams, map=None)
                    continue
                mj[model][name] = dict(a=round(a, 6), b=round(b, 6))
                fj[model][name] = dict(own=own, families=fams, map=mj[model][name], slope_clamped=clamped)
        maps.append(mj)
        fit.append(fj)
    return maps, fit


def served(c, idx, fbin, work):
    """Each shipped model's probabilities for the texts of idx (rows of
    the returned arrays are all records; rows outside idx are 0)."""
    texts = [c.records[i]["text"] for i in idx]
    out = {}
    for model, labels in MODELS.items():
        a = np.zeros((len(c.records), len(labels)))
        a[idx] = teacher_probs(model, texts, fbin, work)
        out[model] = a
    return out


def combine(scores, maps=None, bins=None):
    """The Suite's score per label of LABELS: the max over models (after
    each model's map of the text's bin, when maps and bins are given)."""
    n = len(next(iter(scores.values())))
    out = np.zeros((n, len(LABELS)))
    for model, labels in MODELS.items():
        for j, name in enumerate(labels):
            p = calibrate(scores[model][:, j], maps, bins, model, name)
            l = LABELS.index(name)
            out[:, l] = np.maximum(out[:, l], p)
    return out


def calibrate(p, maps, bins, model, name):
    """p with each text's bin's map of model and label applied."""
    if maps is None:
        return p
    p = p.copy()
    for j, mj in enumerate(maps):
        k = bins == j
        p[k] = apply_map(p[k], mj[model].get(name))
    return p


def test_report(c, p, to):
    """On the in-scope test split: per label AUPRC, recall at the policy's
    escalate point and the negatives' false-positive rate there; the share
    of benign texts flagged for any label, per source."""
    spl = np.array([r["split"] for r in c.records])
    src = np.array([r["source"] for r in c.records], dtype=object)
    y = np.array([r["y"] for r in c.records])
    te = np.where(spl == "test")[0]
    out = collections.OrderedDict()
    for l, n in enumerate(LABELS):
        s = P.summary(y[te, l], p[te, l], {"escalate": to[n]["escalate"]})
        out[n] = dict(n_pos=s["n_pos"], auprc=s.get("auprc"), recall_escalate=s["escalate"]["recall"],
                      fpr_escalate=s["escalate"]["fpr"])
    esc = (p >= np.array([to[n]["escalate"] for n in LABELS])).any(axis=1)
    neg = te[(y[te] == 0).all(axis=1)]
    flagged = collections.OrderedDict()
    for s in (FRAG_SOURCE, "convabuse"):
        k = neg[src[neg] == s]
        flagged[s] = dict(n=int(len(k)), flagged=round(float(esc[k].mean()), 4))
    k = neg[[src[i] != "convabuse" for i in neg]]
    flagged["all benign but ConvAbuse"] = dict(n=int(len(k)), flagged=round(float(esc[k].mean()), 4))
    out["benign_flagged_any_label"] = flagged
    return out


def fold_report(inj, maps, to, base_path):
    """Cross-source, per held-out injection / jailbreak group: the injection
    recipe's fold model, and the same with the injection model's maps
    applied to the in-scope texts (the final model's maps on the fold
    model's scores: an approximation, the fold models differ a little)."""
    base = np.load(base_path)
    out = collections.OrderedDict()
    for g, l in P.FOLDS:
        name = LABELS[l]
        idx = base["%s_idx" % g]
        pb = base["%s_probs" % g][:, l]
        yl = np.array([inj.records[i]["pi" if l == 0 else "jb"] for i in idx])
        bins = np.array([bin_of(inj.records[i]["text"]) for i in idx])
        sc = bins >= 0
        pm = calibrate(pb, maps, bins, "injection", name)
        out[g] = dict(label=name, in_scope=int(sc.sum()), in_scope_pos=int((sc & (yl == 1)).sum()),
                      before=P.summary(yl, pb, to[name]), after=P.summary(yl, pm, to[name]))
        P.log("  %s %s: AUPRC %.3f -> %.3f (%d in scope, %d positive)" % (
            g, name, out[g]["before"]["auprc"], out[g]["after"]["auprc"], out[g]["in_scope"], out[g]["in_scope_pos"]))
    for l, name in enumerate(LABELS[:NPI]):
        gs = [g for g, j in P.FOLDS if j == l]
        out["mean_" + name] = {w: dict(auprc=round(float(np.mean([out[g][w]["auprc"] for g in gs])), 4),
                                       recall_escalate=round(float(np.mean([out[g][w]["escalate"]["recall"]
                                                                            for g in gs])), 4))
                               for w in ("before", "after")}
    return out


def compare_model(c, inj, harm, fbin, work, to):
    """The alternative: a bag (FEAT, TRAIN) fit on the in-scope texts only,
    plus mined attack and harm sentences, its thresholds aligned the same
    way; its in-scope test figures."""
    P.LABELS[:] = LABELS  # Run.fit calibrates len(LABELS) heads
    n0 = len(c.records)
    P.log("mined sentences %s" % mine(c, inj, harm, fbin, work))
    y = np.array([r["y"] for r in c.records], dtype=np.int64)
    F = feats.featurize(fbin, [r["text"] for r in c.records], dict(FEAT, max_runes=WINDOW["runes"]),
                        WINDOW["runes"], WINDOW["overlap"], work)
    run = P.Run(c, F, y, TRAIN)
    m, calib, dv = run.fit()
    pd = run.probs(m, calib, np.arange(len(c.records)))
    src = np.array([r["source"] for r in c.records], dtype=object)
    calib2 = []
    for l, name in enumerate(LABELS):
        k = threshold_rows(c, dv, l)
        _, a, b, _ = own_map(pd[k, l], src[k], to[name])
        calib2.append((calib[l][0] * a, calib[l][1] * a + b))
    p = run.probs(m, calib2, np.arange(len(c.records)))
    del c.records[n0:]
    return test_report(c, p[:n0], to)


def write_maps(maps, fit):
    """The short_calibration section of each model's manifest: per stage
    (maps[stage], fit[stage]) the bins and their maps."""
    for model in MODELS:
        path = os.path.join(P.REPO, "models", model, "manifest.json")
        man = json.load(open(path), object_pairs_hook=collections.OrderedDict)
        man["short_calibration"] = collections.OrderedDict(
            stages=collections.OrderedDict(
                (stage, [collections.OrderedDict(max_words=b["max_words"], max_runes=b["max_runes"],
                                                 labels=maps[stage][j][model]) for j, b in enumerate(BINS)])
                for stage in STAGES),
            fit=collections.OrderedDict(
                how="models/train/train.sh short-calib (models/train/short_calib.py): per stage, bin and label, "
                    "the model's own thresholds on the bin's texts of the dev split (the smallest probability at "
                    "which every short benign family with >= 30 rows has a false-positive rate <= %s (escalate) / "
                    "<= %s (block)) sent to the default policy's thresholds for the stage by logit' = a*logit + b "
                    "(a clamped to %s, keeping the escalate point); a label already at or below the policy's "
                    "thresholds has no map" % (TARGET_FPR["escalate"], TARGET_FPR["block"], list(SLOPE)),
                per_stage=collections.OrderedDict(
                    (stage, [{name: {k: v for k, v in d.items() if k != "families"} for name, d in f[model].items()}
                             for f in fit[stage]]) for stage in STAGES)))
        P.write_json(path, man)
        P.log("wrote short_calibration into", path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", help="folds-VARIANT.npz of the injection recipe (cross-source report)")
    ap.add_argument("--write", action="store_true", help="write the maps into the models' manifests")
    ap.add_argument("--summary", help="write the figures a reader compares (no per-family detail) here (JSON)")
    ap.add_argument("--report", help="write the measured figures here (JSON)")
    ap.add_argument("--compare-model", action="store_true", help="also fit and report the in-scope-only bag")
    ap.add_argument("--fpr", help="ESCALATE,BLOCK: other target rates (experiments; default %s)" % TARGET_FPR)
    ap.add_argument("--frag", help="TRAIN,DEV,TEST: fragments per split (experiments; default %s)" % FRAG)
    args = ap.parse_args()
    if args.frag:
        FRAG.update(zip(("train", "dev", "test"), map(int, args.frag.split(","))))
    if args.fpr:
        TARGET_FPR.update(zip(("escalate", "block"), map(float, args.fpr.split(","))))
    work = os.environ.get("WARDEN_WORK", "/tmp/warden-models-work")
    fbin = os.environ.get("WARDEN_FEATURIZE", os.path.join(work, "bin", "featurize"))
    data_root = os.environ.get("WARDEN_DATA") or os.path.join(P.REPO, "..", "shared", "data")
    c, inj, harm = build(data_root, fbin)
    spl = np.array([r["split"] for r in c.records])
    y = np.array([r["y"] for r in c.records])
    for s in ("train", "dev", "test"):
        P.log("%s: %d texts; positives %s" % (s, int((spl == s).sum()),
                                            {n: int((y[spl == s, l] == 1).sum()) for l, n in enumerate(LABELS)}))
    tos = {stage: policy_thresholds(stage) for stage in STAGES}
    to = tos["prompt"]
    scores = served(c, np.where(spl != "train")[0], fbin, work)
    maps, fit = {}, {}
    for stage in STAGES:
        maps[stage], fit[stage] = fit_maps(c, scores, tos[stage])
    P.log("maps %s" % json.dumps(maps))
    rep = collections.OrderedDict(bins=BINS, target_fpr=TARGET_FPR, policy_thresholds=tos, maps=maps, fit=fit)
    bins = np.array([bin_of(r["text"]) for r in c.records])
    rep["test_before"] = {stage: test_report(c, combine(scores), tos[stage]) for stage in STAGES}
    rep["test_after"] = {stage: test_report(c, combine(scores, maps[stage], bins), tos[stage]) for stage in STAGES}
    if args.base:
        rep["cross_source"] = fold_report(inj, maps["prompt"], to, args.base)
    if args.compare_model:
        rep["test_in_scope_model"] = compare_model(c, inj, harm, fbin, work, to)
    print(json.dumps(rep, indent=1))
    if args.report:
        P.write_json(args.report, rep)
    if args.summary:
        keep = ("bins", "target_fpr", "maps", "test_before", "test_after", "test_in_scope_model")
        summ = collections.OrderedDict((k, rep[k]) for k in keep if k in rep)
        if "cross_source" in rep:
            summ["cross_source"] = collections.OrderedDict(
                (g, dict(in_scope=v["in_scope"], in_scope_pos=v["in_scope_pos"], auprc_before=v["before"]["auprc"],
                         auprc_after=v["after"]["auprc"])) if "in_scope" in v else (g, v)
                for g, v in rep["cross_source"].items())
        P.write_json(args.summary, summ)
    if args.write:
        write_maps(maps, fit)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
