"""Score mitremap-ioc, iocextract and msticpy on corpus 2 (crates/mitremap-ioc/tests/corpus2/).

One command, same cases, same scoring as `tests/corpus2.rs`: per case, the expected (kind, value)
set against what each tool reports, for the kinds the tool supports (a kind a tool does not have
is shown as "–", not as zero recall). Values are compared after the same light normalisation
for every tool (refang, lower-case hosts / hashes / e-mail, case-insensitive Windows paths).
File names nested in a path/key/URL and TLP markings are scored only for mitremap-ioc by the Rust
test, so they are left out here.

    target/peer-venv/bin/python tools/ioc_peers/corpus2.py [--md out.md]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import warnings
from collections import defaultdict
from pathlib import Path

from common import OUT, REPO, mitremap_iocs, quiet_tldextract

CASES = REPO / "crates" / "mitremap-ioc" / "tests" / "corpus2" / "cases.txt"


def load_cases() -> list[tuple[str, str, set[tuple[str, str]]]]:
    cases, cur = [], None
    for line in CASES.read_text(encoding="utf-8").splitlines():
        if line.startswith("=== "):
            if cur:
                cases.append(cur)
            cur = [line[4:].split()[0], [], [], False]
            continue
        if cur is None:
            continue
        if line == "---":
            cur[3] = True
        elif line.startswith("#") or (cur[3] and not line.strip()):
            continue
        elif cur[3]:
            k, v = line.split(" ", 1)
            cur[2].append((k, v.rstrip()))
        else:
            cur[1].append(line)
    if cur:
        cases.append(cur)
    return [(c[0], "\n".join(c[1]), {(k, norm(k, v)) for k, v in c[2] if k not in SKIP_OURS})
            for c in cases]


def norm(kind: str, v: str) -> str:
    v = v.strip()
    v = re.sub(r"\[\.\]|\(\.\)|\[dot\]", ".", v)
    v = re.sub(r"\[@\]|\[at\]", "@", v)
    v = re.sub(r"^hxxp", "http", v, flags=re.I)
    if kind in ("domain", "email", "md5", "sha1", "sha256", "sha512", "ipv6", "mac"):
        return v.lower()
    if kind in ("windows_path", "registry_key"):
        return v.lower().rstrip("\\")
    if kind == "url":
        m = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*)://([^/?#]*)(.*)", v)
        if m:
            return f"{m.group(1).lower()}://{m.group(2).lower()}{m.group(3)}"
    return v


SKIP_OURS = {"filename", "tlp"}


def ours(cases) -> list[set[tuple[str, str]]]:
    sep = "\n\n\n"
    text, starts = "", []
    for _, t, _ in cases:
        starts.append(len(text.encode("utf-8")))
        text += t + sep
    p = OUT / "corpus2.txt"
    OUT.mkdir(exist_ok=True)
    p.write_text(text, encoding="utf-8")
    hits = mitremap_iocs(p)
    res = [set() for _ in cases]
    import bisect

    for h in hits:
        if h["kind"] in SKIP_OURS:
            continue
        i = bisect.bisect_right(starts, h["range"]["start"]) - 1
        res[i].add((h["kind"], norm(h["kind"], h["value"])))
    return res


IOCEXTRACT_KINDS = {"url", "ipv4", "ipv6", "email", "md5", "sha1", "sha256", "sha512"}


def iocextract_run(cases):
    import iocextract

    out = []
    for _, t, _ in cases:
        s = set()
        for u in iocextract.extract_urls(t, refang=True):
            s.add(("url", norm("url", u)))
        for ip in iocextract.extract_ipv4s(t, refang=True):
            s.add(("ipv4", ip))
        for ip in iocextract.extract_ipv6s(t):
            s.add(("ipv6", norm("ipv6", ip)))
        # refang=True glues the preceding word onto the address ("frominvoice@..."), so refang here
        for e in iocextract.extract_emails(t):
            e = re.sub(r"\[@\]|\[at\]|\(at\)", "@", e)
            s.add(("email", norm("email", e)))
        for k, f in (("md5", iocextract.extract_md5_hashes), ("sha1", iocextract.extract_sha1_hashes),
                     ("sha256", iocextract.extract_sha256_hashes), ("sha512", iocextract.extract_sha512_hashes)):
            for h in f(t):
                s.add((k, h.lower()))
        out.append(s)
    return out


MSTICPY_MAP = {"ipv4": "ipv4", "ipv6": "ipv6", "dns": "domain", "url": "url", "email": "email",
               "windows_path": "windows_path", "md5_hash": "md5", "sha1_hash": "sha1",
               "sha256_hash": "sha256"}


def msticpy_run(cases):
    quiet_tldextract()
    warnings.filterwarnings("ignore")
    from msticpy.transform.iocextract import IoCExtract

    x = IoCExtract()
    out = []
    for _, t, _ in cases:
        s = set()
        for typ, vals in x.extract(src=t).items():
            k = MSTICPY_MAP.get(typ)
            if k:
                for v in vals:
                    s.add((k, norm(k, v)))
        out.append(s)
    return out


def score(cases, got, kinds=None):
    per = defaultdict(lambda: [0, 0, 0])
    for (_, _, exp), g in zip(cases, got):
        exp = {e for e in exp if kinds is None or e[0] in kinds}
        g = {e for e in g if kinds is None or e[0] in kinds}
        for e in exp:
            per[e[0]][0 if e in g else 2] += 1
        for e in g - exp:
            per[e[0]][1] += 1
    return per


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--md", type=Path)
    a = ap.parse_args()
    cases = load_cases()
    exp_kinds = sorted({k for _, _, e in cases for k, _ in e} - SKIP_OURS)
    tools = {"mitremap-ioc": score(cases, ours(cases))}
    try:
        tools["iocextract"] = score(cases, iocextract_run(cases), IOCEXTRACT_KINDS)
    except Exception as e:  # noqa: BLE001
        print(f"iocextract failed: {e}", file=sys.stderr)
    try:
        tools["msticpy"] = score(cases, msticpy_run(cases), set(MSTICPY_MAP.values()))
    except Exception as e:  # noqa: BLE001
        print(f"msticpy failed: {e}", file=sys.stderr)
    supported = {"mitremap-ioc": None, "iocextract": IOCEXTRACT_KINDS, "msticpy": set(MSTICPY_MAP.values())}
    names = list(tools)
    lines = ["| type | expected | " + " | ".join(f"{n} P / R / F1" for n in names) + " |",
             "|---|---:|" + "---:|" * len(names)]
    kinds = sorted(set(exp_kinds) | {k for t in tools.values() for k in t})
    for k in kinds:
        n_exp = sum(1 for _, _, e in cases for kk, _ in e if kk == k)
        row = [k, str(n_exp)]
        for n in names:
            sup = supported[n]
            if sup is not None and k not in sup:
                row.append("–")
                continue
            tp, fp, fn = tools[n].get(k, [0, 0, 0])
            p, r, f = prf(tp, fp, fn)
            row.append(f"{p:.2f} / {r:.2f} / **{f:.2f}** ({tp}/{fp}/{fn})")
        lines.append("| " + " | ".join(row) + " |")
    table = "\n".join(lines)
    print(table)
    print("\n(TP/FP/FN in brackets; '–': the tool has no such type.)")
    if a.md:
        a.md.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
