#!/usr/bin/env python3
"""Seconds per chunk: mitremap's Rust explainer vs Python `shap`'s Partition explainer, same ONNX model,
same text, same thread count, in one command.

    python3 tools/explain/shap_compare.py MODEL_DIR [--texts FILE] [--threads 2] [--budget N]
        [--shap-evals 500] [--rust-bin target/release/examples/explain_eval]

MODEL_DIR is a mitremap model folder (model.json, model.onnx, tokenizer.json). Without --texts, one
3-sentence chunk of AnnoCTR dev prose from ../shared/data/train.jsonl is used. shap runs with its Text
masker (the tokenizer's [MASK] for BERT; shap's default "..." for GPT-2 which has none) and the
notebook's setting, max_evals=500 (its default), explaining the top-1 label as the notebook did; it
is also run at mitremap's budget for an equal-budget comparison. mitremap explains every label at or
above the model's threshold (at least the top one) at --budget (default: its ExplainOptions default).
The Rust side is the `explain_eval` example: build it first with
`cargo build --release -p mitremap-engine --example explain_eval`.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def dev_chunk(data: Path, n: int, tokens, lo: int = 60, hi: int = 100) -> list[str]:
    """n 3-sentence chunks of AnnoCTR dev prose with lo..hi tokens (the issue's ~80-token chunk)."""
    docs: dict[str, list[tuple[int, str]]] = {}
    for line in data.open():
        r = json.loads(line)
        sid = r.get("source_id", "")
        if r.get("source") != "annoctr" or not sid.startswith("dev/"):
            continue
        doc, _, idx = sid.rpartition("#")
        docs.setdefault(doc, []).append((int(idx or 0), r["text"]))
    chunks = []
    for doc in sorted(docs):
        s = [t for _, t in sorted(docs[doc])]
        for i in range(0, len(s) - 2, 3):
            text = " ".join(s[i:i + 3])
            if lo <= tokens(text) <= hi:
                chunks.append(text)
    return chunks[:: max(1, len(chunks) // n)][:n]


def count_tokens(model: Path, manifest: dict):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(model / manifest["tokenizer"]))
    tok.no_truncation()
    tok.no_padding()
    return lambda text: len(tok.encode(text).ids)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--texts")
    ap.add_argument("--chunks", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--budget", type=int)
    ap.add_argument("--shap-evals", type=int, default=500)
    ap.add_argument("--rust-bin", default=str(ROOT / "target/release/examples/explain_eval"))
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data/train.jsonl"))
    args = ap.parse_args()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

    import onnxruntime as ort
    import shap
    from transformers import PreTrainedTokenizerFast

    model = Path(args.model)
    manifest = json.loads((model / "model.json").read_text())
    labels = manifest["labels"] if isinstance(manifest["labels"], list) else json.loads(
        (model / manifest["labels"]).read_text())
    texts = ([t for t in Path(args.texts).read_text().splitlines() if t.strip()] if args.texts
             else dev_chunk(Path(args.data), args.chunks, count_tokens(model, manifest),
                            hi=min(100, manifest["max_tokens"])))

    # --- mitremap (Rust), same texts ---
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as fh:
        fh.write("\n".join(texts) + "\n")
        tfile = fh.name
    cmd = [args.rust_bin, "time", str(model), tfile, "--threads", str(args.threads)]
    if args.budget:
        cmd += ["--budget", str(args.budget)]
    env = dict(os.environ)
    env.setdefault("ORT_DYLIB_PATH", str(ROOT / ".ort/lib/libonnxruntime.so"))
    rust = [json.loads(l) for l in subprocess.run(cmd, check=True, capture_output=True, text=True,
                                                  env=env).stdout.splitlines() if l.startswith("{")]
    budget = rust[0]["evaluations"] if rust else args.budget

    # --- shap Partition on the same ONNX graph through onnxruntime ---
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(model / manifest["onnx"]), so, providers=["CPUExecutionProvider"])
    bert = manifest["architecture"] == "bert"
    tok = PreTrainedTokenizerFast(tokenizer_file=str(model / manifest["tokenizer"]))
    if bert:
        tok.add_special_tokens({"mask_token": "[MASK]", "cls_token": "[CLS]", "sep_token": "[SEP]",
                                "pad_token": "[PAD]", "unk_token": "[UNK]"})
    else:
        tok.add_special_tokens({"eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>"})
    pad = manifest["pad_token_id"]
    sigmoid = manifest["activation"] == "sigmoid"
    calls = {"rows": 0}

    def f(batch):
        out = []
        for i in range(0, len(batch), 32):
            enc = [tok(str(t))["input_ids"] for t in batch[i:i + 32]]
            enc = [e if e else [pad] for e in enc]
            L = max(len(e) for e in enc)
            ids = np.full((len(enc), L), pad, dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, e in enumerate(enc):
                ids[r, :len(e)] = e
                mask[r, :len(e)] = 1
            logits = sess.run([manifest["output"]], {"input_ids": ids, "attention_mask": mask})[0]
            out.append(1 / (1 + np.exp(-logits)) if sigmoid else np.exp(logits - logits.max(1, keepdims=True))
                       / np.exp(logits - logits.max(1, keepdims=True)).sum(1, keepdims=True))
            calls["rows"] += len(enc)
        return np.concatenate(out)

    explainer = shap.Explainer(f, shap.maskers.Text(tok), output_names=labels, algorithm="partition")
    top1 = shap.Explanation.argsort.flip[:1]

    def run_shap(text, evals):
        calls["rows"] = 0
        t, c = time.perf_counter(), time.process_time()
        explainer([text], max_evals=evals, outputs=top1, silent=True)
        return time.perf_counter() - t, calls["rows"], time.process_time() - c

    explainer([texts[0]], max_evals=20, outputs=top1, silent=True)  # warm-up (shap's first call compiles)
    print(f"model {manifest['name']} ({manifest['architecture']}), {args.threads} threads, "
          f"{len(texts)} chunk(s), host {os.uname().machine} {os.cpu_count()} cpus, "
          f"load avg {os.getloadavg()[0]:.1f}")
    print("wall seconds per chunk [CPU seconds, all threads]")
    print(f"| chunk tokens | mitremap (passes, labels) | shap @{args.shap_evals} (passes) | ratio | "
          f"shap @{budget} (passes) | ratio (equal budget) |")
    print("|---|---|---|---|---|---|")
    tot = [0.0] * 6
    for text, r in zip(texts, rust):
        s500, n500, c500 = run_shap(text, args.shap_evals)
        sb, nb, cb = run_shap(text, budget)
        rc = r.get("cpu_seconds", 0.0) or float("nan")
        for i, v in enumerate([r["seconds"], s500, sb, rc, c500, cb]):
            tot[i] += v
        print(f"| {r['tokens']} | {r['seconds']:.2f} [{rc:.2f}] ({r['evaluations']}, {r['labels']}) | "
              f"{s500:.2f} [{c500:.2f}] ({n500}) | {s500 / r['seconds']:.1f}x [{c500 / rc:.1f}x] | "
              f"{sb:.2f} [{cb:.2f}] ({nb}) | {sb / r['seconds']:.1f}x [{cb / rc:.1f}x] |")
    n = max(1, len(rust))
    print(f"mean wall s/chunk: mitremap {tot[0] / n:.2f}, shap@{args.shap_evals} {tot[1] / n:.2f} "
          f"({tot[1] / tot[0]:.1f}x), shap@{budget} {tot[2] / n:.2f} ({tot[2] / tot[0]:.1f}x); "
          f"mean CPU s/chunk: mitremap {tot[3] / n:.2f}, shap@{args.shap_evals} {tot[4] / n:.2f} "
          f"({tot[4] / tot[3]:.1f}x), shap@{budget} {tot[5] / n:.2f} ({tot[5] / tot[3]:.1f}x)")


if __name__ == "__main__":
    sys.exit(main())
