"""Experiment: does averaging the neural model with the lexical TF-IDF + LR scorer beat either alone?

  python training/blend_experiment.py --model models/default --meta training/out/full_mix/train_meta.json

Scores tune and val sentences (and the tune/dev reports, sentence-split as report_eval.py does) with
both systems, caches the score matrices under training/out/blend/, then sweeps the blend weight
alpha (score = alpha * model + (1 - alpha) * lexical) and reports the validation metrics at the
alpha and threshold chosen on tune only.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import dataset as ds  # noqa: E402
from evaluate import OrtModel, TfidfBaseline, by_source  # noqa: E402
from metrics import Levels, best_threshold  # noqa: E402
import report_eval as rev  # noqa: E402


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--cache", default=str(HERE / "out" / "blend"))
    ap.add_argument("--word-only", action="store_true")
    a = ap.parse_args()
    cache = Path(a.cache)
    cache.mkdir(parents=True, exist_ok=True)
    meta = json.load(open(a.meta))
    targs = meta["args"]
    d = ds.load(None, neg_train=targs["neg_train"], bootstrap_cap=targs["bootstrap_cap"], seed=targs["seed"], caps={})
    train, tune, val = d["train"], d["tune"], d["val"]
    m = OrtModel(a.model)
    labels = m.labels
    lv = Levels(labels)
    ddir = ds.data_dir(None)
    reps = rev.load_reports(ddir)
    rep_sents = {k: [rev.sentences((ddir / r["file"]).read_text(encoding="utf-8")) for r in v] for k, v in reps.items()}

    def cached(name, fn):
        p = cache / f"{name}.npy"
        if p.exists():
            return np.load(p, allow_pickle=True)
        t0 = time.time()
        x = fn()
        np.save(p, x, allow_pickle=True)
        log(f"{name} in {time.time() - t0:.0f}s")
        return x

    Mt = cached("model_tune", lambda: m.scores([r["text"] for r in tune]))
    Mv = cached("model_val", lambda: m.scores([r["text"] for r in val]))
    Mr = {k: cached(f"model_rep_{k}", lambda k=k: np.array([m.scores(s) for s in rep_sents[k]], dtype=object))
          for k in reps}
    tag = "lexw" if a.word_only else "lex"
    base = None

    def lex():
        nonlocal base
        if base is None:
            base = TfidfBaseline(labels, char=not a.word_only)
            base.fit(train)
        return base

    Lt = cached(f"{tag}_tune", lambda: lex().scores([r["text"] for r in tune]))
    Lv = cached(f"{tag}_val", lambda: lex().scores([r["text"] for r in val]))
    Lr = {k: cached(f"{tag}_rep_{k}", lambda k=k: np.array([lex().scores(s) for s in rep_sents[k]], dtype=object))
          for k in reps}

    gold = {k: [set(r["parents"]) for r in v] for k, v in reps.items()}
    rows = []
    for alpha in [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.0]:
        St = alpha * Mt + (1 - alpha) * Lt
        Sv = alpha * Mv + (1 - alpha) * Lv
        thr, _ = best_threshold(St, tune, lv)
        tune_res = by_source(St, tune, lv, thr)["overall"]["parent"]
        res = by_source(Sv, val, lv, thr)
        # report level: max over sentences per parent
        rs = {}
        for k in reps:
            rs[k] = []
            for i in range(len(reps[k])):
                P = lv.parent_scores(alpha * Mr[k][i] + (1 - alpha) * Lr[k][i]).max(0)
                rs[k].append({p: float(P[j]) for j, p in enumerate(lv.parents)})
        sw = rev.sweep(rs["tune"], gold["tune"])
        rthr = rev.choose(sw)
        dev = rev.prf(rev.at(rs["dev"], rthr), gold["dev"])
        row = {"alpha": alpha, "thr": thr, "tune_top1": tune_res["top1"], "tune_top3": tune_res["top3"],
               "tune_negfp": tune_res.get("neg_fp_rate"),
               **{f"{s}_{k}": res[s]["parent"].get(k) for s in ("overall", "annoctr", "tram2_sentences")
                  for k in ("top1", "top3")},
               "overall_macro_f1": res["overall"]["parent"]["macro_f1"],
               "overall_negfp": res["overall"]["parent"].get("neg_fp_rate"),
               "ece": res["overall"]["parent"]["calibration"]["ece"],
               "rep_thr": rthr, "rep_tune_f1": sw[rthr]["f1"], "rep_dev": dev}
        rows.append(row)
        log(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items() if k != "rep_dev"}),
            f"rep dev P {dev['precision']:.3f} R {dev['recall']:.3f} F1 {dev['f1']:.3f}")
    json.dump(rows, open(cache / f"sweep_{tag}.json", "w"), indent=1)


if __name__ == "__main__":
    main()
