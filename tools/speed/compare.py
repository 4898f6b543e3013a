#!/usr/bin/env python3
"""Side-by-side speed: the original notebook pipeline (tools/speed/reference.py) vs mitremap.

    cargo build --release -p mitremap
    cargo build --release -p mitremap-engine --example first_result
    python3 training/make_test_models.py distilgpt2-size target/bench-models/distilgpt2-size   # once
    python3 tools/speed/compare.py [--quick] [--out target/speed/results.json]

Runs, per input, both sides back to back in the same run (so machine load hits both alike):
  * reference: `python3 tools/speed/reference.py FILE` (NLTK -> HF pipeline -> iocextract), a
    fresh process each time, like running the notebook;
  * mitremap: `target/release/mitremap analyze --model DIR --threads 2 FILE` (JSON), a fresh
    process each time (wall and peak RSS of the real CLI, model load included);
  * mitremap probe: `target/release/examples/first_result DIR FILE` for the time from "run" to the
    first chunk's result (the engine scores a first batch of one chunk), in process.
Explanations: the reference runs `shap.Explainer` (Partition) on the first --shap-chunks chunks of
each notebook sample (SHAP on a multi-page report would take hours); mitremap explains the top-1
label of every chunk of each sample (budget 256, its default, and 500 = shap's default max_evals).
For the multi-page reports both sides' explanation time is extrapolated per chunk (labelled
"extrapolated").  Batch mode: `mitremap analyze DIR -j N` over a folder of TRAM reports.

Inputs (made by tools/speed/make_inputs.py into target/speed-inputs): notebook-1..5 (the
notebook's samples), report-5k.txt, report-50k.txt.  Peak RSS: the child's ru_maxrss (os.wait4).
Prints a table and writes all raw numbers as JSON.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def run(cmd, env=None, input_text=None):
    """Runs cmd; returns (wall_s, peak_rss_mb, stdout, stderr)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**os.environ, **(env or {})}, cwd=ROOT)
    out, err = p.communicate(input_text)
    wall = time.perf_counter() - t0
    # communicate() reaped the child; its rusage is in RUSAGE_CHILDREN only cumulatively, so we
    # read the per-child peak from /usr/bin/time when available (see run_timed).
    if p.returncode != 0:
        raise RuntimeError(f"{cmd} failed ({p.returncode}): {err[-2000:]}")
    return wall, out, err


def run_timed(cmd, env=None):
    """Like run, under /usr/bin/time for the child's own peak RSS (kB) and CPU seconds."""
    marker = "@@maxrss="
    wall, out, err = run(["/usr/bin/time", "-f", marker + "%M %U %S", *cmd], env)
    rss = None
    lines = []
    for line in err.splitlines():
        if line.startswith(marker):
            kb, u, s = line[len(marker):].split()
            rss = int(kb) / 1024.0
            run_timed.cpu_s = float(u) + float(s)
        else:
            lines.append(line)
    return wall, rss, out, "\n".join(lines)


