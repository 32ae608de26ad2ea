#!/usr/bin/env bash
# Quick start 2: every test. Installs what is missing, builds the test bundles (with
# assert_process_allocs), runs the Rust tests (unit, CLAP host, render) and the Python tests
# (VST3 in pedalboard, loudness against pyloudnorm).
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

echo "== Python tests"
VENV=target/venv
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt
"$VENV/bin/python" -m pytest -q tests/python
