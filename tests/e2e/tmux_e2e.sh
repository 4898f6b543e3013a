#!/usr/bin/env bash
# End-to-end test of the terminal UI in a real terminal (tmux): start mitremap, paste a report
# with bracketed paste, wait for results, export JSON through the dialog, check the file, quit.
# Then: piped stdin (keys from /dev/tty) and SIGTERM (terminal restored, recovery file 0600), and
# an analyst's review that survives a restart and reaches the export.
#
#   tests/e2e/tmux_e2e.sh [path/to/mitremap] [model-dir]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${1:-$ROOT/target/debug/mitremap}
MODEL=${2:-$ROOT/tests/fixtures/tiny-gpt2}
WORK=$(mktemp -d)
SOCK="mitremap-e2e-$$"
T="tmux -L $SOCK -f /dev/null"
cleanup() { $T kill-server >/dev/null 2>&1 || true; rm -rf "$WORK"; }
trap cleanup EXIT

export XDG_STATE_HOME="$WORK/state" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data"
unset DISPLAY WAYLAND_DISPLAY NO_COLOR

fail() {
  echo "FAIL: $*" >&2
  echo "---- screen ----" >&2
  $T capture-pane -p -t e2e >&2 2>/dev/null || true
  exit 1
}

# wait_for TEXT [seconds]: until the screen shows TEXT
wait_for() {
  local deadline=$((SECONDS + ${2:-20}))
  while ((SECONDS < deadline)); do
    if $T capture-pane -p -t e2e 2>/dev/null | grep -qF -- "$1"; then return 0; fi
    sleep 0.2
  done
  fail "timed out waiting for: $1"
}

# wait_for_re REGEX [seconds]: until the screen matches the extended regular expression
wait_for_re() {
  local deadline=$((SECONDS + ${2:-20}))
  while ((SECONDS < deadline)); do
    if $T capture-pane -p -t e2e 2>/dev/null | grep -qE -- "$1"; then return 0; fi
    sleep 0.2
  done
  fail "timed out waiting for /$1/"
}

cat >"$WORK/report.txt" <<'REPORT'
APT29 used PowerShell to download a second-stage payload from 203.0.113.7. The actor dumped LSASS memory with Mimikatz to harvest credentials.
Spearphishing emails carried a malicious attachment named invoice.docm. The payload beaconed to hxxp://evil[.]example[.]com/gate.php over HTTPS.
Files were encrypted and a ransom note was left; the dropper exploited CVE-2021-44228.
REPORT

# a session that outlives the others, so the tmux server stays up between steps
$T new-session -d -s keep "sleep 600"

echo "1. start with an empty editor, paste with bracketed paste"
$T new-session -d -s e2e -x 120 -y 40 \
  "cd '$WORK' && '$BIN' --model '$MODEL' --threads 1; echo \"EXIT=\$?\"; sleep 60"
wait_for "Paste a threat report"
$T load-buffer -b report "$WORK/report.txt"
$T paste-buffer -p -b report -t e2e
wait_for "CVE-2021-44228" 30            # IoC tab content / editor
wait_for "done 2/2 windows" 60          # analysis finished (debounce + run)
$T capture-pane -p -t e2e >"$WORK/screen1.txt"
grep -q "test-fixture-tiny-gpt2" "$WORK/screen1.txt" || fail "model name not in the status bar"

echo "2. export JSON through the dialog"
$T send-keys -t e2e C-o
wait_for "Export"
$T send-keys -t e2e C-u
$T send-keys -t e2e -l "$WORK/out.json"
$T send-keys -t e2e Enter
wait_for "exported" 20
python3 - "$WORK/out.json" <<'PY' || fail "export is not a mitremap JSON report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "mitremap-report", r.get("schema")
assert r["complete"] is True
assert any(i["value"] == "CVE-2021-44228" for i in r["iocs"]["items"]), r["iocs"]
assert r["model"]["name"] == "test-fixture-tiny-gpt2"
assert len(r["chunks"]) == 2
PY
# exporting again to the same path asks first
$T send-keys -t e2e C-o
wait_for "Export"
$T send-keys -t e2e C-u
$T send-keys -t e2e -l "$WORK/out.json"
$T send-keys -t e2e Enter
wait_for "Overwrite? y/n"
$T send-keys -t e2e n Escape
sleep 0.3                                # an Esc directly followed by C-q can read as alt-ctrl-q

echo "3. quit cleanly: exit 0, terminal restored, no recovery file left"
$T send-keys -t e2e C-q                   # pasted text is unsaved: asks once
wait_for "ctrl-q again quits and discards"
$T send-keys -t e2e C-q
wait_for "EXIT=0"
ls "$XDG_STATE_HOME"/mitremap/recovery-*.txt >/dev/null 2>&1 && fail "recovery file left after a clean quit"
$T kill-session -t e2e

