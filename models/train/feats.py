"""Runs the Go featurizer (models/featurize) and loads its output."""

import hashlib
import json
import os
import subprocess

import numpy as np


class Feats:
    """Windows of hashed n-gram ids for a list of texts.

    ids[offsets[w]:offsets[w+1]] are the ids of window w; owner[w] is its
    text; wstart[t]:wstart[t+1] are the windows of text t (contiguous)."""

    def __init__(self, ids, offsets, owner, n_texts):
        self.ids = ids
        self.offsets = offsets
        self.owner = owner
        counts = np.bincount(owner, minlength=n_texts)
        self.wstart = np.zeros(n_texts + 1, dtype=np.int64)
        np.cumsum(counts, out=self.wstart[1:])
        assert (np.diff(owner) >= 0).all()

    @property
    def n_windows(self):
        return len(self.owner)

    def window_ids(self, w):
        return self.ids[self.offsets[w]:self.offsets[w + 1]]


def featurize(featurize_bin, texts, cfg, runes, overlap, workdir):
    """Featurises texts with the Go tool, caching by content hash."""
    return _run(featurize_bin, texts, workdir, [cfg, runes, overlap],
                ["ids", "-config", json.dumps(cfg), "-runes", str(runes), "-overlap", str(overlap)])


def tokens(featurize_bin, texts, tokenizer_json, max_len, stride, workdir):
    """Token-id windows of a kind-hf model (tokenizer_json, windows of
    max_len tokens overlapping by stride), cached by content hash."""
    tok = open(tokenizer_json, "rb").read()
    return _run(featurize_bin, texts, workdir, [hashlib.sha256(tok).hexdigest(), max_len, stride],
                ["tokens", "-tokenizer", tokenizer_json, "-max", str(max_len), "-stride", str(stride)])


def _run(featurize_bin, texts, workdir, key_parts, args):
    h = hashlib.sha256()
    h.update(json.dumps(key_parts, sort_keys=True).encode())
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\x00")
    key = h.hexdigest()[:20]
    out = os.path.join(workdir, "feats-" + key)
    done = os.path.join(out, "done")
    if not os.path.exists(done):
        os.makedirs(out, exist_ok=True)
        inp = os.path.join(out, "texts.jsonl")
        with open(inp, "w", encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
        subprocess.run([featurize_bin] + args + ["-in", inp, "-out", out], check=True)
        os.remove(inp)  # do not keep copies of the data around
        open(done, "w").close()
    ids = np.fromfile(os.path.join(out, "ids.i32"), dtype="<i4")
    offsets = np.fromfile(os.path.join(out, "offsets.i64"), dtype="<i8")
    owner = np.fromfile(os.path.join(out, "owner.i32"), dtype="<i4")
    assert len(offsets) == len(owner) + 1 and offsets[-1] == len(ids)
    return Feats(ids, offsets, owner, len(texts))
