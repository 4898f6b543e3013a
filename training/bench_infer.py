"""Inference time of a model folder with ONNX Runtime (CPU), per chunk of N tokens, batch 1.

  python training/bench_infer.py models/default --threads 2 --tokens 128 512
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokens", type=int, nargs="+", default=[128, 512])
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", default=None)
    ap.add_argument("--machine", default="2-vCPU x86_64 build machine",
                    help="what the numbers were measured on (and whether it was quiet), for the card")
    a = ap.parse_args()
    folder = Path(a.folder)
    man = json.load(open(folder / "model.json"))
    so = ort.SessionOptions()
    so.intra_op_num_threads = a.threads
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(str(folder / man["onnx"]), so, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    res = {"threads": a.threads, "batch": 1, "graph": man["onnx"], "ms_per_chunk": {}}
    for n in a.tokens:
        ids = rng.integers(1000, 20000, size=(1, n)).astype(np.int64)
        ids[0, 0], ids[0, -1] = 101, 102
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        for _ in range(3):
            s.run(["logits"], feed)
        t = []
        for _ in range(a.runs):
            t0 = time.perf_counter()
            s.run(["logits"], feed)
            t.append((time.perf_counter() - t0) * 1000)
        res["ms_per_chunk"][str(n)] = {"median": round(float(np.median(t)), 2), "p90": round(float(np.percentile(t, 90)), 2)}
        print(f"{n} tokens: median {np.median(t):.1f} ms, p90 {np.percentile(t, 90):.1f} ms")
    res["note"] = (f"Python onnxruntime {ort.__version__}, {man['onnx']}, batch 1, {a.threads} threads, "
                   f"{time.strftime('%Y-%m-%d')}, {a.machine}")
    if a.out:
        json.dump({"inference": res}, open(a.out, "w"), indent=1)


if __name__ == "__main__":
    main()