echo "4. piped stdin (keys from /dev/tty), then SIGTERM"
$T new-session -d -s e2e -x 100 -y 30 \
  "cd '$WORK' && cat report.txt | '$BIN' --model '$MODEL' --threads 1; echo \"EXIT=\$?\"; sleep 60"
wait_for "done 2/2" 60
$T send-keys -t e2e Tab 2                # results pane, IoCs tab: keys arrive through /dev/tty
wait_for "cve (1)"
$T delete-buffer 2>/dev/null || true
$T send-keys -t e2e y                    # copy the selected IoC: defanged, into tmux's buffer
wait_for "tmux's paste buffer"
BUF=$($T show-buffer 2>/dev/null || true)
case "$BUF" in
  *"[.]"*|*"[:]"*|*"hxxp"*|*"[at]"*|CVE-*) ;;
  *) fail "copied IoC is not defanged in tmux's buffer: '$BUF'" ;;
esac
sleep 1.5                                # piped text is unsaved: recovery copy after 1 s
PID=$(pgrep -n -f "^$BIN --model" || true)
[ -n "$PID" ] || fail "mitremap process not found"
kill -TERM "$PID"
wait_for "EXIT=143"
REC=$(ls "$XDG_STATE_HOME"/mitremap/recovery-*.txt 2>/dev/null | head -1)
[ -n "$REC" ] || fail "no recovery file after SIGTERM"
[ "$(stat -c %a "$REC")" = 600 ] || fail "recovery file mode is $(stat -c %a "$REC"), not 600"
grep -q "APT29" "$REC" || fail "recovery file does not hold the text"
# terminal restored: the shell's output is on the normal screen, not the alternate one
$T capture-pane -p -t e2e | grep -q "EXIT=143" || fail "terminal not restored"
$T kill-session -t e2e

echo "5. the next start offers the text back"
$T new-session -d -s e2e -x 100 -y 30 \
  "cd '$WORK' && '$BIN' --model '$MODEL' --threads 1; echo \"EXIT=\$?\"; sleep 60"
wait_for "Recover unsaved text?"
$T send-keys -t e2e Enter
wait_for "restored"
$T send-keys -t e2e C-q C-q
wait_for "EXIT=0"

$T kill-session -t e2e

echo "6. the terminal goes away (SSH drop): quiet exit, text in the recovery file, no panic report"
rm -f "$XDG_STATE_HOME"/mitremap/recovery-*.txt "$XDG_STATE_HOME"/mitremap/panic-*.txt
$T new-session -d -s e2e -x 100 -y 30 \
  "cd '$WORK' && cat report.txt | '$BIN' --model '$MODEL' --threads 1"
