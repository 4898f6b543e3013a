"""Re-threshold a model folder from analysts' reviews, and keep it only if held-out validation
does not get worse.

  python training/review_update.py --model models/default --meta training/out/<run>/train_meta.json \
      --reviews reviews.jsonl [more.jsonl ...] --out training/out/reviewed [--force]

`reviews.jsonl` is what `mitremap review export` writes ({text, techniques, negatives, source:
"analyst_review", doc}); dataset.py reads it as another source, split by document and never put
into val.

What changes: per-label thresholds. For every label the reviews judged at least --min-reviews
times, the cut that maximises that label's F1 over the tune slice *plus every review record* is
shrunk toward the global threshold by its support, t' = (n * t_label + k * t_global) / (n + k)
(as thresholds.py does), and clamped to [--floor, 0.95]. On review records a label counts as a
positive when the analyst accepted or added it, as a negative when the analyst rejected it, and is
not counted otherwise (a reviewer judges what is shown, not every label). The global threshold and
the graph are left alone: a fine-tune from reviews needs far more reviews than a cut does.

A blended folder (manifest `lexical`) keeps its per-label cuts in graph units (the engine folds
them into the graph's logit before blending, docs/model-manifest.md): a move of the blended cut
from T to T_l is written as logit(t_l') = logit(t_l) + (logit(T_l) - logit(T)) / model_weight.

Then both folders are scored on the held-out validation slice (the same one evaluate.py uses) and
compared; the reviewed folder is written only when its parent micro-F1 and macro-F1 are not lower
and its false-positive rate on no-technique sentences not higher (--force writes it anyway, and
says so). The comparison goes to <out>/review_update.json.
"""
from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import dataset as ds  # noqa: E402

# numpy, ONNX Runtime and the evaluation code are imported where they are used, so the decision
# rules below can be tested with the standard library alone (training/test_review_update.py).
GRID = [round(0.05 + 0.025 * i, 3) for i in range(37)]  # 0.05 .. 0.95


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def shrunk_cut(t_label: float, positives: int, t_global: float, k: float, floor: float) -> float:
    """thresholds.py's shrinkage of a label's own cut toward the global one, clamped."""
    return min(0.95, max(floor, (positives * t_label + k * t_global) / (positives + k)))


def graph_cut(t_graph_old: float, t_global: float, t_new: float, model_weight: float) -> float:
    """The graph-unit per-label cut (manifest `label_thresholds`) that moves a label's blended
    decision from `t_global` to `t_new`: the engine adds logit(model_threshold) - logit(cut) to
    the graph's logit, which the blend scales by `model_weight`."""
    return sigmoid(logit(t_graph_old) + (logit(t_new) - logit(t_global)) / model_weight)


def not_worse(before: dict, after: dict) -> bool:
    """Keep a reviewed folder only if held-out validation is not worse on any headline number."""
    return (after["micro_f1"] >= before["micro_f1"] - 1e-9 and after["macro_f1"] >= before["macro_f1"] - 1e-9
            and after["neg_fp_rate"] <= before["neg_fp_rate"] + 1e-9)


class Scorer:
    """The folder's blended scores from one pass of the graph, for any per-label graph offsets."""

    def __init__(self, model: OrtModel):
        self.m = model
        self.blend = model.blend

    def parts(self, texts):
        g = self.m.logits(texts)
        lex = self.m.lexical.logits([t.strip() for t in texts]) if self.blend else None
        return g, lex

    def scores(self, parts, offsets):
        import numpy as np

        g, lex = parts
        lo = g + offsets
        if self.blend:
            b = self.blend
            lo = b["model_weight"] * lo + b["lexical_weight"] * lex + b["bias"]
        return 1 / (1 + np.exp(-lo))


def graph_offsets(labels, manifest, label_thresholds):
    import numpy as np

    g = manifest["lexical"]["model_threshold"] if manifest.get("lexical") else manifest["threshold"]
    off = np.zeros(len(labels), dtype=np.float32)
    for l, t in label_thresholds.items():
        off[labels.index(l)] = logit(g) - logit(t)
    return off


def judged(records, labels):
    """Per label: (record index, is positive) pairs the records judge."""
    index = {l: i for i, l in enumerate(labels)}
    out = {l: [] for l in labels}
    for i, r in enumerate(records):
        if r["source"] == ds.REVIEW_SOURCE:
            for l in r["gold"]:
                if l in index:
                    out[l].append((i, True))
            for l in r.get("negatives", []):
                if l in index:
                    out[l].append((i, False))
        else:
            gold = set(r["gold"])
            for l in labels:
                out[l].append((i, l in gold))
    return out


