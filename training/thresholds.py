"""Per-label decision thresholds for a model folder, chosen on the `tune` slice only.

  python training/thresholds.py --model models/default --meta training/out/<run>/train_meta.json [--write]

For every label with at least --min-support positive tune sentences, the threshold that maximises
that label's F1 on tune (negatives included, so a label that fires on no-technique sentences gets
a higher cut) is shrunk toward the global threshold by its support,
t' = (n * t_label + k * t_global) / (n + k), and clamped to [--floor, 0.95]. Rare labels keep the
global threshold. The global threshold is re-chosen on tune (parent micro-F1, as train.py does)
with the per-label cuts applied. --write puts `threshold` and `label_thresholds` into model.json;
the engine folds each label's cut into its logit (docs/model-manifest.md).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset as ds  # noqa: E402
from evaluate import OrtModel  # noqa: E402
from metrics import Levels, best_threshold  # noqa: E402

GRID = np.arange(0.05, 0.951, 0.025)


def logit(p):
    return np.log(p / (1 - p))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--data", default=None)
    ap.add_argument("--k", type=float, default=10.0, help="shrinkage strength (pseudo-count)")
    ap.add_argument("--min-support", type=int, default=3)
    ap.add_argument("--floor", type=float, default=0.15)
    ap.add_argument("--write", action="store_true")
    a = ap.parse_args()

    meta = json.load(open(a.meta))
    targs = meta["args"]
    d = ds.load(a.data, neg_train=0, bootstrap_cap=0, seed=targs["seed"], verbose=False)
    tune = d["tune"]
    m = OrtModel(a.model).without_label_thresholds()
    labels = m.labels
    lidx = {l: i for i, l in enumerate(labels)}
    lv = Levels(labels)
    L = m.logits([r["text"] for r in tune])
    S = 1 / (1 + np.exp(-L))
    Y = np.zeros_like(S, dtype=bool)
    for i, r in enumerate(tune):
        Y[i, ds.targets(r["gold"], lidx)] = True
    g0 = float(m.manifest["threshold"])

    per = {}
    for j, l in enumerate(labels):
        n = int(Y[:, j].sum())
        if n < a.min_support:
            continue
        best_t, best_f = g0, -1.0
        for t in GRID:
            p = S[:, j] >= t
            tp = int((p & Y[:, j]).sum())
            f = 2 * tp / max(int(p.sum()) + n, 1)
            if f > best_f + 1e-9:
                best_t, best_f = float(t), f
        per[l] = (n, best_t)

    def apply(g):
        cuts = {}
        for l, (n, t) in per.items():
            c = float(np.clip((n * t + a.k * g) / (n + a.k), a.floor, 0.95))
            if abs(c - g) >= 0.01:
                cuts[l] = round(c, 3)
        off = np.zeros(len(labels), dtype=np.float32)
        for l, c in cuts.items():
            off[lidx[l]] = logit(g) - logit(c)
        return cuts, 1 / (1 + np.exp(-(L + off)))

    g_plain, f1_plain = best_threshold(S, tune, lv)
    print(f"without per-label cuts: best global threshold {g_plain}, tune parent micro-F1 (negatives as FP) {f1_plain:.3f}")
    # the global threshold with the per-label cuts applied (two rounds settle it)
    g = g0
    for _ in range(2):
        cuts, S2 = apply(g)
        g, f1 = best_threshold(S2, tune, lv)
    cuts, S2 = apply(g)
    print(f"global threshold {g0} -> {g}; {len(cuts)} per-label cuts "
          f"(min {min(cuts.values(), default=g):.3f}, max {max(cuts.values(), default=g):.3f}); tune parent micro-F1 "
          f"(negatives as FP) {f1:.3f}")
    if a.write:
        p = Path(a.model) / "model.json"
        man = json.load(open(p, encoding="utf-8"))
        man["threshold"] = float(g)
        man["label_thresholds"] = dict(sorted(cuts.items()))
        man.setdefault("card", {})["thresholds"] = {
            "method": "per-label F1-optimal cut on the tune slice, shrunk toward the global threshold "
                      f"(k={a.k}, labels with >= {a.min_support} tune positives, floor {a.floor}); global "
                      "threshold re-chosen on tune with the cuts applied (training/thresholds.py)",
            "global": float(g), "per_label": len(cuts)}
        with open(p, "w", encoding="utf-8") as f:
            json.dump(man, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"wrote {p}")


if __name__ == "__main__":
    main()
