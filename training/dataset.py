"""Leakage-safe data loading and splitting for mitremap training.

Reads ../shared/data/train.jsonl and negatives.jsonl (see that folder's README for licences
and the honest-split rules) and returns three splits:

  train  everything not held out (all ATT&CK / Sigma / Atomic / Splunk / TRAM1 / bootstrap
         records, AnnoCTR train/ docs not in `tune`, TRAM2 reports not held out), minus every
         record whose text equals or is contained in / contains a held-out sentence.
  tune   a *separate* dev slice used only for choices (epoch, threshold): 10% of TRAM2
         reports + 15% of AnnoCTR train/ docs, chosen by a hash of `doc`.
  val    the reported validation set, real report prose only: AnnoCTR `dev/` docs + 20% of
         TRAM2 reports (chosen by a hash of `doc`). Never used for any choice.

Negatives (sentences with no technique) follow their report: TRAM2 negatives of a held-out
report are held out with it; TRAM v1 negatives (one doc) stay in the training pool.

`benchmark` mode (for the public TRAM benchmark) drops tram2_sentences and tram_bootstrap
from training entirely, as the data README requires.

Analyst reviews (`mitremap review export` JSONL, source `analyst_review`: {text, techniques,
negatives, source, doc}) are another source, passed as `reviews=[paths]` or $MITREMAP_REVIEWS
(paths separated by `:`). They are split by document (a hash of `doc`, the reviewed input's
sha256): 20% tune, the rest train, and none into val, so that a model trained with reviews is
measured on the same held-out validation set as the one without (it must not get worse there); a
record keeps the techniques the analyst rejected as
`negatives` (canonical IDs). A passage with only rejections is left out of the splits: the analyst
said what it is not, not that it describes no technique (load_reviews() still returns it).

Labels: revoked IDs are remapped with attack_id_remap.json (null -> dropped); deprecated or
unknown IDs are dropped. A record's target set = its IDs (mapped into the label space) plus
their parents, so the model scores parents and the sub-techniques it knows.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import re
from collections import Counter
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"

VAL_SOURCES = ("tram2_sentences", "annoctr")
REVIEW_SOURCE = "analyst_review"


def data_dir(path: str | None = None) -> Path:
    if path:
        return Path(path)
    env = os.environ.get("MITREMAP_DATA")
    return Path(env) if env else DEFAULT_DATA


def _read_jsonl(p: Path):
    with open(p, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def _bucket(doc: str) -> float:
    """Deterministic position of a document in [0, 1)."""
    h = hashlib.sha1(doc.encode("utf-8")).hexdigest()
    return int(h[:8], 16) / 2**32


_norm_re = re.compile(r"[^a-z0-9]+")


def norm(text: str) -> str:
    return _norm_re.sub(" ", text.lower()).strip()


def parent(tid: str) -> str:
    return tid.split(".")[0]


class Attack:
    """The ATT&CK v18.1 catalogue + remap table."""

    def __init__(self, ddir: Path):
        self.tech = {r["id"]: r for r in _read_jsonl(ddir / "attack_enterprise_v18.1_techniques.jsonl")}
        self.remap = json.loads((ddir / "attack_id_remap.json").read_text(encoding="utf-8"))

    def canon(self, tid: str) -> str | None:
        seen = 0
        while tid in self.remap and seen < 5:
            tid = self.remap[tid]
            seen += 1
            if tid is None:
                return None
        t = self.tech.get(tid)
        if t is None or t["status"] != "active":
            return None
        return tid

    def name(self, tid: str) -> str:
        t = self.tech.get(tid)
        return t["name"] if t else tid


def split_of(rec: dict, benchmark: bool = False) -> str:
    src, doc = rec["source"], rec["doc"]
    if src == "annoctr":
        if rec["source_id"].startswith("dev/") or doc.startswith("dev/"):
            return "val"
        return "tune" if _bucket("annoctr:" + doc) < 0.15 else "train"
    if src == REVIEW_SOURCE:
        # never val: the held-out validation stays the one the base model is measured on
        return "tune" if _bucket("review:" + doc) < 0.20 else "train"
    if src == "tram2_sentences":
        b = _bucket("tram2:" + doc)
        if b < 0.20:
            return "val"
        if b < 0.30:
            return "tune"
        return "train"
    return "train"


def review_paths(reviews=None) -> list[Path]:
    """The review exports to read: `reviews`, else $MITREMAP_REVIEWS (`:`-separated), else none."""
    if reviews is None:
        env = os.environ.get("MITREMAP_REVIEWS", "")
        reviews = [p for p in env.split(os.pathsep) if p]
    return [Path(p) for p in reviews]


def load_reviews(paths, atk: "Attack") -> list[dict]:
    """Records of `mitremap review export` files, labels canonicalised like the other sources.

    Lines of another source are refused (a review export holds only `analyst_review` lines), so a
    wrong file is an error rather than silently mixed-in data."""
    out = []
    for p in paths:
        for i, r in enumerate(_read_jsonl(Path(p)), 1):
            if r.get("source") != REVIEW_SOURCE:
                raise ValueError(f"{p}:{i}: source {r.get('source')!r} is not {REVIEW_SOURCE!r}")
            gold = sorted({c for t in r["techniques"] if (c := atk.canon(t))})
            negatives = sorted({c for t in r.get("negatives", []) if (c := atk.canon(t))} - set(gold))
            if not gold and not negatives:
                continue
            out.append(dict(text=r["text"], source=REVIEW_SOURCE, doc=r["doc"],
                            source_id=f"review/{r['doc']}", gold=gold, negatives=negatives))
    return out


def load(ddir: str | Path | None = None, benchmark: bool = False, neg_train: int = 8000,
         bootstrap_cap: int | None = 5000, seed: int = 13, verbose: bool = True,
         caps: dict | None = None, reviews=None):
    """Return dict(train=[...], tune=[...], val=[...], attack=Attack).

    Each record gets `gold` (canonical full IDs, remapped) and keeps source/doc/text.
    neg_train: how many negatives to sample into train (None = all).
    bootstrap_cap: subsample tram_bootstrap (short, 50-technique fragments) to this many.
    caps: {source: n} further per-source subsampling of the training split (CPU budget).
    reviews: `mitremap review export` files (default: $MITREMAP_REVIEWS), split by document.
    """
    ddir = data_dir(str(ddir) if ddir else None)
    atk = Attack(ddir)
    recs = _read_jsonl(ddir / "train.jsonl")
    negs = _read_jsonl(ddir / "negatives.jsonl")
    rng = random.Random(seed)

    out = {"train": [], "tune": [], "val": []}
    for r in recs:
        gold = sorted({c for t in r["techniques"] if (c := atk.canon(t))})
        if not gold:
            continue
        r = dict(text=r["text"], source=r["source"], doc=r["doc"], source_id=r["source_id"], gold=gold)
        out[split_of(r)].append(r)
    for r in load_reviews(review_paths(reviews), atk):
        if r["gold"]:
            out[split_of(r)].append(r)
    neg_pool = []
    for r in negs:
        r = dict(text=r["text"], source=r["source"] + ":neg" if r["source"] == "tram2_sentences" else r["source"],
                 doc=r["doc"], source_id=r["source_id"], gold=[])
        if r["source"] == "tram2_sentences:neg":
            sp = split_of(dict(r, source="tram2_sentences"))
        else:
            sp = "train"
        (neg_pool if sp == "train" else out[sp]).append(r)

    if benchmark:
        # the TRAM benchmark's spans come from TRAM2 reports: keep the choice slice off them
        out["tune"] = [r for r in out["tune"] if r["source"] == "annoctr"]

    # ---- leakage guard: drop train texts equal to / overlapping held-out sentences ----
    held = [norm(r["text"]) for sp in ("tune", "val") for r in out[sp] if r["gold"]]
    if benchmark:
        held += [norm(r["text"]) for r in load_tram_benchmark(ddir)]
    held_set = set(held)
    held_long = [h for h in held if len(h) >= 25]
    held_blob = "\n".join(held_long)

    def leaks(text: str) -> bool:
        n = norm(text)
        if n in held_set:
            return True
        if len(n) >= 25 and n in held_blob:  # train fragment inside a held-out sentence
            return True
        return False

    before = len(out["train"])
    out["train"] = [r for r in out["train"] if not leaks(r["text"])]
    neg_pool = [r for r in neg_pool if norm(r["text"]) not in held_set]
    # held-out sentence inside a longer training text
    train_blob = "\n".join(norm(r["text"]) for r in out["train"])
    held_in_train = {h for h in held_long if h in train_blob}
    if held_in_train:
        out["train"] = [r for r in out["train"]
                        if not (lambda n: any(h in n for h in held_in_train))(norm(r["text"]))]
    dropped = before - len(out["train"])

    if benchmark:
        out["train"] = [r for r in out["train"] if r["source"] not in ("tram2_sentences", "tram_bootstrap")]
        neg_pool = [r for r in neg_pool if not r["source"].startswith("tram2_sentences")]
    elif bootstrap_cap is not None:
        boots = [r for r in out["train"] if r["source"] == "tram_bootstrap"]
        if len(boots) > bootstrap_cap:
            keep = set(id(r) for r in rng.sample(boots, bootstrap_cap))
            out["train"] = [r for r in out["train"] if r["source"] != "tram_bootstrap" or id(r) in keep]
    for src, n in (caps or {}).items():
        pool = [r for r in out["train"] if r["source"] == src]
        if len(pool) > n:
            keep = set(id(r) for r in rng.sample(pool, n))
            out["train"] = [r for r in out["train"] if r["source"] != src or id(r) in keep]
    if neg_train is not None and len(neg_pool) > neg_train:
        neg_pool = rng.sample(neg_pool, neg_train)
    out["train"].extend(neg_pool)
    rng.shuffle(out["train"])
    out["attack"] = atk
    out["leak_dropped"] = dropped
    if verbose:
        for sp in ("train", "tune", "val"):
            c = Counter(r["source"] for r in out[sp])
            print(f"[dataset] {sp}: {len(out[sp])} records {dict(c)}")
        print(f"[dataset] leakage guard dropped {dropped} training records")
    return out


def load_tram_benchmark(ddir=None):
    ddir = data_dir(str(ddir) if ddir else None)
    atk = Attack(ddir)
    out = []
    for r in _read_jsonl(ddir / "benchmarks" / "tram2_single_label.jsonl"):
        gold = sorted({c for t in r["techniques"] if (c := atk.canon(t))})
        if gold:
            out.append(dict(text=r["text"], source="tram2_single_label", doc=r["doc"], gold=gold))
    return out


def build_label_space(train_records, min_sub: int = 20):
    """Active parents with training data + sub-techniques with >= min_sub training examples."""
    cnt = Counter(t for r in train_records for t in r["gold"])
    parents = sorted({parent(t) for t in cnt})
    subs = sorted(t for t, c in cnt.items() if "." in t and c >= min_sub)
    return sorted(parents + subs, key=lambda t: (parent(t), t))


def targets(gold, label_index):
    """Target label indices: each gold ID if it is a label, plus its parent."""
    idx = set()
    for t in gold:
        if t in label_index:
            idx.add(label_index[t])
        p = parent(t)
        if p in label_index:
            idx.add(label_index[p])
    return sorted(idx)


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None)
    ap.add_argument("--benchmark", action="store_true")
    a = ap.parse_args()
    d = load(a.data, benchmark=a.benchmark)
    labels = build_label_space([r for r in d["train"]])
    print(f"labels: {len(labels)} ({sum('.' not in l for l in labels)} parents)")
