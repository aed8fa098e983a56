"""Hashed n-gram bag model: training, scoring, calibration and ONNX export.

Model: e = mean of embedding rows of a window's ids (an empty window gives
zeros); with pool "meanmax", e is that mean concatenated with the per-dimension
maximum of the same rows (zeros for an empty window), so one n-gram that
stands out is not averaged away by the rest of the window; with lenfeat, e
also carries log(1 + n), n the window's n-gram count, so that the head can
tell a mean of three rows (a word or two) from a mean of hundreds and need
not read one rare n-gram as the whole text; logits = MLP(e)
(or a linear layer); a text's logit per label is the maximum over its windows
(the Suite keeps the per-label maximum at serving time, and Platt scaling with
a positive slope commutes with max). With empty_zero (W["empty_zero"], from
the variant's training options) the exported graph gives a window with no
n-grams (empty or white-space text) probability 0 for every label: training
never sees one, and the head's bias alone is no evidence.
"""

import json
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

import feats


def set_determinism(seed, threads=1):
    torch.manual_seed(seed)
    np.random.seed(seed % (2 ** 32))
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


class BagModel(nn.Module):
    def __init__(self, buckets, dim, hidden, n_labels, pool="mean", lenfeat=False):
        super().__init__()
        if pool not in ("mean", "meanmax"):
            raise ValueError("pool: %r" % pool)
        self.pool = pool
        self.lenfeat = bool(lenfeat)
        width = (2 * dim if pool == "meanmax" else dim) + (1 if lenfeat else 0)
        # The embedding is updated by a hand-written lazy Adam (see train):
        # it is a buffer, not a parameter, so the dense optimiser skips it.
        w = torch.randn(buckets, dim) * 0.1
        w[0] = 0  # padding row (never indexed by the featurizer)
        self.register_buffer("emb_weight", w)
        self.hidden = hidden
        if hidden:
            self.fc1 = nn.Linear(width, hidden)
            self.fc2 = nn.Linear(hidden, n_labels)
        else:
            self.fc2 = nn.Linear(width, n_labels)

    def head(self, e):
        if self.hidden:
            e = F.relu(self.fc1(e))
        return self.fc2(e)

    def window_logits(self, ids, offsets, rows=None, inv=None):
        """Scores windows. With rows/inv (rows = weight[uniq] as a leaf that
        receives the gradient, inv = position of each id in uniq) the
        gradient stays dense and small."""
        if rows is None:
            rows = self.emb_weight
        else:
            ids = inv
        e = F.embedding_bag(ids, rows, offsets, mode="mean")
        if self.pool == "meanmax":  # empty bags give zeros in both modes
            e = torch.cat([e, F.embedding_bag(ids, rows, offsets, mode="max")], dim=1)
        if self.lenfeat:
            n = torch.diff(offsets, append=torch.tensor([len(ids)], dtype=offsets.dtype))
            e = torch.cat([e, torch.log1p(n.to(e.dtype)).unsqueeze(1)], dim=1)
        return self.head(e)


class LazyAdam:
    """Adam on the rows touched by a batch only (like SparseAdam, but fed
    dense row gradients, which is ~10x faster here)."""

    def __init__(self, weight, lr, betas=(0.9, 0.999), eps=1e-8):
        self.w = weight
        self.m = torch.zeros_like(weight)
        self.v = torch.zeros_like(weight)
        self.t = torch.zeros(weight.shape[0], dtype=torch.float32)
        self.lr, self.b1, self.b2, self.eps = lr, betas[0], betas[1], eps

    def step(self, uniq, grad, lr, wd=0.0):
        b1, b2 = self.b1, self.b2
        m = self.m.index_select(0, uniq).mul_(b1).add_(grad, alpha=1 - b1)
        v = self.v.index_select(0, uniq).mul_(b2).addcmul_(grad, grad, value=1 - b2)
        t = self.t.index_select(0, uniq).add_(1)
        self.m.index_copy_(0, uniq, m)
        self.v.index_copy_(0, uniq, v)
        self.t.index_copy_(0, uniq, t)
        c1 = (1 - torch.pow(b1, t)).unsqueeze(1)
        c2 = (1 - torch.pow(b2, t)).unsqueeze(1)
        upd = (m / c1).div_((v / c2).sqrt_().add_(self.eps)).mul_(lr)
        rows = self.w.index_select(0, uniq)
        if wd:  # decoupled weight decay (AdamW), on the touched rows only
            rows.mul_(1 - lr * wd)
        self.w.index_copy_(0, uniq, rows.sub_(upd))


