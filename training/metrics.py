"""Ranking / threshold / calibration metrics shared by train.py and evaluate.py.

Two levels:
  parent  gold = parents of the gold IDs; a parent's score = max over the parent's label and
          its sub-technique labels.
  full    gold = each gold ID mapped into the label space (a sub-technique without its own label
          counts as its parent); ranking over all labels, where a parent's score is discounted
          to s_parent * (1 - max s_child) ("the parent and none of the known subs") so that
          a confident sub-technique outranks its own parent.

top-1 = top-ranked label is in gold; top-k recall = share of gold labels found in the top k
(averaged per sentence); micro/macro-F1 over labels >= threshold (macro over labels with gold
support in the set); calibration over the top-5 predictions per sentence (confidence vs
"label is gold"), 10 equal-width bins, ECE = weighted |acc - conf|.
Top-k and F1 are computed on sentences with at least one technique; negatives are reported
separately as the share of negatives with any label >= threshold ("neg FP rate").
"""
from __future__ import annotations

import numpy as np


def parent(t: str) -> str:
    return t.split(".")[0]


class Levels:
    def __init__(self, labels):
        self.labels = list(labels)
        self.index = {l: i for i, l in enumerate(self.labels)}
        self.parents = sorted({parent(l) for l in self.labels})
        self.pindex = {p: i for i, p in enumerate(self.parents)}
        self.l2p = np.array([self.pindex[parent(l)] for l in self.labels])
        # children of each parent label (indices), for the full-level discount
        self.children = {}
        for i, l in enumerate(self.labels):
            if "." in l and parent(l) in self.index:
                self.children.setdefault(self.index[parent(l)], []).append(i)

    def parent_scores(self, S: np.ndarray) -> np.ndarray:
        P = np.zeros((S.shape[0], len(self.parents)), dtype=np.float32)
        for j in range(len(self.parents)):
            cols = np.where(self.l2p == j)[0]
            P[:, j] = S[:, cols].max(axis=1)
        return P

    def full_scores(self, S: np.ndarray) -> np.ndarray:
        F = S.copy()
        for p, ch in self.children.items():
            F[:, p] = S[:, p] * (1.0 - S[:, ch].max(axis=1))
        return F

    def gold_parent(self, gold):
        return sorted({self.pindex[parent(t)] for t in gold if parent(t) in self.pindex})

    def gold_full(self, gold):
        out = set()
        for t in gold:
            if t in self.index:
                out.add(self.index[t])
            elif parent(t) in self.index:
                out.add(self.index[parent(t)])
        return sorted(out)


def ranking_metrics(S: np.ndarray, golds, ks=(1, 3, 5)):
    order = np.argsort(-S, axis=1)[:, : max(ks)]
    res = {}
    idx = [i for i, g in enumerate(golds) if g]
    if not idx:
        return {"n": 0}
    top1 = np.mean([order[i, 0] in set(golds[i]) for i in idx])
    res["top1"] = float(top1)
    for k in ks:
        if k == 1:
            continue
        res[f"top{k}"] = float(np.mean([len(set(order[i, :k]) & set(golds[i])) / len(golds[i]) for i in idx]))
    res["n"] = len(idx)
    return res


def f1_metrics(S: np.ndarray, golds, thr: float):
    idx = [i for i, g in enumerate(golds) if g]
    n_lab = S.shape[1]
    tp = np.zeros(n_lab)
    fp = np.zeros(n_lab)
    fn = np.zeros(n_lab)
    for i in idx:
        pred = set(np.where(S[i] >= thr)[0])
        g = set(golds[i])
        for j in pred & g:
            tp[j] += 1
        for j in pred - g:
            fp[j] += 1
        for j in g - pred:
            fn[j] += 1
    micro_p = tp.sum() / max(tp.sum() + fp.sum(), 1)
    micro_r = tp.sum() / max(tp.sum() + fn.sum(), 1)
    micro = 2 * micro_p * micro_r / max(micro_p + micro_r, 1e-9)
    sup = (tp + fn) > 0
    f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / np.maximum(2 * tp + fp + fn, 1), 0.0)
    macro = float(f1[sup].mean()) if sup.any() else 0.0
    neg = [i for i, g in enumerate(golds) if not g]
    neg_fp = float(np.mean([(S[i] >= thr).any() for i in neg])) if neg else None
    return {"micro_f1": float(micro), "micro_p": float(micro_p), "micro_r": float(micro_r),
            "macro_f1": macro, "labels_with_support": int(sup.sum()), "neg_fp_rate": neg_fp,
            "n_neg": len(neg)}


def calibration(S: np.ndarray, golds, bins: int = 10, topk: int = 5):
    idx = [i for i, g in enumerate(golds) if g]
    conf, hit = [], []
    for i in idx:
        order = np.argsort(-S[i])[:topk]
        g = set(golds[i])
        for j in order:
            conf.append(float(S[i, j]))
            hit.append(1.0 if j in g else 0.0)
    conf = np.array(conf)
    hit = np.array(hit)
    table = []
    ece = 0.0
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        m = (conf >= lo) & ((conf < hi) if b < bins - 1 else (conf <= hi))
        if m.sum() == 0:
            continue
        acc, c = float(hit[m].mean()), float(conf[m].mean())
        ece += m.sum() / len(conf) * abs(acc - c)
        table.append({"bin": f"{lo:.1f}-{hi:.1f}", "n": int(m.sum()), "conf": round(c, 3), "acc": round(acc, 3)})
    return {"ece": float(ece), "table": table}


def evaluate_scores(S: np.ndarray, records, lv: Levels, thr: float, calib: bool = True):
    """All metrics for one score matrix (rows = records, cols = lv.labels)."""
    out = {}
    P = lv.parent_scores(S)
    F = lv.full_scores(S)
    gp = [lv.gold_parent(r["gold"]) for r in records]
    gf = [lv.gold_full(r["gold"]) for r in records]
    for name, M, G in (("parent", P, gp), ("full", F, gf)):
        m = ranking_metrics(M, G)
        m.update(f1_metrics(M, G, thr))
        if calib:
            m["calibration"] = calibration(M, G)
        out[name] = m
    return out


def best_threshold(S: np.ndarray, records, lv: Levels):
    """Threshold maximising parent-level micro-F1 (negatives included as FP) on a tune slice."""
    P = lv.parent_scores(S)
    gp = [lv.gold_parent(r["gold"]) for r in records]
    best = (0.5, -1)
    for thr in np.arange(0.05, 0.96, 0.025):
        tp = fp = fn = 0
        for i, g in enumerate(gp):
            pred = set(np.where(P[i] >= thr)[0])
            g = set(g)
            tp += len(pred & g)
            fp += len(pred - g)
            fn += len(g - pred)
        f1 = 2 * tp / max(2 * tp + fp + fn, 1)
        if f1 > best[1]:
            best = (round(float(thr), 3), f1)
    return best
