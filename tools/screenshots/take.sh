#!/usr/bin/env bash
# Screenshots of the TUI in each theme, as PNG in docs/screenshots/ (for checking themes by eye):
# the report in docs/screenshots/apt-report.txt analysed by the default model at 120x40 in tmux,
# captured with colours (tmux capture-pane -e) and drawn cell by cell (ansi_to_png.py, Pillow).
#
#   tools/screenshots/take.sh [path/to/mitremap] [python with Pillow]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$(realpath "${1:-$ROOT/target/debug/mitremap}")
PY=${2:-python3}
OUT="$ROOT/docs/screenshots"
WORK=$(mktemp -d)
SOCK="mitremap-shots-$$"
T="tmux -L $SOCK -f /dev/null"
cleanup() { $T kill-server >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT
export XDG_STATE_HOME="$WORK/state" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data"
unset NO_COLOR
cp "$OUT/apt-report.txt" "$WORK/apt-report.txt"
# a session that outlives the others, so the tmux server stays up between themes
$T new-session -d -s keep "sleep 600"
for theme in dark light high-contrast colorblind; do
  $T new-session -d -s shot -x 120 -y 40 "cd '$WORK' && TERM=xterm-256color '$BIN' --theme $theme apt-report.txt; sleep 30"
  for _ in $(seq 1 300); do
    if $T capture-pane -p -t shot | grep -qE "done [0-9]+/[0-9]+"; then break; fi
    sleep 0.2
  done
  sleep 1
  $T capture-pane -e -p -t shot >"$WORK/$theme.ansi"
  $T kill-session -t shot
  light=""
  [ "$theme" = light ] && light="--light"
  "$PY" "$ROOT/tools/screenshots/ansi_to_png.py" "$WORK/$theme.ansi" "$OUT/theme-$theme.png" $light
  echo "$OUT/theme-$theme.png"
done