def unique_ids(ids, buckets, present):
    """uniq (sorted distinct ids) and inv (ids -> position in uniq) through a
    dense presence map: O(n + buckets), much faster than a sort."""
    present[:] = False
    present[ids] = True
    uniq = np.flatnonzero(present)
    pos = np.cumsum(present, dtype=np.int64) - 1
    return torch.from_numpy(uniq), torch.from_numpy(pos[ids])


def batch_windows(feats, text_idx):
    """ids/offsets for all windows of the given texts, plus a [T, Wmax]
    index of window rows (-1 = padding) for the per-text max."""
    ws = [np.arange(feats.wstart[t], feats.wstart[t + 1]) for t in text_idx]
    wins = np.concatenate(ws)
    lens = feats.offsets[wins + 1] - feats.offsets[wins]
    ids = np.concatenate([feats.ids[feats.offsets[w]:feats.offsets[w + 1]] for w in wins]) \
        if lens.sum() else np.zeros(0, dtype=np.int32)
    offs = np.zeros(len(wins), dtype=np.int64)
    np.cumsum(lens[:-1], out=offs[1:])
    return (torch.from_numpy(ids.astype(np.int64)), torch.from_numpy(offs), window_index(ws))


def window_index(ws):
    """For the window lists ws of T texts, laid end to end: a [T, Wmax]
    index of each text's rows (-1 = padding), for max_over_windows."""
    wmax = max(len(w) for w in ws)
    index = np.full((len(ws), wmax), -1, dtype=np.int64)
    k = 0
    for i, w in enumerate(ws):
        index[i, :len(w)] = np.arange(k, k + len(w))
        k += len(w)
    return torch.from_numpy(index)


def max_over_windows(wl, index):
    """Per-text maximum [T, L] of window logits wl [W, L] (window_index)."""
    g = wl[index.clamp(min=0)]  # [T, Wmax, L]
    g = torch.where((index >= 0).unsqueeze(-1), g, torch.full_like(g, -1e9))
    return g.max(dim=1).values


def text_logits(model, ids, offs, index, rows=None, inv=None):
    return max_over_windows(model.window_logits(ids, offs, rows, inv), index)


def positive_weights(yt, known, w, pos_frac):
    """Per-label weight of a positive so that the positives' total weight is
    pos_frac of the negatives' (yt [N, L] in {0, 1}, known [N, L], w [N])."""
    pos_w = []
    for l in range(yt.shape[1]):
        pw = (w * (yt[:, l] == 1).float() * known[:, l]).sum()
        nw = (w * (yt[:, l] == 0).float() * known[:, l]).sum()
        pos_w.append(float(pos_frac * nw / max(pw, 1e-9)))
    return torch.tensor(pos_w)


