#!/usr/bin/env bash
# Builds MelodiaSync for 64-bit Windows on this Linux machine (cross-compiled with Debian's
# mingw-w64; the link settings are in .cargo/config.toml) and puts the results in
# target/windows/:
#   MelodiaSync.clap                               the CLAP plugin (one DLL)
#   MelodiaSync.vst3/Contents/x86_64-win/...       the VST3 bundle
#   melodiasync.exe                                the CLI and standalone app
#
#   scripts/windows.sh                 release build (what you install)
#   scripts/windows.sh --test-bundle   the tests' build (debug assertions, assert_process_allocs)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --windows
TARGET=x86_64-pc-windows-gnu
rustup target list --installed | grep -qx "$TARGET" || rustup target add "$TARGET"

if [[ "${1:-}" == "--test-bundle" ]]; then
  PROFILE=test-bundle
  ARGS=(--profile test-bundle --features assert_process_allocs)
else
  PROFILE=release
  ARGS=(--release)
fi
OUT=target/windows
if [[ "$PROFILE" == test-bundle ]]; then OUT=target/windows-test; fi

# nice-plug-xtask writes into target/bundled, which the Linux bundles share: build the
# Windows ones in a folder of their own, then move them out.
BUNDLED=target/bundled
STASH=""
if [ -e "$BUNDLED" ]; then
  STASH=$(mktemp -d target/bundled-linux.XXXX)
  mv "$BUNDLED" "$STASH/"
fi
restore() {
  rm -rf "$BUNDLED"
  if [ -n "$STASH" ]; then mv "$STASH/bundled" "$BUNDLED"; rmdir "$STASH"; fi
}
trap restore EXIT
cargo xtask bundle melodiasync "${ARGS[@]}" --target "$TARGET"
rm -rf "$OUT" && mkdir -p "$OUT"
cp "$BUNDLED/MelodiaSync.clap" "$OUT/"
cp -r "$BUNDLED/MelodiaSync.vst3" "$OUT/"
cp "target/$TARGET/$PROFILE/melodiasync.exe" "$OUT/"

# No mingw runtime DLLs may be needed beside the plugin (a DAW's folder has none).
for f in "$OUT/MelodiaSync.clap" "$OUT/MelodiaSync.vst3/Contents/x86_64-win/MelodiaSync.vst3" "$OUT/melodiasync.exe"; do
  if x86_64-w64-mingw32-objdump -p "$f" | grep -iE "DLL Name: (libstdc|libgcc|libwinpthread)"; then
    echo "error: $f needs a mingw runtime DLL (see the link settings in .cargo/config.toml)" >&2
    exit 1
  fi
done
echo "Windows build in $OUT/:"
ls -1 "$OUT"
