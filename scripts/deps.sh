#!/usr/bin/env bash
# Installs the Debian packages MelodiaSync builds and tests against, when any are missing.
# Safe to run repeatedly: it does nothing when everything is present. With --tests it also
# installs what only the tests use (Ardour).
set -euo pipefail

PKGS=(
  cmake g++ pkg-config                    # liblsl (bundled by the lsl crate) and C deps
  libasound2-dev libjack-jackd2-dev       # standalone audio backends
  libx11-dev libx11-xcb-dev libxcursor-dev libxrandr-dev libxi-dev libgl-dev
  libxkbcommon-dev libxkbcommon-x11-dev   # editor windowing (baseview/egui)
  python3 python3-venv python3-pip        # test references (pedalboard, pyloudnorm, scipy)
  xvfb imagemagick x11-utils              # editor screenshot test (virtual display, PNG capture)
  libgl1-mesa-dri libegl1 libegl-mesa0 libxkbcommon-x11-0   # Mesa software OpenGL for the editor
)
# Only the tests need these (`scripts/deps.sh --tests`, run by scripts/test.sh).
if [[ "${1:-}" == "--tests" ]]; then
  PKGS+=(ardour)                          # a real DAW for the VST3 tests (ardour7-lua, headless)
fi

# The Windows cross-build and its tests under Wine (`scripts/deps.sh --windows`, run by
# scripts/windows.sh; --tests includes them).
if [[ "${1:-}" == "--windows" || "${1:-}" == "--tests" ]]; then
  PKGS+=(gcc-mingw-w64-x86-64-posix g++-mingw-w64-x86-64-posix binutils-mingw-w64-x86-64 wine64)
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "Installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
