#!/usr/bin/env python3
"""False-positive audit of domain and IPv4 extraction on the ATT&CK/TRAM prose.

    tools/ioc_peers/.venv/bin/python tools/ioc_peers/audit.py [--train PATH] [--n 200] [--seed 4] [--no-peers]

1. Extracts with mitremap-ioc (`--example dump`), ioc-finder and msticpy; prints how many distinct
   domains each reports and which of them look like file names / code (quick heuristic, for scale).
2. Samples N distinct mitremap-ioc domains with a fixed seed into `out/domain_sample.csv`, with the
   context of the first occurrence, for hand-checking.
3. Reads the committed hand labels `domain_audit_labels.csv` (value,label,reason; label is `ok` or
   `fp`) and prints the false-domain rate of the sample.
4. Checks IPv4 hits for version strings (`Product/1.2.3.4`, `version 1.2.3.4`) for every tool.
"""
from __future__ import annotations

import argparse
import csv
import random
import re
from pathlib import Path

from common import DEFAULT_TRAIN, HERE, OUT, load_prose, mitremap_iocs, quiet_tldextract, refang_simple, write_prose

LABELS = HERE / "domain_audit_labels.csv"
FILE_TLDS = {"py", "zip", "sh", "app", "so", "cab", "mov", "pl", "rs", "ps", "md", "one", "dot", "java", "run", "pm", "ms"}
VERSION_RX = re.compile(r"(?:[A-Za-z][A-Za-z0-9_-]*/|\b(?:version|ver|v|build|release)\s?)$", re.I)


def looks_wrong(d: str) -> bool:
    """A cheap *indicator* (not the audit itself): file-like TLD, mixed-case code identifier, X.NET."""
    labels = d.split(".")
    tld = labels[-1]
    if tld.lower() in FILE_TLDS:
        return True
    if any(c.isupper() for c in d) and any(c.islower() for c in d) and any(c.isupper() for c in tld):
        return True
    return d.isupper() and len(labels) == 2


