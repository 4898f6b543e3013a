"""Self-contained test of convert_mitremap.py (no pytest, no network):

  python training/test_convert_mitremap.py            # full-size + reduced config
  python training/test_convert_mitremap.py --small    # reduced config only (fast)

Builds synthetic artefacts shaped exactly like the original MitreMap notebook's:
* a GPT-2 byte-level BPE tokenizer with GPT-2's id layout (50,257 base ids, <|endoftext|> = 50256)
  plus added placeholder tokens (ip_token, number_token, alphanumeric_token, ...) at 50257+,
  pickled twice: as a transformers tokenizer object of this transformers version (fast path)
  and as a transformers-4-style slow GPT2Tokenizer state (encoder + bpe_ranks + added tokens);
* a torch.save state dict with the original's keys and shapes (distilgpt2: n_layer 6, n_embd 768,
  n_positions 1024, vocab 50257 + placeholders, 191 labels, including the attn.bias /
  attn.masked_bias buffers), random weights;
* labels.json with label_to_technique / technique_to_name.
Then converts them and checks the folder: manifest fields, sha256s, labels order, tokenizer ids
(placeholders are single tokens; same ids as the pickled tokenizer), ONNX output shape, PyTorch
parity, and that right padding with EOS does not change a text's logits. The full-size cases
write training/out/convert_test_full (fp32, 330 MB) and training/out/convert_test_full_int8 (83 MB)
for an end-to-end run in the app.
"""
from __future__ import annotations

import hashlib
import json
import pickle
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PLACEHOLDERS = ["ip_token", "url_token", "email_token", "domain_token", "md5_token", "sha1_token", "sha256_token",
                "cve_token", "filepath_token", "registry_token", "number_token", "alphanumeric_token"]
CORPUS = ("The adversary used PowerShell to download a payload and executed it with rundll32. "
          "Credential dumping from LSASS memory, spearphishing attachment with a malicious macro, "
          "scheduled task persistence, registry run keys, process injection into explorer.exe, "
          "data exfiltration over HTTPS to a command and control server, lateral movement via SMB. ") * 20

passed = failed = 0


def check(cond, what):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}")


def gpt2_like_vocab(tmp: Path):
    """vocab.json/merges.txt with GPT-2's id layout: byte-level BPE + fillers, <|endoftext|> = 50256."""
    from tokenizers import ByteLevelBPETokenizer

    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator([CORPUS], vocab_size=800, min_frequency=2, show_progress=False)
    bpe.save_model(str(tmp))
    vocab = json.load(open(tmp / "vocab.json"))
    n = len(vocab)
    for i in range(n, 50256):
        vocab[f"<|filler{i}|>"] = i
    vocab["<|endoftext|>"] = 50256
    json.dump(vocab, open(tmp / "vocab.json", "w"))
    merges = [l.rstrip("\n") for l in open(tmp / "merges.txt", encoding="utf-8") if l.strip() and not l.startswith("#")]
    return vocab, merges


def make_tokenizer_pickles(tmp: Path):
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab, merges = gpt2_like_vocab(tmp)
    # GPT-2's tokenizer as `tokenizers` builds it (what GPT2TokenizerFast wraps)
    bk = Tokenizer(models.BPE(vocab=vocab, merges=[tuple(m.split(" ")) for m in merges]))
    bk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bk.decoder = decoders.ByteLevel()
    bk.post_processor = processors.ByteLevel(trim_offsets=False)
    bk.add_special_tokens([AddedToken("<|endoftext|>", special=True)])
    tok = PreTrainedTokenizerFast(tokenizer_object=bk, eos_token="<|endoftext|>", bos_token="<|endoftext|>",
                                  unk_token="<|endoftext|>")
    tok.add_tokens(PLACEHOLDERS)
    assert tok.convert_tokens_to_ids("<|endoftext|>") == 50256, tok.convert_tokens_to_ids("<|endoftext|>")
    assert tok.convert_tokens_to_ids("ip_token") == 50257
    tok.pad_token = tok.eos_token
    with open(tmp / "tokenizer_fast.pkl", "wb") as f:
        pickle.dump(tok, f)

    # transformers-4-style slow GPT2Tokenizer state, pickled under a transformers* module name
    mod = types.ModuleType("transformers_v4_fake")
    cls = type("GPT2Tokenizer", (), {"__module__": "transformers_v4_fake"})
    mod.GPT2Tokenizer = cls
    sys.modules["transformers_v4_fake"] = mod
    slow = cls()
    slow.__dict__.update({
        "encoder": vocab, "decoder": {v: k for k, v in vocab.items()},
        "bpe_ranks": {tuple(m.split(" ")): i for i, m in enumerate(merges)},
        "add_prefix_space": False, "errors": "replace", "cache": {},
        "_added_tokens_decoder": {50256 + 1 + i: AddedToken(p, normalized=True, special=False)
                                  for i, p in enumerate(PLACEHOLDERS)}
                                 | {50256: AddedToken("<|endoftext|>", special=True)},
        "_eos_token": AddedToken("<|endoftext|>", special=True),
    })
    with open(tmp / "tokenizer_slow.pkl", "wb") as f:
        pickle.dump(slow, f)
    del sys.modules["transformers_v4_fake"]
    return tok