class Loss:
    """The loss every trainer minimises, per batch: BCE per label with
    unknown labels masked, each text weighted by w and each positive by its
    label's positive weight (positive_weights), divided by the batch's total
    text weight.

    With anyh [N] (the harm model's rows known to be harmful but of no known
    category) those rows add BCE(max of the first nbase logits, 1), weighted
    any_weight times the mean positive weight of those labels: a harmful
    text of unknown category is positive for some base category."""

    def __init__(self, y, w, pos_frac, anyh=None, nbase=None, any_weight=1.0):
        yt = torch.from_numpy(y.astype(np.float32))
        self.known = (yt >= 0).float()
        self.yt = yt.clamp(min=0)
        self.w = torch.from_numpy(w.astype(np.float32))
        self.pos_w = positive_weights(self.yt, self.known, self.w, pos_frac)
        self.a = None
        if anyh is not None:
            self.nbase = nbase or y.shape[1]
            self.a = torch.from_numpy((anyh & ~(y[:, :self.nbase] == 1).any(1)).astype(np.float32))
            self.any_w = float(any_weight * np.mean(self.pos_w.numpy()[:self.nbase]))

    def __call__(self, logits, sel):
        """The loss of logits [len(sel), L] for the texts at positions sel."""
        yy, kk, ww = self.yt[sel], self.known[sel], self.w[sel]
        lw = kk * ww.unsqueeze(1) * torch.where(yy > 0, self.pos_w.expand_as(yy), torch.ones_like(yy))
        loss = (F.binary_cross_entropy_with_logits(logits, yy, reduction="none") * lw).sum()
        if self.a is not None and float(self.a[sel].sum()) > 0:
            mx = logits[:, :self.nbase].max(dim=1).values
            loss = loss + (F.binary_cross_entropy_with_logits(mx, torch.ones_like(mx), reduction="none")
                           * self.a[sel] * ww * self.any_w).sum()
        return loss / ww.sum()


