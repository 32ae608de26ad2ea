#!/usr/bin/env bash
# Quick start 1: render a one-minute demo soundscape (no headset needed) to demo.wav.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo run --release --bin melodiasync -- render --seconds 60 --relaxation-ramp 0.3:0.9 --out demo.wav "$@"
