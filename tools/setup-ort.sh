#!/usr/bin/env bash
# Installs the pinned ONNX Runtime shared library into .ort/lib/ (git-ignored), where mitremap
# finds it, and its licence files (LICENSE, ThirdPartyNotices.txt, Privacy.md) into .ort/doc/
# (tools/package.sh ships them). Source: the official `onnxruntime` wheel on PyPI, checked against
# a pinned sha256.
# Needs python3 with pip and network access to PyPI (or PIP_INDEX_URL pointing at a mirror).
# Usage: tools/setup-ort.sh [--force]
set -euo pipefail

VERSION=1.31.1
WHEEL=onnxruntime-${VERSION}-cp311-cp311-manylinux_2_28_x86_64.whl
SHA256=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f
MEMBER=onnxruntime/capi/libonnxruntime.so.${VERSION}

root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/.ort/lib"
doc="$root/.ort/doc"
if [[ -f "$dest/libonnxruntime.so" && -f "$doc/LICENSE" && "${1:-}" != "--force" ]]; then
  echo "ONNX Runtime $VERSION already in $dest (pass --force to reinstall)"
  exit 0
fi
case "$(uname -sm)" in
  "Linux x86_64") ;;
  *) echo "setup-ort: only Linux x86_64 is pinned here; install ONNX Runtime >= $VERSION yourself and pass --ort-lib or set ORT_DYLIB_PATH" >&2; exit 1 ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.11 --implementation cp \
  --platform manylinux_2_28_x86_64 -d "$work" "onnxruntime==$VERSION"
actual=$(sha256sum "$work/$WHEEL" | cut -d' ' -f1)
if [[ "$actual" != "$SHA256" ]]; then
  echo "setup-ort: sha256 mismatch for $WHEEL (expected $SHA256, got $actual); refusing to install" >&2
  exit 1
fi
mkdir -p "$work/doc"
python3 - "$work/$WHEEL" "$MEMBER" "$work/libonnxruntime.so" "$work/doc" <<'PY'
import os, shutil, sys, zipfile
wheel, member, lib, doc = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    with z.open(member) as src, open(lib, "wb") as dst:
        shutil.copyfileobj(src, dst)
    for name in ("LICENSE", "ThirdPartyNotices.txt", "Privacy.md"):
        with z.open("onnxruntime/" + name) as src, open(os.path.join(doc, name), "wb") as dst:
            shutil.copyfileobj(src, dst)
PY
mkdir -p "$dest" "$doc"
chmod 0755 "$work/libonnxruntime.so"
chmod 0644 "$work/doc/"*
mv "$work/libonnxruntime.so" "$dest/libonnxruntime.so"
mv "$work/doc/"* "$doc/"
echo "installed ONNX Runtime $VERSION to $dest/libonnxruntime.so (licences in $doc)"