def train(feats, text_idx, y, w, cfg, seed, log=None):
    """Trains a BagModel on texts text_idx with labels y [N, L] in {1, 0, -1}
    (-1 = unknown, masked) and per-text weights w [N]. With cfg["ensemble"]
    (a list of further seeds) it trains one model per seed (seed first) on
    the same rows and returns them merged into one BagModel (merge) whose
    window logits are their mean."""
    extra = list(cfg.get("ensemble") or [])
    if extra:
        one = {k: v for k, v in cfg.items() if k != "ensemble"}
        return merge([train(feats, text_idx, y, w, one, s, log) for s in [seed] + extra])
    set_determinism(seed, cfg.get("threads", 1))
    L = y.shape[1]
    model = BagModel(cfg["buckets"], cfg["dim"], cfg["hidden"], L, cfg.get("pool", "mean"), cfg.get("lenfeat"))
    loss_of = Loss(y, w, cfg.get("pos_frac", 0.5))
    lazy = LazyAdam(model.emb_weight, cfg["lr_emb"])
    present = np.zeros(cfg["buckets"], dtype=bool)
    dense = list(model.parameters())
    opt_d = torch.optim.Adam(dense, lr=cfg["lr"], weight_decay=cfg.get("wd", 0.0))
    rng = np.random.RandomState(seed)
    n = len(text_idx)
    bs = cfg["batch"]
    steps = cfg["epochs"] * ((n + bs - 1) // bs)
    step = 0
    for ep in range(cfg["epochs"]):
        perm = rng.permutation(n)
        tot = 0.0
        for b in range(0, n, bs):
            sel = perm[b:b + bs]
            ids, offs, index = batch_windows(feats, text_idx[sel])
            if cfg.get("id_dropout", 0) > 0 and len(ids):
                keep = torch.from_numpy(rng.rand(len(ids)) >= cfg["id_dropout"])
                ids, offs = _drop_ids(ids, offs, keep)
            frac = 1.0 - step / steps
            for g in opt_d.param_groups:
                g["lr"] = cfg["lr"] * max(frac, 0.05)
            uniq, inv = unique_ids(ids.numpy(), cfg["buckets"], present)
            rows = model.emb_weight[uniq].requires_grad_(True)
            logits = text_logits(model, ids, offs, index, rows, inv)
            loss = loss_of(logits, sel)
            opt_d.zero_grad()
            loss.backward()
            opt_d.step()
            with torch.no_grad():
                lazy.step(uniq, rows.grad, cfg["lr_emb"] * max(frac, 0.05), cfg.get("wd_emb", 0.0))
            tot += float(loss) * len(sel)
            step += 1
        if log:
            log("  epoch %d loss %.4f" % (ep + 1, tot / n))
    return model


def merge(models):
    """One BagModel whose window logits are the mean of the models' window
    logits: the embeddings side by side (dim k*d), the hidden layers block
    by block (hidden k*h: each block reads only its model's mean and max
    columns), the output layer the models' output layers over k. The
    exported graph is the same graph with wider matrices."""
    k, m0 = len(models), models[0]
    if not m0.hidden or m0.lenfeat or any(m.pool != m0.pool or m.hidden != m0.hidden for m in models):
        raise ValueError("merge: models need the same pooling and a hidden layer, without lenfeat")
    buckets, d = m0.emb_weight.shape
    h, L = m0.hidden, m0.fc2.out_features
    out = BagModel(buckets, k * d, k * h, L, m0.pool)
    parts = 2 if m0.pool == "meanmax" else 1
    with torch.no_grad():
        out.emb_weight.copy_(torch.cat([m.emb_weight for m in models], dim=1))
        out.fc1.weight.zero_()
        for j, m in enumerate(models):
            for p in range(parts):  # the pooled vector is [mean of all k*d | max of all k*d]
                out.fc1.weight[j * h:(j + 1) * h, p * k * d + j * d:p * k * d + (j + 1) * d] = \
                    m.fc1.weight[:, p * d:(p + 1) * d]
        out.fc1.bias.copy_(torch.cat([m.fc1.bias for m in models]))
        out.fc2.weight.copy_(torch.cat([m.fc2.weight for m in models], dim=1) / k)
        out.fc2.bias.copy_(torch.stack([m.fc2.bias for m in models]).mean(0))
    return out


def _drop_ids(ids, offs, keep):
    """Drops ids where keep is False, keeping window boundaries."""
    n = len(ids)
    bag = torch.zeros(n, dtype=torch.int64)
    if len(offs) > 1:
        bag[offs[1:][offs[1:] < n]] = 1
    bag = bag.cumsum(0)
    ids2 = ids[keep]
    bag2 = bag[keep]
    counts = torch.bincount(bag2, minlength=len(offs))
    offs2 = torch.zeros(len(offs), dtype=torch.int64)
    offs2[1:] = counts[:-1].cumsum(0)
    return ids2, offs2


@torch.no_grad()
def score(model, feats, text_idx, bs=512):
    """Per-text logits [N, L] (max over windows)."""
    model.eval()
    out = []
    for b in range(0, len(text_idx), bs):
        ids, offs, index = batch_windows(feats, text_idx[b:b + bs])
        out.append(text_logits(model, ids, offs, index).numpy())
    model.train()
    return np.concatenate(out) if out else np.zeros((0, model.fc2.out_features), np.float32)


def platt(logits, y):
    """Fits p = sigmoid(a*logit + b) by L2-regularised (C=100) logistic
    regression on one feature (lbfgs, deterministic). Returns (a, b)."""
    from sklearn.linear_model import LogisticRegression
    lr = LogisticRegression(C=100.0, solver="lbfgs", max_iter=1000, tol=1e-10)
    lr.fit(logits.astype(np.float64).reshape(-1, 1), y.astype(np.int64))
    a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    if a <= 0:  # never flip the ranking
        a = 1e-3
    return a, b


# ------------------------------------------------------------------ export

def folded_weights(model, calib):
    """Returns numpy weights with the embedding rounded to fp16 and the Platt
    calibration folded into the last layer (logit' = a*logit + b)."""
    emb16 = model.emb_weight.numpy().astype(np.float16)
    emb16[0] = 0
    a = np.array([c[0] for c in calib], dtype=np.float64)
    b = np.array([c[1] for c in calib], dtype=np.float64)
    W2 = model.fc2.weight.detach().numpy().astype(np.float64).T  # [in, L]
    b2 = model.fc2.bias.detach().numpy().astype(np.float64)
    W = dict(emb=emb16, W2=(W2 * a).astype(np.float32), b2=(b2 * a + b).astype(np.float32))
    if model.pool != "mean":
        W["pool"] = model.pool
    if model.lenfeat:
        W["lenfeat"] = True
    if model.hidden:
        W["W1"] = model.fc1.weight.detach().numpy().T.astype(np.float32).copy()
        W["b1"] = model.fc1.bias.detach().numpy().astype(np.float32).copy()
    return W


def reference_probs(W, window_ids):
    """PyTorch reference of the exported graph for one batch of windows
    (float32 throughout, fp16-rounded embedding)."""
    emb = torch.from_numpy(W["emb"].astype(np.float32))
    out = []
    for ids in window_ids:
        ids = torch.from_numpy(np.asarray(ids, dtype=np.int64))
        s = emb[ids].sum(0) if len(ids) else torch.zeros(emb.shape[1])
        e = s / max(float(len(ids)), 1.0)
        if W.get("pool") == "meanmax":
            e = torch.cat([e, emb[ids].max(0).values if len(ids) else torch.zeros(emb.shape[1])])
        if W.get("lenfeat"):
            e = torch.cat([e, torch.log1p(torch.tensor([float(len(ids))]))])
        if "W1" in W:
            e = torch.relu(e @ torch.from_numpy(W["W1"]) + torch.from_numpy(W["b1"]))
        z = e @ torch.from_numpy(W["W2"]) + torch.from_numpy(W["b2"])
        p = torch.sigmoid(z).numpy()
        if "zfloor" in W:
            p = p * (z.numpy() >= W["zfloor"])
        out.append(np.zeros_like(p) if W.get("empty_zero") and not len(ids) else p)
    return np.array(out, dtype=np.float32)


def text_window_probs(W, Fw, i):
    """reference_probs of every window of text i of Fw (feats.featurize)."""
    return reference_probs(W, [Fw.window_ids(w) for w in range(Fw.wstart[i], Fw.wstart[i + 1])])


def export_onnx(W, path, labels, graph_name="warden_injection"):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    L = len(labels)
    inits = [numpy_helper.from_array(W["emb"], "emb"),
             numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
             numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
             numpy_helper.from_array(W["W2"], "W2"),
             numpy_helper.from_array(W["b2"], "b2")]
    nodes = [
        # fp16 storage; the Cast of the initializer is constant-folded by ONNX
        # Runtime at session creation, so each run gathers from fp32 rows
        # (a Cast after the Gather would make ORT cast the whole table per run:
        # its CPU Gather has no fp16 kernel).
        helper.make_node("Cast", ["emb"], ["emb32"], to=TensorProto.FLOAT),
        helper.make_node("Gather", ["emb32", "ids"], ["g"], axis=0),       # [B,S,D]
        helper.make_node("Unsqueeze", ["mask", "axis1"], ["m3"]),         # [B,1,S]
        helper.make_node("MatMul", ["m3", "g"], ["s3"]),                   # [B,1,D] masked sum
        helper.make_node("Squeeze", ["s3", "axis1"], ["s"]),               # [B,D]
        helper.make_node("ReduceSum", ["mask", "axis1"], ["cnt"], keepdims=1),  # [B,1]
        helper.make_node("Max", ["cnt", "one"], ["den"]),                  # clamp: empty rows -> 1
        helper.make_node("Div", ["s", "den"], ["e"]),
    ]
    if W.get("pool") != "meanmax" and W.get("empty_zero"):
        nodes.append(helper.make_node("Min", ["cnt", "one"], ["any"]))   # [B,1]: 0 when empty
    x = "e"
    if W.get("pool") == "meanmax":
        # per-dimension max over the unmasked rows: padding gets -1e4 added,
        # and an empty window (cnt 0) is multiplied to zeros, as in training.
        # The max runs over the last axis of [B,D,S]: ONNX Runtime's
        # ReduceMax over the middle axis of [B,S,D] cost 55-120 us per
        # 256-rune window, the Transpose + last-axis reduction ~8 us.
        inits += [numpy_helper.from_array(np.array(1e4, dtype=np.float32), "big")]
        nodes += [helper.make_node("Transpose", ["g"], ["gt"], perm=[0, 2, 1]),   # [B,D,S]
                  helper.make_node("Sub", ["m3", "one"], ["m3n"]),               # [B,1,S]: 0 kept, -1 padding
                  helper.make_node("Mul", ["m3n", "big"], ["pen"]),
                  helper.make_node("Add", ["gt", "pen"], ["gp"]),
                  helper.make_node("ReduceMax", ["gp"], ["mx0"], axes=[2], keepdims=0),  # [B,D]
                  helper.make_node("Min", ["cnt", "one"], ["any"]),              # [B,1]: 0 when empty
                  helper.make_node("Mul", ["mx0", "any"], ["mx"]),
                  helper.make_node("Concat", ["e", "mx"], ["em"], axis=1)]      # [B,2D]
        x = "em"
    if W.get("lenfeat"):
        # log(1 + n) of the window's n-gram count, as one more input column
        nodes += [helper.make_node("Add", ["cnt", "one"], ["cnt1"]),
                  helper.make_node("Log", ["cnt1"], ["lenf"]),                   # [B,1]
                  helper.make_node("Concat", [x, "lenf"], ["el"], axis=1)]
        x = "el"
    if "W1" in W:
        inits += [numpy_helper.from_array(W["W1"], "W1"), numpy_helper.from_array(W["b1"], "b1")]
        nodes += [helper.make_node("MatMul", [x, "W1"], ["h0"]),
                  helper.make_node("Add", ["h0", "b1"], ["h1"]),
                  helper.make_node("Relu", ["h1"], ["h"])]
        x = "h"
    nodes += [helper.make_node("MatMul", [x, "W2"], ["z0"]),
              helper.make_node("Add", ["z0", "b2"], ["z"]),
              helper.make_node("Sigmoid", ["z"], ["p"])]
    out = "p"
    if W.get("empty_zero"):
        nodes.append(helper.make_node("Mul", ["p", "any"], ["pz"]))          # empty windows score 0
        out = "pz"
    if "zfloor" in W:
        # a label reports 0 below its floor (a logit): a detector that speaks
        # only when it fires (suffix.py)
        inits.append(numpy_helper.from_array(W["zfloor"], "zfloor"))
        nodes += [helper.make_node("GreaterOrEqual", ["z", "zfloor"], ["ge"]),
                  helper.make_node("Cast", ["ge"], ["gate"], to=TensorProto.FLOAT),
                  helper.make_node("Mul", [out, "gate"], ["pf"])]
        out = "pf"
    nodes[-1].output[0] = "probs"  # the last node's output is the graph's
    graph = helper.make_graph(
        nodes, graph_name,
        [helper.make_tensor_value_info("ids", TensorProto.INT64, ["batch", "seq"]),
         helper.make_tensor_value_info("mask", TensorProto.FLOAT, ["batch", "seq"])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["batch", L])],
        inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                          producer_name="warden-models-train", producer_version="1")
    m.ir_version = 8
    m.doc_string = "labels: " + ",".join(labels)
    onnx.checker.check_model(m)
    with open(path, "wb") as f:
        f.write(m.SerializeToString())


