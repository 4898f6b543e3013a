"""Rebuild models/default from ../shared/data in one command:

  python training/build_default.py            (or: make -C training default)

Steps (all CPU; about 1-1.5 h on 2 shared cores): train.py -> export.py -> evaluate.py
(model vs TF-IDF baseline, TRAM benchmark baseline) -> bench_infer.py -> card update.
Intermediates go to training/out/ and training/cache/ (git-ignored).
"""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RUN = HERE / "out" / "default_run"
OUT = ROOT / "models" / "default"
PY = sys.executable

# The exact training configuration of the shipped model.
TRAIN_ARGS = ["--freeze-layers", "5", "--max-len", "64", "--epochs", "3", "--max-minutes", "55",
              "--neg-train", "6000", "--bootstrap-cap", "3000", "--cap", "attack_procedure=12000",
              "--min-sub", "20", "--seed", "13"]


def sh(*args):
    print("+", " ".join(str(a) for a in args), flush=True)
    subprocess.run([str(a) for a in args], check=True, cwd=ROOT)


def main():
    skip_train = "--skip-train" in sys.argv
    if not skip_train:
        sh(PY, HERE / "train.py", "--out", RUN, *TRAIN_ARGS)
    sh(PY, HERE / "export.py", "--run", RUN, "--out", OUT, "--max-tokens", "128")
    sh(PY, HERE / "evaluate.py", "--model", OUT, "--meta", RUN / "train_meta.json",
       "--baseline-cache", HERE / "cache" / "baseline_default.json", "--out", HERE / "out" / "eval_default.json")
    sh(PY, HERE / "bench_infer.py", OUT, "--threads", "2", "--tokens", "128", "512",
       "--out", HERE / "out" / "timing_default.json")
    sh(PY, HERE / "export.py", "--card-only", "--out", OUT, "--metrics", HERE / "out" / "eval_default.json",
       "--extra-card", HERE / "out" / "timing_default.json", "--extra-card", HERE / "card_notes.json", "--card-md", ROOT / "docs" / "model-card.md")


if __name__ == "__main__":
    main()
