"""Compares threshold rules across retrains of one recipe (diagnostics).

pipeline.py saves, per variant, the dev negatives' probabilities of every
model (devnegs-NAME.npz: the leave-one-group-out models, then the final
one), the final model's test-split scores (scores-NAME.npz) and the fold
models' scores of their held-out groups (folds-NAME.npz) in WARDEN_WORK.
This script applies several threshold rules to the dev negatives of each
variant (e.g. the shipped recipe with three training seeds) and reports,
per rule and variant, the thresholds, the benign test-split false-positive
rate at escalate and the held-out recall at escalate, so that a rule can
be chosen for its stability across retrains on dev data, with its cost on
the test figures reported beside it.

  python3 models/train/threshold_rules.py WORK NAME [NAME ...]

WORK is the WARDEN_WORK of the runs (featurize binary in WORK/bin); a
variant of another run is given as ITS_WORK:NAME. JSON=FILE also writes
the figures.
"""

import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import pipeline as P  # noqa: E402

SMALL = 300  # families with fewer dev rows are pooled by rule "pool<300"


def fam_threshold(probs, fams, fpr, min_rows=30, pool_below=0):
    """The pipeline's per-family rule (pipeline.threshold_for_fpr, which
    reads family names as sources of themselves); with pool_below, families
    under that many rows are pooled into one family first."""
    fams = np.asarray(fams, dtype=object)
    if pool_below:
        names, counts = np.unique(fams, return_counts=True)
        small = set(names[counts < pool_below])
        fams = np.array(["(small)" if f in small else f for f in fams], dtype=object)
    return P.threshold_for_fpr(probs, fpr, fams, min_rows=min_rows)


def hd_threshold(probs, fams, fpr, min_rows=30):
    """The per-family rule with the Harrell-Davis estimate of each family's
    (1 - fpr) quantile (a Beta-weighted mean of all order statistics, less
    variable than the single order statistic the pipeline takes)."""
    from scipy.stats import beta
    fams = np.asarray(fams, dtype=object)
    t = 0.0
    q = 1.0 - fpr
    for f in sorted(set(fams)):
        p = np.sort(np.asarray(probs, dtype=np.float64)[fams == f])
        n = len(p)
        if n < min_rows:
            continue
        a, b = (n + 1) * q, (n + 1) * (1 - q)
        w = np.diff(beta.cdf(np.arange(n + 1) / n, a, b))
        t = max(t, float(w @ p))
    return min(math.ceil((t + 1e-9) * 1000) / 1000, 0.999)


RULES = {
    "current (max over models)": lambda per, fpr: max(fam_threshold(p, f, fpr) for p, f in per),
    "final model only": lambda per, fpr: fam_threshold(*per[-1], fpr),
    "median over models": lambda per, fpr: float(np.median([fam_threshold(p, f, fpr) for p, f in per])),
    "pool<300, max over models": lambda per, fpr: max(fam_threshold(p, f, fpr, pool_below=SMALL) for p, f in per),
    "pool<300, final model only": lambda per, fpr: fam_threshold(*per[-1], fpr, pool_below=SMALL),
    "Harrell-Davis quantile, max over models": lambda per, fpr: max(hd_threshold(p, f, fpr) for p, f in per),
    "families >= 150 rows, max over models": lambda per, fpr: max(fam_threshold(p, f, fpr, min_rows=150)
                                                                  for p, f in per),
}


def main():
    runs = []
    for a in sys.argv[1:]:
        if ":" in a:
            w, n = a.split(":", 1)
            runs.append((w, n))
        elif os.path.isdir(a):
            work = a
        else:
            runs.append((work, a))
    data_root = os.environ.get("WARDEN_DATA", "../shared/data")
    corpus = data.build(data_root, os.path.join(runs[0][0], "bin", "featurize"))
    recs = corpus.records
    y = np.array([[r["pi"], r["jb"]] for r in recs], dtype=np.int64)
    src = np.array([r["source"] for r in recs], dtype=object)
    out = {}
    for work, name in runs:
        dn = np.load(os.path.join(work, "devnegs-%s.npz" % name))
        sc = np.load(os.path.join(work, "scores-%s.npz" % name))
        fo = np.load(os.path.join(work, "folds-%s.npz" % name))
        te, pt = sc["idx"], sc["probs"]
        for l, lab in enumerate(P.LABELS):
            k = 0
            per = []
            while "%s_%d_probs" % (lab, k) in dn:
                per.append((dn["%s_%d_probs" % (lab, k)], [P.family(s) for s in dn["%s_%d_sources" % (lab, k)]]))
                k += 1
            for rule, f in RULES.items():
                esc, blk = f(per, P.TARGET_FPR["escalate"]), f(per, P.TARGET_FPR["block"])
                # benign test-split FPR at escalate, per benign prompt source
                fprs = {}
                for s in P.BENIGN_PROMPT_SOURCES:
                    m = (src[te] == s) & (y[te, 0] == 0) & (y[te, 1] == 0)
                    if m.sum() >= 30:
                        fprs[s] = float(np.mean(pt[m, l] >= esc))
                # held-out recall at escalate (fold models, their groups' positives)
                rec = []
                for g, gl in P.FOLDS:
                    if gl != l:
                        continue
                    idx, p = fo["%s_idx" % g], fo["%s_probs" % g]
                    pos = y[idx, l] == 1
                    rec.append(float(np.mean(p[pos, l] >= esc)))
                # in-source test recall at escalate
                tpos = y[te, l] == 1
                out.setdefault(rule, {}).setdefault(lab, {})[name] = dict(
                    escalate=esc, block=blk, benign_fpr_max=round(max(fprs.values()), 4),
                    benign_fpr_max_source=max(fprs, key=fprs.get),
                    heldout_recall_mean=round(float(np.mean(rec)), 4),
                    in_source_recall=round(float(np.mean(pt[tpos, l] >= esc)), 4))
    names = [n for _, n in runs]
    for lab in P.LABELS:
        print("\n%s: escalate threshold / max benign test FPR / held-out recall / in-source recall, per variant" % lab)
        print("| rule | " + " | ".join(names) + " | escalate spread |")
        print("|---|" + "---|" * (len(names) + 1))
        for rule in RULES:
            cells, escs = [], []
            for n in names:
                r = out[rule][lab][n]
                escs.append(r["escalate"])
                cells.append("%.3f / %.1f %% / %.3f / %.3f" % (r["escalate"], 100 * r["benign_fpr_max"],
                                                              r["heldout_recall_mean"], r["in_source_recall"]))
            print("| %s | %s | %.3f |" % (rule, " | ".join(cells), max(escs) - min(escs)))
    if os.environ.get("JSON"):  # the figures, to keep
        with open(os.environ["JSON"], "w") as f:
            json.dump(out, f, indent=1, sort_keys=True)
            f.write("\n")


if __name__ == "__main__":
    main()
