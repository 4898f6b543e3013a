#!/usr/bin/env python3
"""Multi-page benchmark reports from TRAM report sentences (not committed).

    python3 tools/speed/make_inputs.py [--data /work/shared/data/train.jsonl] [--out target/speed-inputs]

Writes report-5k.txt and report-50k.txt: the `tram2_sentences` rows of train.jsonl grouped by
`doc` (file order), sentences joined with a space, documents separated by a blank line,
documents appended (in first-seen order) until the word count reaches 5,000 / 50,000.
Also copies the notebook's five samples (samples/notebook-*.txt) beside them.
"""
import argparse
import json
import shutil
from collections import OrderedDict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared/data/train.jsonl"))
    ap.add_argument("--out", default=str(ROOT / "target/speed-inputs"))
    a = ap.parse_args()
    if not Path(a.data).exists():
        a.data = "/work/shared/data/train.jsonl"
    docs: "OrderedDict[str, list[str]]" = OrderedDict()
    for line in open(a.data, encoding="utf-8"):
        r = json.loads(line)
        if r.get("source") == "tram2_sentences":
            docs.setdefault(r.get("doc") or "", []).append(r["text"].strip())
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, target in (("report-5k.txt", 5_000), ("report-50k.txt", 50_000)):
        parts, words = [], 0
        while words < target:  # wraps around the corpus if it is smaller than the target
            for sents in docs.values():
                body = " ".join(sents)
                parts.append(body)
                words += len(body.split())
                if words >= target:
                    break
        (out / name).write_text("\n\n".join(parts) + "\n", encoding="utf-8")
        print(f"{out / name}: {words} words, {len(parts)} documents")
    for p in sorted((ROOT / "samples").glob("notebook-*.txt")):
        shutil.copy(p, out / p.name)


if __name__ == "__main__":
    main()
