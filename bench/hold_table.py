"""Issue 27's measurement, as a user meets it: a recording file through the CLI renderer.

Writes the issue's recording (6 channels at 250 Hz, a 7 uV pink background, a 9.5 Hz rhythm at
3 uV rising to 15 uV at 60 s, held for two minutes, back to 3 uV at 180 s) as CSV with numpy,
renders it with `melodiasync render --program calm --log` for each CLI given, and prints the
session log's alpha_rel, reward, mod_warmth and in_target at the issue's times (1 s means), then
the hold figures: the share of the warmth's rise left 90-120 s into the hold, the share of the
hold in target, and the largest 5 s distance from the old level 20-60 s after the return.

    target/venv/bin/python bench/hold_table.py path/to/melodiasync [another/melodiasync ...]
"""

import csv
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

RATE = 250.0
SECONDS = 240.0
UP, DOWN = 60.0, 180.0
TIMES = [50, 61, 65, 70, 80, 100, 120, 150, 179, 181, 190, 220]
LABELS = ["Fp1", "Fp2", "F3", "F4", "C3", "C4"]


def pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance 1/f noise by shaping white noise's spectrum."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / RATE)
    spec[1:] /= np.sqrt(f[1:])
    spec[0] = 0.0
    x = np.fft.irfft(spec, n)
    return x / x.std()


def write_recording(path: Path, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    n = int(SECONDS * RATE)
    t = np.arange(n) / RATE
    amp = np.where((t >= UP) & (t < DOWN), 15.0, 3.0)
    cols = []
    for _ in LABELS:
        phase = rng.uniform(0, 2 * np.pi)
        cols.append(7.0 * pink(n, rng) + amp * np.sin(2 * np.pi * 9.5 * t + phase))
    data = np.column_stack([t] + cols)
    header = "time," + ",".join(LABELS)
    np.savetxt(path, data, delimiter=",", header=header, comments="", fmt="%.6f")


def read_log(path: Path) -> dict:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    cols = {k: np.array([float(r[k]) if r[k] not in ("", "NaN") else np.nan for r in rows])
            for k in ("audio_time_s", "alpha_rel", "reward", "mod_warmth", "in_target")}
    return cols


def mean_in(log: dict, key: str, a: float, b: float) -> float:
    sel = (log["audio_time_s"] >= a) & (log["audio_time_s"] < b)
    return float(np.nanmean(log[key][sel]))


def main() -> None:
    clis = sys.argv[1:]
    if not clis:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as tmp:
        rec = Path(tmp) / "hold.csv"
        write_recording(rec)
        for cli in clis:
            log_path = Path(tmp) / "session.csv"
            subprocess.run(
                [cli, "render", "--eeg", str(rec), "--program", "calm",
                 "--seconds", str(SECONDS), "--out", str(Path(tmp) / "out.wav"),
                 "--log", str(log_path)],
                check=True, capture_output=True)
            log = read_log(log_path)
            print(f"== {cli}")
            print("| time | " + " | ".join(f"{t} s" for t in TIMES) + " |")
            print("|---" * (len(TIMES) + 1) + "|")
            for key in ("alpha_rel", "reward", "mod_warmth", "in_target"):
                vals = [mean_in(log, key, t - 0.5, t + 0.5) for t in TIMES]
                fmt = (lambda v: f"{v:.0f}") if key == "in_target" else (lambda v: f"{v:.2f}")
                print(f"| `{key}` | " + " | ".join(fmt(v) for v in vals) + " |")
            before = mean_in(log, "mod_warmth", UP - 10, UP)
            rise = mean_in(log, "mod_warmth", UP + 1, UP + 4) - before
            held = (mean_in(log, "mod_warmth", UP + 90, UP + 120) - before) / rise
            in_target = mean_in(log, "in_target", UP, DOWN)
            settle = max(abs(mean_in(log, "mod_warmth", a, a + 5) - before) / rise
                         for a in np.arange(DOWN + 20, DOWN + 60, 5.0))
            print(f"held {100 * held:.0f} % of the rise 90-120 s in, in target "
                  f"{100 * in_target:.0f} % of the hold, within {100 * settle:.0f} % of the old "
                  f"level 20-60 s after the return")


if __name__ == "__main__":
    main()
