#!/usr/bin/env bash
# Peak memory of mitremap on 100 MB of threat-intel prose (issue 8's bound), measured with
# GNU time. Builds the input from ../shared/data/train.jsonl (text fields, repeated to 100 MB).
# Usage: tools/memory/measure-100mb.sh [MODEL_DIR]   (default: the tiny test fixture; memory
# does not depend on the model's accuracy, only on its size, which is reported separately)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
model=${1:-$root/tests/fixtures/tiny-gpt2}
work=$root/target/memory
mkdir -p "$work"
input=$work/prose-100mb.txt
if [[ ! -f $input ]]; then
  python3 - "$root/../shared/data/train.jsonl" "$input" <<'PY'
import json, sys
texts = [json.loads(l)["text"] for l in open(sys.argv[1], encoding="utf-8")]
blob = "\n".join(texts) + "\n"
target = 100 * 1024 * 1024
with open(sys.argv[2], "w", encoding="utf-8") as out:
    written = 0
    while written < target:
        out.write(blob)
        written += len(blob.encode("utf-8"))
PY
fi
bin=$root/target/release/mitremap
[[ -x $bin ]] || cargo build --release --quiet -p mitremap
echo "input: $(du -h "$input" | cut -f1)  model: $model  machine: $(nproc) cores"
measure() {
  local label=$1; shift
  /usr/bin/time -f "$label: %e s wall, peak RSS %M KB" "$@" >/dev/null 2>"$work/time.log" || { cat "$work/time.log"; exit 1; }
  grep "peak RSS" "$work/time.log"
}
measure "iocs (100 MB)" "$bin" iocs "$input"
measure "analyze -> file (100 MB)" "$bin" analyze "$input" --model "$model" --threads 2 --batch-size 1 -o "$work/out.json" --force
ls -la "$work/out.json" | awk '{print "report JSON:", $5, "bytes"}'
