"""Average the weights of fine-tuned runs that share a label space (a "model soup").

  python training/soup.py --runs training/out/full_mix training/out/cont_report --out training/out/soup

Runs that started from the same weights (here: a continuation initialised from an earlier run with
`train.py --init-from`) sit in one basin, so their element-wise mean is a model of the same shape that
often generalises better than either, at no inference cost. Writes OUT/model, OUT/labels.json and
OUT/train_meta.json (the last run's meta, with `soup` naming the runs and weights), the layout export.py reads.
"""
import argparse
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", nargs="+", required=True, help="train.py output folders")
    ap.add_argument("--weights", nargs="*", type=float, help="one weight per run (default: equal)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    runs = [Path(r) for r in a.runs]
    w = a.weights or [1.0] * len(runs)
    if len(w) != len(runs):
        raise SystemExit("--weights: give one weight per run")
    w = [x / sum(w) for x in w]
    labels = [json.load(open(r / "labels.json")) for r in runs]
    if any(lab != labels[0] for lab in labels):
        raise SystemExit("runs have different label spaces")
    states = [load_file(r / "model" / "model.safetensors") for r in runs]
    keys = set(states[0])
    if any(set(s) != keys for s in states):
        raise SystemExit("runs have different parameters")
    soup = {}
    for k in keys:
        t = states[0][k]
        if t.is_floating_point():
            soup[k] = sum(wi * s[k].to(torch.float32) for wi, s in zip(w, states)).to(t.dtype).contiguous()
        else:
            soup[k] = t
    out = Path(a.out)
    (out / "model").mkdir(parents=True, exist_ok=True)
    for f in (runs[-1] / "model").iterdir():
        if f.name != "model.safetensors":
            shutil.copy(f, out / "model" / f.name)
    save_file(soup, out / "model" / "model.safetensors", metadata={"format": "pt"})
    json.dump(labels[0], open(out / "labels.json", "w"))
    meta = json.load(open(runs[-1] / "train_meta.json"))
    meta["soup"] = {"runs": [str(r) for r in runs], "weights": w}
    json.dump(meta, open(out / "train_meta.json", "w"), indent=1)
    print(f"soup of {len(runs)} runs -> {out}")


if __name__ == "__main__":
    main()
