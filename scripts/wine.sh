#!/usr/bin/env bash
# Runs a Windows program under Wine in the project's own Wine prefix (target/wine), made on
# first use: headless, quiet, with the test-only bcryptprimitives.dll stand-in that Debian's
# Wine 8 lacks (tests/wine/bcryptprimitives.c). `cargo test --target x86_64-pc-windows-gnu`
# uses this as its runner (.cargo/config.toml).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export WINEPREFIX="${WINEPREFIX:-$ROOT/target/wine}"
export WINEDEBUG="${WINEDEBUG:--all}"
# No display: Wine must not try to start its desktop for console programs.
export DISPLAY="${MELODIASYNC_WINE_DISPLAY:-}"
WINE=/usr/lib/wine/wine64
SHIM="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$SHIM" ]; then
  mkdir -p "$WINEPREFIX"
  "$WINE" wineboot --init >/dev/null 2>&1 || true
  /usr/lib/wine/wineserver --wait || true
  x86_64-w64-mingw32-gcc-posix -O2 -shared -o "$SHIM" \
    "$ROOT/tests/wine/bcryptprimitives.c" "$ROOT/tests/wine/bcryptprimitives.def" -lbcrypt
fi
exec "$WINE" "$@"
