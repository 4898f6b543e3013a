"""The lexical scorer shipped beside the neural model, and the blend that combines them.

  python training/lexical.py --model models/default --meta training/out/<run>/train_meta.json [--write]

1. Fits the TF-IDF + logistic-regression scorer of evaluate.py (word 1-2 grams + char_wb 3-5 grams,
   sublinear tf, smooth idf, L2 per analyzer; one sigmoid per label) on the *same training pool as
   the evaluation baseline* (split by document: tune and val are never seen). Cached in
   training/out/lexical_fit.pkl.
2. Keeps the largest weights (--max-nnz over all features x labels; a feature with none left is
   dropped) and quantises each feature's row to int8 with its own scale; writes `lexical.bin`
   (format below), which the engine reads (crates/mitremap-engine/src/model/lexical.rs).
3. Chooses the blend on the tune slice: final logit = a * model logit + (1 - a) * lexical logit (the
   model logit with its per-label threshold shifts, as the engine computes it), a from a grid by
   tune parent top-1 + top-3 among the weights with tune ECE <= 0.05; then the global threshold on tune
   (parent micro-F1, capped so the tune false-positive rate on no-technique sentences stays at or
   below that of the model alone).
4. Reports validation (by source, parent/full) for model alone, lexical alone and the blend, and
   with --write puts `lexical` and `threshold` into model.json (+ sha256 of lexical.bin).
5. --reference FILE writes a few hundred sentences with their lexical logits (from the int8 file,
   computed here in numpy) for the engine's parity test.

lexical.bin (little-endian):
  b"MMLEX001", u32 n_word, u32 n_char, u32 n_labels, u32 nnz,
  f32 bias[n_labels], f32 idf[n_word + n_char], f32 scale[n_word + n_char],
  u32 row_start[n_word + n_char + 1], u16 label[nnz], i8 value[nnz],
  u32 string_start[n_word + n_char + 1], utf-8 bytes of every feature (word features first, then
  char_wb features), the label count must equal the model's labels.
weight = value * scale[feature].
"""
from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import re
import struct
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import dataset as ds  # noqa: E402
from evaluate import OrtModel, TfidfBaseline, by_source, fmt_table  # noqa: E402
from metrics import Levels, best_threshold  # noqa: E402

MAGIC = b"MMLEX001"


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def logit(p):
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return np.log(p / (1 - p))


class Lexical:
    """The shipped lexical scorer: pruned, int8 rows, scored exactly as the engine does."""

    def __init__(self, word_vocab, char_vocab, idf, W, b):
        self.word_vocab, self.char_vocab = word_vocab, char_vocab  # feature -> column
        self.idf, self.W, self.b = idf, W, b  # W: scipy CSR [features, labels] (dequantised)

    # sklearn's analyzers, restated so the engine can be checked against them
    @staticmethod
    def words(text):
        toks = re.findall(r"(?u)\b\w\w+\b", text.lower())
        return toks + [f"{a} {b}" for a, b in zip(toks, toks[1:])]

    @staticmethod
    def chars(text):
        out = []
        for w in text.lower().split():
            w = f" {w} "
            for n in range(3, 6):
                off = 0
                out.append(w[off:off + n])
                while off + n < len(w):
                    off += 1
                    out.append(w[off:off + n])
                if off == 0:
                    break
        return out

    def features(self, text):
        """{column: tf-idf value}, each analyzer's part L2-normalised."""
        x = {}
        for grams, vocab, base in ((self.words(text), self.word_vocab, 0),
                                   (self.chars(text), self.char_vocab, len(self.word_vocab))):
            tf = {}
            for g in grams:
                j = vocab.get(g)
                if j is not None:
                    tf[base + j] = tf.get(base + j, 0) + 1
            part = {j: (1 + np.log(c)) * self.idf[j] for j, c in tf.items()}
            norm = np.sqrt(sum(v * v for v in part.values()))
            if norm > 0:
                x.update({j: v / norm for j, v in part.items()})
        return x

    def logits(self, texts):
        from scipy.sparse import csr_matrix

        rows, cols, vals = [], [], []
        for i, t in enumerate(texts):
            for j, v in self.features(t).items():
                rows.append(i)
                cols.append(j)
                vals.append(v)
        X = csr_matrix((vals, (rows, cols)), shape=(len(texts), self.W.shape[0]), dtype=np.float64)
        return np.asarray((X @ self.W).toarray()) + self.b


