"""Byte-level CNN: the sequence-model family measured against the hashed
n-gram bag (model.py) on the same corpus, splits, folds and threshold rule.

It is served as a model of kind hf (classifiers.HFModel): a byte-level BPE
tokenizer.json without merges (every UTF-8 byte is one token), windows of
MAX_LEN tokens overlapping by STRIDE, and an ONNX graph with the Hugging Face
input and output names (input_ids, attention_mask -> logits). Training reads
the token windows from the Go featurizer (`featurize tokens`), so training
and serving cut texts identically.

Model: byte embedding (masked: padding is zero, exactly like the
convolutions' own zero padding, so a window's score does not depend on how
wide its batch was padded) -> parallel Conv1d per kernel size -> ReLU ->
max over the window's positions -> Linear -> ReLU -> Linear -> logits; a
text's logit per label is the maximum over its windows (in the loss too).
Per-label Platt scaling is folded into the last layer, so sigmoid(logits)
is the calibrated probability.
"""

import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import model as M

MAX_LEN = 256
STRIDE = 32


def byte_alphabet():
    """GPT-2's printable stand-in for each byte (what a ByteLevel
    pre-tokenizer's vocabulary is written in)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def write_tokenizer(path):
    """A byte-level BPE tokenizer.json without merges: byte b is token b."""
    alpha = byte_alphabet()
    tok = {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                  "vocab": {alpha[b]: b for b in range(256)}, "merges": []},
    }
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False, indent=1)
        f.write("\n")


class ByteCNN(nn.Module):
    def __init__(self, dim, channels, kernels, hidden, n_labels, vocab=256):
        super().__init__()
        self.emb = nn.Embedding(vocab, dim)
        self.convs = nn.ModuleList(nn.Conv1d(dim, channels, k, padding=k // 2) for k in kernels)
        self.fc1 = nn.Linear(channels * len(kernels), hidden)
        self.fc2 = nn.Linear(hidden, n_labels)

    def forward(self, input_ids, attention_mask):
        m = attention_mask.to(torch.float32)
        x = (self.emb(input_ids) * m.unsqueeze(-1)).transpose(1, 2)  # [B, D, S]
        off = ((m - 1.0) * 1e4).unsqueeze(1)  # 0 on tokens, -1e4 on padding
        # ReLU outputs are >= 0, so clamping the masked max at 0 changes
        # nothing for a window with tokens and gives zeros for an empty one.
        h = torch.cat([torch.clamp((F.relu(c(x)) + off).amax(dim=2), min=0.0) for c in self.convs], dim=1)
        return self.fc2(F.relu(self.fc1(h)))


def _pad(feats, wins):
    """ids/mask [len(wins), width] for windows wins (width = the longest)."""
    lens = feats.offsets[wins + 1] - feats.offsets[wins]
    width = max(int(lens.max()) if len(lens) else 1, 1)
    ids = np.zeros((len(wins), width), dtype=np.int64)
    mask = np.zeros((len(wins), width), dtype=np.int64)
    for i, w in enumerate(wins):
        a, b = feats.offsets[w], feats.offsets[w + 1]
        ids[i, :b - a] = feats.ids[a:b]
        mask[i, :b - a] = 1
    return torch.from_numpy(ids), torch.from_numpy(mask)


def _text_logits(model, feats, text_idx):
    ws = [np.arange(feats.wstart[t], feats.wstart[t + 1]) for t in text_idx]
    wins = np.concatenate(ws)
    ids, mask = _pad(feats, wins)
    return M.max_over_windows(model(ids, mask), M.window_index(ws))


def _batches(feats, text_idx, bs, rng):
    """Batches of positions into text_idx with similar total lengths (less
    padding), in random order: shuffled, sorted by length within chunks of
    32 batches, cut, then the batches shuffled."""
    n = len(text_idx)
    length = (feats.offsets[feats.wstart[text_idx + 1]] - feats.offsets[feats.wstart[text_idx]])
    perm = rng.permutation(n) if rng is not None else np.arange(n)
    out = []
    for c in range(0, n, 32 * bs):
        chunk = perm[c:c + 32 * bs]
        chunk = chunk[np.argsort(length[chunk], kind="stable")]
        out += [chunk[b:b + bs] for b in range(0, len(chunk), bs)]
    if rng is not None:
        out = [out[i] for i in rng.permutation(len(out))]
    return out


def train(feats, text_idx, y, w, cfg, seed, log=None, anyh=None, nbase=None):
    """Same contract as model.train: labels y [N, L] in {1, 0, -1}, per-text
    weights w [N]. With anyh [N] (the harm model's rows known to be harmful
    but of no known category) those rows add BCE(max of the first nbase
    logits, 1), weighted any_weight times the mean positive weight."""
    M.set_determinism(seed, cfg.get("threads", 1))
    L = y.shape[1]
    model = ByteCNN(cfg["dim"], cfg["channels"], cfg["kernels"], cfg["hidden"], L)
    loss_of = M.Loss(y, w, cfg.get("pos_frac", 0.5), anyh=anyh, nbase=nbase, any_weight=cfg.get("any_weight", 1.0))
    opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg.get("wd", 0.0))
    rng = np.random.RandomState(seed)
    batches_per_epoch = len(_batches(feats, text_idx, cfg["batch"], None))
    steps = cfg["epochs"] * batches_per_epoch
    step = 0
    for ep in range(cfg["epochs"]):
        tot = 0.0
        for sel in _batches(feats, text_idx, cfg["batch"], rng):
            for g in opt.param_groups:
                g["lr"] = cfg["lr"] * max(1.0 - step / steps, 0.05)
            logits = _text_logits(model, feats, text_idx[sel])
            loss = loss_of(logits, sel)
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += float(loss) * len(sel)
            step += 1
        if log:
            log("  epoch %d loss %.4f" % (ep + 1, tot / len(text_idx)))
    return model


@torch.no_grad()
def score(model, feats, text_idx, bs=256):
    """Per-text logits [N, L] (max over windows)."""
    model.eval()
    out = np.zeros((len(text_idx), model.fc2.out_features), np.float32)
    for sel in _batches(feats, np.asarray(text_idx), bs, None):
        out[sel] = _text_logits(model, feats, np.asarray(text_idx)[sel]).numpy()
    model.train()
    return out


# ------------------------------------------------------------------ export

def folded(model, calib):
    """A copy of model with Platt scaling (logit' = a*logit + b) folded into
    its last layer."""
    import copy
    m = copy.deepcopy(model).eval()
    a = torch.tensor([c[0] for c in calib], dtype=torch.float64)
    b = torch.tensor([c[1] for c in calib], dtype=torch.float64)
    with torch.no_grad():
        W = m.fc2.weight.to(torch.float64) * a.unsqueeze(1)
        bias = m.fc2.bias.to(torch.float64) * a + b
        m.fc2.weight.copy_(W.to(torch.float32))
        m.fc2.bias.copy_(bias.to(torch.float32))
    return m


def export(model, calib, labels, out, cfg):
    """Writes out/{model.onnx, tokenizer.json, config.json}: a Hugging
    Face-style export that classifiers.HFModel loads (sigmoid over logits)."""
    os.makedirs(out, exist_ok=True)
    m = folded(model, calib)
    ids = torch.zeros((2, 16), dtype=torch.int64)
    mask = torch.ones((2, 16), dtype=torch.int64)
    torch.onnx.export(m, (ids, mask), os.path.join(out, "model.onnx"), input_names=["input_ids", "attention_mask"],
                      output_names=["logits"], opset_version=13,
                      dynamic_axes={"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
                                    "logits": {0: "batch"}})
    write_tokenizer(os.path.join(out, "tokenizer.json"))
    conf = {
        "model_type": "warden-byte-cnn",
        "architectures": ["WardenByteCNN"],
        "problem_type": "multi_label_classification",
        "id2label": {str(i): l for i, l in enumerate(labels)},
        "label2id": {l: i for i, l in enumerate(labels)},
        "max_position_embeddings": MAX_LEN,
        "pad_token_id": 0,
        "warden": dict(cfg, stride=STRIDE,
                       note="byte-level CNN trained by models/train (cnn.py); logits are calibrated (sigmoid)"),
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(conf, f, indent=1)
        f.write("\n")
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"model_max_length": MAX_LEN}, f, indent=1)
        f.write("\n")
    return m


@torch.no_grad()
def reference_probs(m, feats):
    """Per-window calibrated probabilities of the folded model m (PyTorch),
    for parity with ONNX Runtime."""
    out = []
    for w in range(feats.n_windows):
        ids = torch.from_numpy(feats.window_ids(w).astype(np.int64)).unsqueeze(0)
        if ids.shape[1] == 0:
            ids = torch.zeros((1, 1), dtype=torch.int64)
            mask = torch.zeros((1, 1), dtype=torch.int64)
        else:
            mask = torch.ones_like(ids)
        out.append(torch.sigmoid(m(ids, mask))[0].numpy())
    return np.array(out, dtype=np.float32)
