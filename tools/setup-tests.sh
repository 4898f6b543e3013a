#!/usr/bin/env bash
# Installs everything the test suite needs, so that `cargo test --workspace --locked` passes on a
# fresh machine with only Rust, Python 3 and the package registries:
#   * the pinned ONNX Runtime library (tools/setup-ort.sh -> .ort/lib/),
#   * the OASIS STIX validator in a virtual environment under target/test-venv/ (the STIX tests
#     run target/test-venv/bin/python; $PYTHON overrides),
#   * tmux (end-to-end TUI test) and strace (the no-network test), Debian/Ubuntu packages, when we
#     may install packages.
# Idempotent: a second run only checks. Used by the README's test command and by .ci/run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/tools/setup-ort.sh"

venv="$root/target/test-venv"
req="$root/.ci/requirements.txt"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
  mkdir -p "$root/target"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
  echo "installed the Python test tools into $venv"
else
  echo "Python test tools already in $venv"
fi

missing=()
for tool in tmux strace; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null)
  elif command -v apt-get >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    (sudo -n apt-get update -qq && sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null)
  fi
fi
for tool in tmux strace; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "setup-tests: $tool is required by the tests (tmux: end-to-end TUI, strace: no-network check); install it" >&2
    exit 1
  fi
done
echo "test prerequisites ready"
