#!/usr/bin/env bash
# Quick start 1: a one-minute EEG-shaped session from the built-in EEG simulator (no headset
# needed): eyes open 20 s, eyes closed 20 s (alpha bursts, the Calm program rewards them and the
# sound warms, opens and chimes), eyes open again; the heart simulator beats beside it, so the
# summary shows the EEG's bands and the heart's HR, RMSSD, coherence and breathing rate. Writes
# demo.wav, demo-session.csv and demo-session.summary.json.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cargo run --release --bin melodiasync -- render --seconds 60 --eeg sim:eyes-closed --heart sim --program calm \
  --out demo.wav --log demo-session.csv "$@"
