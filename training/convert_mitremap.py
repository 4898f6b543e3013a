"""Convert the original MitreMap notebook's artefacts into a mitremap model folder.

  python training/convert_mitremap.py \
      --state-dict distilgpt2-512/model.pt \        # torch.save(model.state_dict()) of
                                                     # GPT2ForSequenceClassification (distilgpt2)
      --labels distilgpt2-512/labels.json \         # {"label_to_technique": ..., "technique_to_name": ...}
      --tokenizer distilgpt2-512/tokenizer.pkl \    # pickled GPT-2 tokenizer with added placeholder tokens
      --out models/mitremap-original [--int8]

What it does
* Infers the GPT-2 config from the tensor shapes (layers, width, vocab incl. the added placeholder
  tokens, positions, MLP width, labels); --n-head (default 12, distilgpt2's) is the one value
  shapes cannot tell. Any size works (the test uses a reduced config as well as the full one).
* Drops the `attn.bias` / `attn.masked_bias` causal-mask buffers old transformers versions saved,
  strips a `module.` (DataParallel) prefix, then loads the rest strictly.
* Reads the pickled tokenizer without needing the transformers version that pickled it:
  transformers classes are unpickled into plain attribute holders; a fast tokenizer's
  `_tokenizer` is used as is, a slow GPT2Tokenizer is rebuilt from its `encoder` + `bpe_ranks`
  as a byte-level BPE `tokenizers` JSON, and the added placeholder tokens (ip_token,
  number_token, ...) are re-added with their original ids. Padding/truncation are removed.
  The ids are checked against the original tokenizer's own vocabulary on sample texts.
* Exports ONNX (opset 17; inputs input_ids + attention_mask; output logits; dynamic batch and
  sequence), optionally int8-quantised, checks ORT vs PyTorch parity, and writes model.json with
  architecture "gpt2", softmax, right padding with pad = EOS (50256), and
  "preprocess": "mitremap-notebook-v1" (the notebook's text preprocessing: lowercasing, IoCs ->
  placeholder tokens such as ip_token, digit words -> number_token / alphanumeric_token, stop
  words removed), which the engine applies before tokenising.

Pickle files can execute code when loaded: only convert artefacts you trust.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import pickle
import re
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads crawl on a shared CPU

sys.path.insert(0, str(Path(__file__).resolve().parent))

CAUSAL_BUFFERS = (".attn.bias", ".attn.masked_bias", ".masked_bias")


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# ------------------------------------------------------------------ state dict
def load_state_dict(path: Path) -> dict:
    import torch

    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # older pickles with non-tensor objects: trusted input only
        obj = torch.load(path, map_location="cpu", weights_only=False)
    if hasattr(obj, "state_dict") and not isinstance(obj, dict):
        obj = obj.state_dict()
    if "state_dict" in obj and isinstance(obj["state_dict"], dict):
        obj = obj["state_dict"]
    sd = {}
    for k, v in obj.items():
        if k.startswith("module."):
            k = k[len("module."):]
        if k.endswith(CAUSAL_BUFFERS):
            continue
        sd[k] = v
    return sd


def infer_config(sd: dict, n_head: int, pad_token_id: int):
    from transformers import GPT2Config

    layers = sorted({int(m.group(1)) for k in sd if (m := re.match(r"transformer\.h\.(\d+)\.", k))})
    vocab, n_embd = sd["transformer.wte.weight"].shape
    n_pos = sd["transformer.wpe.weight"].shape[0]
    n_inner = sd["transformer.h.0.mlp.c_fc.weight"].shape[1]
    num_labels = sd["score.weight"].shape[0]
    assert layers == list(range(len(layers))), layers
    assert n_embd % n_head == 0, (n_embd, n_head)
    return GPT2Config(vocab_size=vocab, n_positions=n_pos, n_embd=n_embd, n_layer=len(layers), n_head=n_head,
                      n_inner=n_inner, num_labels=num_labels, pad_token_id=pad_token_id,
                      bos_token_id=min(50256, vocab - 1), eos_token_id=min(50256, vocab - 1),
                      problem_type="single_label_classification")


# ------------------------------------------------------------------ labels
def load_labels(path: Path, num_labels: int):
    raw = json.load(open(path, encoding="utf-8"))
    l2t = raw.get("label_to_technique", raw) if isinstance(raw, dict) else raw
    names = raw.get("technique_to_name", {}) if isinstance(raw, dict) else {}
    if isinstance(l2t, list):
        labels = list(l2t)
    else:
        items = list(l2t.items())
        if all(str(k).lstrip("-").isdigit() for k, _ in items):
            labels = [None] * len(items)
            for k, v in items:
                labels[int(k)] = v
        elif all(isinstance(v, int) for _, v in items):  # technique -> index
            labels = [None] * len(items)
            for k, v in items:
                labels[v] = k
        else:
            raise ValueError("label_to_technique: expected {index: technique} or {technique: index}")
    labels = [str(l).strip() for l in labels]
    if len(labels) != num_labels or any(l in ("None", "") for l in labels):
        raise ValueError(f"labels.json has {len(labels)} labels, the state dict {num_labels}")
    return labels, names


# ------------------------------------------------------------------ tokenizer
class _Holder:
    """Stands in for any transformers class while unpickling: keeps the pickled state."""

    def __init__(self, *a, **k):
        pass

    def __setstate__(self, state):
        if isinstance(state, tuple) and len(state) == 2:  # (dict, slots)
            state = {**(state[0] or {}), **(state[1] or {})}
        if isinstance(state, dict):
            self.__dict__.update(state)
        else:
            self.__dict__["_state"] = state


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module.startswith("transformers"):
            return type(name, (_Holder,), {})
        return super().find_class(module, name)


def _content(tok) -> str:
    return tok if isinstance(tok, str) else getattr(tok, "content", str(tok))


def _attr(obj, *names, default=None):
    for n in names:
        v = obj.__dict__.get(n)
        if v is not None:
            return v
    return default


def tokenizer_from_pickle(path: Path):
    """Return (tokenizers.Tokenizer, eos_id, original_vocab) from a pickled GPT-2 tokenizer."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors

    with open(path, "rb") as f:
        obj = _Unpickler(f).load()
    d = obj.__dict__ if hasattr(obj, "__dict__") else {}
    fast = d.get("_tokenizer")
    if fast is not None and isinstance(fast, Tokenizer):
        tk = Tokenizer.from_str(fast.to_str())
        vocab = tk.get_vocab(with_added_tokens=True)
    else:
        enc = _attr(obj, "encoder")
        ranks = _attr(obj, "bpe_ranks")
        if enc is None or ranks is None:
            raise ValueError(f"unsupported tokenizer pickle: attributes {sorted(d)[:20]}")
        merges = [m for m, _ in sorted(ranks.items(), key=lambda kv: kv[1])]
        tk = Tokenizer(models.BPE(vocab=dict(enc), merges=[tuple(m) for m in merges], dropout=None,
                                  continuing_subword_prefix="", end_of_word_suffix="", fuse_unk=False))
        aps = bool(_attr(obj, "add_prefix_space", default=False))
        tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=aps)
        tk.decoder = decoders.ByteLevel()
        tk.post_processor = processors.ByteLevel(trim_offsets=False)
        # added tokens: newer transformers keep {id: AddedToken}, older {str: id}
        added = {}
        dec = _attr(obj, "_added_tokens_decoder", "added_tokens_decoder")
        if isinstance(dec, dict):
            for i, t in dec.items():
                added[int(i)] = t
        encd = _attr(obj, "_added_tokens_encoder", "added_tokens_encoder")
        if isinstance(encd, dict):
            for s, i in encd.items():
                added.setdefault(int(i), s)
        special = {_content(t) for t in (d.get("_eos_token"), d.get("_bos_token"), d.get("_unk_token"),
                                         d.get("_pad_token")) if t is not None}
        for i in sorted(added):
            c = _content(added[i])
            if c in enc and enc[c] == i:
                continue
            n = tk.get_vocab_size(with_added_tokens=True)
            if i != n:
                raise ValueError(f"added token {c!r} has id {i}, expected next id {n}")
            at = added[i]
            kw = {}
            if isinstance(at, AddedToken):
                kw = dict(single_word=at.single_word, lstrip=at.lstrip, rstrip=at.rstrip, normalized=at.normalized)
            if c in special or getattr(at, "special", False):
                tk.add_special_tokens([AddedToken(c, **kw)])
            else:
                tk.add_tokens([AddedToken(c, **kw)])
        vocab = dict(enc)
        vocab.update({_content(t): i for i, t in added.items()})
    tk.no_truncation()
    tk.no_padding()
    eos = _content(d.get("_eos_token") or "<|endoftext|>")
    eos_id = tk.token_to_id(eos)
    if eos_id is None:
        eos_id = 50256
    return tk, eos_id, vocab


