#!/usr/bin/env python3
"""Throughput of mitremap-ioc vs iocextract, ioc-finder and msticpy on the same prose, one command.

    tools/ioc_peers/.venv/bin/python tools/ioc_peers/bench.py [--train PATH] [--iocextract-kb 200]

Installs nothing: run `python3 -m venv tools/ioc_peers/.venv && tools/ioc_peers/.venv/bin/pip install
iocextract ioc-finder msticpy` once. All peers run single-threaded, one call per document (line),
which is how they are used; mitremap-ioc runs on the whole text in one call (release build, best of 5).
iocextract's YARA-rule pass is superlinear, so it runs on the first --iocextract-kb KB only (stated in
the output).
"""
from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from common import DEFAULT_TRAIN, cargo_example, load_prose, quiet_tldextract, write_prose


def timed(fn, docs: list[str]) -> float:
    t0 = time.perf_counter()
    for d in docs:
        fn(d)
    return time.perf_counter() - t0


def mb(docs: list[str]) -> float:
    return sum(len(d.encode()) + 1 for d in docs) / 1e6


def take_kb(docs: list[str], kb: int) -> list[str]:
    out, n = [], 0
    for d in docs:
        if n >= kb * 1000:
            break
        out.append(d)
        n += len(d.encode()) + 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=Path, default=DEFAULT_TRAIN)
    ap.add_argument("--iocextract-kb", type=int, default=200)
    ap.add_argument("--peer-kb", type=int, default=0, help="limit ioc-finder/msticpy to this many KB (0 = all)")
    args = ap.parse_args()

    text = load_prose(args.train)
    path = write_prose(text)
    docs = text.split("\n")
    print(f"input: {args.train} -> {len(text.encode()) / 1e6:.2f} MB of prose, {len(docs)} documents")

    out = cargo_example("throughput", str(path), "5")
    print(out.strip())
    ours = float(re.search(r"([0-9.]+) MB/s", out).group(1))

    quiet_tldextract()
    results: dict[str, tuple[float, str]] = {}

    from msticpy.transform.iocextract import IoCExtract

    ie = IoCExtract()
    d = take_kb(docs, args.peer_kb) if args.peer_kb else docs
    s = timed(lambda x: ie.extract(src=x), d)
    results["msticpy"] = (mb(d) / s, f"{mb(d):.2f} MB in {s:.1f} s")

    from ioc_finder import find_iocs

    s = timed(find_iocs, d)
    results["ioc-finder"] = (mb(d) / s, f"{mb(d):.2f} MB in {s:.1f} s")

    import iocextract

    d2 = take_kb(docs, args.iocextract_kb)
    s = timed(lambda x: list(iocextract.extract_iocs(x)), d2)
    results["iocextract"] = (mb(d2) / s, f"{mb(d2):.2f} MB sample in {s:.1f} s (YARA pass superlinear)")

    print()
    print("| tool | MB/s | mitremap-ioc / tool | run |")
    print("|---|---:|---:|---|")
    print(f"| mitremap-ioc | {ours:.1f} | 1 | whole text, best of 5 |")
    for name, (rate, note) in sorted(results.items(), key=lambda kv: -kv[1][0]):
        print(f"| {name} | {rate:.3f} | {ours / rate:.0f}x | {note} |")
    fastest = max(results, key=lambda k: results[k][0])
    ratio = ours / results[fastest][0]
    print(f"\nfastest peer: {fastest} at {results[fastest][0]:.2f} MB/s; mitremap-ioc is {ratio:.0f}x (target >= 50x)")


if __name__ == "__main__":
    main()
