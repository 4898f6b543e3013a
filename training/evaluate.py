"""Evaluate a mitremap model folder (ONNX, as the app runs it) against a TF-IDF + LR baseline.

  python training/evaluate.py --model models/default --meta training/out/<run>/train_meta.json \
      --out training/out/eval_default.json [--bench-model training/out/bench_export]

* Splits come from dataset.py with the *same* arguments the model was trained with (read from
  train_meta.json), so the baseline is trained on exactly the model's training records and label
  space. Thresholds (model and baseline each) are chosen on the `tune` slice, never on `val`.
* Scores `val` per source (annoctr dev/, tram2_sentences held-out reports) and overall, at parent
  and full-ID level: top-1, top-3, top-5 recall, micro/macro-F1 at the threshold, calibration
  (reliability table + ECE), and the false-positive rate on held-out TRAM2 negative sentences.
* TRAM benchmark (benchmarks/tram2_single_label.jsonl): the baseline is retrained without
  tram2_sentences and tram_bootstrap; a transformer trained that way (train.py --benchmark,
  exported) is scored with --bench-model.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads crawl on a shared CPU

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset as ds  # noqa: E402
from metrics import Levels, best_threshold, evaluate_scores  # noqa: E402


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# ---------------------------------------------------------------- ONNX model folder scoring
class OrtModel:
    def __init__(self, folder, threads=2, onnx_file=None, max_tokens=128):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        ort.disable_telemetry_events()  # offline: no device id, no queued events
        folder = Path(folder)
        self.manifest = json.load(open(folder / "model.json"))
        m = self.manifest
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(str(folder / (onnx_file or m["onnx"])), so, providers=["CPUExecutionProvider"])
        self.tok = Tokenizer.from_file(str(folder / m["tokenizer"]))
        labels = m["labels"]
        self.labels = json.load(open(folder / labels)) if isinstance(labels, str) else labels
        self.pad = m["pad_token_id"]
        self.max_tokens = min(max_tokens, m.get("max_tokens", max_tokens))
        self.inputs = {i.name for i in self.sess.get_inputs()}
        self.activation = m.get("activation", "sigmoid")
        # label_thresholds: the engine folds each into its label's logit (model/manifest.rs)
        self.offsets = np.zeros(len(self.labels), dtype=np.float32)
        lt = m.get("label_thresholds") or {}
        # a blended folder's per-label cuts belong to the graph alone (docs/model-manifest.md)
        self.blend = m.get("lexical")
        self.lexical = None
        if self.blend:
            from lexical import read_bin

            self.lexical = read_bin(folder / self.blend["file"])
        if lt:
            g = self.blend["model_threshold"] if self.blend else m["threshold"]
            for l, t in lt.items():
                self.offsets[self.labels.index(l)] = np.log(g / (1 - g)) - np.log(t / (1 - t))
        self.raw = False  # True: scores without the per-label shifts

    def without_label_thresholds(self):
        self.raw = True
        return self

    def encode(self, texts):
        encs = self.tok.encode_batch(texts)
        return [e.ids[: self.max_tokens] if len(e.ids) <= self.max_tokens
                else e.ids[: self.max_tokens - 1] + [e.ids[-1]] for e in encs]

    def logits(self, texts, bs=32):
        ids_all = self.encode(texts)
        out = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(ids_all[i]))
        for s in range(0, len(order), bs):
            idx = order[s:s + bs]
            L = max(len(ids_all[i]) for i in idx)
            ids = np.full((len(idx), L), self.pad, dtype=np.int64)
            mask = np.zeros((len(idx), L), dtype=np.int64)
            for r, i in enumerate(idx):
                ids[r, : len(ids_all[i])] = ids_all[i]
                mask[r, : len(ids_all[i])] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.inputs:
                feed["token_type_ids"] = np.zeros_like(ids)
            out[idx] = self.sess.run(["logits"], feed)[0]
        return out

    def graph_only(self):
        """score with the ONNX graph alone (a blended folder's lexical part left out)"""
        self.blend = None
        return self

    def scores(self, texts):
        lo = self.logits(texts)
        if not self.raw:
            lo = lo + self.offsets
        if self.blend:
            b = self.blend
            lo = b["model_weight"] * lo + b["lexical_weight"] * self.lexical.logits([t.strip() for t in texts]) + b["bias"]
        if self.activation == "softmax":
            e = np.exp(lo - lo.max(1, keepdims=True))
            return e / e.sum(1, keepdims=True)
        return 1 / (1 + np.exp(-lo))


# ---------------------------------------------------------------- TF-IDF + LR baseline
class TfidfBaseline:
    """word 1-2 grams + char_wb 3-5 grams TF-IDF (60k features each, sublinear tf) and one L2-regularised
    logistic regression per label (sigmoid, BCE), all labels fit jointly with Adam in PyTorch on the
    sparse matrix (8 epochs, batch 1024, lr 0.03, L2 1e-6, bias = label log-prior). (liblinear needed 7-16 s
    per label on this shared CPU, 40+ min for 366 labels; SGDClassifier diverged at small alpha.)"""

    def __init__(self, labels, epochs=8, lr=0.03, l2=1e-6, seed=0, char=True):
        self.labels = labels
        self.char = char
        self.lidx = {l: i for i, l in enumerate(labels)}
        self.epochs, self.lr, self.l2, self.seed = epochs, lr, l2, seed

    def _x(self, texts):
        from scipy.sparse import hstack

        if not self.char:
            return self.w.transform(texts).tocsr().astype(np.float32)
        return hstack([self.w.transform(texts), self.c.transform(texts)]).tocsr().astype(np.float32)

    @staticmethod
    def _torch_csr(X):
        import torch

        return torch.sparse_csr_tensor(torch.from_numpy(X.indptr.astype(np.int64)),
                                       torch.from_numpy(X.indices.astype(np.int64)),
                                       torch.from_numpy(X.data), size=X.shape)

    def fit(self, records):
        import torch
        from sklearn.feature_extraction.text import TfidfVectorizer

        torch.manual_seed(self.seed)
        texts = [r["text"] for r in records]
        self.w = TfidfVectorizer(ngram_range=(1, 2), min_df=2, max_features=60000, sublinear_tf=True, lowercase=True)
        self.c = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, max_features=60000,
                                 sublinear_tf=True, lowercase=True)
        self.w.fit(texts)
        if self.char:
            self.c.fit(texts)
        X = self._x(texts)
        Y = np.zeros((len(records), len(self.labels)), dtype=np.float32)
        for i, r in enumerate(records):
            Y[i, ds.targets(r["gold"], self.lidx)] = 1
        prior = np.clip(Y.mean(0), 1e-5, 0.5)
        W = torch.zeros(X.shape[1], len(self.labels), requires_grad=True)
        b = torch.tensor(np.log(prior / (1 - prior)), dtype=torch.float32, requires_grad=True)
        opt = torch.optim.Adam([W, b], lr=self.lr)
        lossf = torch.nn.BCEWithLogitsLoss(reduction="sum")
        Yt = torch.from_numpy(Y)
        rng = np.random.default_rng(self.seed)
        bs = 1024
        for ep in range(self.epochs):
            order = rng.permutation(len(records))
            tot = 0.0
            for s in range(0, len(order), bs):
                idx = np.sort(order[s:s + bs])
                xb = self._torch_csr(X[idx])
                logits = torch.sparse.mm(xb, W) + b
                loss = lossf(logits, Yt[idx]) / len(idx) + self.l2 * (W * W).sum()
                opt.zero_grad()
                loss.backward()
                opt.step()
                tot += loss.item() * len(idx)
            log(f"baseline epoch {ep + 1}: loss {tot / len(records):.4f}")
        self.W, self.b = W.detach(), b.detach()
        return self

    def scores(self, texts):
        import torch

        out = []
        X = self._x(texts)
        with torch.no_grad():
            for s in range(0, X.shape[0], 2048):
                out.append(torch.sigmoid(torch.sparse.mm(self._torch_csr(X[s:s + 2048]), self.W) + self.b).numpy())
        return np.concatenate(out)