# ------------------------------------------------------------------ main
def convert(state_dict, labels_path, tokenizer_path, out, n_head=12, int8=False, name="mitremap-original-distilgpt2",
            max_tokens=512, check_texts=None):
    import torch
    from transformers import GPT2ForSequenceClassification

    from export import export_onnx, quantize, sha256, write_manifest

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tk, eos_id, _ = tokenizer_from_pickle(Path(tokenizer_path))
    sd = load_state_dict(Path(state_dict))
    cfg = infer_config(sd, n_head, eos_id)
    log(f"config: layers {cfg.n_layer}, n_embd {cfg.n_embd}, heads {cfg.n_head}, vocab {cfg.vocab_size}, "
        f"positions {cfg.n_positions}, labels {cfg.num_labels}, pad/eos {eos_id}")
    if tk.get_vocab_size(with_added_tokens=True) > cfg.vocab_size:
        raise ValueError(f"tokenizer has {tk.get_vocab_size(with_added_tokens=True)} tokens, embeddings {cfg.vocab_size}")
    labels, names = load_labels(Path(labels_path), cfg.num_labels)
    cfg.use_cache = False
    model = GPT2ForSequenceClassification(cfg)
    model.config._attn_implementation = "eager"
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [k for k in missing if not k.endswith(CAUSAL_BUFFERS)]
    if missing or unexpected:
        raise ValueError(f"state dict mismatch: missing {missing[:5]}, unexpected {unexpected[:5]}")
    model.eval()

    (out / "tokenizer.json").write_text(tk.to_str(), encoding="utf-8")
    json.dump(labels, open(out / "labels.json", "w"))
    fp32 = out / ("model_fp32.onnx" if int8 else "model.onnx")
    export_onnx(model, "gpt2", fp32)
    if int8:
        quantize(fp32, out / "model.onnx")

    # parity: PyTorch vs ORT on right-padded batches (pad = EOS)
    import onnxruntime as ort

    texts = check_texts or ["ip_token was used to download a payload via powershell number_token",
                            "actor sent spearphishing emails alphanumeric_token attachment macro",
                            "credential dumping lsass"]
    encs = [tk.encode(t).ids[:max_tokens] for t in texts]
    L = max(len(e) for e in encs)
    ids = np.full((len(texts), L), eos_id, dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, e in enumerate(encs):
        ids[i, : len(e)] = e
        mask[i, : len(e)] = 1
    with torch.no_grad():
        ref = model(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits.numpy()
    par = {}
    for tag, p in (("onnx_fp32", fp32), ("onnx_int8", out / "model.onnx")):
        if not p.exists() or (tag == "onnx_int8" and not int8):
            continue
        s = ort.InferenceSession(str(p), providers=["CPUExecutionProvider"])
        got = s.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
        par[tag] = {"texts": len(texts), "max_abs_diff_logits": float(np.abs(got - ref).max()),
                    "top1_agreement": float(np.mean(got.argmax(1) == ref.argmax(1)))}
    log(f"parity: {par}")
    if int8:
        fp32.unlink()  # ship one graph

    manifest = {
        "manifest_version": 1,
        "name": name,
        "version": "1.0.0",
        "architecture": "gpt2",
        "onnx": "model.onnx",
        "tokenizer": "tokenizer.json",
        "labels": "labels.json",
        "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask", "token_type_ids": None},
        "output": "logits",
        "pad_token_id": int(eos_id),
        "padding_side": "right",
        "max_tokens": int(min(max_tokens, cfg.n_positions)),
        "activation": "softmax",
        "attack_version": "original MitreMap notebook labels (pre-v18.1 IDs, not remapped)",
        "preprocess": "mitremap-notebook-v1",
        "card": {
            "description": f"The original MitreMap notebook classifier (GPT2ForSequenceClassification over distilgpt2, "
                           f"{cfg.num_labels} single-label classes), converted to ONNX"
                           f"{' (int8 dynamic quantisation)' if int8 else ' (fp32)'} by training/convert_mitremap.py. "
                           f"Expects the notebook's preprocessing (preprocess: mitremap-notebook-v1).",
            "base_model": "distilgpt2",
            "converted_from": {"state_dict": Path(state_dict).name, "labels": Path(labels_path).name,
                               "tokenizer": Path(tokenizer_path).name,
                               "config": {"n_layer": cfg.n_layer, "n_embd": cfg.n_embd, "n_head": cfg.n_head,
                                          "vocab_size": cfg.vocab_size, "n_positions": cfg.n_positions}},
            "technique_to_name": names,
            "parity": par,
            "reproduce": "python training/convert_mitremap.py --state-dict ... --labels ... --tokenizer ... --out ...",
        },
    }
    write_manifest(out, manifest)
    log(f"wrote {out}: " + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(out.iterdir())))
    return manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--state-dict", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--n-head", type=int, default=12)
    ap.add_argument("--max-tokens", type=int, default=512)
    ap.add_argument("--int8", action="store_true", help="ship an int8 dynamic-quantised graph")
    ap.add_argument("--name", default="mitremap-original-distilgpt2")
    a = ap.parse_args()
    convert(a.state_dict, a.labels, a.tokenizer, a.out, a.n_head, a.int8, a.name, a.max_tokens)


if __name__ == "__main__":
    main()
