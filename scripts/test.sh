#!/usr/bin/env bash
# Quick start 2: every test. Installs what is missing, builds the test bundles (with
# assert_process_allocs), runs the Rust tests (unit, CLAP host, render) and the Python tests
# (VST3 in pedalboard, loudness against pyloudnorm), and the Windows build under Wine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh --tests

echo "== format and lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== test bundles (CLAP + VST3, debug assertions + assert_process_allocs)"
cargo xtask bundle melodiasync --profile test-bundle --features assert_process_allocs
rm -rf target/test-bundles && mkdir -p target/test-bundles
cp -r target/bundled/MelodiaSync.clap target/bundled/MelodiaSync.vst3 target/test-bundles/

echo "== Rust tests (profile test-bundle: optimised, with debug assertions; shares its build with the bundles)"
cargo test --workspace --profile test-bundle

echo "== Windows: the cross-built bundles and CLI (scripts/windows.sh), their tests under Wine"
# A new machine has neither the compilers nor the Rust target yet.
scripts/deps.sh --windows
rustup target list --installed | grep -qx x86_64-pc-windows-gnu || rustup target add x86_64-pc-windows-gnu
cargo clippy --target x86_64-pc-windows-gnu --workspace --all-targets --quiet -- -D warnings
scripts/windows.sh --test-bundle
# The Windows clack-host harness loads the Windows .clap (a Wine path to it); unit, feature
# and recording tests run as Windows programs too (cargo's runner is scripts/wine.sh).
MELODIASYNC_CLAP="Z:$(realpath target/windows-test/MelodiaSync.clap | tr / '\\')" \
  cargo test --profile test-bundle --target x86_64-pc-windows-gnu --lib --test features \
  --test recordings --test clap_host --test clap_presets --test transport --test clap_feedback

echo "== macOS: type check (no macOS SDK here, so liblsl's C++ is not built: its link line is given)"
rustup target list --installed | grep -qx x86_64-apple-darwin || rustup target add x86_64-apple-darwin
cargo check --quiet --target x86_64-apple-darwin --lib --bins \
  --config 'target.x86_64-apple-darwin.lsl.rustc-link-lib=["lsl"]'

echo "== Python tests"
VENV=target/venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
"$VENV/bin/python" -m pytest -q tests/python
