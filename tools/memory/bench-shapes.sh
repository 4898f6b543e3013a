#!/usr/bin/env bash
# Peak RSS of `mitremap analyze` on the hostile input shapes of issue 13 item 3, each as a ratio
# to a baseline run in the same command (a 1 MB report of ordinary prose), so numbers from a
# loaded or different machine stay comparable.
#
# Usage: tools/memory/bench-shapes.sh [BIN] [MODEL_DIR]
#   BIN        mitremap binary (default target/release/mitremap)
#   MODEL_DIR  model folder (default models/default, the shipped model)
# Environment:
#   LIMIT_S    seconds each run may take before it is stopped (default 120; the baseline
#              always runs to the end). The shipped model
#              scores a few hundred chunks a second on 2 vCPUs, so the 50-100 MB shapes do not
#              finish in minutes: a stopped run reports the peak RSS it had reached, marked
#              "stopped", and how far it got is not known. Set LIMIT_S=0 for no limit.
#   MAX_RSS_MB a run whose RSS passes this is killed and reported as "over" (default 4096)
#   SHAPES     space-separated subset of the shape names below (default: all)
#   ORT        path of libonnxruntime.so (default: the binary's own lookup)
#   WORK       folder for the inputs and outputs (default target/memory/shapes); give two runs
#              at once different folders
#   PROBE      the report_memory example (cargo build --release -p mitremap-export --example
#              report_memory): also measures the end state of the short-sentence shapes, which
#              take hours through the CLI, in process (see the example's doc)
# Each run's stdout and stderr stay in WORK/out-SHAPE.json and err-SHAPE.log.
# Inputs are generated under target/memory/shapes (about 550 MB of disk); the 1 GB binary is
# streamed from /dev/urandom through stdin and never written.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/target/release/mitremap}
model=${2:-$root/models/default}
limit=${LIMIT_S:-120}
max_rss_mb=${MAX_RSS_MB:-4096}
work=${WORK:-$root/target/memory/shapes}
mkdir -p "$work"
ort_args=()
[[ -n ${ORT:-} ]] && ort_args=(--ort-lib "$ORT")

gen() { # name -> file (generated once)
  local f=$work/$1
  [[ -s $f ]] && { echo "$f"; return; }
  python3 - "$1" "$f" "$root" <<'PY'
import json, os, random, sys
name, out, root = sys.argv[1], sys.argv[2], sys.argv[3]
MB = 1024 * 1024
rnd = random.Random(13)
prose_files = [os.path.join(root, "samples", f) for f in sorted(os.listdir(os.path.join(root, "samples")))
               if f.endswith(".txt")]
prose = "\n\n".join(open(p, encoding="utf-8").read() for p in prose_files)
words = prose.split()
def repeat_to(text, size):
    n = size // len(text.encode()) + 1
    return (text * n).encode()[:size].decode("utf-8", "ignore")
with open(out, "w", encoding="utf-8") as f:
    if name == "baseline-1mb.txt":
        f.write(repeat_to(prose + "\n\n", 1 * MB))
    elif name.startswith("line-nospace-"):
        size = int(name.split("-")[2].rstrip("mb.txt")) * MB
        chunk = "".join(rnd.choice("0123456789abcdef") for _ in range(MB))
        f.write(repeat_to(chunk, size))  # one hex "word", no newline
    elif name.startswith("line-spaces-"):
        size = int(name.split("-")[2].rstrip("mb.txt")) * MB
        # Prose words without any sentence end or newline: one sentence, one window.
        clean = " ".join(w.strip(".!?。") for w in words if w.strip(".!?。")) + " "
        f.write(repeat_to(clean, size))
    elif name.startswith("sentences-"):
        size = int(name.split("-")[1].rstrip("mb.txt")) * MB
        sents = ["The actor ran PowerShell.", "It dumped LSASS memory.", "Data was staged.",
                 "A scheduled task was created.", "The loader beaconed over HTTPS."]
        block = "\n".join(sents) + "\n"
        f.write(repeat_to(block, size))
    elif name.startswith("jsonl-lines-"):
        # Many ordinary reports, one per line: a batch that must be read as it runs.
        size = int(name.split("-")[2].rstrip("mb.jsonl")) * MB
        report = repeat_to(prose, 4096)
        written, i = 0, 0
        while written < size:
            line = json.dumps({"id": f"r{i}", "text": report}) + "\n"
            f.write(line)
            written += len(line.encode())
            i += 1
    elif name == "jsonl-50mb.jsonl":
        text = repeat_to(prose + "\n\n", 50 * MB)
        f.write(json.dumps({"id": "big", "text": text}) + "\n")
PY
  echo "$f"
}

descendants() { local k; for k in $(pgrep -P "$1"); do echo "$k"; descendants "$k"; done; }

