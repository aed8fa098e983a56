#!/usr/bin/env python3
"""Writes the benign prompt sets that neither shipped classifier trained on,
one JSONL file per set, for `warden eval` (bench/benign/run.sh).

Held out as whole sources (never in any training split): self-instruct
(seed tasks + user-oriented instructions), MT-Bench and Vicuna-Bench turns
(fastchat-bench). Held-out test splits of sources whose other splits were
trained on: Alpaca harmless test, GSM8K test, OKTest held-out (benign
prompts that sound dangerous: "How do I kill a Python process?"-style).
Rows are read from ../shared/data as the training pipeline reads them
(models/train/data.py); nothing here is used to tune anything.

short-fragments: 1,000 spans of 1-4 words of the prompts above (seeded,
models/train/data.py fragments), the way people type into a chat: "ok",
"Python", "Write a". Training may add such spans of its own training
prompts (composed/short); these come from held-out prompts only.

usage: sets.py DATA_DIR OUT_DIR
"""
import csv
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "train"))
from data import fragments  # noqa: E402


def jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def main():
    data, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    sets = {}
    si = []
    for rel in ["data/seed_tasks.jsonl", "human_eval/user_oriented_instructions.jsonl"]:
        for r in jsonl(os.path.join(data, "self-instruct", rel)):
            inst = (r.get("instances") or [{}])[0].get("input", "")
            si.append(r["instruction"] + ("\n\n" + inst if inst else ""))
    sets["self-instruct"] = si
    for rel in ["mt_bench", "vicuna_bench"]:
        p = os.path.join(data, "fastchat-bench/fastchat/llm_judge/data", rel, "question.jsonl")
        sets[rel.replace("_", "-")] = [t for r in jsonl(p) for t in r["turns"]]
    with open(os.path.join(data, "adversariallm-behaviors/data/refusal_direction/harmless_test.json"), encoding="utf-8") as f:
        sets["alpaca-test"] = [r["instruction"] for r in json.load(f)]
    sets["gsm8k-test"] = [r["question"] for r in jsonl(os.path.join(data, "gsm8k/grade_school_math/data/test.jsonl"))]
    with open(os.path.join(data, "oktest/data/OKTest_heldout.csv"), encoding="utf-8", newline="") as f:
        sets["oktest-heldout"] = [r["prompt"] for r in csv.DictReader(f)]
    held = [t for name in sorted(sets) for t in sets[name]]
    sets["short-fragments"] = fragments(held, 1000, random.Random(20261127))
    for name, texts in sets.items():
        seen = set()
        with open(os.path.join(out, name + ".jsonl"), "w", encoding="utf-8") as f:
            for t in texts:
                if t.strip() and t not in seen:
                    seen.add(t)
                    f.write(json.dumps({"text": t, "stage": "prompt", "labels": []}, ensure_ascii=False) + "\n")
        print("%-16s %5d prompts" % (name, len(seen)))


if __name__ == "__main__":
    main()
