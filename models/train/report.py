"""Prints the Markdown metric tables of models/README.md from the shipped
manifest, models/train/variants.json and models/train/pool_variants.json:

  /usr/bin/python3 models/train/report.py                  # models/injection
  /usr/bin/python3 models/train/report.py injection_cnn    # another model directory
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)


def f(x):
    return "–" if x is None else ("%.3f" % x)


def main():
    name = sys.argv[1] if len(sys.argv) > 1 else "injection"
    man = json.load(open(os.path.join(MODELS, name, "manifest.json")))
    met = man["metrics"]
    thr = man["thresholds"]
    print("Thresholds: " + "; ".join("%s escalate %.3f, block %.3f" % (l, thr[l]["escalate"], thr[l]["block"])
                                     for l in man["labels"]))
    print()
    print("| label | evaluation | group | pos | neg | AUPRC | AUPRC@50% | AUROC | P@esc | R@esc | F1@esc | R@block |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for l in man["labels"]:
        for g, v in met["in_source_test"][l].items():
            if not v["n_pos"]:
                continue
            print("| %s | in-source (test split) | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |" % (
                l, g, v["n_pos"], v["n_neg"], f(v.get("auprc")), f(v.get("auprc_balanced")), f(v.get("auroc")),
                f(v["escalate"]["precision"]), f(v["escalate"]["recall"]), f(v["escalate"]["f1"]),
                f(v["block"]["recall"])))
        for g, v in met["cross_source_leave_one_group_out"].get(l, {}).items():
            print("| %s | cross-source (group held out) | %s | %d | %d | %s | %s | %s | %s | %s | %s | %s |" % (
                l, g, v["n_pos"], v["n_neg"], f(v.get("auprc")), f(v.get("auprc_balanced")), f(v.get("auroc")),
                f(v["escalate"]["precision"]), f(v["escalate"]["recall"]), f(v["escalate"]["f1"]),
                f(v["block"]["recall"])))
    print()
    print("| held-out negatives (test split) | n | PI FPR@esc | PI FPR@block | JB FPR@esc | JB FPR@block |")
    print("|---|---:|---:|---:|---:|---:|")
    for s, v in met["benign_fpr_test"].items():
        print("| %s | %d | %s | %s | %s | %s |" % (s, v["n"], f(v["prompt_injection_escalate"]),
                                                 f(v["prompt_injection_block"]), f(v["jailbreak_escalate"]),
                                                 f(v["jailbreak_block"])))
    header()
    path = os.path.join(HERE, "variants.json")
    if name != "injection":  # this model's own row, to set beside the variants
        print(row("%s (%s)" % (man["training"]["variant"], name), met["summary"], 0))
    elif os.path.exists(path):
        for v_name, v in json.load(open(path)).items():
            print(row(v_name, v["summary"], v.get("seconds", 0)))
    # the pooling variants, measured on the current corpus beside the shipped model
    path = os.path.join(HERE, "pool_variants.json")
    if name == "injection" and os.path.exists(path):
        header()
        print(row("%s (shipped)" % man["training"]["variant"], met["summary"], 0))
        for v_name, v in json.load(open(path)).items():
            print(row(v_name, v["summary"], v.get("seconds", 0)))


def header():
    print()
    print("| variant | cross AUPRC PI | cross AUPRC JB | cross AUPRC@50% PI | cross AUPRC@50% JB | "
          "cross R@esc PI | cross R@esc JB | in-source AUPRC PI | in-source AUPRC JB | "
          "max benign FPR@esc PI | max benign FPR@esc JB | train s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def row(name, s, seconds):
    return "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        name, f(s["cross_source_auprc_mean"]["prompt_injection"]), f(s["cross_source_auprc_mean"]["jailbreak"]),
        f(s["cross_source_auprc_balanced_mean"]["prompt_injection"]),
        f(s["cross_source_auprc_balanced_mean"]["jailbreak"]),
        f(s["cross_source_recall_escalate_mean"]["prompt_injection"]),
        f(s["cross_source_recall_escalate_mean"]["jailbreak"]),
        f(s["in_source_auprc"]["prompt_injection"]), f(s["in_source_auprc"]["jailbreak"]),
        f(s["benign_fpr_escalate_max"]["prompt_injection"]), f(s["benign_fpr_escalate_max"]["jailbreak"]),
        seconds or "–")


if __name__ == "__main__":
    main()
