#!/usr/bin/env python3
"""Peak GEMM throughput and session-option / batching experiments with ONNX Runtime (Python).

    python3 tools/speed/ort_tune.py peak  [--threads 2]
    python3 tools/speed/ort_tune.py tune  MODEL_DIR LENGTHS.json [--threads 2] [--chunks 48]

`peak`: a large MatMul graph ([M,K]x[K,N], M=1024, K=768*4, N=3072) in fp32, and the same graph
after onnxruntime's `quantize_dynamic` (int8 weights, DynamicQuantizeLinear + MatMulInteger /
fused DynamicQuantizeMatMul — the same kernel path as the int8 model), run through onnxruntime
with `intra_op_num_threads`; prints GFLOP/s (2*M*K*N per run).

`tune`: the model graph on real chunk lengths (LENGTHS.json: a list of token counts, e.g. from
mitremap's JSON report), random token ids, padded on the right like the engine. Variants:
batch size 1/8, in document order vs sorted by length, graph optimisation level, CPU memory
arena, intra-op spinning, thread count. Prints ms per chunk, tokens/s and GFLOP/s (model FLOPs
from the GPT-2 shape: 2 * (12*L*d^2 + 2*L*n*d + d*labels) per token, padding excluded).
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper


def session(path, threads, level=ort.GraphOptimizationLevel.ORT_ENABLE_ALL, arena=True, spin=True):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = level
    so.enable_cpu_mem_arena = arena
    if not spin:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def best_of(fn, reps):
    fn()
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), float(np.median(ts))


def peak(threads: int) -> dict:
    M, K, N = 1024, 3072, 3072
    rng = np.random.default_rng(0)
    w = rng.standard_normal((K, N), dtype=np.float32) * 0.02
    g = helper.make_graph(
        [helper.make_node("MatMul", ["A", "W"], ["Y"])], "mm",
        [helper.make_tensor_value_info("A", TensorProto.FLOAT, [M, K])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [M, N])],
        [numpy_helper.from_array(w, "W")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    d = tempfile.mkdtemp()
    fp32 = os.path.join(d, "mm.onnx")
    onnx.save(m, fp32)
    from onnxruntime.quantization import QuantType, quantize_dynamic
    int8 = os.path.join(d, "mm.int8.onnx")
    quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8)
    a = rng.standard_normal((M, K), dtype=np.float32)
    flop = 2.0 * M * K * N
    out = {"shape": [M, K, N], "threads": threads}
    for name, path in (("fp32", fp32), ("int8", int8)):
        s = session(path, threads)
        best, med = best_of(lambda: s.run(None, {"A": a}), 7)
        out[name] = {"best_gflops": flop / best / 1e9, "median_gflops": flop / med / 1e9}
        print(f"peak {name}: best {flop / best / 1e9:.1f} GFLOP/s, median {flop / med / 1e9:.1f} GFLOP/s", flush=True)
    return out


def model_flops_per_token(n_ctx: float, L=6, d=768, labels=191) -> float:
    return 2.0 * (12 * L * d * d + 2 * L * n_ctx * d + d * labels)


def tune(model_dir: str, lengths_file: str, threads: int, chunks: int) -> dict:
    man = json.load(open(os.path.join(model_dir, "model.json")))
    path = os.path.join(model_dir, man["onnx"])
    lengths = json.load(open(lengths_file))[:chunks]
    rng = np.random.default_rng(0)
    seqs = [rng.integers(300, 40000, size=n).astype(np.int64) for n in lengths]
    pad = man["pad_token_id"]
    toks = sum(lengths)
    flop = sum(n * model_flops_per_token(n) for n in lengths)

    def batches(order, bs):
        for i in range(0, len(order), bs):
            idx = order[i:i + bs]
            longest = max(lengths[j] for j in idx)
            ids = np.full((len(idx), longest), pad, dtype=np.int64)
            mask = np.zeros((len(idx), longest), dtype=np.int64)
            for r, j in enumerate(idx):
                ids[r, :lengths[j]] = seqs[j]
                mask[r, :lengths[j]] = 1
            yield {"input_ids": ids, "attention_mask": mask}

    def padded(order, bs):
        return sum(b["input_ids"].size for b in batches(order, bs))

    doc = list(range(len(lengths)))
    by_len = sorted(doc, key=lambda j: lengths[j])
    results = []

    def measure(label, s, order, bs):
        feeds = list(batches(order, bs))
        run = lambda: [s.run(["logits"], f) for f in feeds]
        best, med = best_of(run, 2)
        r = {"variant": label, "batch": bs, "ms_per_chunk": med * 1000 / len(lengths),
             "tokens_per_s": toks / med, "gflops": flop / med / 1e9,
             "padding_overhead": padded(order, bs) / toks - 1}
        results.append(r)
        print(f"{label:44s} bs={bs}: {r['ms_per_chunk']:.1f} ms/chunk, {r['tokens_per_s']:.0f} tok/s, "
              f"{r['gflops']:.1f} GFLOP/s, padding +{100 * r['padding_overhead']:.0f}%", flush=True)

    base = session(path, threads)
    measure("default (Level3, arena, spinning)", base, doc, 1)
    measure("default (Level3, arena, spinning)", base, doc, 8)
    measure("sorted by length", base, by_len, 8)
    del base
    s = session(path, threads, spin=False)
    measure("allow_spinning=0", s, doc, 8)
    del s
    s = session(path, threads, arena=False)
    measure("cpu arena off", s, doc, 8)
    del s
    s = session(path, threads, level=ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED)
    measure("Level2 (extended)", s, doc, 8)
    del s
    s = session(path, 1)
    measure("1 intra-op thread", s, doc, 8)
    del s
    return {"model": model_dir, "threads": threads, "chunks": len(lengths), "tokens": toks,
            "mean_len": toks / len(lengths), "results": results}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["peak", "tune"])
    ap.add_argument("model_dir", nargs="?")
    ap.add_argument("lengths", nargs="?")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--chunks", type=int, default=48)
    ap.add_argument("--out")
    a = ap.parse_args()
    res = peak(a.threads) if a.mode == "peak" else tune(a.model_dir, a.lengths, a.threads, a.chunks)
    res["ort_version"] = ort.__version__
    res["loadavg"] = os.getloadavg()
    if a.out:
        json.dump(res, open(a.out, "w"), indent=1)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