wait_for "done 2/2" 60
PID=$(pgrep -n -f "^$BIN --model" || true)
[ -n "$PID" ] || fail "mitremap process not found"
$T kill-session -t e2e                   # closes the pty: SIGHUP, then EIO on every write
for _ in $(seq 1 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PID" 2>/dev/null && fail "mitremap still running after the terminal closed"
ls "$XDG_STATE_HOME"/mitremap/panic-*.txt >/dev/null 2>&1 \
  && fail "a hang-up left a panic report: $(head -3 "$XDG_STATE_HOME"/mitremap/panic-*.txt)"
REC=$(ls "$XDG_STATE_HOME"/mitremap/recovery-*.txt 2>/dev/null | head -1)
[ -n "$REC" ] || fail "no recovery file after the hang-up"
grep -q "APT29" "$REC" || fail "recovery file does not hold the text after the hang-up"

echo "7. a FILE opens read-only with the results focused: command keys never edit it;"
echo "   i edits, the file shows modified until ctrl-s saves it, q twice quits (80x24)"
cp "$WORK/report.txt" "$WORK/mine.txt"
rm -f "$XDG_STATE_HOME"/mitremap/recovery-*   # no recovery offer in the way
$T new-session -d -s e2e -x 80 -y 24 \
  "cd '$WORK' && '$BIN' --model '$MODEL' --threads 1 mine.txt; echo \"EXIT=\$?\"; sleep 60"
wait_for "done 2/2" 60
$T capture-pane -p -t e2e | tail -1 | grep -q "help.*quit" || fail "footer lacks help/quit at 80x24"
$T send-keys -t e2e + - j k y
sleep 0.5
cmp -s "$WORK/report.txt" "$WORK/mine.txt" || fail "command keys changed the file"
$T capture-pane -p -t e2e | grep -qF "[+] modified" && fail "modified before any edit"
$T send-keys -t e2e i
wait_for "EDIT"
$T send-keys -t e2e -l "Cleaned. "
wait_for "[+] modified"
$T send-keys -t e2e Escape
wait_for "done 2/2" 30                  # re-run after the pause: still modified
$T capture-pane -p -t e2e | grep -qF "[+] modified" || fail "modified mark gone after the re-run"
$T send-keys -t e2e q
wait_for "q again quits"
$T send-keys -t e2e C-s
wait_for "saved"
head -c 15 "$WORK/mine.txt" | grep -q "^Cleaned. APT29" || fail "ctrl-s did not save the text"
$T send-keys -t e2e q                    # saved: quits at once
wait_for "EXIT=0"
$T kill-session -t e2e

echo "8. a non-bracketed burst over 4 KB (typed-ahead text, a paste without bracketed paste):"
echo "   it all arrives at once, not up to 1,024 bytes and the rest only at the next key"
rm -f "$XDG_STATE_HOME"/mitremap/recovery-*
python3 - "$WORK/burst.txt" <<'PY'
import sys
body = "The actor used PowerShell to stage tools and dumped credentials from LSASS. " * 64
text = body + "Last it beaconed to 198.51.100.77 over HTTPS."
open(sys.argv[1], "w").write(text)  # one line, no newline: every byte is a key
PY
BURST=$(cat "$WORK/burst.txt")
$T new-session -d -s e2e -x 120 -y 40 \
  "cd '$WORK' && '$BIN' --model '$MODEL' --threads 1; echo \"EXIT=\$?\"; sleep 60"
wait_for "Paste a threat report"
$T send-keys -t e2e -l "$BURST"
# no further key is sent: before the fix the tail stayed in the terminal until one was
wait_for "198.51.100.77" 30
# An analysis may have started on part of the burst (the debounce can pass while a slow debug
# build works through thousands of keys): export until the report covers all of it.
whole=""
for i in 1 2 3 4 5 6; do
  sleep 1
  wait_for "done " 60
  $T send-keys -t e2e C-o
  wait_for "Export"
  $T send-keys -t e2e C-u
  $T send-keys -t e2e -l "$WORK/burst-$i.json"
  $T send-keys -t e2e Enter
  wait_for "exported" 20
  if python3 - "$WORK/burst-$i.json" "$WORK/burst.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
ok = (r["input"]["bytes"] == len(text.encode()) and r["complete"] is True
      and r["chunks"][-1]["end"] == len(text.encode())
      and any(i["value"] == "198.51.100.77" for i in r["iocs"]["items"]))
sys.exit(0 if ok else 1)
PY
  then whole=yes; break; fi
done
[ -n "$whole" ] || fail "the analysis did not see the whole burst ($(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['input']['bytes'])" "$WORK/burst-6.json") of $(wc -c <"$WORK/burst.txt") bytes)"
$T send-keys -t e2e C-q
wait_for "ctrl-q again quits and discards"
$T send-keys -t e2e C-q
wait_for "EXIT=0"
$T kill-session -t e2e

echo "9. review: accept and reject in a FILE (saved at once next to it), quit, reopen: the verdicts"
echo "   are back, and an export carries them"
cp "$WORK/report.txt" "$WORK/reviewed.txt"
rm -f "$XDG_STATE_HOME"/mitremap/recovery-*
start_review_session() {
  $T new-session -d -s e2e -x 120 -y 40 \
    "cd '$WORK' && '$BIN' --model '$MODEL' --threads 1 --threshold 0.2 --analyst e2e-analyst reviewed.txt; echo \"EXIT=\$?\"; sleep 60"
  wait_for "done 2/2" 60
}
start_review_session
wait_for_re "│ 0/[0-9]+ reviewed"       # in the status bar
$T send-keys -t e2e a                    # accept the first technique (for the report)
wait_for "accepted T"
$T send-keys -t e2e j d                  # reject the second
wait_for "rejected T"
python3 - "$WORK/reviewed.txt.mitremap-review.json" <<'PY' || fail "review file not saved as the verdicts were made"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "mitremap-review", r
v = sorted((x["verdict"], x["analyst"]) for x in r["verdicts"])
assert v == [("accepted", "e2e-analyst"), ("rejected", "e2e-analyst")], v
PY
$T send-keys -t e2e q                    # the text is unchanged: quits at once
wait_for "EXIT=0"
$T kill-session -t e2e
start_review_session
wait_for_re "│ 2/[0-9]+ reviewed"       # restored
$T capture-pane -p -t e2e | grep -qF "✓ T" || fail "accepted mark not shown after reopening"
$T capture-pane -p -t e2e | grep -qF "✗ T" || fail "rejected mark not shown after reopening"
$T send-keys -t e2e C-o
wait_for "Export"
$T send-keys -t e2e C-u
$T send-keys -t e2e -l "$WORK/reviewed.json"
$T send-keys -t e2e Enter
wait_for "exported" 20
python3 - "$WORK/reviewed.json" <<'PY' || fail "the export does not carry the verdicts"
import json, sys
r = json.load(open(sys.argv[1]))
statuses = sorted(t["review"] for t in r["techniques"])
assert statuses.count("accepted") == 1 and statuses.count("rejected") == 1, statuses
assert r["review"]["reviewed"] == 2, r["review"]
PY
$T send-keys -t e2e q
wait_for "EXIT=0"
$T kill-session -t e2e

echo "PASS: tmux end-to-end"
