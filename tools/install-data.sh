#!/usr/bin/env bash
# Adds what `cargo install --path .` does not bring to the user's data folder, where an installed
# mitremap finds them (crates/mitremap-engine/src/locate.rs, "user data"):
#   $XDG_DATA_HOME/mitremap/lib/libonnxruntime.so     the pinned ONNX Runtime (tools/setup-ort.sh)
#   $XDG_DATA_HOME/mitremap/models/default/           this checkout's models/default
# ($XDG_DATA_HOME defaults to ~/.local/share.) An existing copy is replaced.
#
# Refuses to write into a folder another user could write, with the same rules mitremap applies
# before loading anything (locate::ensure_trusted): the destination's existing folders must be
# owned by you or root and not be writable by group or others (a sticky folder such as /tmp is
# fine above it; group write is fine for your own primary group on a folder you own).
#
# Usage: tools/install-data.sh     (needs network access to PyPI once, for the runtime)
set -euo pipefail
umask 022

root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -n "${XDG_DATA_HOME:-}" && "$XDG_DATA_HOME" == /* ]]; then
  base=$XDG_DATA_HOME
elif [[ -n "${HOME:-}" ]]; then
  base=$HOME/.local/share
else
  echo "install-data: neither XDG_DATA_HOME (absolute) nor HOME is set" >&2
  exit 1
fi
dest=$base/mitremap

uid=$(id -u)
gid=$(id -g)
# untrusted PATH IS_TARGET: prints why PATH cannot be trusted (as locate::PathFacts), if it cannot
untrusted() {
  local owner group mode
  read -r owner group mode < <(stat -L -c '%u %g %a' "$1")
  mode=$((8#$mode))
  local sticky=0
  [[ -d "$1" && "$2" == 0 ]] && ((mode & 8#1000)) && sticky=1
  if [[ "$owner" != "$uid" && "$owner" != 0 ]]; then
    echo "is owned by another user (uid $owner)"
  elif ((mode & 8#002)) && ((!sticky)); then
    echo "is writable by every user"
  elif ((mode & 8#020)) && ((!sticky)) && ! [[ "$group" == "$gid" && "$owner" == "$uid" ]]; then
    echo "is writable by group $group"
  fi
}
# check_tree PATH: PATH (or its deepest existing folder) and every folder above it
check_tree() {
  local p=$1 is_target=1
  while [[ ! -e "$p" ]]; do p=$(dirname "$p"); is_target=0; done
  p=$(readlink -f "$p")
  while :; do
    local why
    why=$(untrusted "$p" "$is_target")
    if [[ -n "$why" ]]; then
      echo "install-data: refusing to install into $dest: $p $why; mitremap would refuse to load from there" >&2
      exit 1
    fi
    [[ "$p" == / ]] && break
    p=$(dirname "$p")
    is_target=0
  done
}
check_tree "$dest"
for sub in lib models models/default; do
  [[ -e "$dest/$sub" ]] && check_tree "$dest/$sub"
done

"$root/tools/setup-ort.sh" >&2

mkdir -p "$dest/lib" "$dest/models"
chmod 0755 "$dest" "$dest/lib" "$dest/models"
tmp=$(mktemp -d "$dest/.install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
install -m 0755 "$root/.ort/lib/libonnxruntime.so" "$tmp/libonnxruntime.so"
mv -f "$tmp/libonnxruntime.so" "$dest/lib/libonnxruntime.so"
cp -R "$root/models/default" "$tmp/default"
chmod 0755 "$tmp/default"
chmod 0644 "$tmp/default/"*
if [[ -e "$dest/models/default" ]]; then
  mv "$dest/models/default" "$tmp/old"
fi
mv "$tmp/default" "$dest/models/default"
echo "installed ONNX Runtime to $dest/lib/ and the default model to $dest/models/default/"