def versionish_ips(text: str, ips: set[str]) -> list[str]:
    bad = []
    for ip in sorted(ips):
        for m in re.finditer(re.escape(ip), text):
            before = text[max(0, m.start() - 24) : m.start()]
            if VERSION_RX.search(before) and not re.search(r"(://|\.[a-z]{2,}/|/dev/(tcp|udp)/)\S*$", before):
                bad.append(f"{before[-16:]}{ip}")
                break
    return bad


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", type=Path, default=DEFAULT_TRAIN)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=4)
    ap.add_argument("--no-peers", action="store_true")
    args = ap.parse_args()

    text = load_prose(args.train)
    path = write_prose(text)
    ours = mitremap_iocs(path)
    tb = text.encode("utf-8")  # mitremap-ioc ranges are byte offsets

    def bslice(a: int, b: int) -> str:
        return tb[max(0, a) : b].decode("utf-8", errors="ignore")

    # Domains the first pass also reported (written in prose or as a URL host) are sampled as before;
    # the second pass adds derived ones (the domain of an e-mail address, the host of a URL decoded
    # from inside another URL), listed separately below so the hand-labelled sample stays comparable.
    embedded = [(i["range"]["start"], i["range"]["end"]) for i in ours
                if i["kind"] == "url" and i["flags"].get("derived") == "embedded_url"]

    def newly_derived(i: dict) -> bool:
        if i["flags"].get("derived") == "from_email":
            return True
        s, e = i["range"]["start"], i["range"]["end"]
        return any(a <= s and e <= b for a, b in embedded)

    our_domains: dict[str, dict] = {}
    derived_only: dict[str, dict] = {}
    for i in ours:
        if i["kind"] == "domain":
            if newly_derived(i):
                derived_only.setdefault(i["value"], i)
            else:
                our_domains.setdefault(i["value"], i)
    derived_only = {v: i for v, i in derived_only.items() if v not in our_domains}
    our_ips = {i["value"] for i in ours if i["kind"] == "ipv4"}
    tools: dict[str, tuple[set[str], set[str]]] = {"mitremap-ioc": (set(our_domains), our_ips)}

    if not args.no_peers:
        quiet_tldextract()
        from ioc_finder import find_iocs
        from msticpy.transform.iocextract import IoCExtract

        ie = IoCExtract()
        fd, fi, md, mi = set(), set(), set(), set()
        for doc in text.split("\n"):
            r = find_iocs(doc)
            fd.update(r.get("domains", []))
            fi.update(r.get("ipv4s", []))
            m = ie.extract(src=doc)
            md.update(refang_simple(x) for x in m.get("dns", []))
            mi.update(refang_simple(x) for x in m.get("ipv4", []))
        tools["ioc-finder"] = (fd, fi)
        tools["msticpy"] = (md, mi)
        print("iocextract extracts no bare domains (URLs/IPs/e-mails/hashes only); not in the domain table.")

    print("\n| tool | distinct domains | of which look like files/code (heuristic) | IPv4 | IPv4 that are version strings |")
    print("|---|---:|---:|---:|---:|")
    for name, (doms, ips) in tools.items():
        wrong = sorted(d for d in doms if looks_wrong(d))
        vers = versionish_ips(text, ips) if name != "mitremap-ioc" else []
        if name == "mitremap-ioc":
            for i in ours:
                if i["kind"] == "ipv4":
                    before = bslice(i["range"]["start"] - 24, i["range"]["start"])
                    if VERSION_RX.search(before) and not re.search(r"(://|\.[a-z]{2,}/|/dev/(tcp|udp)/)\S*$", before):
                        vers.append(before[-16:] + i["raw"])
        print(f"| {name} | {len(doms)} | {len(wrong)} ({100 * len(wrong) / max(1, len(doms)):.0f}%) | {len(ips)} | {len(vers)} |")
        print(f"  e.g. files/code: {wrong[:12]}")
        print(f"  e.g. versions:   {vers[:8]}")

    # sample for the hand check
    rng = random.Random(args.seed)
    values = sorted(our_domains)
    sample = rng.sample(values, min(args.n, len(values)))
    OUT.mkdir(exist_ok=True)
    with open(OUT / "domain_sample.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["value", "raw", "context"])
        for v in sample:
            i = our_domains[v]
            s, e = i["range"]["start"], i["range"]["end"]
            ctx = (bslice(s - 60, s) + "[[" + bslice(s, e) + "]]" + bslice(e, e + 40)).replace("\n", " ")
            w.writerow([v, i["raw"], ctx])
    print(f"\nwrote {OUT / 'domain_sample.csv'} ({len(sample)} of {len(values)} distinct domains, seed {args.seed})")

    print(f"\nsecond-pass derived domains not otherwise reported ({len(derived_only)}), for a hand check:")
    for v, i in sorted(derived_only.items()):
        s, e = i["range"]["start"], i["range"]["end"]
        ctx = (bslice(s - 50, s) + "[[" + bslice(s, e) + "]]" + bslice(e, e + 20)).replace("\n", " ")
        print(f"  {v} ({i['flags'].get('derived')}): {ctx}")

    if LABELS.exists():
        with open(LABELS, newline="", encoding="utf-8") as f:
            labels = {r["value"]: r for r in csv.DictReader(f)}
        missing = [v for v in sample if v not in labels]
        fps = [v for v in sample if v in labels and labels[v]["label"] == "fp"]
        checked = len(sample) - len(missing)
        print(f"hand labels: {checked} of {len(sample)} sampled values labelled; {len(fps)} false domains "
              f"-> false-domain rate {100 * len(fps) / max(1, checked):.1f}% (target < 3%)")
        for v in fps:
            print(f"  fp: {v}  ({labels[v]['reason']})")
        if missing:
            print(f"  unlabelled (label them in {LABELS.name}): {missing[:20]}")


if __name__ == "__main__":
    main()
