#!/usr/bin/env python3
"""Reference implementation of the original MitreMap notebook pipeline, for speed comparison only.

    python3 tools/speed/reference.py FILE [--explain] [--explain-chunks K] [--threads 2]

The same work the notebook did, on the same shapes:
  1. NLTK Punkt sentence split, sentences grouped 3 at a time into chunks;
  2. Hugging Face `TextClassificationPipeline` over a DistilGPT2-size
     `GPT2ForSequenceClassification` (6 layers, 768 wide, 12 heads, 191 labels, pad = EOS,
     random weights from seed 7 — speed does not depend on them), one chunk per call, top-1
     softmax score kept if >= 0.6;
  3. iocextract over the whole text;
  4. with --explain: `shap.Explainer(pipeline)` (Text masker -> Partition explainer, shap's
     default max_evals=500) on each chunk, as the notebook did.

Punkt data: NLTK's pretrained `punkt`/`punkt_tab` cannot be downloaded here (nltk.download needs
GitHub; no PyPI or npm package ships the pickles/tab files), so when it is not installed this
script trains nltk's own `PunktSentenceTokenizer` (the same unsupervised algorithm the pretrained
English model was trained with) on the input text and times that training separately
(`punkt_train_ms`, not counted in the pipeline time, since the notebook loaded a ready model).

Prints one JSON line of timings (milliseconds) and counts. The tokenizer is the GPT-2 BPE
`tokenizer.json` of the bench model folder (the same file mitremap uses).
"""
import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

T_PROCESS = time.perf_counter()
ROOT = Path(__file__).resolve().parents[2]


def ms(t0: float) -> float:
    return (time.perf_counter() - t0) * 1000.0


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def sentence_splitter(text: str, info: dict):
    import nltk
    try:
        nltk.data.find("tokenizers/punkt_tab/english/")
        info["punkt"] = "pretrained punkt_tab"
        return lambda t: nltk.sent_tokenize(t)
    except LookupError:
        pass
    from nltk.tokenize.punkt import PunktSentenceTokenizer
    t0 = time.perf_counter()
    tok = PunktSentenceTokenizer(text)
    info["punkt_train_ms"] = ms(t0)
    info["punkt"] = "PunktSentenceTokenizer trained on the input (pretrained data not obtainable)"
    return tok.tokenize


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--explain-chunks", type=int, default=0, help="explain only the first K chunks (0 = all)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tokenizer", default=str(ROOT / "target/bench-models/distilgpt2-size/tokenizer.json"))
    ap.add_argument("--threshold", type=float, default=0.6)
    a = ap.parse_args()
    info: dict = {"side": "reference", "input": a.input}

    t0 = time.perf_counter()
    import torch
    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    import iocextract
    from transformers import GPT2Config, GPT2ForSequenceClassification, PreTrainedTokenizerFast
    from transformers import TextClassificationPipeline
    if a.explain:
        import shap
    info["import_ms"] = ms(t0)

    t0 = time.perf_counter()
    tokenizer = PreTrainedTokenizerFast(tokenizer_file=a.tokenizer, eos_token="<|endoftext|>",
                                        pad_token="<|endoftext|>", model_max_length=1024)
    torch.manual_seed(7)
    config = GPT2Config(vocab_size=50257, n_positions=1024, n_embd=768, n_layer=6, n_head=12,
                        num_labels=191, pad_token_id=tokenizer.pad_token_id)
    model = GPT2ForSequenceClassification(config).eval()
    pipe = TextClassificationPipeline(model=model, tokenizer=tokenizer, top_k=1, device=-1)
    info["load_ms"] = ms(t0)

    text = Path(a.input).read_text(encoding="utf-8", errors="replace")
    split = sentence_splitter(text, info)

    # ---- the pipeline proper: "pressing run" ----
    t_run = time.perf_counter()
    c_run = cpu_s()
    t0 = time.perf_counter()
    sentences = split(text)
    chunks = [" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3)]
    info["split_ms"] = ms(t0)
    tokens = 0
    predictions = []
    first = None
    t0 = time.perf_counter()
    with torch.inference_mode():
        for chunk in chunks:
            out = pipe(chunk, truncation=True, max_length=512)
            top = out[0] if isinstance(out[0], dict) else out[0][0]
            predictions.append(top if top["score"] >= a.threshold else None)
            if first is None:
                first = ms(t_run)
    info["inference_ms"] = ms(t0)
    t0 = time.perf_counter()
    tokens = sum(len(tokenizer(c, truncation=True, max_length=512)["input_ids"]) for c in chunks)
    count_ms = ms(t0)  # counting tokens for the report; excluded from the pipeline time
    t0 = time.perf_counter()
    iocs = list(iocextract.extract_iocs(text, refang=True))
    info["ioc_ms"] = ms(t0)
    info["run_ms"] = ms(t_run) - count_ms
    info["run_cpu_s"] = cpu_s() - c_run
    info["first_chunk_ms"] = first
    info["chunks"] = len(chunks)
    info["tokens"] = tokens
    info["predictions"] = sum(p is not None for p in predictions)
    info["iocs"] = len(iocs)

    if a.explain:
        all_scores = TextClassificationPipeline(model=model, tokenizer=tokenizer, top_k=None, device=-1)
        explainer = shap.Explainer(all_scores)
        info["explainer"] = type(explainer).__name__
        todo = chunks if a.explain_chunks <= 0 else chunks[:a.explain_chunks]
        t0 = time.perf_counter()
        c0 = cpu_s()
        evals = 0
        for c in todo:
            sv = explainer([c])
            evals += 1
        info["explain_ms"] = ms(t0)
        info["explain_cpu_s"] = cpu_s() - c0
        info["explained_chunks"] = len(todo)
        info["explain_ms_per_chunk"] = info["explain_ms"] / max(1, len(todo))
        info["explain_values_shape"] = list(sv.values.shape) if todo else None

    info["peak_rss_mb"] = peak_rss_mb()
    info["process_ms"] = ms(T_PROCESS)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
