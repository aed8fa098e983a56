"""What a byte CNN of a given shape costs to serve, without training it.

Writes random-weight ByteCNN exports (the shipped graph, and the same function
rewritten as per-offset lookup tables) into OUT/<name>/ with the manifest
hfmanifest writes, for BenchmarkCNNShapes:

    /usr/bin/python3 models/train/cnn_speed.py /tmp/cnn-shapes
    WARDEN_CNN_SHAPES=/tmp/cnn-shapes go test ./models -run '^$' -bench CNNShapes -cpu 1

The cost of a graph does not depend on its weights, so random ones measure it.
Measured here (models/README.md, "Can a CNN afford the first tier?").
"""

import os
import subprocess
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

import cnn

# name -> (byte dim, channels per kernel, kernels)
SHAPES = {
    "d32-c64-k357": (32, 64, [3, 5, 7]),  # the shipped injection_cnn
    "d16-c32-k357": (16, 32, [3, 5, 7]),  # cnn-byte-k357-small
    "d16-c64-k357": (16, 64, [3, 5, 7]),
    "d32-c32-k357": (32, 32, [3, 5, 7]),
    "d32-c64-k35": (32, 64, [3, 5]),
    "d16-c48-k35": (16, 48, [3, 5]),
    "d8-c8-k3": (8, 8, [3]),  # ~nothing: what tokenizing and one ORT run cost
}


class Lookup(nn.Module):
    """The same function as a ByteCNN, without convolutions: a convolution
    over the embeddings of discrete tokens is, per offset o, a lookup in a
    table T_o[token] = W_o · emb[token] (one row more, zeros, for padding and
    the sequence's edges), summed over the offsets. Far fewer multiply-adds,
    but every offset writes and re-reads a [windows, positions, channels]
    tensor."""

    def __init__(self, m):
        super().__init__()
        E = m.emb.weight.detach()
        self.V = E.shape[0]
        self.P = max(c.weight.shape[2] for c in m.convs) // 2
        tabs = []
        for o in range(-self.P, self.P + 1):
            cols = []
            for c in m.convs:
                W = c.weight.detach()
                j = o + W.shape[2] // 2
                cols.append(E @ W[:, :, j].T if 0 <= j < W.shape[2] else torch.zeros(self.V, W.shape[0]))
            t = torch.cat(cols, 1)
            tabs.append(nn.Parameter(torch.cat([t, torch.zeros(1, t.shape[1])], 0)))
        self.tabs = nn.ParameterList(tabs)
        self.bias = nn.Parameter(torch.cat([c.bias.detach() for c in m.convs]))
        self.fc1, self.fc2 = m.fc1, m.fc2

    def forward(self, input_ids, attention_mask):
        S = input_ids.shape[1]
        ids = torch.where(attention_mask > 0, input_ids, torch.full_like(input_ids, self.V))
        ids = F.pad(ids, (self.P, self.P), value=self.V)
        acc = self.bias
        for i, t in enumerate(self.tabs):
            acc = acc + F.embedding(ids[:, i:i + S], t)
        off = ((attention_mask.to(torch.float32) - 1.0) * 1e4).unsqueeze(-1)
        h = torch.clamp((F.relu(acc) + off).amax(dim=1), min=0.0)
        return self.fc2(F.relu(self.fc1(h)))


def main(out):
    hfm = os.environ.get("WARDEN_HFMANIFEST", "/tmp/warden-models-work/bin/hfmanifest")
    labels = ["prompt_injection", "jailbreak"]
    for name, (d, c, k) in SHAPES.items():
        torch.manual_seed(0)
        m = cnn.ByteCNN(d, c, k, 64, len(labels)).eval()
        forms = {name: m}
        if name == "d32-c64-k357":
            forms[name + "-lookup"] = Lookup(m).eval()
        ids = torch.randint(0, 256, (3, 40))
        mask = torch.ones_like(ids)
        mask[1, 30:] = 0
        mask[2, 5:] = 0
        for fname, f in forms.items():
            with torch.no_grad():
                diff = float((f(ids, mask) - m(ids, mask)).abs().max())
            assert diff < 1e-5, (fname, diff)
            d_out = os.path.join(out, fname)
            cnn.export(f, [(1.0, 0.0)] * len(labels), labels, d_out, dict(dim=d, channels=c, kernels=k))
            subprocess.run([hfm, "-name", fname, "-max-length", str(cnn.MAX_LEN), "-stride", str(cnn.STRIDE),
                            "-stages", "prompt", d_out], check=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/cnn-shapes")