def make_state_dict(path: Path, n_layer, n_embd, n_pos, vocab, labels, inner=None):
    import torch

    g = torch.Generator().manual_seed(0)
    inner = inner or 4 * n_embd

    def r(*s):
        return torch.randn(*s, generator=g) * 0.02

    sd = {"transformer.wte.weight": r(vocab, n_embd), "transformer.wpe.weight": r(n_pos, n_embd)}
    for i in range(n_layer):
        p = f"transformer.h.{i}."
        sd.update({
            p + "ln_1.weight": torch.ones(n_embd), p + "ln_1.bias": torch.zeros(n_embd),
            p + "attn.bias": torch.tril(torch.ones(n_pos, n_pos, dtype=torch.uint8)).view(1, 1, n_pos, n_pos),
            p + "attn.masked_bias": torch.tensor(-1e4),
            p + "attn.c_attn.weight": r(n_embd, 3 * n_embd), p + "attn.c_attn.bias": r(3 * n_embd),
            p + "attn.c_proj.weight": r(n_embd, n_embd), p + "attn.c_proj.bias": r(n_embd),
            p + "ln_2.weight": torch.ones(n_embd), p + "ln_2.bias": torch.zeros(n_embd),
            p + "mlp.c_fc.weight": r(n_embd, inner), p + "mlp.c_fc.bias": r(inner),
            p + "mlp.c_proj.weight": r(inner, n_embd), p + "mlp.c_proj.bias": r(n_embd),
        })
    sd["transformer.ln_f.weight"] = torch.ones(n_embd)
    sd["transformer.ln_f.bias"] = torch.zeros(n_embd)
    sd["score.weight"] = r(labels, n_embd) * 50
    torch.save(sd, path)
    return sd


def make_labels(path: Path, n):
    techs = [json.loads(l)["id"] for l in open(HERE.parent.parent / "shared/data/attack_enterprise_v18.1_techniques.jsonl")] \
        if (HERE.parent.parent / "shared/data/attack_enterprise_v18.1_techniques.jsonl").exists() else []
    techs = (techs or [f"T{1000 + i}" for i in range(n)])[:n]
    json.dump({"label_to_technique": {str(i): t for i, t in enumerate(techs)},
               "technique_to_name": {t: f"name of {t}" for t in techs}}, open(path, "w"))
    return techs


