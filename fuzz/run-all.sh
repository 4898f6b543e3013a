#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 120 s each), starting from its corpus and the
# hand-made hostile shapes in seeds/<target>/. Needs a nightly toolchain and cargo-fuzz
# (`cargo install cargo-fuzz`).
#   fuzz/run-all.sh [SECONDS]            one target after another
#   PARALLEL=1 fuzz/run-all.sh [SECONDS] all targets at once (each for SECONDS of wall time)
#   TARGETS="chunker documents"          only these targets
#   TIMEOUT_S=120                        libFuzzer's per-input limit (default 30; raise it on a
#                                        loaded machine, where a slow input is starvation, not a hang)
# Each target's full libFuzzer log goes to fuzz/logs/<target>.log; a summary line is printed.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-120}
read -r -a targets <<<"${TARGETS:-ioc_extract chunker manifest export documents}"
timeout_s=${TIMEOUT_S:-30}
mkdir -p logs
cargo +nightly fuzz build >/dev/null
run_one() {
  local target=$1
  mkdir -p "corpus/$target"
  local dirs=("corpus/$target")
  [ -d "seeds/$target" ] && dirs+=("seeds/$target")
  if cargo +nightly fuzz run "$target" "${dirs[@]}" -- -max_total_time="$secs" -rss_limit_mb=2048 \
      -timeout="$timeout_s" >"logs/$target.log" 2>&1; then
    echo "== $target: clean, $(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "logs/$target.log" | tail -1)"
  else
    echo "== $target: FAILED (logs/$target.log; the input is in artifacts/$target/)"
    grep -E "ERROR|panicked|SUMMARY" "logs/$target.log" | head -5
    return 1
  fi
}
status=0
if [ -n "${PARALLEL:-}" ]; then
  pids=()
  for t in "${targets[@]}"; do run_one "$t" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || status=1; done
else
  for t in "${targets[@]}"; do run_one "$t" || status=1; done
fi
exit $status
