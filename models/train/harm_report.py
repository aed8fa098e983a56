"""Prints the Markdown metric tables of the harm section of models/README.md
from models/harm/manifest.json and models/train/harm_variants.json:

  /usr/bin/python3 models/train/harm_report.py
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.dirname(HERE)


def f(x):
    return "–" if x is None else ("%.3f" % x)


def main():
    man = json.load(open(os.path.join(MODELS, "harm", "manifest.json")))
    met = man["metrics"]
    thr = man["thresholds"]
    labels = man["labels"]
    cs = met["cross_source_leave_one_group_out"]
    print("| category | escalate | block | test pos | test AUPRC | AUPRC@50% | P@block | R@block | R@esc | dev AUPRC "
          "| dev P@block | dev R@block | cross-source AUPRC (mean) | AUPRC@50% (mean) | folds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for l in labels:
        a = met["in_source_test"][l]["all"]
        d = met["dev"][l]
        c = cs.get(l, {})
        print("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            l, f(thr[l]["escalate"]), f(thr[l]["block"]), a["n_pos"], f(a.get("auprc")), f(a.get("auprc_balanced")),
            f(a["block"]["precision"]), f(a["block"]["recall"]), f(a["escalate"]["recall"]), f(d.get("auprc")),
            f(d["block"]["precision"]), f(d["block"]["recall"]),
            f(met["summary"]["cross_source_auprc_mean"].get(l)),
            f(met["summary"]["cross_source_auprc_balanced_mean"].get(l)),
            ", ".join("%s %.2f" % (g, v["auprc"]) for g, v in sorted(c.items()) if "auprc" in v)))
    s = met["summary"]
    print()
    print("Mean cross-source AUPRC over categories: %s at natural prevalence, %s at 50%% prevalence; in-source "
          "macro AUPRC %s." % (f(s["cross_source_auprc_mean_all"]), f(s["cross_source_auprc_balanced_mean_all"]),
                               f(s["in_source_auprc_macro"])))
    print()
    print("Cross-source detail (AUPRC / AUPRC@50% / recall at escalate / FPR at escalate):")
    print()
    print("| category | held-out group | pos | neg | AUPRC | AUPRC@50% | R@esc | FPR@esc |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for l in labels:
        for g, v in sorted(cs.get(l, {}).items()):
            print("| %s | %s | %d | %d | %s | %s | %s | %s |" % (l, g, v["n_pos"], v["n_neg"], f(v.get("auprc")),
                                                            f(v.get("auprc_balanced")), f(v["escalate"]["recall"]),
                                                            f(v["escalate"]["fpr"])))
    print()
    print("False-positive rate on the test split of negative sources (any category at or above its threshold; "
          "worst single category in brackets):")
    print()
    print("| source | benign prompts? | n | any @block | any @escalate | worst category @block |")
    print("|---|---|---:|---:|---:|---|")
    for s_, v in met["benign_fpr_test"].items():
        worst = max(labels, key=lambda l: v[l + "_block"])
        print("| %s | %s | %d | %s | %s | %s %.3f |" % (s_, "yes" if v["benign_prompt"] else "no", v["n"],
                                                    f(v["any_block"]), f(v["any_escalate"]), worst, v[worst + "_block"]))
    print()
    print("Per-language test AUPRC (natural prevalence; `–` = fewer than 3 positives or negatives):")
    print()
    print("| lang | n | " + " | ".join(labels) + " |")
    print("|---|---:|" + "---:|" * len(labels))
    for lg, v in sorted(met["per_language_test"].items()):
        print("| %s | %d | %s |" % (lg, v["n"], " | ".join(f(v[l].get("auprc")) if l in v else "–" for l in labels)))
    vp = os.path.join(HERE, "harm_variants.json")
    if os.path.exists(vp):
        vs = json.load(open(vp))
        print()
        print("| variant (corpus) | in-source macro AUPRC | dev macro AUPRC | cross-source AUPRC (mean) | cross-source "
              "AUPRC@50% (mean) | worst benign-prompt FPR any @block | params (bytes) | PyTorch µs/window | fit s |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, v in sorted(vs.items()):
            s = v["summary"]
            print("| %s (%s) | %s | %s | %s | %s | %s | %d | %s | %s |" % (
                v.get("variant", name), v.get("corpus", "v2"), f(s["in_source_auprc_macro"]),
                f(s.get("dev_auprc_macro")), f(s["cross_source_auprc_mean_all"]),
                f(s["cross_source_auprc_balanced_mean_all"]), f(s["benign_prompt_fpr_any_block_max"]),
                v.get("size_bytes_fp16_params", v.get("size_bytes_fp32_params", 0)),
                v.get("latency_us_pytorch_1window", "–"), v.get("seconds")))


if __name__ == "__main__":
    main()