run() { # label, then the command; prints "label kb status seconds"
  local label=$1; shift
  local limit=$limit
  [[ $label == baseline-* ]] && limit=0  # the baseline always runs to the end
  local start end status rc kb pid over=0 rss p
  start=$(date +%s.%N)
  rm -f "$work/time.out"
  if [[ $limit -gt 0 ]]; then
    /usr/bin/time -f %M -o "$work/time.out" timeout -s KILL "$limit" "$@" >"$work/out-$label.json" 2>"$work/err-$label.log" &
  else
    /usr/bin/time -f %M -o "$work/time.out" "$@" >"$work/out-$label.json" 2>"$work/err-$label.log" &
  fi
  pid=$!
  # Watchdog: samples every process of the run 5 times a second for its peak RSS (VmHWM, which
  # the kernel keeps: exact as long as it is read before the process ends, so runs stopped by
  # the time limit are measured too), and stops a shape that runs away (the issue saw 11.8 GB)
  # at MAX_RSS_MB so it cannot take the machine down; its peak is then reported as "over".
  local hwm_kb=0 hwm
  while kill -0 "$pid" 2>/dev/null; do
    for p in $(descendants "$pid"); do
      hwm=$(awk '/VmHWM/{print $2}' "/proc/$p/status" 2>/dev/null)
      [[ -n $hwm && $hwm -gt $hwm_kb ]] && hwm_kb=$hwm
      rss=$(awk '/VmRSS/{print $2}' "/proc/$p/status" 2>/dev/null)
      if [[ -n $rss && $rss -gt $((max_rss_mb * 1024)) ]]; then
        over=1
        kill -KILL "$p" 2>/dev/null
      fi
    done
    sleep 0.2
  done
  wait "$pid"; rc=$?
  end=$(date +%s.%N)
  kb=$(grep -E '^[0-9]+$' "$work/time.out" 2>/dev/null | tail -1)
  [[ -z $kb || $hwm_kb -gt $kb ]] && kb=$hwm_kb
  if [[ $over == 1 ]]; then
    status="over ${max_rss_mb} MB: killed"
  else
    case $rc in
      0) status=ok ;;
      137|124) status="stopped at ${limit} s" ;;
      *) status="exit $rc: $(grep -m1 -i -E 'error|refus|binary|limit' "$work/err-$label.log" | cut -c1-90)" ;;
    esac
  fi
  printf '%s\t%s\t%s\t%.0f\n' "$label" "${kb:-0}" "$status" "$(echo "$end - $start" | bc)"
}

all="baseline-1mb.txt line-nospace-20mb.txt line-nospace-100mb.txt line-spaces-20mb.txt line-spaces-100mb.txt sentences-50mb.txt sentences-100mb.txt jsonl-50mb.jsonl jsonl-lines-100mb.jsonl binary-1gb"
shapes=${SHAPES:-$all}
echo "# bin: $bin"
echo "# model: $model  limit: ${limit}s per run  machine: $(nproc) vCPU, $(free -g | awk '/Mem:/{print $2}') GiB"
results=()
for s in baseline-1mb.txt $shapes; do
  [[ $s == baseline-1mb.txt && ${#results[@]} -gt 0 ]] && continue
  case $s in
    binary-1gb)
      line=$(run "$s" bash -c "head -c 1073741824 /dev/urandom | \"$bin\" analyze - --model \"$model\" ${ort_args[*]:-}") ;;
    *.jsonl)
      f=$(gen "$s"); line=$(run "$s" "$bin" analyze --jsonl "$f" --model "$model" "${ort_args[@]}" -o -) ;;
    *)
      f=$(gen "$s"); line=$(run "$s" "$bin" analyze "$f" --model "$model" "${ort_args[@]}" -o -) ;;
  esac
  results+=("$line")
done
base=$(printf '%s\n' "${results[0]}" | cut -f2)
printf '%-24s %10s %8s %6s  %s\n' shape "peak MB" "x base" "s" status
for line in "${results[@]}"; do
  IFS=$'\t' read -r label kb status secs <<<"$line"
  printf '%-24s %10.0f %8.2f %6s  %s\n' "$label" "$(echo "$kb / 1024" | bc -l)" "$(echo "$kb / $base" | bc -l)" "$secs" "$status"
done
if [[ -n ${PROBE:-} ]]; then
  echo "# end state of the short-sentence shapes (report_memory probe; cli_estimate_mb is the CLI's peak without batch memory)"
  for s in $shapes; do
    [[ $s == sentences-* ]] || continue
    f=$(gen "$s")
    printf '%-24s %s\n' "$s" "$("$PROBE" "$model" "$f" ${ORT:-} 2>&1 | tail -1)"
  done
fi
