#!/usr/bin/env python3
"""Feature-extraction speed: MelodiaSync vs scipy, MNE and BrainFlow on identical data.

8 channels x 256 Hz x 10 minutes of generated EEG, 1 s windows every 16 samples; every tool
computes a Welch PSD (Hann, 256-point) per channel-window and the band powers of the seven
standard bands. Prints channel-windows per second for each and MelodiaSync's ratio to the
fastest peer, plus MelodiaSync's 64-channel x 1 kHz core share.

Peers run as a live neurofeedback loop must use them: one call per frame (all channels of the
newest window), because the next window does not exist yet. For transparency the script also
times scipy vectorised over the whole file at once, which only an offline analysis can do.

Run: target/venv/bin/pip install -r bench/requirements.txt
     target/venv/bin/python bench/features_vs_peers.py
"""
import json
import pathlib
import subprocess
import sys
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
RATE, CHANNELS, SECONDS, WIN, HOP = 256, 8, 600, 256, 16
BANDS = [(1, 4), (4, 8), (8, 13), (13, 30), (30, 45), (12, 15), (20, 30)]


def make_data():
    rng = np.random.default_rng(1)
    t = np.arange(RATE * SECONDS) / RATE
    brown = np.cumsum(rng.standard_normal((CHANNELS, t.size)), axis=1) * 0.2
    brown -= np.mean(brown, axis=1, keepdims=True)
    alpha = 10 * np.sin(2 * np.pi * (9.5 + 0.1 * np.arange(CHANNELS))[:, None] * t)
    return (brown + alpha + 2 * rng.standard_normal((CHANNELS, t.size))).astype(np.float64)


def windows(data, limit=None):
    v = np.lib.stride_tricks.sliding_window_view(data, WIN, axis=1)[:, ::HOP]
    return v if limit is None else v[:, :limit]


FRAMES = 3000  # frames per streaming peer run: enough for a stable rate, short enough to wait for


def frame(data, j):
    return np.ascontiguousarray(data[:, j * HOP:j * HOP + WIN])


def bench_scipy_streaming(data):
    import scipy.integrate
    import scipy.signal
    start = time.perf_counter()
    for j in range(FRAMES):
        f, p = scipy.signal.welch(frame(data, j), fs=RATE, window="hann", nperseg=WIN,
                                  detrend="constant", axis=-1)
        for lo, hi in BANDS:
            m = (f >= lo) & (f <= hi)
            scipy.integrate.trapezoid(p[..., m], f[m], axis=-1)
    return FRAMES * CHANNELS / (time.perf_counter() - start)


def bench_mne_streaming(data):
    import mne
    mne.set_log_level("ERROR")
    start = time.perf_counter()
    for j in range(FRAMES):
        p, f = mne.time_frequency.psd_array_welch(frame(data, j), sfreq=RATE, fmin=0,
                                                  fmax=RATE / 2, n_fft=WIN, n_per_seg=WIN,
                                                  window="hann", verbose=False)
        for lo, hi in BANDS:
            m = (f >= lo) & (f <= hi)
            np.trapezoid(p[..., m], f[m], axis=-1)
    return FRAMES * CHANNELS / (time.perf_counter() - start)


def bench_brainflow_streaming(data):
    from brainflow.data_filter import DataFilter
    chans = list(range(CHANNELS))
    start = time.perf_counter()
    for j in range(FRAMES):
        DataFilter.get_custom_band_powers(frame(data, j), BANDS, chans, RATE, False)
    return FRAMES * CHANNELS / (time.perf_counter() - start)


def bench_scipy_batch(data):
    import scipy.integrate
    import scipy.signal
    w = windows(data)
    start = time.perf_counter()
    f, p = scipy.signal.welch(w, fs=RATE, window="hann", nperseg=WIN, detrend="constant", axis=-1)
    for lo, hi in BANDS:
        m = (f >= lo) & (f <= hi)
        scipy.integrate.trapezoid(p[..., m], f[m], axis=-1)
    return w.shape[0] * w.shape[1] / (time.perf_counter() - start)


def bench_melodiasync(data, csv_path):
    if not csv_path.exists():
        with open(csv_path, "w") as f:
            f.write(",".join(f"E{c}" for c in range(CHANNELS)) + "\n")
            np.savetxt(f, data.T, delimiter=",", fmt="%.6f")
    exe = ROOT / "target/release/melodiasync"
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "melodiasync"], cwd=ROOT, check=True)
    out = subprocess.run([str(exe), "bench", "features", str(csv_path), "--rate", str(RATE),
                          "--hop-samples", str(HOP), "--json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    data = make_data()
    out_dir = ROOT / "target/bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    results = {}
    for name, fn in [("scipy.signal.welch", bench_scipy_streaming),
                     ("mne psd_array_welch", bench_mne_streaming),
                     ("BrainFlow get_custom_band_powers", bench_brainflow_streaming)]:
        results[name] = max(fn(data) for _ in range(3))
    batch = max(bench_scipy_batch(data) for _ in range(3))
    ours = bench_melodiasync(data, out_dir / "features_bench.csv")
    fastest = max(results.values())
    print(f"{'streaming (one call per frame)':<40}{'windows/s':>14}")
    for name, wps in results.items():
        print(f"  {name:<38}{wps:>14,.0f}")
    print(f"  {'melodiasync (Extractor::push)':<38}{ours['windows_per_second']:>14,.0f}")
    print(f"ratio to the fastest streaming peer: {ours['windows_per_second'] / fastest:.1f}x "
          f"(target >= 20x)")
    print(f"offline only: scipy vectorised over the whole file: {batch:,.0f} windows/s "
          f"(melodiasync/that = {ours['windows_per_second'] / batch:.1f}x)")
    print(f"64 channels x 1 kHz at 64 frames/s: "
          f"{100 * ours['core_share_64ch_1khz_64hz_welch']:.2f} % of one core with Welch, "
          f"{100 * ours['core_share_64ch_1khz_64hz_quadrature']:.2f} % with the quadrature "
          f"filters (target < 5 %)")


if __name__ == "__main__":
    sys.exit(main())