# ---------------------------------------------------------------- reporting
def by_source(S, recs, lv, thr):
    """val metrics overall and per source; negatives (tram2 :neg) counted for FP rate."""
    res = {}
    groups = {"overall": list(range(len(recs)))}
    for src in ("annoctr", "tram2_sentences"):
        groups[src] = [i for i, r in enumerate(recs) if r["source"] in (src, src + ":neg")]
    for name, idx in groups.items():
        res[name] = evaluate_scores(S[idx], [recs[i] for i in idx], lv, thr)
    return res


def fmt_table(results: dict, title: str) -> str:
    """results: {system: by_source-result}; markdown table."""
    rows = [f"### {title}", "",
            "| set | level | system | top-1 | top-3 | top-5 | micro-F1 | macro-F1 | ECE | neg FP |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    systems = list(results)
    first = results[systems[0]]
    for src in first:
        for level in ("parent", "full"):
            for sname in systems:
                m = results[sname][src][level]
                if not m.get("n"):
                    continue
                nfp = m.get("neg_fp_rate")
                rows.append(f"| {src} (n={m['n']}) | {level} | {sname} | {m['top1']:.3f} | {m['top3']:.3f} | "
                            f"{m['top5']:.3f} | {m['micro_f1']:.3f} | {m['macro_f1']:.3f} | "
                            f"{m['calibration']['ece']:.3f} | {'-' if nfp is None else f'{nfp:.3f}'} |")
    return "\n".join(rows)


def tram_benchmark(S, recs, lv):
    """TRAM single-label benchmark: full label space + restricted to the benchmark's labels."""
    out = {}
    gold = [r["gold"][0] for r in recs]
    bench_labels = sorted(set(gold))
    res = evaluate_scores(S, recs, lv, thr=0.5, calib=False)
    out["open_label_space"] = {k: {kk: v[kk] for kk in ("top1", "top3", "top5")} for k, v in res.items()}
    cols = [lv.index[l] if l in lv.index else None for l in bench_labels]
    sub = np.stack([S[:, c] if c is not None else np.zeros(len(recs)) for c in cols], 1)
    pred = [bench_labels[j] for j in sub.argmax(1)]
    acc = float(np.mean([p == g for p, g in zip(pred, gold)]))
    f1s = []
    for l in bench_labels:
        tp = sum(p == l and g == l for p, g in zip(pred, gold))
        fp = sum(p == l and g != l for p, g in zip(pred, gold))
        fn = sum(p != l and g == l for p, g in zip(pred, gold))
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    out["restricted_to_benchmark_labels"] = {"labels": len(bench_labels), "accuracy": acc,
                                             "macro_f1": float(np.mean(f1s)),
                                             "labels_missing_from_model": [l for l, c in zip(bench_labels, cols) if c is None]}
    out["n"] = len(recs)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="model folder (model.json) to score with ONNX Runtime")
    ap.add_argument("--onnx-file", default=None, help="score another graph in the folder (e.g. model_fp32.onnx)")
    ap.add_argument("--meta", required=True, help="train_meta.json of the run (split/label arguments)")
    ap.add_argument("--bench-model", default=None, help="model folder trained with --benchmark")
    ap.add_argument("--bench-meta", default=None)
    ap.add_argument("--no-bench", action="store_true")
    ap.add_argument("--bench-only", action="store_true", help="only the TRAM benchmark (baseline + --bench-model)")
    ap.add_argument("--data", default=None)
    ap.add_argument("--out", required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-label-thresholds", action="store_true",
                    help="score without the manifest's per-label thresholds (to measure what they change)")
    ap.add_argument("--baseline-cache", default=None,
                    help="JSON with the baseline's results for these split arguments (reused if present)")
    a = ap.parse_args()

    meta = json.load(open(a.meta))
    targs = meta["args"]
    caps = {c.split("=")[0]: int(c.split("=")[1]) for c in targs.get("cap", [])}
    if a.bench_only:
        bench = ds.load_tram_benchmark(a.data)
        db = ds.load(a.data, benchmark=True, neg_train=targs["neg_train"], seed=targs["seed"], caps=caps)
        blabels = ds.build_label_space(db["train"], targs["min_sub"])
        t0 = time.time()
        bb = TfidfBaseline(blabels).fit(db["train"])
        rep = {"tfidf_lr": tram_benchmark(bb.scores([r["text"] for r in bench]), bench, Levels(blabels))}
        rep["tfidf_lr"]["train_records"] = len(db["train"])
        log(f"benchmark baseline in {time.time() - t0:.0f}s")
        if a.bench_model:
            bm = OrtModel(a.bench_model, threads=a.threads)
            rep["model"] = tram_benchmark(bm.scores([r["text"] for r in bench]), bench, Levels(bm.labels))
        json.dump({"tram_benchmark": rep}, open(a.out, "w"), indent=1)
        print(json.dumps(rep, indent=1)[:3000])
        return
    d = ds.load(a.data, neg_train=targs["neg_train"], bootstrap_cap=targs["bootstrap_cap"], seed=targs["seed"], caps=caps)
    train, tune, val = d["train"], d["tune"], d["val"]
    if targs.get("limit"):
        train = train[: targs["limit"]]
    report = {"splits": {k: len(d[k]) for k in ("train", "tune", "val")}, "systems": {}}

    systems = {}
    if a.model:
        m = OrtModel(a.model, threads=a.threads, onnx_file=a.onnx_file)
        if a.no_label_thresholds:
            m.without_label_thresholds()
        labels = m.labels
        systems["model"] = m
    else:
        labels = ds.build_label_space(train, targs["min_sub"])
    lv = Levels(labels)

    cache = None
    key = json.dumps({k: targs.get(k) for k in ("neg_train", "bootstrap_cap", "seed", "cap", "min_sub", "limit")}
                     | {"labels": labels}, sort_keys=True)
    if a.baseline_cache and Path(a.baseline_cache).exists():
        cache = json.load(open(a.baseline_cache))
        if cache.get("key") != key:
            log("baseline cache is for other split arguments; recomputing")
            cache = None
    if cache is None:
        t0 = time.time()
        systems["tfidf_lr"] = TfidfBaseline(labels).fit(train)
        log(f"baseline trained in {time.time() - t0:.0f}s")

    results = {}
    for name, sysm in systems.items():
        t0 = time.time()
        S_tune = sysm.scores([r["text"] for r in tune])
        thr, f1 = best_threshold(S_tune, tune, lv)
        if name == "model" and sysm.manifest.get("threshold") is not None:
            thr = sysm.manifest["threshold"]  # the shipped one, chosen on tune (train.py / thresholds.py)
        S_val = sysm.scores([r["text"] for r in val])
        results[name] = by_source(S_val, val, lv, thr)
        report["systems"][name] = {"threshold": thr, "seconds": round(time.time() - t0, 1)}
        log(f"{name}: thr {thr} scored in {time.time() - t0:.0f}s")
    if cache is not None:
        results["tfidf_lr"] = cache["val"]
        report["systems"]["tfidf_lr"] = cache["system"]
    report["val"] = results
    table = fmt_table(results, "Validation (real report prose, held out by document)")

    if cache is not None and "tram_benchmark" in cache:
        report["tram_benchmark"] = {"tfidf_lr": cache["tram_benchmark"]}
    if not a.no_bench and cache is None:
        bench = ds.load_tram_benchmark(a.data)
        db = ds.load(a.data, benchmark=True, neg_train=targs["neg_train"], seed=targs["seed"], caps=caps, verbose=False)
        blabels = ds.build_label_space(db["train"], targs["min_sub"])
        t0 = time.time()
        bb = TfidfBaseline(blabels).fit(db["train"])
        report["tram_benchmark"] = {"tfidf_lr": tram_benchmark(bb.scores([r["text"] for r in bench]), bench, Levels(blabels))}
        log(f"benchmark baseline in {time.time() - t0:.0f}s")
    if not a.no_bench:
        bench = ds.load_tram_benchmark(a.data)
        if a.bench_model:
            bm = OrtModel(a.bench_model, threads=a.threads)
            report.setdefault("tram_benchmark", {})["model"] = tram_benchmark(bm.scores([r["text"] for r in bench]), bench, Levels(bm.labels))
    if "tram_benchmark" in report:
        rows = ["", "### TRAM benchmark (trained without tram2_sentences / tram_bootstrap)", "",
                "| system | n | top-1 parent | top-3 parent | top-1 full | top-3 full | acc (50 labels) | macro-F1 (50 labels) |",
                "|---|---|---|---|---|---|---|---|"]
        for s, r in report["tram_benchmark"].items():
            o, rr = r["open_label_space"], r["restricted_to_benchmark_labels"]
            rows.append(f"| {s} | {r['n']} | {o['parent']['top1']:.3f} | {o['parent']['top3']:.3f} | {o['full']['top1']:.3f} | "
                        f"{o['full']['top3']:.3f} | {rr['accuracy']:.3f} | {rr['macro_f1']:.3f} |")
        table += "\n" + "\n".join(rows)

    if a.baseline_cache and cache is None:
        Path(a.baseline_cache).parent.mkdir(parents=True, exist_ok=True)
        json.dump({"key": key, "val": results["tfidf_lr"], "system": report["systems"]["tfidf_lr"],
                   **({"tram_benchmark": report["tram_benchmark"]["tfidf_lr"]} if "tram_benchmark" in report else {})},
                  open(a.baseline_cache, "w"))
    report["table_md"] = table
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    json.dump(report, open(a.out, "w"), indent=1)
    print(table)


if __name__ == "__main__":
    main()
