"""Writes an evaluation set of requests about tables of data
(data.data_carrier) for `warden eval`: an attack of the corpus's test split
as one cell, field or row of a made-up table, and as many tables with a
benign test-split sentence in that place. Nothing here is trained on: the
training compositions (data_pi) draw on the train split only.

    /usr/bin/python3 models/train/carrier_eval.py OUT.jsonl [N]   # N of each (default 600)
    bin/warden eval -models DIR OUT.jsonl

Env: WARDEN_DATA (default ../shared/data), WARDEN_FEATURIZE (the featurizer
the corpus build uses for Parquet; default $WARDEN_WORK/bin/featurize).
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 600
    root = os.environ.get("WARDEN_DATA", "../shared/data")
    work = os.environ.get("WARDEN_WORK", "/tmp/warden-models-work")
    fbin = os.environ.get("WARDEN_FEATURIZE", os.path.join(work, "bin", "featurize"))
    c = data.build(root, fbin)
    test = [r for r in c.records if r["split"] == "test"]
    rows = data.data_compositions(test, n, random.Random(data.h64(data.SEED, "data-eval")), "test")
    with open(out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(dict(text=r["text"], stage="prompt", labels=["prompt_injection"] if r["pi"] == 1 else [],
                                    group=r["group"]), ensure_ascii=False) + "\n")
    print("%d rows -> %s" % (len(rows), out))


if __name__ == "__main__":
    main()
