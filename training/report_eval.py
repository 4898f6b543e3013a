"""Report-level evaluation: whole AnnoCTR reports through `mitremap analyze`, exactly as a user
runs it, scored against the techniques annotated in each report.

  python training/report_eval.py --model models/default --meta training/out/<run>/train_meta.json \
      --out training/out/report_eval.json [--bin target/release/mitremap] [--baseline]

* Reports: ../shared/data/reports.jsonl. `dev` reports (16) are the reported validation set;
  `train` reports whose document is in the `tune` slice of dataset.py (held out from training) are
  the *tune reports*, the only ones used to choose a threshold. Other train reports are skipped
  (their sentences trained the model).
* The binary runs once per report with the product's defaults except `-t 0.01`, so every
  technique's best chunk confidence and evidence (its chunk confidences >= 0.05 summed) are
  known; the technique list at threshold t is then exactly what `mitremap analyze -t t` shows (a
  technique is listed when its best chunk is >= t, or its evidence is and its best chunk >= t/2;
  a parent also when its family's evidence is). A second run at the product's
  own threshold checks that claim report by report.
* Score: micro precision / recall / F1 over (report, parent technique) pairs, the gold being the
  annotated parents. Gold is what the annotators marked, so precision is a lower bound.
* `--baseline`: the TF-IDF + LR baseline (evaluate.py) trained on the same records as the
  evaluation baseline, a report's score per label = max over its sentences, threshold chosen on
  the tune reports the same way; and the same baseline with the product's aggregation (max, or
  the sum of its sentence scores >= 0.05 when the max reaches half the threshold).
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import dataset as ds  # noqa: E402

EVIDENCE_FLOOR = 0.05  # crates/mitremap-engine/src/analysis/report.rs
THRESHOLDS = [round(x, 2) for x in np.arange(0.05, 0.96, 0.01)]


def parent(t):
    return t.split(".")[0]


def load_reports(ddir: Path):
    recs = [json.loads(l) for l in open(ddir / "reports.jsonl") if l.strip()]
    out = {"dev": [], "tune": []}
    for r in recs:
        if r["split"] == "dev":
            out["dev"].append(r)
        elif ds.split_of({"source": "annoctr", "doc": r["doc"], "source_id": r["doc"]}) == "tune":
            out["tune"].append(r)
    return out


def run_binary(binary, model, path, extra=()):
    cmd = [str(binary), "analyze", "--model", str(model), "-t", "0.01", *extra, str(path)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.strip()}")
    rep = json.loads(p.stdout)
    best = {}
    for t in rep["techniques"]:
        pid = parent(t["id"])
        # listed at threshold x when confidence >= x, or evidence >= x and confidence >= x / 2
        best[pid] = max(best.get(pid, 0.0), listing_score(t["confidence"], t.get("evidence", 0.0)))
    # A parent is also listed when its family's evidence (per chunk the best of the parent and
    # its sub-techniques, >= 0.05, summed) reaches x and no member is listed otherwise.
    family, family_best = {}, {}
    for c in rep["chunks"]:
        here = {}
        for pr in c["predictions"]:
            pid = parent(pr["technique"])
            here[pid] = max(here.get(pid, 0.0), pr["confidence"])
        for pid, x in here.items():
            family_best[pid] = max(family_best.get(pid, 0.0), x)
            if x >= EVIDENCE_FLOOR:
                family[pid] = family.get(pid, 0.0) + x
    for pid, ev in family.items():
        best[pid] = max(best.get(pid, 0.0), listing_score(family_best[pid], ev))
    return best


def listing_score(confidence, evidence):
    """The largest threshold at which the product lists a technique (report.rs `listed`)."""
    return max(confidence, min(evidence, 2 * confidence))


def listed_parents(binary, model, path, extra=()):
    """The parents of the technique list `mitremap analyze` shows with the product's defaults."""
    cmd = [str(binary), "analyze", "--model", str(model), *extra, str(path)]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {p.stderr.strip()}")
    return {parent(t["id"]) for t in json.loads(p.stdout)["techniques"]}


def prf(pred_sets, gold_sets):
    tp = sum(len(p & g) for p, g in zip(pred_sets, gold_sets))
    npred = sum(len(p) for p in pred_sets)
    ngold = sum(len(g) for g in gold_sets)
    prec = tp / npred if npred else 0.0
    rec = tp / ngold if ngold else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"precision": prec, "recall": rec, "f1": f1, "tp": tp, "predicted": npred, "gold": ngold}


def at(scores, thr):
    return [{k for k, v in s.items() if v >= thr} for s in scores]


def sweep(scores, gold):
    return {t: prf(at(scores, t), gold) for t in THRESHOLDS}


def choose(sw):
    return max(sw, key=lambda t: (round(sw[t]["f1"], 6), -t))


SENT = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(\[])|\n\s*\n")


