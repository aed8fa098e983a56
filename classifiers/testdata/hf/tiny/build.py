"""Builds the tiny Hugging Face-style classifier the HF tests load.

A 2-layer BERT-like encoder (hidden 32, 2 heads) with random weights from a
fixed seed, over the WordPiece test tokenizer; exported to ONNX with dynamic
batch and sequence axes (inputs input_ids, attention_mask, token_type_ids;
output logits), with a config.json (id2label) and the tokenizer.json beside
it. expected.json records, for each text of cases.json, the windows of token
ids (from the reference tokenizer, run through node) and PyTorch's logits
for each window, computed one window at a time without padding.

    /usr/bin/python3 build.py OUT_DIR   (Debian python3-torch; node + reference/)
"""
import hashlib
import json
import math
import os
import subprocess
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
HF = os.path.dirname(HERE)
TOKENIZER = os.path.join(HF, "tokenizers", "wordpiece", "tokenizer.json")
LABELS = ["SAFE", "INJECTION", "JAILBREAK"]


class Layer(nn.Module):
    def __init__(self, h, heads, ff):
        super().__init__()
        self.heads, self.h, self.d = heads, h, h // heads
        self.q, self.k, self.v, self.o = (nn.Linear(h, h) for _ in range(4))
        self.ln1 = nn.LayerNorm(h, eps=1e-12)
        self.ff1, self.ff2 = nn.Linear(h, ff), nn.Linear(ff, h)
        self.ln2 = nn.LayerNorm(h, eps=1e-12)

    def forward(self, x, bias):
        b = x.shape[0]

        def split(t):
            return t.reshape(b, -1, self.heads, self.d).transpose(1, 2)

        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(self.d) + bias, dim=-1)
        ctx = (att @ v).transpose(1, 2).reshape(b, -1, self.h)
        x = self.ln1(x + self.o(ctx))
        return self.ln2(x + self.ff2(F.gelu(self.ff1(x))))


class TinyBert(nn.Module):
    def __init__(self, vocab, h=32, layers=2, heads=2, ff=64, positions=64, labels=3):
        super().__init__()
        self.word = nn.Embedding(vocab, h)
        self.pos = nn.Embedding(positions, h)
        self.typ = nn.Embedding(2, h)
        self.ln = nn.LayerNorm(h, eps=1e-12)
        self.layers = nn.ModuleList(Layer(h, heads, ff) for _ in range(layers))
        self.pool = nn.Linear(h, h)
        self.cls = nn.Linear(h, labels)

    def forward(self, input_ids, attention_mask, token_type_ids):
        pos = torch.arange(input_ids.shape[1]).unsqueeze(0)
        x = self.ln(self.word(input_ids) + self.pos(pos) + self.typ(token_type_ids))
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for layer in self.layers:
            x = layer(x, bias)
        return self.cls(torch.tanh(self.pool(x[:, 0])))


def reference_ids(texts):
    """Token ids with [CLS]/[SEP] from the reference tokenizer (node)."""
    script = os.path.join(HF, "reference", "tokenize.mjs")
    inp = json.dumps({"tokenizers": {"wp": TOKENIZER}, "texts": texts})
    out = subprocess.run(["node", script], input=inp.encode(), capture_output=True, check=True)
    return json.loads(out.stdout)["wp"]


def windows(ids, max_length, stride):
    """The Go tokenizer's windows: [CLS] chunk [SEP], chunks overlapping by stride."""
    cls, body, sep = ids[0], ids[1:-1], ids[-1]
    w = max_length - 2
    out, start = [], 0
    while True:
        end = min(start + w, len(body))
        out.append([cls] + body[start:end] + [sep])
        if end == len(body):
            return out
        start += w - stride


def main(out_dir):
    torch.manual_seed(20240601)
    with open(TOKENIZER, encoding="utf-8") as f:
        tok = json.load(f)
    vocab = max(tok["model"]["vocab"].values()) + 1
    with open(os.path.join(HERE, "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)

    model = TinyBert(vocab).eval()
    with torch.no_grad():
        model.cls.weight.mul_(4.0)  # spread the logits so activations differ

    os.makedirs(out_dir, exist_ok=True)
    ids = torch.tensor([[2, 10, 11, 3]], dtype=torch.long)
    torch.onnx.export(
        model,
        (ids, torch.ones_like(ids), torch.zeros_like(ids)),
        os.path.join(out_dir, "model.onnx"),
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["logits"],
        dynamic_axes={n: {0: "batch", 1: "sequence"} for n in ["input_ids", "attention_mask", "token_type_ids"]}
        | {"logits": {0: "batch"}},
        opset_version=14,
        do_constant_folding=True,
    )
    try:
        import onnx

        onnx.checker.check_model(onnx.load(os.path.join(out_dir, "model.onnx")))
    except ImportError:
        pass

    config = {
        "architectures": ["TinyBertForSequenceClassification"],
        "model_type": "bert",
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "max_position_embeddings": 64,
        "vocab_size": vocab,
        "pad_token_id": 0,
        "id2label": {str(i): l for i, l in enumerate(LABELS)},
        "label2id": {l: i for i, l in enumerate(LABELS)},
        "problem_type": "single_label_classification",
    }
    with open(os.path.join(out_dir, "config.json"), "w", encoding="utf-8") as f:
        json.dump(config, f, indent=1)
    with open(TOKENIZER, "rb") as f, open(os.path.join(out_dir, "tokenizer.json"), "wb") as g:
        g.write(f.read())

    expected = []
    for text, full in zip(cases["texts"], reference_ids(cases["texts"])):
        wins = windows(full, cases["max_length"], cases["stride"])
        logits = []
        with torch.no_grad():
            for w in wins:
                t = torch.tensor([w], dtype=torch.long)
                logits.append(model(t, torch.ones_like(t), torch.zeros_like(t))[0].tolist())
        expected.append({"text": text, "windows": wins, "logits": logits})
    with open(os.path.join(out_dir, "expected.json"), "w", encoding="utf-8") as f:
        json.dump({"max_length": cases["max_length"], "stride": cases["stride"], "labels": LABELS, "cases": expected}, f)


if __name__ == "__main__":
    main(sys.argv[1])
