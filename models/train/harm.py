"""Trains, evaluates and exports the harm classifier (models/harm).

  models/train/train.sh harm                     # shipped variant -> models/harm/
  models/train/train.sh harm --variant linear-c234 --no-export   # another family, results only
  models/train/train.sh harm --parity-only   # rewrite models/harm/parity.json from the shipped model.onnx

Every run (with folds) records its measurements under its variant name in
models/train/harm_variants.json, so the family comparison is reproducible.
Environment as for pipeline.py (WARDEN_DATA, WARDEN_WORK, WARDEN_FEATURIZE).
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
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import cnn  # noqa: E402
import data as D  # noqa: E402
import feats  # noqa: E402
import harm_data as H  # noqa: E402
import model as M  # noqa: E402
import pipeline as P  # noqa: E402

REPO = os.path.dirname(os.path.dirname(HERE))
LABELS = H.LABELS
SHORT = {"hate": "hate", "harassment": "har", "violence": "vio", "sexual": "sex", "self_harm": "sh", "illicit": "ill",
         "hate_threatening": "hthr", "self_harm_intent": "shi"}
NBASE = len(H.BASE)  # the fine categories come after the base ones
SEED = H.SEED
VERSION = "1.2.0"
WINDOW = {"runes": 1024, "overlap": 128}
FEAT = dict(buckets=2 ** 18, word_ngrams=[1, 2], char_ngrams=[3, 4, 5])
BASE_TRAIN = dict(dim=16, hidden=64, batch=1024, epochs=4, lr=3e-3, lr_emb=0.1, wd_emb=0.0, pos_frac=0.3,
                  any_weight=1.0, threads=1)
FEAT234 = dict(FEAT, char_ngrams=[2, 3, 4])
VARIANTS = {
    "mlp128-c234": dict(feat=FEAT234, train=dict(hidden=128)),
    "linear-c234": dict(feat=FEAT234, train=dict(hidden=0)),
    "mlp64-c345": dict(feat=FEAT, train=dict()),
    "linear-c345": dict(feat=FEAT, train=dict(hidden=0)),
    "mlp64-c234": dict(feat=FEAT234, train=dict()),
    "mlp128-c234-wd": dict(feat=FEAT234, train=dict(hidden=128, wd_emb=0.1)),
    # the shipped variant plus the finer categories (harm_data.FINE)
    "mlp128-c234-fine": dict(feat=FEAT234, train=dict(hidden=128, fine=True)),
    # the shipped variant plus 3,000 request-template negatives (harm_data.templated_negatives)
    "mlp128-c234-howto": dict(feat=FEAT234, train=dict(hidden=128, howto=3000)),
    # the shipped variant over 256-rune windows (what injection 1.2.0 adopted)
    "mlp128-c234-w256": dict(feat=FEAT234, train=dict(hidden=128), window={"runes": 256, "overlap": 64}),
    # the shipped variant with the mean and the max of its embedding rows (model.py, pool "meanmax")
    "mlp128-c234-mm": dict(feat=FEAT234, train=dict(hidden=128, pool="meanmax")),
    # short inputs (models/README.md, "Short inputs: measured, not shipped"): the shipped variant
    # plus 6,000 / 20,000 short negatives (harm_data.short_negatives, data.fragments), and with
    # log(1 + n-gram count) as an MLP input (model.BagModel lenfeat); all score empty windows 0
    "mlp128-c234-short": dict(feat=FEAT234, train=dict(hidden=128, short=6000, empty_zero=True)),
    "mlp128-c234-short20k": dict(feat=FEAT234, train=dict(hidden=128, short=20000, empty_zero=True)),
    "mlp128-c234-short-len": dict(feat=FEAT234, train=dict(hidden=128, short=6000, lenfeat=True, empty_zero=True)),
    "mlp128-c234-short3k-len": dict(feat=FEAT234, train=dict(hidden=128, short=3000, lenfeat=True,
                                                             empty_zero=True)),
    # ... and short positives: a sentence of a positive text that harm 1.0.0 (TEACHER)
    # confirms (harm_data.short_positives)
    "mlp128-c234-short-len-pos": dict(feat=FEAT234, train=dict(hidden=128, short=6000, short_pos=True, lenfeat=True,
                                                               empty_zero=True)),
    "mlp128-c234-short20k-len-pos": dict(feat=FEAT234, train=dict(hidden=128, short=20000, short_pos=True,
                                                                  lenfeat=True, empty_zero=True)),
    # the shipped variant with the mean and the max of its embedding rows
    "mlp128-c234-short20k-len-pos-mm": dict(feat=FEAT234, train=dict(hidden=128, short=20000, short_pos=True,
                                                                     lenfeat=True, empty_zero=True, pool="meanmax")),
    # the shipped variant with the harmful requests (group harmreq) weighted 3x in the loss
    "mlp128-c234-short20k-len-pos-req3": dict(feat=FEAT234, train=dict(hidden=128, short=20000, short_pos=True,
                                                                       lenfeat=True, empty_zero=True,
                                                                       group_scale={"harmreq": 3.0})),
    # the sequence family (cnn.py; measured, not exported: --no-export)
    "cnn-byte-k357-small": dict(kind="cnn", train=dict(dim=16, channels=32, kernels=[3, 5, 7], hidden=64, batch=128,
                                                       epochs=3, lr=3e-3, wd=0.01, jobs=2)),
}
SHIPPED = "mlp128-c234-short20k-len-pos"
TEACHER = "mlp128-c234"  # harm 1.0.0: picks the short positives of harm_data.short_positives

# Leave-one-group-out: every group with >= MIN_POS positives of a label is a
# fold for that label.
FOLDS = {  # fold unit -> source groups held out together (one genre / one collection each)
    "harmful-requests": ["harmreq"],
    "xsafety": ["xsafety"],
    "en-hate-sets": ["davidson", "ethos", "toxigen"],
    "en-comments-chat": ["toxic-spans", "convabuse"],
    "rtp-lx": ["rtp-lx"],
    "zh-ko": ["cold", "korean"],
    "distress-dialogue": ["sdcnl", "diasafety"],
    "i2p": ["i2p"],
}
FOLD_GROUPS = [g for gs in FOLDS.values() for g in gs]
MIN_POS = 20

# thresholds: benign prompt (and benign response) families on the dev split
THRESHOLD_FAMILIES = {"alpaca", "gsm8k", "codealpaca", "self-instruct", "fastchat", "oktest",
                      "cyberseceval/mitre_frr", "cyberseceval/mitre_frr_multilingual", "tensor-trust/defence"}
# (mean over benign families, worst single family) FPR allowed per operating point
TARGET_FPR = {"block": (0.003, 0.01), "escalate": (0.01, 0.03)}
BENIGN_PROMPT_SOURCES = ["alpaca/harmless_test", "gsm8k/test", "codealpaca", "self-instruct", "fastchat/mt_bench",
                         "fastchat/vicuna_bench", "oktest/OKTest_heldout.csv", "cyberseceval/mitre_frr",
                         "cyberseceval/mitre_frr_multilingual", "tensor-trust/defence"]
OTHER_NEG_SOURCES = ["codealpaca/output", "self-instruct/output", "dices/safe", "diasafety/response",
                     "davidson/neither", "toxigen/neutral", "cold/safe", "korean-hate-speech/dev", "kosbi/test",
                     "convabuse/test", "toxic-spans", "i2p", "xsafety/Prompt_Leaking", "xsafety/Goal_Hijacking",
                     "harmreq/harmbench-copyright"]

log = P.log


# ------------------------------------------------------------------ training with any-harm rows

def train(Fe, text_idx, y, anyh, w, cfg, seed):
    """model.train plus the any-harm term: rows known to be harmful but of an
    unknown category get BCE(max_l logit_l, 1) (every category masked)."""
    M.set_determinism(seed, cfg.get("threads", 1))
    nl = y.shape[1]
    model = M.BagModel(cfg["buckets"], cfg["dim"], cfg["hidden"], nl, cfg.get("pool", "mean"), cfg.get("lenfeat"))
    loss_of = M.Loss(y, w, cfg["pos_frac"], anyh=anyh, nbase=NBASE, any_weight=cfg["any_weight"])
    lazy = M.LazyAdam(model.emb_weight, cfg["lr_emb"])
    present = np.zeros(cfg["buckets"], dtype=bool)
    opt_d = torch.optim.Adam(list(model.parameters()), lr=cfg["lr"])
    rng = np.random.RandomState(seed)
    n, bs = len(text_idx), cfg["batch"]
    steps = cfg["epochs"] * ((n + bs - 1) // bs)
    step = 0
    for ep in range(cfg["epochs"]):
        perm = rng.permutation(n)
        tot = 0.0
        for b in range(0, n, bs):
            sel = perm[b:b + bs]
            ids, offs, index = M.batch_windows(Fe, text_idx[sel])
            frac = max(1.0 - step / steps, 0.05)
            for g in opt_d.param_groups:
                g["lr"] = cfg["lr"] * frac
            uniq, inv = M.unique_ids(ids.numpy(), cfg["buckets"], present)
            rows = model.emb_weight[uniq].requires_grad_(True)
            logits = M.text_logits(model, ids, offs, index, rows, inv)
            loss = loss_of(logits, sel)
            opt_d.zero_grad()
            loss.backward()
            opt_d.step()
            with torch.no_grad():
                lazy.step(uniq, rows.grad, cfg["lr_emb"] * frac, cfg.get("wd_emb", 0.0))
            tot += float(loss) * len(sel)
            step += 1
    return model


class Run:
    def __init__(self, corpus, Fe, tcfg):
        self.c = corpus
        self.F = Fe
        self.tcfg = tcfg
        self.y = np.array([r["y"] for r in corpus.records], dtype=np.int64)
        self.anyh = np.array([bool(r["anyharm"]) for r in corpus.records])
        self.split = np.array([r["split"] for r in corpus.records])
        self.group = np.array([r["group"] for r in corpus.records])
        # composed rows train, they are never evaluated
        self.composed = np.array([r["source"].startswith("composed/") for r in corpus.records])

    def fit(self, exclude=None):
        ex = exclude if exclude is not None else np.zeros(len(self.y), bool)
        tr = np.where((self.split == "train") & ~ex)[0]
        dv = np.where((self.split == "dev") & ~ex)[0]
        w = P.source_weights(self.c.records, tr)
        t0 = time.time()
        if self.tcfg.get("kind") == "cnn":
            m = cnn.train(self.F, tr, self.y[tr], w, self.tcfg, SEED, anyh=self.anyh[tr], nbase=NBASE)
        else:
            m = train(self.F, tr, self.y[tr], self.anyh[tr], w, self.tcfg, SEED)
        lg = self.score(m, dv)
        calib = []
        self.unlearned = set()
        for l in range(len(LABELS)):
            k = self.y[dv, l] >= 0
            if not (self.y[tr, l] == 1).any() or not (self.y[dv, l][k] == 1).any():
                # every positive of this label is held out (a fine category
                # from one source): this model cannot score it, and its
                # thresholds for it are not used
                self.unlearned.add(l)
                calib.append((1.0, 0.0))
                continue
            calib.append(M.platt(lg[k, l], self.y[dv, l][k]))
        log("  trained on %d texts in %.0fs" % (len(tr), time.time() - t0))
        return m, calib, dv

    def score(self, m, idx):
        return (cnn if self.tcfg.get("kind") == "cnn" else M).score(m, self.F, idx)

    def probs(self, m, calib, idx):
        lg = self.score(m, idx)
        a = np.array([c[0] for c in calib])
        b = np.array([c[1] for c in calib])
        return 1.0 / (1.0 + np.exp(-(lg * a + b)))

    def related(self, groups):
        ing = np.isin(self.group, groups)
        cids = {self.c.records[i]["cid"] for i in np.where(ing)[0]}
        return ing | np.array([r["cid"] in cids for r in self.c.records])


def folds_for(run):
    out = []
    for g, groups in FOLDS.items():
        k = np.isin(run.group, groups)
        # a fold for a label needs positives inside it and outside it (a
        # label from one source has no cross-source figure)
        labs = [l for l in range(len(LABELS))
                if int(np.sum(run.y[k, l] == 1)) >= MIN_POS and int(np.sum(run.y[~k, l] == 1)) >= MIN_POS]
        if labs:
            out.append((g, groups, labs))
    return out


def thr_family(source):
    f = P.family(source)
    return f if f in THRESHOLD_FAMILIES else None


GRID = np.round(np.arange(0.001, 1.0, 0.001), 3)


def _fam_fpr_grid(neg_probs, sources, min_rows=30):
    """[families, grid] FPR of each benign family (>= min_rows rows) at every grid threshold."""
    fam = np.array([P.family(s) for s in sources], dtype=object)
    out, names = [], []
    for f in sorted(set(fam)):
        p = np.sort(np.asarray(neg_probs, dtype=np.float64)[fam == f])
        if len(p) < min_rows:
            continue
        out.append(1.0 - np.searchsorted(p, GRID, side="left") / len(p))  # share >= t
        names.append(f)
    return names, np.array(out)


def threshold_rule(neg_probs, sources, mean_fpr, max_fpr):
    """Smallest grid threshold at which the benign families' FPR averages
    <= mean_fpr and no family (>= 30 dev rows) exceeds max_fpr."""
    _, g = _fam_fpr_grid(neg_probs, sources)
    ok = (g.mean(0) <= mean_fpr) & (g.max(0) <= max_fpr)
    return float(GRID[np.argmax(ok)]) if ok.any() else 0.999


def family_fpr(neg_probs, sources, t):
    names, g = _fam_fpr_grid(neg_probs, sources)
    i = int(np.searchsorted(GRID, t))
    i = min(i, len(GRID) - 1)
    return {n: round(float(g[k, i]), 4) for k, n in enumerate(names)}


_FITS = None  # (run, thr_rows, src) of _run_fits, set in each worker


def _run_fits(run, tasks, thr_rows, src, jobs):
    """One fit per task: (group, groups, labels) holds the groups out, None
    is the final model. Each returns (dev negatives' probs and sources per
    label, None where the model could not learn the label; the fold's
    evaluation scores or None; (model, calib, dev rows) of the final model
    or None). jobs > 1 runs the fits in spawned worker processes (each fit
    is seeded on its own: the results do not depend on jobs)."""
    return P.map_fits(_fit_task, tasks, _init_fits, (run, thr_rows, src), jobs)


def _init_fits(run, thr_rows, src):
    global _FITS
    _FITS = (run, thr_rows, src)


def _fit_task(task):
    run, thr_rows, src = _FITS
    y, split = run.y, run.split
    rel = None
    if task is not None:
        g, groups, labs = task
        log("fold: hold out %s (labels %s)" % (g, [LABELS[l] for l in labs]))
        rel = run.related(groups)
    else:
        log("final model")
    m, calib, dv = run.fit(exclude=rel)
    pd = run.probs(m, calib, dv)
    negs = []
    for l in range(len(LABELS)):
        k = (y[dv, l] == 0) & thr_rows[dv]
        negs.append(None if (task is not None and l in run.unlearned) else (pd[k, l], src[dv][k]))
    if task is None:
        return negs, None, (m, calib, dv)
    neg_any = np.where((((split == "test") & ~rel) | rel) & ~run.composed)[0]
    return negs, (g, labs, rel, neg_any, run.probs(m, calib, neg_any)), None


def evaluate(corpus, Fe, tcfg, folds=True):
    run = Run(corpus, Fe, tcfg)
    y, split = run.y, run.split
    src = np.array([r["source"] for r in corpus.records], dtype=object)
    fam = np.array([thr_family(s) for s in src], dtype=object)
    thr_rows = np.array([f is not None for f in fam])
    dev_negs = {l: [] for l in range(len(LABELS))}
    fold_scores = []
    fl = folds_for(run) if folds else []
    tasks = [(g, groups, labs) for g, groups, labs in fl] + [None]
    for task, (negs, fold, final) in zip(tasks, _run_fits(run, tasks, thr_rows, src, tcfg.get("jobs", 1))):
        for l, n in enumerate(negs):
            if n is not None:
                dev_negs[l].append(n)
        if task is not None:
            fold_scores.append(fold)
        else:
            m, calib, dv = final
    thr, detail = {}, {}
    for l, name in enumerate(LABELS):
        thr[name], detail[name] = {}, {}
        for op, fpr in TARGET_FPR.items():
            per_model = [threshold_rule(n, s, *fpr) for n, s in dev_negs[l]]
            thr[name][op] = max(per_model)
            detail[name][op + "_per_model"] = per_model
            n_f, s_f = dev_negs[l][-1]
            detail[name][op + "_final_model_family_fpr"] = family_fpr(n_f, s_f, thr[name][op])
        thr[name]["escalate"] = min(thr[name]["escalate"], thr[name]["block"])
    res = dict(thresholds=thr, threshold_detail=detail, cross_source={})
    for g, labs, rel, idx, p in fold_scores:
        for l in labs:
            k = (rel[idx] & (y[idx, l] >= 0)) | (~rel[idx] & (y[idx, l] == 0))
            res["cross_source"].setdefault(LABELS[l], {})[g] = P.summary(y[idx, l][k], p[k, l], thr[LABELS[l]])
    # in-source (test split), dev metrics, per group, per language
    te = np.where(split == "test")[0]
    pt = run.probs(m, calib, te)
    pdv = run.probs(m, calib, dv)
    res["_scores"] = (te, pt, m, calib)
    ins, dev = {}, {}
    for l, name in enumerate(LABELS):
        ins[name] = dict(all=P.summary(y[te, l], pt[:, l], thr[name]))
        dev[name] = P.summary(y[dv, l], pdv[:, l], thr[name])
        for g in FOLD_GROUPS:
            k = (run.group[te] == g) & (y[te, l] >= 0)
            if np.sum(y[te, l][k] == 1) >= 5 and np.sum(y[te, l][k] == 0) >= 5:
                ins[name][g] = P.summary(y[te, l][k], pt[k, l], thr[name])
    res["in_source"] = ins
    res["dev"] = dev
    lang = np.array([corpus.records[i]["lang"] for i in te])
    per_lang = {}
    for lg in sorted(set(lang)):
        k = lang == lg
        d = dict(n=int(k.sum()))
        for l, name in enumerate(LABELS):
            kk = k & (y[te, l] >= 0)
            if np.sum(y[te, l][kk] == 1) >= 3 and np.sum(y[te, l][kk] == 0) >= 3:
                d[name] = P.summary(y[te, l][kk], pt[kk, l], thr[name])
        if len(d) > 1:
            per_lang[lg] = d
    res["per_language_test"] = per_lang
    # benign / other-negative FPR per source (test split), per label and any label
    stes = src[te]
    fpr = {}
    for s in BENIGN_PROMPT_SOURCES + OTHER_NEG_SOURCES:
        k = stes == s
        allneg = (y[te] == 0).all(1) | ((y[te] <= 0).all(1) & (stes == "diasafety/response"))
        k = k & allneg
        if not k.any():
            continue
        e = dict(n=int(k.sum()))
        anyb = np.zeros(int(k.sum()), bool)
        anye = np.zeros(int(k.sum()), bool)
        for l, name in enumerate(LABELS):
            hb = pt[k, l] >= thr[name]["block"]
            he = pt[k, l] >= thr[name]["escalate"]
            anyb |= hb
            anye |= he
            e[name + "_block"] = round(float(hb.mean()), 4)
            e[name + "_escalate"] = round(float(he.mean()), 4)
        e["any_block"] = round(float(anyb.mean()), 4)
        e["any_escalate"] = round(float(anye.mean()), 4)
        e["benign_prompt"] = s in BENIGN_PROMPT_SOURCES
        fpr[s] = e
    res["benign_fpr"] = fpr
    # any-harm recall on category-less harmful rows (test)
    k = run.anyh[te] & ~(y[te] == 1).any(1)
    if k.any():
        mx_b = np.zeros(int(k.sum()), bool)
        mx_e = np.zeros(int(k.sum()), bool)
        for l, name in enumerate(LABELS):
            mx_b |= pt[k, l] >= thr[name]["block"]
            mx_e |= pt[k, l] >= thr[name]["escalate"]
        res["anyharm_test_recall"] = dict(n=int(k.sum()), any_block=round(float(mx_b.mean()), 4),
                                          any_escalate=round(float(mx_e.mean()), 4))
    cs = res["cross_source"]
    cs_mean = {n: round(float(np.mean([v["auprc"] for v in cs[n].values() if "auprc" in v])), 4)
               for n in LABELS if n in cs}
    cs_bal = {n: round(float(np.mean([v["auprc_balanced"] for v in cs[n].values() if "auprc" in v])), 4)
              for n in LABELS if n in cs}
    res["summary"] = dict(
        cross_source_auprc_mean=cs_mean,
        cross_source_auprc_mean_all=round(float(np.mean(list(cs_mean.values()))), 4) if cs_mean else None,
        cross_source_auprc_balanced_mean=cs_bal,
        cross_source_auprc_balanced_mean_all=round(float(np.mean(list(cs_bal.values()))), 4) if cs_bal else None,
        in_source_auprc={n: ins[n]["all"].get("auprc") for n in LABELS},
        in_source_auprc_macro=round(float(np.mean([ins[n]["all"].get("auprc", 0) for n in LABELS])), 4),
        in_source_auprc_balanced={n: ins[n]["all"].get("auprc_balanced") for n in LABELS},
        dev_auprc={n: dev[n].get("auprc") for n in LABELS},
        dev_auprc_macro=round(float(np.mean([dev[n].get("auprc", 0) for n in LABELS])), 4),
        dev_auprc_balanced_macro=round(float(np.mean([dev[n].get("auprc_balanced", 0) for n in LABELS])), 4),
        benign_prompt_fpr_any_block_max=max(v["any_block"] for v in fpr.values() if v["benign_prompt"]),
        benign_prompt_fpr_any_escalate_max=max(v["any_escalate"] for v in fpr.values() if v["benign_prompt"]),
    )
    return res, m, calib, run


def latency_us(W, n=2000, seq=64):
    """PyTorch reference forward time of one window (batch 1) as a rough
    proxy; the Go benchmark measures ONNX Runtime."""
    import timeit
    ids = np.random.RandomState(0).randint(1, W["emb"].shape[0], size=seq)
    emb = torch.from_numpy(W["emb"].astype(np.float32))
    W1 = torch.from_numpy(W["W1"]) if "W1" in W else None

    def f():
        g = emb[torch.from_numpy(ids)]
        e = g.mean(0)
        if W.get("pool") == "meanmax":
            e = torch.cat([e, g.max(0).values])
        if W.get("lenfeat"):
            e = torch.cat([e, torch.log1p(torch.tensor([float(len(ids))]))])
        if W1 is not None:
            e = torch.relu(e @ W1)
        return e
    return round(timeit.timeit(f, number=n) / n * 1e6, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--variant", default=SHIPPED)
    ap.add_argument("--out", default=os.path.join(REPO, "models", "harm"))
    ap.add_argument("--no-folds", action="store_true")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--parity-only", action="store_true", help="rewrite OUT/parity.json from OUT/model.onnx")
    ap.add_argument("--exp-out", default=os.path.join(HERE, "harm_variants.json"))
    ap.add_argument("--exp", help="ad-hoc variant (JSON feat/train overrides); use with a new --variant name")
    args = ap.parse_args()

    data_root = os.environ.get("WARDEN_DATA") or os.path.join(REPO, "..", "shared", "data")
    data_root = os.path.normpath(data_root if os.path.isabs(data_root) else os.path.join(REPO, data_root))
    work = os.environ.get("WARDEN_WORK", "/tmp/warden-models-work")
    fbin = os.environ.get("WARDEN_FEATURIZE", os.path.join(work, "bin", "featurize"))
    os.makedirs(work, exist_ok=True)
    if args.parity_only:
        parity_only(args.out, fbin, work)
        return
    global WINDOW
    WINDOW = VARIANTS.get(args.variant, {}).get("window", WINDOW)  # a variant may set its own
    if VARIANTS.get(args.variant, {}).get("train", {}).get("fine"):
        H.enable_fine()  # LABELS (the same list object) grows in place
    vt = VARIANTS.get(args.variant, {}).get("train", {})
    corpus = H.build(data_root, fbin, howto=vt.get("howto", 0), short=vt.get("short", 0))
    if vt.get("short_pos"):
        add_short_positives(corpus, data_root, fbin, work)
    for r in corpus.records:  # a group's records count group_scale times in the loss (P.source_weights)
        r["wscale"] = r.get("wscale", 1.0) * vt.get("group_scale", {}).get(r["group"], 1.0)
    texts = [r["text"] for r in corpus.records]
    log("harm corpus: %d records" % len(texts))
    if args.exp:  # ad-hoc variant: {"feat": {...}, "train": {...}} over the shipped one
        e = json.loads(args.exp)
        VARIANTS[args.variant] = dict(feat=dict(FEAT, **e.get("feat", {})), train=e.get("train", {}))
    v = VARIANTS[args.variant]
    if v.get("kind") == "cnn":
        fcfg = None
        tcfg = dict(pos_frac=BASE_TRAIN["pos_frac"], any_weight=BASE_TRAIN["any_weight"], threads=1, kind="cnn",
                    **v["train"])
        tok = os.path.join(work, "cnn-tokenizer.json")
        cnn.write_tokenizer(tok)
        Fe = feats.tokens(fbin, texts, tok, cnn.MAX_LEN, cnn.STRIDE, work)
        args.no_export = True  # measured only: no export path for a harm CNN yet
    else:
        fcfg = dict(v["feat"], max_runes=WINDOW["runes"])
        tcfg = dict(BASE_TRAIN, **v["train"], buckets=fcfg["buckets"])
        Fe = feats.featurize(fbin, texts, fcfg, WINDOW["runes"], WINDOW["overlap"], work)
    log("variant %s: %s %s" % (args.variant, fcfg, tcfg))
    t0 = time.time()
    res, m, calib, run = evaluate(corpus, Fe, tcfg, folds=not args.no_folds)
    res["seconds"] = round(time.time() - t0)
    te, pt, _, _ = res.pop("_scores")
    if fcfg is None:
        W = None
        res["size_bytes_fp32_params"] = int(sum(p.numel() for p in m.parameters()) * 4)
    else:
        W = M.folded_weights(m, calib)
        if tcfg.get("empty_zero"):
            W["empty_zero"] = True
        res["size_bytes_fp16_params"] = int(sum(v.nbytes for v in W.values() if isinstance(v, np.ndarray)))
        res["latency_us_pytorch_1window"] = latency_us(W)
    log("summary %s" % json.dumps(res["summary"]))
    log("thresholds %s" % json.dumps(res["thresholds"]))
    log("benign fpr any block/escalate %s" % json.dumps({k: (v["any_block"], v["any_escalate"]) for k, v in res["benign_fpr"].items()}))
    if not args.no_folds:
        allv = {}
        if os.path.exists(args.exp_out):
            allv = json.load(open(args.exp_out))
        allv[args.variant] = dict(featurizer=fcfg, train=tcfg, window=WINDOW, **res)
        with open(args.exp_out, "w") as f:
            json.dump(allv, f, indent=1, sort_keys=True)
            f.write("\n")
    if not args.no_export:
        export(args.out, args.variant, fcfg, tcfg, W, res, corpus, fbin, work)


def add_short_positives(corpus, data_root, fbin, work):
    """Adds harm_data.short_positives to corpus. The teacher is
    TEACHER's final fit on the corpus without composed rows (what train.sh
    harm exported as 1.0.0), trained here so that the run does not depend
    on the model.onnx in the tree."""
    v = VARIANTS[TEACHER]
    fcfg = dict(v["feat"], max_runes=WINDOW["runes"])
    tcfg = dict(BASE_TRAIN, **v["train"], buckets=fcfg["buckets"])
    plain = H.build(data_root, fbin)
    log("short positives: teacher %s on %d records" % (TEACHER, len(plain.records)))
    teacher = Run(plain, feats.featurize(fbin, [r["text"] for r in plain.records], fcfg, WINDOW["runes"],
                                         WINDOW["overlap"], work), tcfg)
    m, calib, _ = teacher.fit()
    cands = H.short_pos_candidates(corpus)
    Fc = feats.featurize(fbin, [s for _, s in cands], fcfg, WINDOW["runes"], WINDOW["overlap"], work)
    teacher.F = Fc
    p = teacher.probs(m, calib, np.arange(len(cands)))
    new = H.short_positives(corpus, cands, p)
    corpus.records.extend(new)
    corpus.src(H.SHORT_POS_SOURCE[0], "(composed at train time)", [], H.SHORT_POS_SOURCE[1] % H.SHORT_POS_MIN_P,
               "inherits the licences of its parts", "pos")
    log("short positives: %d of %d candidate sentences (%s)" % (
        len(new), len(cands), dict(collections.Counter(LABELS[l] for r in new for l, v in enumerate(r["y"]) if v == 1))))


def split_sizes(corpus):
    out = collections.defaultdict(collections.Counter)
    for r in corpus.records:
        pos = [LABELS[l] for l in range(len(LABELS)) if r["y"][l] == 1]
        lab = "+".join(pos) if pos else ("any" if r["anyharm"] else ("neg" if all(x == 0 for x in r["y"]) else "partial"))
        out[r["source"]][r["split"] + "_" + lab] += 1
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def write_parity(out, W, fcfg, fbin, work):
    """parity.json: PyTorch probabilities of the exported weights for the
    hand-written texts of harm_parity_texts.json (with their expectations)."""
    M.write_parity(out, W, os.path.join(HERE, "harm_parity_texts.json"), fcfg, WINDOW, fbin, work,
                   dict(labels=LABELS, short={k: SHORT[k] for k in LABELS}))


def parity_only(out, fbin, work):
    """Rewrites out/parity.json from the exported model.onnx (after editing
    harm_parity_texts.json) without retraining."""
    man = json.load(open(os.path.join(out, "manifest.json")))
    write_parity(out, M.load_weights(os.path.join(out, man["file"])), man["featurizer"], fbin, work)
    log("wrote", os.path.join(out, "parity.json"))


def export(out, name, fcfg, tcfg, W, res, corpus, fbin, work):
    os.makedirs(out, exist_ok=True)
    onnx_path = os.path.join(out, "model.onnx")
    M.export_onnx(W, onnx_path, LABELS, graph_name="warden_harm")
    sha = hashlib.sha256(open(onnx_path, "rb").read()).hexdigest()
    log("wrote %s (%d bytes, sha256 %s)" % (onnx_path, os.path.getsize(onnx_path), sha))
    write_parity(out, W, fcfg, fbin, work)
    lic = collections.OrderedDict()
    for s, d in sorted(corpus.sources.items()):
        lic.setdefault(d["license"], []).append(s)
    width = tcfg["dim"] + (1 if tcfg.get("lenfeat") else 0)
    arch = ("Linear(%d,%d)+ReLU -> Linear(%d,%d)" % (width, tcfg["hidden"], tcfg["hidden"], len(LABELS))
            if tcfg["hidden"] else "Linear(%d,%d)" % (width, len(LABELS)))
    if tcfg.get("lenfeat"):
        arch = "(that mean, log(1 + n-gram count)) -> " + arch
    manifest = collections.OrderedDict(
        name="harm",
        version=VERSION,
        kind="hashgram",
        file="model.onnx",
        sha256=sha,
        labels=LABELS,
        stages=["prompt", "response"],
        thresholds=res["thresholds"],
        inputs={"ids": "ids", "mask": "mask"},
        output="probs",
        featurizer=fcfg,
        window=WINDOW,
        training=collections.OrderedDict(
            pipeline="models/train/train.sh harm (models/train/harm.py, harm_data.py, models/featurize)",
            variant=name,
            architecture="mean of hashed n-gram embeddings (fp16 storage, Gather+Cast+masked mean, empty rows -> 0) "
                         "-> %s -> sigmoid; per-label Platt scaling (fit on the dev split) folded into the last layer; "
                         "long texts: max over windows (the loss uses the same max)" % arch,
            hyperparameters=tcfg,
            loss="per-label BCE with unknown labels masked; per-record weight n_source^-0.5; positives up-weighted "
                 "to pos_frac of the negatives' weight per label; rows known to be harmful but without a category "
                 "(any-harm) add BCE(max over label logits, 1)",
            seed=SEED,
            split="per near-duplicate cluster by seeded sha256: 70% train / 15% dev (calibration, thresholds) / 15% "
                  "test (metrics); existing splits kept (Alpaca harmless train/val/test, GSM8K train/test, COLD "
                  "train+dev/test, ConvAbuse train+valid/test, SDCNL train/test, DiaSafety train+val/test, Korean "
                  "hate speech train/dev(=test), KoSBi valid(train/dev)/test(dev/test), OKTest/heldout); "
                  "self-instruct and MT-Bench/Vicuna never trained on; xsafety split by (category,row) and RTP-LX by "
                  "Index across languages (aligned translations)",
            dedupe="NFKC + lowercase + punctuation stripped + white space collapsed, across all sources before "
                   "splitting; duplicates' labels merged (max of known values: a positive wins); harmful requests "
                   "clustered by shared 120-char prefix or word-5-gram Jaccard >= 0.5",
            label_policy="see models/README.md (Harm model: label policy) and sources[*].filter; unknown labels "
                         "are masked in the loss, the calibration and every metric",
            calibration="Platt per label on the dev split (dev prevalence: the probabilities are calibrated to the "
                        "dev mix of sources, not to production traffic)",
            thresholds_how="per label, the smallest probability at which every benign family (alpaca, gsm8k, "
                           "codealpaca incl. code outputs, self-instruct incl. outputs, fastchat, oktest, "
                           "cyberseceval mitre_frr en and multilingual, tensor-trust defence prompts) with >= 30 "
                           "dev rows has FPR <= 1%% (block) / <= 3%% (escalate) and their mean FPR is <= 0.3%% (block) / <= 1%% (escalate) (grid of 0.001); the maximum over the shipped "
                           "model and every leave-one-group-out model: %s" % json.dumps(res["threshold_detail"]),
            data_root="../shared/data",
            sources=corpus.sources,
            sizes=split_sizes(corpus),
            duplicates_removed=corpus.dup_counts,
        ),
        metrics=collections.OrderedDict(
            summary=res["summary"],
            dev=res["dev"],
            in_source_test=res["in_source"],
            per_language_test=res["per_language_test"],
            cross_source_leave_one_group_out=res["cross_source"],
            cross_source_how="for each source group with >= 20 positives of a label: a model trained and "
                             "calibrated without the group (and its near-duplicate clusters) scores the group's "
                             "rows (all splits) plus the test-split rows of every other source, known labels only",
            benign_fpr_test=res["benign_fpr"],
            anyharm_test_recall=res.get("anyharm_test_recall"),
            comparison="models/train/harm_variants.json (same splits, same folds)",
        ),
        license="Research and non-commercial use only. Trained on data including tensor-trust and OKTest (no stated "
                "licence: internal research use only), SDCNL (research only, do not republish), RTP-LX (treat as "
                "non-commercial, do not republish), Alpaca harmless and CodeAlpaca (CC-BY-NC-4.0), ETHOS (GPL-3.0), "
                "korean-hate-speech (CC-BY-SA-4.0) and xsafety (research use only). Per-source licences: " +
                "; ".join("%s: %s" % (k, ", ".join(v)) for k, v in lic.items()),
    )
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    log("wrote manifest and parity to", out)


if __name__ == "__main__":
    main()
