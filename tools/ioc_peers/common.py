"""Shared helpers for the IoC peer bench and the false-positive audit.

Nothing here installs anything: create the venv first (see README.md in this folder).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
OUT = HERE / "out"
DEFAULT_TRAIN = (REPO / ".." / "shared" / "data" / "train.jsonl").resolve()


def load_prose(train: Path) -> str:
    """The `text` fields of train.jsonl joined with newlines (~7.2 MB)."""
    with open(train, encoding="utf-8") as f:
        return "\n".join(json.loads(line)["text"] for line in f if line.strip())


def write_prose(text: str, name: str = "train.txt") -> Path:
    OUT.mkdir(exist_ok=True)
    p = OUT / name
    p.write_text(text, encoding="utf-8")
    return p


def cargo_example(example: str, *args: str) -> str:
    """Build (release) and run an example of mitremap-ioc; returns stdout."""
    cmd = ["cargo", "run", "--quiet", "--release", "-p", "mitremap-ioc", "--example", example, "--", *args]
    r = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(r.stderr)
        raise SystemExit(f"cargo example {example} failed")
    return r.stdout


def mitremap_iocs(path: Path) -> list[dict]:
    out = cargo_example("dump", str(path))
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def quiet_tldextract() -> None:
    """ioc-finder uses tldextract, which tries to download the public suffix list; stay offline."""
    os.environ.setdefault("TLDEXTRACT_CACHE", str(OUT / "tldextract-cache"))
    import logging

    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    logging.getLogger("urllib3").setLevel(logging.CRITICAL)


_REFANG = [(re.compile(r"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)"), "."), (re.compile(r"^hxxp", re.I), "http")]


def refang_simple(v: str) -> str:
    for rx, rep in _REFANG:
        v = rx.sub(rep, v)
    return v
