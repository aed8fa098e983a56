"""Writes the SentencePiece Unigram fixture (tokenizers/unigram-spm): a real
SentencePiece model trained here with the nmt_nfkc normalisation rule, so
its tokenizer.json carries a genuine Precompiled charsmap, converted the way
transformers' SpmConverter does (Precompiled, Strip right, Replace " {2,}"
with ▁; Metaspace; Unigram). Also writes spm_ids.json: SentencePiece's own
ids for the texts of spm_cases.json, the reference for the Precompiled
normaliser.

Training text: xsafety (Apache-2.0) and gsm8k (MIT) from ../shared/data;
only the vocabulary is written. Needs Debian's python3-sentencepiece.

    /usr/bin/python3 classifiers/testdata/hf/gen/spm_unigram.py ../shared/data
"""
import csv
import glob
import json
import os
import sys
import tempfile

import sentencepiece as spm
from sentencepiece import sentencepiece_model_pb2 as pb

HF = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def corpus(root):
    lines = []
    for f in sorted(glob.glob(os.path.join(root, "xsafety", "*", "*.csv"))):
        with open(f, encoding="utf-8", errors="replace") as fh:
            for i, row in enumerate(csv.reader(fh)):
                if i >= 150:
                    break
                if row:
                    lines.append(row[0].lstrip("\ufeff"))
    with open(os.path.join(root, "gsm8k", "grade_school_math", "data", "train.jsonl"), encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i >= 1500:
                break
            lines.append(json.loads(line)["question"])
    return [l.replace("\n", " ") for l in lines if l.strip()]


def main(root):
    out_dir = os.path.join(HF, "tokenizers", "unigram-spm")
    os.makedirs(out_dir, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        text = os.path.join(tmp, "train.txt")
        with open(text, "w", encoding="utf-8") as fh:
            fh.write("\n".join(corpus(root)))
        prefix = os.path.join(tmp, "m")
        spm.SentencePieceTrainer.train(
            input=text, model_prefix=prefix, model_type="unigram", vocab_size=3000,
            normalization_rule_name="nmt_nfkc", character_coverage=0.9995,
            pad_id=0, unk_id=3, bos_id=1, eos_id=2, pad_piece="<pad>", unk_piece="<unk>",
            bos_piece="<s>", eos_piece="</s>", num_threads=1, seed_sentencepiece_size=200000,
            minloglevel=2,
        )
        with open(prefix + ".model", "rb") as fh:
            proto = fh.read()
    m = pb.ModelProto()
    m.ParseFromString(proto)
    import base64
    charsmap = base64.b64encode(m.normalizer_spec.precompiled_charsmap).decode()
    vocab = [[p.piece, p.score if p.type == 1 else 0.0] for p in m.pieces]
    unk = next(i for i, p in enumerate(m.pieces) if p.type == 2)
    special = [(i, p.piece) for i, p in enumerate(m.pieces) if p.type in (2, 3)]
    tok = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [
            {"id": i, "content": c, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for i, c in special
        ],
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "Precompiled", "precompiled_charsmap": charsmap},
            {"type": "Strip", "strip_left": False, "strip_right": True},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "\u2581"},
        ]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "post_processor": {"type": "TemplateProcessing",
                           "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                                      {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                           "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]},
                                                          "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}}},
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
        "model": {"type": "Unigram", "unk_id": unk, "vocab": vocab, "byte_fallback": False},
    }
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as fh:
        json.dump(tok, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    sp = spm.SentencePieceProcessor(model_proto=proto)
    with open(os.path.join(HF, "spm_cases.json"), encoding="utf-8") as fh:
        texts = json.load(fh)
    ids = [sp.encode(t) for t in texts]
    with open(os.path.join(out_dir, "spm_ids.json"), "w", encoding="utf-8") as fh:
        json.dump({"sentencepiece": spm.__version__, "ids": ids}, fh)
        fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
