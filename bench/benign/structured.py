#!/usr/bin/env python3
"""Writes sets of benign structured text, the kind that gets pasted into
prompts (source code, documentation, markup, configuration), one JSONL file
per set, for `warden eval` (bench/benign/run.sh with SETS=structured).

The texts come from this machine, not from ../shared/data: the Go tree
(`go env GOROOT`: Go, C and assembly sources, Markdown, HTML, JSON and YAML),
Python's standard library and /usr/share/doc. No classifier trained on them
and nothing is tuned to them; they measure how often the default policy
blocks or escalates text that no training source resembles closely. Each
piece is a seeded random span of about 1,000 characters of one file (cut at
line starts), so a set is the same on every machine with the same Go, Python
and Debian packages (/usr/share/doc varies with the packages installed).

usage: structured.py GOROOT OUT_DIR
"""
import glob
import json
import os
import random
import sys
import sysconfig

SIZE = 1000
SEED = 20261128


def pieces(paths, n, salt):
    """n spans of about SIZE characters, one per file, from files of at
    least SIZE characters, in a seeded order (sorted first: the order does
    not depend on the file system)."""
    rng = random.Random("%d:%s" % (SEED, salt))
    paths = sorted(set(paths))
    rng.shuffle(paths)
    out = []
    for p in paths:
        if len(out) >= n:
            break
        if not os.path.isfile(p) or os.path.getsize(p) > 2_000_000:
            continue
        try:
            with open(p, encoding="utf-8") as f:
                t = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        if len(t) < SIZE:
            continue
        at = rng.randrange(0, len(t) - SIZE + 1)
        nl = t.rfind("\n", 0, at) + 1  # start at a line
        piece = t[nl:nl + SIZE]
        if piece.strip():
            out.append(piece)
    return out


def main():
    goroot, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    src = os.path.join(goroot, "src")

    def g(*patterns):
        return [p for pat in patterns for p in glob.glob(pat, recursive=True)]

    stdlib = sysconfig.get_paths()["stdlib"]
    sets = {
        "go-source": pieces([p for p in g(src + "/**/*.go") if "/testdata/" not in p], 400, "go"),
        "c-asm-source": pieces(g(src + "/**/*.c", src + "/**/*.s"), 200, "c"),
        "python-source": pieces(g(stdlib + "/*.py", stdlib + "/*/*.py"), 300, "py"),
        "markdown-docs": pieces(g(goroot + "/**/*.md", "/usr/share/doc/**/README*", "/usr/share/doc/**/*.md",
                                  "/usr/share/doc/**/*.txt"), 300, "md"),
        "html-json-yaml": pieces(g(goroot + "/**/*.html", goroot + "/**/*.json", goroot + "/**/*.yaml",
                                   "/usr/share/doc/**/*.html"), 150, "markup"),
    }
    for name, texts in sets.items():
        with open(os.path.join(out, name + ".jsonl"), "w", encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps({"text": t, "stage": "prompt", "labels": []}, ensure_ascii=False) + "\n")
        print("%-16s %5d pieces" % (name, len(texts)))


if __name__ == "__main__":
    main()