def prune_and_quantise(W, max_nnz):
    """Keeps the max_nnz largest |w|; int8 per feature row. Returns (row_start, label, q, scale)."""
    flat = np.abs(W).ravel()
    if flat.size > max_nnz:
        cut = np.partition(flat, flat.size - max_nnz)[flat.size - max_nnz]
    else:
        cut = 0.0
    keep = np.abs(W) >= max(cut, 1e-12)
    row_start, labels, q, scale = [0], [], [], []
    for f in range(W.shape[0]):
        idx = np.nonzero(keep[f])[0]
        vals = W[f, idx]
        s = float(np.abs(vals).max() / 127.0) if len(idx) else 0.0
        scale.append(s)
        if len(idx):
            qq = np.clip(np.round(vals / s), -127, 127).astype(np.int8)
            labels.extend(idx.tolist())
            q.extend(qq.tolist())
        row_start.append(len(labels))
    return (np.array(row_start, dtype=np.uint32), np.array(labels, dtype=np.uint16),
            np.array(q, dtype=np.int8), np.array(scale, dtype=np.float32))


def write_bin(path, word_feats, char_feats, idf, bias, row_start, labels, q, scale):
    feats = list(word_feats) + list(char_feats)
    blobs = [f.encode("utf-8") for f in feats]
    starts = np.zeros(len(blobs) + 1, dtype=np.uint32)
    starts[1:] = np.cumsum([len(b) for b in blobs])
    with open(path, "wb") as fh:
        fh.write(MAGIC)
        fh.write(struct.pack("<IIII", len(word_feats), len(char_feats), len(bias), len(labels)))
        for arr in (np.asarray(bias, "<f4"), np.asarray(idf, "<f4"), np.asarray(scale, "<f4"),
                    np.asarray(row_start, "<u4"), np.asarray(labels, "<u2"), np.asarray(q, "i1"),
                    np.asarray(starts, "<u4")):
            fh.write(arr.tobytes())
        fh.write(b"".join(blobs))


