#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 120 s each). Needs a nightly toolchain and
# cargo-fuzz (`cargo install cargo-fuzz`). Usage: fuzz/run-all.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-120}
for target in ioc_extract chunker manifest export documents; do
  echo "== $target ($secs s)"
  cargo +nightly fuzz run "$target" -- -max_total_time="$secs" -rss_limit_mb=4096 2>&1 | grep -E "^#[0-9]+ *DONE|Done [0-9]+ runs|ERROR|panicked|SUMMARY" || true
done