def run_case(tag, tmp, n_layer, n_embd, n_head, n_pos, n_labels, pickle_name, int8, ref_tok, out):
    import onnxruntime as ort
    import torch
    from tokenizers import Tokenizer

    from convert_mitremap import convert

    vocab = 50257 + len(PLACEHOLDERS)
    t0 = time.time()
    make_state_dict(tmp / f"{tag}.pt", n_layer, n_embd, n_pos, vocab, n_labels)
    techs = make_labels(tmp / f"{tag}_labels.json", n_labels)
    print(f"[{tag}] synthetic artefacts in {time.time() - t0:.0f}s")
    man = convert(tmp / f"{tag}.pt", tmp / f"{tag}_labels.json", tmp / pickle_name, out, n_head=n_head, int8=int8)
    m = json.load(open(out / "model.json", encoding="utf-8"))
    check(m["architecture"] == "gpt2" and m["activation"] == "softmax" and m["padding_side"] == "right",
          f"[{tag}] manifest architecture/activation/padding")
    check(m["pad_token_id"] == 50256, f"[{tag}] pad_token_id = EOS 50256")
    check(m["preprocess"] == "mitremap-notebook-v1", f"[{tag}] preprocess profile recorded")
    check(all(hashlib.sha256((out / f).read_bytes()).hexdigest() == h for f, h in m["files"].items())
          and set(m["files"]) == {"model.onnx", "tokenizer.json", "labels.json"}, f"[{tag}] sha256 of files")
    check(json.load(open(out / "labels.json")) == techs, f"[{tag}] labels.json in output order ({n_labels})")

    tk = Tokenizer.from_file(str(out / "tokenizer.json"))
    texts = ["ip_token contacted domain_token over port number_token", "The adversary used PowerShell",
             "sha256_token dropped alphanumeric_token in filepath_token", "credential dumping lsass memory"]
    ok = all(tk.encode(t).ids == ref_tok(t, add_special_tokens=False)["input_ids"] for t in texts)
    check(ok, f"[{tag}] tokenizer.json ids == pickled tokenizer ids")
    check(tk.encode("ip_token").ids == [50257] and tk.encode("alphanumeric_token").ids == [50257 + len(PLACEHOLDERS) - 1],
          f"[{tag}] placeholders are single added tokens")
    check(tk.get_vocab_size(with_added_tokens=True) == vocab, f"[{tag}] vocab size {vocab}")

    s = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    check([i.name for i in s.get_inputs()] == ["input_ids", "attention_mask"] and
          [o.name for o in s.get_outputs()] == ["logits"], f"[{tag}] graph inputs/outputs")
    encs = [tk.encode(t).ids for t in texts]
    L = max(map(len, encs))
    ids = np.full((len(texts), L), 50256, dtype=np.int64)
    mask = np.zeros_like(ids)
    for i, e in enumerate(encs):
        ids[i, : len(e)] = e
        mask[i, : len(e)] = 1
    got = s.run(["logits"], {"input_ids": ids, "attention_mask": mask})[0]
    check(got.shape == (len(texts), n_labels), f"[{tag}] logits shape {got.shape}")
    single = s.run(["logits"], {"input_ids": ids[1:2, : len(encs[1])], "attention_mask": mask[1:2, : len(encs[1])]})[0]
    # int8 dynamic quantisation computes activation ranges per batch, so padding neighbours move
    # int8 logits a little: there the check is relative to the logit range and on the top label
    scale = float(np.abs(got).max()) or 1.0
    if int8:
        check(single.argmax() == got[1].argmax() and np.abs(single - got[1:2]).max() < 0.1 * scale,
              f"[{tag}] right padding with EOS keeps the top label (int8, diff {np.abs(single - got[1:2]).max():.3f} of range {scale:.1f})")
    else:
        check(np.abs(single - got[1:2]).max() < 1e-4, f"[{tag}] right padding with EOS leaves logits unchanged")
    par = man["card"]["parity"]
    key = "onnx_int8" if int8 else "onnx_fp32"
    if key in par:
        check(par[key]["top1_agreement"] == 1.0 and par[key]["max_abs_diff_logits"] < (0.1 * scale if int8 else 1e-3),
              f"[{tag}] ORT vs PyTorch parity {par[key]}")
    else:
        check(False, f"[{tag}] parity recorded")


def main():
    small_only = "--small" in sys.argv

    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        ref_tok = make_tokenizer_pickles(tmp)
        run_case("small", tmp, n_layer=2, n_embd=64, n_head=4, n_pos=128, n_labels=191,
                 pickle_name="tokenizer_slow.pkl", int8=False, ref_tok=ref_tok, out=HERE / "out" / "convert_test_small")
        if not small_only:
            run_case("full", tmp, n_layer=6, n_embd=768, n_head=12, n_pos=1024, n_labels=191,
                     pickle_name="tokenizer_fast.pkl", int8=False, ref_tok=ref_tok, out=HERE / "out" / "convert_test_full")
            run_case("full_int8", tmp, n_layer=6, n_embd=768, n_head=12, n_pos=1024, n_labels=191,
                     pickle_name="tokenizer_slow.pkl", int8=True, ref_tok=ref_tok,
                     out=HERE / "out" / "convert_test_full_int8")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