def load_weights(path):
    """The weights of a graph export_onnx wrote, in the form reference_probs
    reads (the pooling and the length input are read off the graph's nodes)."""
    import onnx
    from onnx import numpy_helper
    m = onnx.load(path)
    W = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    if any(n.op_type == "ReduceMax" for n in m.graph.node):
        W["pool"] = "meanmax"
    if any(n.op_type == "Log" for n in m.graph.node):
        W["lenfeat"] = True
    if any(n.op_type == "Mul" and list(n.input) == ["p", "any"] for n in m.graph.node):
        W["empty_zero"] = True
    return W


def write_parity(out, W, texts_path, fcfg, window, fbin, work, head):
    """Writes out/parity.json: the probabilities the exported weights W give
    (reference_probs, per window and the maximum over windows) for the
    hand-written texts of texts_path, with their expectations. head (the
    labels, ...) leads the file. The Go tests check ONNX Runtime against it."""
    pt = json.load(open(texts_path))["texts"]
    texts = [t["text"] for t in pt]
    Fw = feats.featurize(fbin, texts, fcfg, window["runes"], window["overlap"], work)
    par = []
    for i, t in enumerate(pt):
        pw = text_window_probs(W, Fw, i)
        par.append(dict(text=t["text"], windows=len(pw), probs=[float(x) for x in pw.max(axis=0)],
                        window_probs=[[float(x) for x in row] for row in pw], expect=t.get("expect", {})))
    with open(os.path.join(out, "parity.json"), "w") as f:
        json.dump(dict(head, tolerance=1e-4, texts=par), f, indent=1, ensure_ascii=False)
        f.write("\n")
