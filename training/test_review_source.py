"""Round trip of analyst reviews into training data (no pytest, no network, stdlib only):

  python training/test_review_source.py

Writes review files in the format the terminal UI saves (`<input>.mitremap-review.json`) for
several documents, runs the real `mitremap review export` on them ($MITREMAP_BIN, default
target/debug/mitremap), and loads the JSONL with dataset.load() over a small ATT&CK table:
every passage arrives with canonical labels (revoked IDs remapped), rejected techniques as
`negatives`, and all passages of one document in the same split.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import dataset  # noqa: E402

BIN = Path(os.environ.get("MITREMAP_BIN", HERE.parent / "target" / "debug" / "mitremap"))

TECHNIQUES = ["T1059", "T1059.001", "T1003", "T1003.001", "T1486", "T1566", "T1566.001", "T1086"]


def span(text: str, start: int) -> dict:
    return {"start": start, "end": start + len(text.encode()),
            "sha256": hashlib.sha256(text.encode()).hexdigest(), "text": text}


def verdict(technique: str, kind: str, chunk: dict | None = None, evidence=()) -> dict:
    v = {"technique": technique, "verdict": kind, "analyst": "alice",
         "at": "2026-01-02T03:04:05.000000000Z", "model": {"name": "m", "version": "1"},
         "confidence": 0.8}
    if chunk:
        v["chunk"] = chunk
    if evidence:
        v["evidence"] = list(evidence)
    return v


def review(doc_index: int) -> dict:
    """One document's review: a report-level acceptance (through a revoked ID), a chunk with an
    added and a rejected technique, and a reset (no record)."""
    a = f"Document {doc_index}: the actor ran PowerShell scripts."
    b = f"Document {doc_index}: credentials were dumped from LSASS."
    c = f"Document {doc_index}: files were encrypted."
    text = " ".join([a, b, c])
    sa, sb, sc = span(a, 0), span(b, len(a.encode()) + 1), span(c, len((a + b).encode()) + 2)
    return {
        "schema": "mitremap-review",
        "schema_version": 1,
        "input": {"sha256": hashlib.sha256(text.encode()).hexdigest(), "name": f"doc{doc_index}.txt",
                  "bytes": len(text.encode())},
        "verdicts": [
            verdict("T1086", "accepted", evidence=[sa]),
            verdict("T1003.001", "added", chunk=sb),
            verdict("T1486", "rejected", chunk=sb),
            verdict("T1486", "reset", chunk=sc),
            verdict("T1566", "rejected", chunk=sc),
        ],
    }


class ReviewRoundTrip(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        data = self.dir / "data"
        data.mkdir()
        with open(data / "attack_enterprise_v18.1_techniques.jsonl", "w") as f:
            for t in TECHNIQUES:
                status = "revoked" if t == "T1086" else "active"
                f.write(json.dumps({"id": t, "name": t, "status": status}) + "\n")
        (data / "attack_id_remap.json").write_text(json.dumps({"T1086": "T1059.001"}))
        (data / "train.jsonl").write_text(json.dumps(
            {"text": "Base record.", "techniques": ["T1566.001"], "source": "attack_procedures",
             "doc": "base", "source_id": "base/1"}) + "\n")
        (data / "negatives.jsonl").write_text("")
        self.data = data

    def tearDown(self):
        self.tmp.cleanup()

    def export(self, files, out):
        return subprocess.run([str(BIN), "review", "export", *map(str, files), "-o", str(out)],
                              capture_output=True, text=True, env=dict(os.environ, MITREMAP_LOG="off"))

    def test_review_export_is_read_as_the_analyst_review_source_split_by_document(self):
        files = []
        for i in range(16):
            p = self.dir / f"doc{i}.txt.mitremap-review.json"
            p.write_text(json.dumps(review(i)))
            files.append(p)
        out = self.dir / "reviews.jsonl"
        run = self.export(files, out)
        self.assertEqual(run.returncode, 0, run.stderr)
        lines = [json.loads(l) for l in out.read_text().splitlines()]
        self.assertEqual(len(lines), 48)  # three reviewed passages per document
        self.assertEqual({l["source"] for l in lines}, {"analyst_review"})
        self.assertEqual(set(lines[0]), {"text", "techniques", "negatives", "source", "doc"})

        splits = dataset.load(self.data, reviews=[out], verbose=False, neg_train=None,
                              bootstrap_cap=None)
        reviewed = [(sp, r) for sp in ("train", "tune", "val") for r in splits[sp]
                    if r["source"] == "analyst_review"]
        # The passage with only a rejection is not a negative example: left out of the splits.
        self.assertEqual(len(reviewed), 32)
        self.assertFalse(any("encrypted" in r["text"] for _, r in reviewed))
        only_rejected = [r for r in dataset.load_reviews([out], splits["attack"]) if not r["gold"]]
        self.assertEqual(len(only_rejected), 16)
        self.assertTrue(all(r["negatives"] == ["T1566"] for r in only_rejected))
        by_doc = {}
        for sp, r in reviewed:
            by_doc.setdefault(r["doc"], set()).add(sp)
        self.assertEqual(len(by_doc), 16)
        self.assertTrue(all(len(s) == 1 for s in by_doc.values()), by_doc)
        # Split by document, never into val (the base validation set stays as it is): with these
        # 16 documents, 14 train and 2 tune.
        self.assertEqual(sorted(next(iter(s)) for s in by_doc.values()).count("train"), 14)
        self.assertEqual({next(iter(s)) for s in by_doc.values()}, {"train", "tune"})
        for doc, s in by_doc.items():
            self.assertEqual(s, {dataset.split_of({"source": "analyst_review", "doc": doc})})
        ps = [r for _, r in reviewed if "PowerShell" in r["text"]]
        self.assertTrue(all(r["gold"] == ["T1059.001"] and r["negatives"] == [] for r in ps))
        creds = [r for _, r in reviewed if "credentials" in r["text"]]
        self.assertTrue(all(r["gold"] == ["T1003.001"] and r["negatives"] == ["T1486"] for r in creds))
        # The base data is still there.
        self.assertTrue(any(r["source"] == "attack_procedures" for r in splits["train"]))

    def test_environment_variable_names_the_review_exports(self):
        p = self.dir / "doc.txt.mitremap-review.json"
        p.write_text(json.dumps(review(0)))
        out = self.dir / "reviews.jsonl"
        self.assertEqual(self.export([p], out).returncode, 0)
        os.environ["MITREMAP_REVIEWS"] = str(out)
        try:
            splits = dataset.load(self.data, verbose=False)
        finally:
            del os.environ["MITREMAP_REVIEWS"]
        n = sum(r["source"] == "analyst_review" for sp in ("train", "tune", "val") for r in splits[sp])
        self.assertEqual(n, 2)

    def test_a_truncated_review_file_fails_the_export_and_is_kept(self):
        p = self.dir / "doc.txt.mitremap-review.json"
        full = json.dumps(review(0))
        p.write_text(full[: len(full) // 2])
        out = self.dir / "reviews.jsonl"
        run = self.export([p], out)
        self.assertNotEqual(run.returncode, 0)
        self.assertEqual(len(run.stderr.strip().splitlines()), 1, run.stderr)
        self.assertIn("truncated", run.stderr)
        self.assertFalse(out.exists())
        self.assertEqual(p.read_text(), full[: len(full) // 2])
        self.assertEqual((self.dir / "doc.txt.mitremap-review.json.bak").read_text(), p.read_text())

    def test_a_file_of_another_source_is_refused(self):
        bad = self.dir / "bad.jsonl"
        bad.write_text(json.dumps({"text": "x", "techniques": ["T1059"], "negatives": [],
                                   "source": "tram2_sentences", "doc": "d"}) + "\n")
        with self.assertRaises(ValueError):
            dataset.load(self.data, reviews=[bad], verbose=False)


if __name__ == "__main__":
    if not BIN.is_file():
        sys.exit(f"{BIN} not found: build mitremap first (cargo build) or set MITREMAP_BIN")
    unittest.main()