def sentences(text):
    return [s.strip() for s in SENT.split(text) if s and s.strip()]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", required=True)
    ap.add_argument("--bin", default=str(HERE.parent / "target" / "release" / "mitremap"))
    ap.add_argument("--meta", default=None, help="train_meta.json (for --baseline's training records)")
    ap.add_argument("--data", default=None)
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--extra", default="", help="extra arguments for `mitremap analyze`, e.g. '--chunk-sentences 3'")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    ddir = ds.data_dir(a.data)
    reps = load_reports(ddir)
    manifest = json.load(open(Path(a.model) / "model.json"))
    shipped = manifest.get("threshold", 0.6)
    res = {"reports": {k: len(v) for k, v in reps.items()}, "model": manifest["name"] + " " + manifest["version"],
           "extra_args": a.extra}

    gold = {k: [set(r["parents"]) for r in v] for k, v in reps.items()}
    scores = {k: [run_binary(a.bin, a.model, ddir / r["file"], a.extra.split()) for r in v] for k, v in reps.items()}
    for k, v in reps.items():
        for r, s in zip(v, scores[k]):
            shown = listed_parents(a.bin, a.model, ddir / r["file"], a.extra.split())
            # scores in the JSON are rounded to 4 decimals: ignore ties within that
            differ = shown ^ {p for p, x in s.items() if x >= shipped}
            if any(abs(s.get(p, 0.0) - shipped) > 1e-3 for p in differ):
                raise SystemExit(f"{r['doc']}: the list at -t 0.01 does not reproduce the product's list")
    sw_tune = sweep(scores["tune"], gold["tune"])
    thr_tune = choose(sw_tune)
    res["model_at_shipped_threshold"] = {"threshold": shipped, "dev": prf(at(scores["dev"], shipped), gold["dev"]),
                                         "tune": prf(at(scores["tune"], shipped), gold["tune"])}
    res["model_threshold_chosen_on_tune_reports"] = {"threshold": thr_tune,
                                                    "dev": prf(at(scores["dev"], thr_tune), gold["dev"]),
                                                    "tune": sw_tune[thr_tune]}
    res["model_dev_sweep"] = {str(t): v["f1"] for t, v in sweep(scores["dev"], gold["dev"]).items()}

    if a.baseline:
        from evaluate import TfidfBaseline
        from metrics import Levels

        meta = json.load(open(a.meta))
        targs = meta["args"]
        caps = {c.split("=")[0]: int(c.split("=")[1]) for c in targs.get("cap", [])}
        # the evaluation baseline's records (evaluate.py): the model's split, capped pool
        d = ds.load(a.data, neg_train=targs.get("neg_train", 6000), bootstrap_cap=targs.get("bootstrap_cap", 3000),
                    seed=targs["seed"], caps=caps, verbose=False)
        labels = json.load(open(Path(a.model) / "labels.json"))
        lv = Levels(labels)
        base = TfidfBaseline(labels).fit(d["train"])
        bscores, bsum = {}, {}
        for k, v in reps.items():
            bscores[k], bsum[k] = [], []
            for r in v:
                sents = sentences((ddir / r["file"]).read_text(encoding="utf-8"))
                S = lv.parent_scores(base.scores(sents))
                P = S.max(0)
                # the product's aggregation for the baseline too: max or evidence (sum >= floor)
                E = np.maximum(P, np.minimum(np.where(S >= EVIDENCE_FLOOR, S, 0.0).sum(0), 2 * P))
                bscores[k].append({p: float(P[j]) for j, p in enumerate(lv.parents)})
                bsum[k].append({p: float(E[j]) for j, p in enumerate(lv.parents)})
        for name, sc in (("tfidf_lr", bscores), ("tfidf_lr_evidence", bsum)):
            bsw = sweep(sc["tune"], gold["tune"])
            bthr = choose(bsw)
            res[f"{name}_threshold_chosen_on_tune_reports"] = {"threshold": bthr,
                                                              "dev": prf(at(sc["dev"], bthr), gold["dev"]),
                                                              "tune": bsw[bthr]}
            res[f"{name}_dev_sweep"] = {str(t): v["f1"] for t, v in sweep(sc["dev"], gold["dev"]).items()}

    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    json.dump(res, open(a.out, "w"), indent=1)
    for k in ("model_at_shipped_threshold", "model_threshold_chosen_on_tune_reports",
              "tfidf_lr_threshold_chosen_on_tune_reports", "tfidf_lr_evidence_threshold_chosen_on_tune_reports"):
        if k in res:
            d = res[k]["dev"]
            print(f"{k:45s} thr {res[k]['threshold']:.2f}  dev P {d['precision']:.3f} R {d['recall']:.3f} "
                  f"F1 {d['f1']:.3f}  ({d['tp']}/{d['predicted']} pred, {d['gold']} gold)")


if __name__ == "__main__":
    main()