def best_cut(scores, pairs):
    import numpy as np

    best_t, best_f1 = None, -1.0
    y = np.array([p for _, p in pairs])
    s = np.array([scores[i] for i, _ in pairs])
    if not y.any():
        return None
    for t in GRID:
        pred = s >= t
        tp = int((pred & y).sum())
        fp = int((pred & ~y).sum())
        fn = int((~pred & y).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best_f1 + 1e-9:
            best_t, best_f1 = float(t), f1
    return best_t


def main():
    from evaluate import OrtModel, by_source
    from metrics import Levels

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--reviews", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=None)
    ap.add_argument("--min-reviews", type=int, default=3)
    ap.add_argument("--k", type=float, default=10.0)
    ap.add_argument("--floor", type=float, default=0.2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--force", action="store_true", help="write the folder even if validation gets worse")
    a = ap.parse_args()

    meta = json.load(open(a.meta))
    targs = meta["args"]
    caps = {c.split("=")[0]: int(c.split("=")[1]) for c in targs.get("cap", [])}
    d = ds.load(a.data, neg_train=targs["neg_train"], bootstrap_cap=targs["bootstrap_cap"], seed=targs["seed"],
                caps=caps, reviews=a.reviews)
    val = d["val"]
    assert not any(r["source"] == ds.REVIEW_SOURCE for r in val)
    # Every review record chooses cuts (none is in val), except one whose text is a held-out
    # sentence: a review of validation text would leak it (dataset.py's guard drops such records
    # from train; here they are dropped whatever their split).
    held = {" ".join(r["text"].lower().split()) for r in val}
    loaded = ds.load_reviews(ds.review_paths(a.reviews), d["attack"])
    reviews = [r for r in loaded if " ".join(r["text"].lower().split()) not in held]
    if not reviews:
        raise SystemExit("no usable review records in " + ", ".join(a.reviews))
    pool = [r for r in d["tune"] if r["source"] != ds.REVIEW_SOURCE] + reviews

    model = OrtModel(a.model, threads=a.threads)
    man = model.manifest
    labels = model.labels
    lv = Levels(labels)
    global_t = man["threshold"]
    base_lt = dict(man.get("label_thresholds") or {})
    sc = Scorer(model)
    base_off = graph_offsets(labels, man, base_lt)

    pool_parts = sc.parts([r["text"] for r in pool])
    S = sc.scores(pool_parts, base_off)
    pairs = judged(pool, labels)
    review_counts = {l: sum(1 for i, _ in pairs[l] if pool[i]["source"] == ds.REVIEW_SOURCE) for l in labels}

    new_lt = dict(base_lt)
    changed = {}
    for j, l in enumerate(labels):
        if review_counts[l] < a.min_reviews:
            continue
        t_l = best_cut(S[:, j], pairs[l])
        if t_l is None:
            continue
        n = sum(1 for _, p in pairs[l] if p)
        t_new = shrunk_cut(t_l, n, global_t, a.k, a.floor)
        if abs(t_new - global_t) < 1e-6:
            continue
        # move the blended cut from global_t to t_new: shift the graph's per-label cut
        g = man["lexical"]["model_threshold"] if man.get("lexical") else global_t
        w = man["lexical"]["model_weight"] if man.get("lexical") else 1.0
        t_graph_old = base_lt.get(l, g)
        t_graph = graph_cut(t_graph_old, global_t, t_new, w)
        new_lt[l] = round(min(0.999, max(0.001, t_graph)), 4)
        changed[l] = {"blended_cut": round(t_new, 4), "graph_cut": new_lt[l], "reviews": review_counts[l],
                      "positives": n}

    val_parts = sc.parts([r["text"] for r in val])
    before = by_source(sc.scores(val_parts, base_off), val, lv, global_t)
    after = by_source(sc.scores(val_parts, graph_offsets(labels, man, new_lt)), val, lv, global_t)
    # overall parent level, calibration tables left out
    b, f = ({k: v for k, v in r["overall"]["parent"].items() if k != "calibration"} for r in (before, after))
    kept = not_worse(b, f)
    report = {
        "model": f"{man['name']} {man['version']}",
        "reviews": {"files": a.reviews, "records": len(reviews), "dropped_as_validation_text": len(loaded) - len(reviews),
                    "labels_judged": sum(
            1 for c in review_counts.values() if c)},
        "labels_changed": changed,
        "val_before": b,
        "val_after": f,
        "not_worse_on_val": kept,
        "written": bool(changed) and (kept or a.force),
    }
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    if report["written"]:
        folder = out / "model"
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(a.model, folder)
        m2 = json.load(open(folder / "model.json"))
        m2["label_thresholds"] = dict(sorted(new_lt.items()))
        m2["version"] = f"{man['version']}+reviews"
        m2.setdefault("card", {}).setdefault("notes", []).insert(0, (
            f"Re-thresholded from {len(reviews)} analyst review records (training/review_update.py): "
            f"{len(changed)} labels got a new cut; held-out validation parent micro-F1 "
            f"{b['micro_f1']:.3f} -> {f['micro_f1']:.3f}, macro-F1 "
            f"{b['macro_f1']:.3f} -> {f['macro_f1']:.3f}, no-technique false positives "
            f"{b['neg_fp_rate']:.3f} -> {f['neg_fp_rate']:.3f}" + ("" if kept else " (WORSE; written with --force)")))
        with open(folder / "model.json", "w", encoding="utf-8") as fh:
            json.dump(m2, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
    json.dump(report, open(out / "review_update.json", "w"), indent=1)
    print(f"{len(reviews)} review records, {len(changed)} labels re-cut")
    for name, p in (("before", b), ("after", f)):
        print(f"val {name:6s}: parent top-1 {p['top1']:.3f} top-3 {p['top3']:.3f} micro-F1 {p['micro_f1']:.3f} "
              f"macro-F1 {p['macro_f1']:.3f} neg FP {p['neg_fp_rate']:.3f}")
    if not changed:
        print("no label had enough reviews to move its cut; nothing written")
    elif report["written"]:
        print(f"written: {out / 'model'}" + ("" if kept else " (worse on validation: --force)"))
    else:
        print("not written: the reviewed folder is worse on held-out validation (see review_update.json)")
        sys.exit(1)


if __name__ == "__main__":
    main()