def last_json(out: str) -> dict:
    for line in reversed(out.strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError("no JSON line in output")


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--int8", default=str(ROOT / "target/bench-models/distilgpt2-size-int8"))
    ap.add_argument("--fp32", default=str(ROOT / "target/bench-models/distilgpt2-size"))
    ap.add_argument("--inputs", default=str(ROOT / "target/speed-inputs"))
    ap.add_argument("--bin", default=str(ROOT / "target/release/mitremap"))
    ap.add_argument("--probe", default=str(ROOT / "target/release/examples/first_result"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--shap-chunks", type=int, default=1, help="chunks per sample SHAP explains")
    ap.add_argument("--shap-samples", default="notebook-1")
    ap.add_argument("--shap-from", help="reuse a reference --explain JSON line from this file instead of re-running SHAP "
                    "(one chunk of SHAP takes ~15 min on the loaded 2-core box)")
    ap.add_argument("--quick", action="store_true", help="skip report-50k and the fp32 model")
    ap.add_argument("--skip", default="", help="comma list of stages to skip: plain,explain,batch,fp32")
    ap.add_argument("--batch-reports", type=int, default=24)
    ap.add_argument("--out", default=str(ROOT / "target/speed/results.json"))
    ap.add_argument("--summarize", metavar="RESULTS_JSON", help="only print the tables of a saved run")
    a = ap.parse_args()
    if a.summarize:
        summarize(json.loads(Path(a.summarize).read_text()))
        return
    skip = set(filter(None, a.skip.split(",")))
    inputs = Path(a.inputs)
    if not (inputs / "report-50k.txt").exists():
        subprocess.check_call([PY, str(ROOT / "tools/speed/make_inputs.py"), "--out", str(inputs)])
    names = [f"notebook-{i}" for i in range(1, 6)] + ["report-5k"]
    late = [] if a.quick else ["report-50k"]  # run last, so a slow reference run loses nothing
    th = ["--threads", str(a.threads)]
    res = {"machine": os.uname().machine, "cpus": os.cpu_count(), "loadavg_start": loadavg(),
           "threads": a.threads, "batch_size": a.batch_size, "plain": {}, "explain": {}, "batch": {}}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)

    def save():
        Path(a.out).write_text(json.dumps(res, indent=1))

    # ---- without explanations ----
    def plain(names):
        for name in names:
            f = str(inputs / f"{name}.txt")
            row = {"loadavg": loadavg()}
            wall, rss, out, _ = run_timed([PY, str(ROOT / "tools/speed/reference.py"), f, "--threads", str(a.threads)])
            row["reference"] = {**last_json(out), "wall_s": wall, "rss_mb": rss, "cpu_s": run_timed.cpu_s}
            models = [("int8", a.int8)] + ([("fp32", a.fp32)] if not a.quick and "fp32" not in skip and name.startswith("report") else [])
            for tag, model in models:
                wall, rss, out, _ = run_timed([a.bin, "analyze", "--model", model, *th, "--batch-size",
                                               str(a.batch_size), "-f", "json", f])
                rep = json.loads(out)
                row[f"mitremap_{tag}"] = {"wall_s": wall, "rss_mb": rss, "cpu_s": run_timed.cpu_s,
                                          "timings": rep.get("timings"),
                                          "chunk_tokens": [c.get("tokens") for c in rep.get("chunks", [])]}
                wall, rss, out, _ = run_timed([a.probe, model, f, *th, "--batch-size", str(a.batch_size)])
                row[f"probe_{tag}"] = {**last_json(out), "wall_s": wall, "rss_mb": rss, "cpu_s": run_timed.cpu_s}
            res["plain"][name] = row
            r, m, p = row["reference"], row["mitremap_int8"], row["probe_int8"]
            print(f"[plain] {name}: ref {r['wall_s']:.2f}s (pipeline {r['run_ms'] / 1000:.2f}s, first {r['first_chunk_ms']:.0f}ms, "
                  f"{r['chunks']} chunks) | mitremap int8 {m['wall_s']:.2f}s (run {p['run_ms'] / 1000:.2f}s, first "
                  f"{p['first_chunk_ms']:.0f}ms, rss {m['rss_mb']:.0f}MB) | x{r['wall_s'] / m['wall_s']:.1f} e2e, "
                  f"x{r['run_ms'] / p['run_ms']:.1f} pipeline, x{r['run_cpu_s'] / max(1e-3, p['run_cpu_s']):.1f} pipeline CPU | load {row['loadavg'][0]}", flush=True)
            save()

    if "plain" not in skip:
        plain(names)

    # ---- with explanations (samples measured; reports extrapolated per chunk) ----
    if "explain" not in skip:
        for name in [s for s in a.shap_samples.split(",") if s]:
            f = str(inputs / f"{name}.txt")
            row = {"loadavg": loadavg()}
            if a.shap_from:
                row["reference"] = {**last_json(Path(a.shap_from).read_text()), "reused_from": a.shap_from}
            else:
                wall, rss, out, _ = run_timed([PY, str(ROOT / "tools/speed/reference.py"), f, "--threads", str(a.threads),
                                               "--explain", "--explain-chunks", str(a.shap_chunks)])
                row["reference"] = {**last_json(out), "wall_s": wall, "rss_mb": rss}
            for tag, extra in (("default", []), ("500", ["--budget", "500"])):
                wall, rss, out, _ = run_timed([a.probe, a.int8, f, *th, "--explain-top1", *extra])
                row[f"probe_int8_b{tag}"] = {**last_json(out), "wall_s": wall, "rss_mb": rss, "cpu_s": run_timed.cpu_s}
            res["explain"][name] = row
            r, p = row["reference"], row["probe_int8_bdefault"]
            rp = r["explain_ms_per_chunk"]
            mp = p["explain_ms"] / max(1, p["explained"])
            print(f"[explain] {name}: shap {rp / 1000:.1f} s/chunk | mitremap {mp:.0f} ms/chunk (budget {p['explain_budget']}), "
                  f"{row['probe_int8_b500']['explain_ms'] / max(1, row['probe_int8_b500']['explained']):.0f} ms/chunk (b500) "
                  f"| x{rp / mp:.0f} per chunk | load {row['loadavg'][0]}", flush=True)
            save()

    # ---- batch mode ----
    if "batch" not in skip:
        bdir = inputs / "batch"
        if not bdir.exists():
            bdir.mkdir()
            docs = {}
            for line in open(ROOT.parent / "shared/data/train.jsonl" if (ROOT.parent / "shared/data/train.jsonl").exists()
                             else "/work/shared/data/train.jsonl"):
                r = json.loads(line)
                if r.get("source") == "tram2_sentences":
                    docs.setdefault(r.get("doc") or "", []).append(r["text"])
            for i, sents in enumerate(list(docs.values())[:a.batch_reports]):
                (bdir / f"tram-{i:03d}.txt").write_text(" ".join(sents) + "\n")
        words = sum(len(p.read_text().split()) for p in bdir.glob("*.txt"))
        n = len(list(bdir.glob("*.txt")))
        for jobs in (1, 2):
            wall, rss, out, err = run_timed([a.bin, "analyze", "--model", a.int8, *th, str(bdir), "-j", str(jobs)])
            line = [l for l in err.splitlines() if "reports/s" in l]
            res["batch"][f"j{jobs}"] = {"reports": n, "words": words, "wall_s": wall, "rss_mb": rss,
                                        "stderr": line[-1] if line else err[-300:], "loadavg": loadavg()}
            print(f"[batch] -j {jobs}: {n} reports ({words} words) in {wall:.1f}s = {n / wall:.2f} reports/s; "
                  f"{line[-1] if line else ''}; rss {rss:.0f}MB", flush=True)
            save()
    if "plain" not in skip:
        plain(late)
    res["loadavg_end"] = loadavg()
    save()
    print(f"raw numbers: {a.out}")
    summarize(res)


def flops_per_token(n_ctx: float, L=6, d=768, labels=191) -> float:
    """GPT-2 forward FLOPs per token (matmuls only): 12*L*d^2 weights, 2*L*n*d attention, score head."""
    return 2.0 * (12 * L * d * d + 2 * L * n_ctx * d + d * labels)


def summarize(res: dict) -> None:
    """Markdown tables: per input, reference vs mitremap (int8), ratios; explanations; batch mode."""
    print("\n| input | chunks (ref/mm) | tokens | ref wall s | ref pipeline s (CPU s) | ref first ms | ref chunks/s | ref tok/s "
          "| ref RSS MB | mm wall s | mm pipeline s (CPU s) | mm first ms | mm chunks/s | mm tok/s | mm RSS MB "
          "| x wall | x pipeline | x pipeline CPU | mm GFLOP/s |")
    print("|" + "---|" * 19)
    for name, row in res["plain"].items():
        for tag in ("int8", "fp32"):
            if f"probe_{tag}" not in row:
                continue
            r, m, p = row["reference"], row[f"mitremap_{tag}"], row[f"probe_{tag}"]
            rs, ps = r["run_ms"] / 1000, p["run_ms"] / 1000
            n = p["tokens"] / max(1, p["chunks"])
            gflops = p["tokens"] * flops_per_token(n) / ps / 1e9
            label = name if tag == "int8" else f"{name} (fp32)"
            print(f"| {label} | {r['chunks']}/{p['chunks']} | {p['tokens']} | {r['wall_s']:.1f} | {rs:.2f} ({r['run_cpu_s']:.1f}) "
                  f"| {r['first_chunk_ms']:.0f} | {r['chunks'] / rs:.2f} | {r['tokens'] / rs:.0f} | {r['rss_mb']:.0f} "
                  f"| {m['wall_s']:.2f} | {ps:.2f} ({p['run_cpu_s']:.2f}) | {p['first_chunk_ms']:.0f} | {p['chunks'] / ps:.1f} "
                  f"| {p['tokens'] / ps:.0f} | {m['rss_mb']:.0f} | {r['wall_s'] / m['wall_s']:.1f} | {rs / ps:.1f} "
                  f"| {r['run_cpu_s'] / max(0.01, p['run_cpu_s']):.1f} | {gflops:.0f} |")
    if res.get("explain"):
        print("\n| sample | SHAP s/chunk (evals) | mitremap s/chunk, default budget | mitremap s/chunk, budget 500 | x (default) | x (500) |")
        print("|---|---|---|---|---|---|")
        for name, row in res["explain"].items():
            r = row["reference"]
            rp = r["explain_ms_per_chunk"] / 1000
            d, f = row["probe_int8_bdefault"], row["probe_int8_b500"]
            dp = d["explain_ms"] / 1000 / max(1, d["explained"])
            fp = f["explain_ms"] / 1000 / max(1, f["explained"])
            print(f"| {name} | {rp:.1f} (500) | {dp:.2f} ({d['explain_budget']}) | {fp:.2f} | {rp / dp:.0f} | {rp / fp:.0f} |")
    if res.get("batch"):
        print("\n| batch mode | reports | words | wall s | reports/s | peak RSS MB |")
        print("|---|---|---|---|---|---|")
        for k, b in res["batch"].items():
            print(f"| -j {k[1:]} | {b['reports']} | {b['words']} | {b['wall_s']:.1f} | {b['reports'] / b['wall_s']:.2f} | {b['rss_mb']:.0f} |")


if __name__ == "__main__":
    main()
