"""Train Warden's PERSON/LOCATION tagger and export it to ONNX.

Reads the featurised splits written by `nertrain data` (hashed feature ids
from classifiers/detect/nerfeat, BIO labels), trains a small convolutional
tagger and exports models/ner/ner.onnx:

    ids  [batch, tokens, 16] int64  -> sum of feature embeddings per token
    mask [batch, tokens]     float  -> 1 for real tokens, 0 for padding
    conv1d(k=3) -> ReLU -> * mask -> conv1d(k=3) -> ReLU -> linear -> softmax
    probs [batch, tokens, 5]

Each output depends on the features of the token and 2 tokens each side
(radius 2; the features themselves read 2 more). The mask zeroes padding
after the first convolution, so a padded batch gives the same outputs as
the sequence alone (zero padding, as in training).

Run with Debian's torch: /usr/bin/python3 models/nertrain/train.py --work DIR --out models/ner
"""
import argparse
import json
import os
import random
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SLOTS = 16


def load(work, split):
    ids = np.fromfile(os.path.join(work, split + ".ids.i32"), dtype="<i4").reshape(-1, SLOTS)
    labels = np.fromfile(os.path.join(work, split + ".labels.i8"), dtype="i1")
    offs = np.fromfile(os.path.join(work, split + ".offs.i64"), dtype="<i8")
    seqs = [(ids[offs[i]:offs[i + 1]], labels[offs[i]:offs[i + 1]]) for i in range(len(offs) - 1)]
    return seqs


class Tagger(nn.Module):
    def __init__(self, buckets, dim, hidden, nlabels):
        super().__init__()
        self.emb = nn.Embedding(buckets, dim, padding_idx=0)
        self.conv1 = nn.Conv1d(dim, hidden, 3, padding=1)
        self.conv2 = nn.Conv1d(hidden, hidden, 3, padding=1)
        self.out = nn.Linear(hidden, nlabels)
        self.drop = nn.Dropout(0.2)
        self.feat_drop = 0.25

    def logits(self, ids, mask):
        if self.training and self.feat_drop > 0:
            # Feature dropout: hide whole features (often the word itself) so
            # the tagger learns shape and context, not a list of names.
            keep = (torch.rand(ids.shape) >= self.feat_drop).long()
            ids = ids * keep
        x = self.emb(ids).sum(2)  # [B, T, D]
        x = self.drop(x)
        x = x.transpose(1, 2)  # [B, D, T]
        m = mask.unsqueeze(1)
        h = F.relu(self.conv1(x)) * m
        h = self.drop(h)
        h = F.relu(self.conv2(h))
        return self.out(h.transpose(1, 2))  # [B, T, L]

    def forward(self, ids, mask):
        return F.softmax(self.logits(ids, mask), dim=-1)


def batches(seqs, size, shuffle, rng):
    order = list(range(len(seqs)))
    if shuffle:
        rng.shuffle(order)
    # bucket by length inside chunks to limit padding
    chunks = [order[i:i + size * 20] for i in range(0, len(order), size * 20)]
    for ch in chunks:
        ch.sort(key=lambda i: len(seqs[i][1]))
        bs = [ch[i:i + size] for i in range(0, len(ch), size)]
        if shuffle:
            rng.shuffle(bs)
        for b in bs:
            T = max(len(seqs[i][1]) for i in b)
            ids = np.zeros((len(b), T, SLOTS), dtype=np.int64)
            lab = np.full((len(b), T), -100, dtype=np.int64)
            mask = np.zeros((len(b), T), dtype=np.float32)
            for k, i in enumerate(b):
                s_ids, s_lab = seqs[i]
                n = len(s_lab)
                ids[k, :n] = s_ids
                lab[k, :n] = s_lab
                mask[k, :n] = 1
            yield torch.from_numpy(ids), torch.from_numpy(mask), torch.from_numpy(lab)


def token_f1(model, seqs):
    model.eval()
    tp = fp = fn = 0
    with torch.no_grad():
        for ids, mask, lab in batches(seqs, 64, False, None):
            pred = model.logits(ids, mask).argmax(-1)
            valid = lab >= 0
            g = (lab > 0) & valid
            p = (pred > 0) & valid
            tp += int(((pred == lab) & g).sum())
            fp += int((p & (pred != lab)).sum())
            fn += int((g & (pred != lab)).sum())
    model.train()
    prec = tp / max(1, tp + fp)
    rec = tp / max(1, tp + fn)
    return 2 * prec * rec / max(1e-9, prec + rec)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--dim", type=int, default=24)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--version", default="1.0.0")
    args = ap.parse_args()

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)
    meta = json.load(open(os.path.join(args.work, "data.json")))
    buckets = meta["featurizer"]["buckets"]
    nlabels = len(meta["labels"])
    train, dev = load(args.work, "train"), load(args.work, "dev")
    model = Tagger(buckets, args.dim, args.hidden, nlabels)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    rng = random.Random(args.seed)
    best, best_state, history = -1.0, None, []
    t0 = time.time()
    for ep in range(args.epochs):
        total, n = 0.0, 0
        for ids, mask, lab in batches(train, 32, True, rng):
            loss = F.cross_entropy(model.logits(ids, mask).reshape(-1, nlabels), lab.reshape(-1), ignore_index=-100)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss)
            n += 1
        f1 = token_f1(model, dev)
        history.append({"epoch": ep + 1, "loss": round(total / n, 4), "dev_token_f1": round(f1, 4)})
        print(history[-1], flush=True)
        if f1 > best:
            best = f1
            best_state = {k: v.clone() for k, v in model.state_dict().items()}
    model.load_state_dict(best_state)
    model.eval()
    os.makedirs(args.out, exist_ok=True)
    ids = torch.zeros((2, 7, SLOTS), dtype=torch.int64)
    mask = torch.ones((2, 7), dtype=torch.float32)
    torch.onnx.export(
        model, (ids, mask), os.path.join(args.out, "ner.onnx"),
        input_names=["ids", "mask"], output_names=["probs"],
        dynamic_axes={"ids": {0: "batch", 1: "tokens"}, "mask": {0: "batch", 1: "tokens"}, "probs": {0: "batch", 1: "tokens"}},
        opset_version=13,
    )
    info = {
        "version": args.version, "seed": args.seed, "epochs": args.epochs, "dim": args.dim, "hidden": args.hidden,
        "buckets": buckets, "best_dev_token_f1": round(best, 4), "history": history,
        "seconds": round(time.time() - t0, 1), "torch": torch.__version__,
        "selection": "epoch with the best dev token F1 (dev = held-out templates, never test)",
    }
    json.dump(info, open(os.path.join(args.work, "train.json"), "w"), indent=2)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