def read_bin(path):
    from scipy.sparse import csr_matrix

    buf = open(path, "rb").read()
    assert buf[:8] == MAGIC
    nw, nc, nl, nnz = struct.unpack_from("<IIII", buf, 8)
    off = 24
    nf = nw + nc

    def take(dtype, n):
        nonlocal off
        a = np.frombuffer(buf, dtype=dtype, count=n, offset=off)
        off += a.nbytes
        return a

    bias, idf, scale = take("<f4", nl), take("<f4", nf), take("<f4", nf)
    row_start, labels, q, starts = take("<u4", nf + 1), take("<u2", nnz), take("i1", nnz), take("<u4", nf + 1)
    blob = buf[off:]
    feats = [blob[starts[i]:starts[i + 1]].decode("utf-8") for i in range(nf)]
    vals = q.astype(np.float64) * np.repeat(scale.astype(np.float64), np.diff(row_start))
    W = csr_matrix((vals, labels.astype(np.int64), row_start.astype(np.int64)), shape=(nf, nl))
    return Lexical({f: i for i, f in enumerate(feats[:nw])}, {f: i for i, f in enumerate(feats[nw:])},
                   idf.astype(np.float64), W, bias.astype(np.float64))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True, help="model folder (its labels, logits and per-label thresholds)")
    ap.add_argument("--meta", required=True, help="train_meta.json of the run (split arguments)")
    ap.add_argument("--data", default=None)
    ap.add_argument("--max-nnz", type=int, default=1_500_000)
    ap.add_argument("--fit-cache", default=str(HERE / "out" / "lexical_fit.pkl"))
    ap.add_argument("--out", default=str(HERE / "out" / "eval_blend.json"))
    ap.add_argument("--reference", default=None, help="write parity sentences + logits here (JSON)")
    ap.add_argument("--write", action="store_true", help="write lexical.bin and the manifest fields")
    a = ap.parse_args()

    meta = json.load(open(a.meta))
    targs = meta["args"]
    caps = {c.split("=")[0]: int(c.split("=")[1]) for c in targs.get("cap", [])}
    d = ds.load(a.data, neg_train=targs["neg_train"], bootstrap_cap=targs["bootstrap_cap"], seed=targs["seed"],
                caps=caps)
    train, tune, val = d["train"], d["tune"], d["val"]
    folder = Path(a.model)
    m = OrtModel(folder).graph_only()  # model alone: its own logits (+ per-label shifts)
    labels = m.labels
    lv = Levels(labels)

    fit_path = Path(a.fit_cache)
    if fit_path.exists():
        fit = pickle.load(open(fit_path, "rb"))
        assert fit["labels"] == labels, "lexical fit cache is for other labels; delete it"
    else:
        t0 = time.time()
        base = TfidfBaseline(labels).fit(train)
        fit = {"labels": labels, "word": base.w.vocabulary_, "char": base.c.vocabulary_,
               "idf": np.concatenate([base.w.idf_, base.c.idf_]), "W": base.W.numpy(), "b": base.b.numpy()}
        fit_path.parent.mkdir(parents=True, exist_ok=True)
        pickle.dump(fit, open(fit_path, "wb"))
        log(f"lexical fit in {time.time() - t0:.0f}s")

    W = fit["W"]
    word_feats = sorted(fit["word"], key=fit["word"].get)
    char_feats = sorted(fit["char"], key=fit["char"].get)
    row_start, lab, q, scale = prune_and_quantise(W, a.max_nnz)
    # drop features whose row is empty
    keep = np.diff(row_start.astype(np.int64)) > 0
    nw = int(keep[: len(word_feats)].sum())
    feats_w = [f for f, k in zip(word_feats, keep[: len(word_feats)]) if k]
    feats_c = [f for f, k in zip(char_feats, keep[len(word_feats):]) if k]
    lens = np.diff(row_start.astype(np.int64))[keep]
    rs = np.zeros(len(lens) + 1, dtype=np.uint32)
    rs[1:] = np.cumsum(lens)
    tmp = HERE / "out" / "lexical.bin"
    write_bin(tmp, feats_w, feats_c, fit["idf"][keep], fit["b"], rs, lab, q, scale[keep])
    log(f"lexical.bin: {nw} word + {len(feats_c)} char features, {len(lab)} weights, {tmp.stat().st_size / 1e6:.1f} MB")
    # NB: idf stays per kept feature; the L2 norm is over *kept* features only, as the engine does
    lex = read_bin(tmp)

    zm_t, zm_v = logit(m.scores([r["text"] for r in tune])), logit(m.scores([r["text"] for r in val]))
    zl_t, zl_v = lex.logits([r["text"] for r in tune]), lex.logits([r["text"] for r in val])
    lidx = {l: i for i, l in enumerate(labels)}
    Y = np.zeros_like(zm_t, dtype=np.float64)
    for i, r in enumerate(tune):
        Y[i, ds.targets(r["gold"], lidx)] = 1
    # The blend weight: a logit average a * model + (1 - a) * lexical, a chosen on tune by a rule
    # fixed before looking at val: the best tune parent top-1 + top-3 among the weights whose tune
    # calibration error stays <= 0.05. (A 3-parameter logistic stacker fitted on all tune pairs
    # ranked as well but shrank the scores: ECE 0.09 on val, and -4 points of full-ID top-1.)
    def sig_(z):
        return 1 / (1 + np.exp(-z))

    grid = []
    for alpha in (0.5, 0.6, 0.7, 0.8, 0.9, 1.0):
        St = sig_(alpha * zm_t + (1 - alpha) * zl_t)
        thr, _ = best_threshold(St, tune, lv)
        o = by_source(St, tune, lv, thr)["overall"]["parent"]
        grid.append({"alpha": alpha, "top1": o["top1"], "top3": o["top3"], "ece": o["calibration"]["ece"]})
        log(f"tune alpha {alpha}: top-1 {o['top1']:.3f} top-3 {o['top3']:.3f} ECE {o['calibration']['ece']:.3f}")
    ok = [g for g in grid if g["ece"] <= 0.05] or grid[-1:]
    best = max(ok, key=lambda g: (round(g["top1"] + g["top3"], 6), g["alpha"]))
    wa, wb, wc = best["alpha"], 1 - best["alpha"], 0.0
    log(f"blend: final logit = {wa:.4f} * model + {wb:.4f} * lexical + {wc:.4f}")

    def sig(z):
        return 1 / (1 + np.exp(-z))

    model_thr = float(m.manifest["lexical"]["model_threshold"] if "lexical" in m.manifest else m.manifest["threshold"])
    systems = {"model": (sig(zm_t), sig(zm_v), model_thr),
               "lexical": (sig(zl_t), sig(zl_v), None),
               "blend": (sig(wa * zm_t + wb * zl_t + wc), sig(wa * zm_v + wb * zl_v + wc), None)}
    results, thresholds = {}, {}
    neg_t = [i for i, r in enumerate(tune) if not r["gold"]]
    for name, (St, Sv, thr) in systems.items():
        if thr is None:
            thr, _ = best_threshold(St, tune, lv)
            if name == "blend":
                # no more firings on no-technique tune sentences than the model alone
                model_fp = by_source(systems["model"][0], tune, lv, systems["model"][2])["overall"]["parent"]["neg_fp_rate"]
                while by_source(St, tune, lv, thr)["overall"]["parent"]["neg_fp_rate"] > model_fp and thr < 0.95:
                    thr = round(thr + 0.025, 3)
        thresholds[name] = thr
        results[name] = by_source(Sv, val, lv, thr)
        log(f"{name}: threshold {thr}")
    table = fmt_table(results, "Validation (real report prose, held out by document)")
    print(table)
    rep = {"blend": {"model": wa, "lexical": wb, "bias": wc}, "tune_grid": grid, "thresholds": thresholds, "val": results,
           "lexical_file": {"bytes": tmp.stat().st_size, "word_features": nw, "char_features": len(feats_c),
                            "weights": int(len(lab)), "max_nnz": a.max_nnz}, "table_md": table,
           "n_neg_tune": len(neg_t)}
    json.dump(rep, open(a.out, "w"), indent=1)

    if a.reference:
        rng = np.random.default_rng(7)
        pick = rng.choice(len(val), 200, replace=False)
        texts = [val[i]["text"] for i in pick] + ["", "   ", "C:\\Windows\\System32\\cmd.exe /c whoami",
                                                  "ÜBER straße ΣΊΣΥΦΟΣ naïve café", "a b c", "x" * 300]
        L = lex.logits(texts)
        top = [[int(j) for j in np.argsort(-row)[:5]] for row in L]
        json.dump({"texts": texts, "top5": top, "logits_top5": [[float(row[j]) for j in t] for row, t in zip(L, top)]},
                  open(a.reference, "w"), ensure_ascii=False)
        log(f"reference written: {a.reference}")

    if a.write:
        dest = folder / "lexical.bin"
        dest.write_bytes(tmp.read_bytes())
        man_path = folder / "model.json"
        man = json.load(open(man_path))
        man["lexical"] = {"file": "lexical.bin", "model_weight": round(wa, 6), "lexical_weight": round(wb, 6),
                          "bias": round(wc, 6), "model_threshold": model_thr}
        man["threshold"] = float(thresholds["blend"])
        man["files"]["lexical.bin"] = hashlib.sha256(dest.read_bytes()).hexdigest()
        json.dump(man, open(man_path, "w"), indent=1)
        log(f"wrote {dest} and model.json (threshold {thresholds['blend']})")


if __name__ == "__main__":
    main()
