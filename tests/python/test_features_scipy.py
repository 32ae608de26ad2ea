"""`melodiasync features` against scipy: for the same data, each frame's band powers equal
scipy.signal.welch (Hann, mean detrend, density scaling) integrated with the trapezoidal rule
over the band, within 1 %. Data: noise + sines, and a recording from BrainFlow's synthetic
board (an independent EEG generator)."""
import csv
import subprocess

import numpy as np
import scipy.integrate
import scipy.signal

BANDS = {"delta": (1, 4), "theta": (4, 8), "alpha": (8, 13), "beta": (13, 30),
         "gamma": (30, 45), "smr": (12, 15), "highbeta": (20, 30)}


def write_csv(path, labels, data):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(labels)
        w.writerows(data.T.tolist())


def run_features(cli, tmp_path, labels, data, rate, *extra):
    src, out = tmp_path / "in.csv", tmp_path / "frames.csv"
    write_csv(src, labels, data)
    subprocess.run([str(cli), "features", str(src), "--rate", str(rate), "--out", str(out),
                    *extra], check=True, capture_output=True, text=True)
    with open(out) as f:
        return list(csv.DictReader(f))


def scipy_band_powers(window, rate, segment):
    f, p = scipy.signal.welch(window, fs=rate, window="hann", nperseg=segment,
                              noverlap=segment // 2, detrend="constant", scaling="density",
                              axis=-1)
    out = {}
    for name, (lo, hi) in BANDS.items():
        m = (f >= lo) & (f <= hi)
        out[name] = scipy.integrate.trapezoid(p[..., m], f[m], axis=-1)
    return out


def compare(rows, data, rate, window_s, hop_s, segment_s, labels):
    win, hop, seg = int(window_s * rate), int(round(hop_s * rate)), int(segment_s * rate)
    assert len(rows) == (data.shape[1] - win) // hop + 1
    worst = 0.0
    for j, row in enumerate(rows):
        ref = scipy_band_powers(data[:, j * hop:j * hop + win], rate, seg)
        assert row["valid"] == "1", row
        # The montage is the mean over the channels that passed the quality checks (the
        # synthetic board's later channels exceed the ±150 µV amplitude limit by design).
        excluded = set(filter(None, row["excluded"].split(";")))
        kept = [c for c, label in enumerate(labels) if label not in excluded]
        assert kept, row
        for name in BANDS:
            want = ref[name][kept].mean()
            got = float(row[f"{name}_abs"])
            worst = max(worst, abs(got / want - 1))
            for c, label in enumerate(labels):
                got_c = float(row[f"{label}_{name}_abs"])
                worst = max(worst, abs(got_c / ref[name][c] - 1))
    assert worst < 0.01, f"largest relative difference from scipy: {worst:.4%}"
    return worst


def test_noise_and_sines_match_scipy(cli, tmp_path):
    rate = 256
    rng = np.random.default_rng(7)
    t = np.arange(20 * rate) / rate
    labels = ["Fz", "Cz", "Pz", "O1"]
    data = np.stack([
        8 * rng.standard_normal(t.size) + 12 * np.sin(2 * np.pi * (9 + c) * t)
        + 5 * np.sin(2 * np.pi * 21.5 * t + c) + 3 * np.sin(2 * np.pi * 2.2 * t)
        for c in range(len(labels))
    ])
    for window, segment in [(1.0, 1.0), (4.0, 2.0)]:
        rows = run_features(cli, tmp_path, labels, data, rate, "--window", str(window),
                            "--segment", str(segment), "--hop", "0.25", "--per-channel")
        compare(rows, data, rate, window, 0.25, segment, labels)


def test_brainflow_synthetic_recording_matches_scipy(cli, tmp_path):
    from brainflow.board_shim import BoardIds, BoardShim
    board_id = BoardIds.SYNTHETIC_BOARD.value
    data = generate_synthetic(board_id, seconds=12)
    eeg = data[BoardShim.get_eeg_channels(board_id)][:8]
    rate = BoardShim.get_sampling_rate(board_id)
    labels = [f"S{c}" for c in range(eeg.shape[0])]
    rows = run_features(cli, tmp_path, labels, eeg, rate, "--window", "2", "--segment", "1",
                        "--hop", "0.5", "--per-channel")
    compare(rows, eeg, rate, 2.0, 0.5, 1.0, labels)


def generate_synthetic(board_id, seconds):
    """Streams BrainFlow's synthetic board for `seconds` and returns its buffer."""
    import time
    from brainflow.board_shim import BoardShim, BrainFlowInputParams
    BoardShim.disable_board_logger()
    board = BoardShim(board_id, BrainFlowInputParams())
    board.prepare_session()
    try:
        board.start_stream()
        time.sleep(seconds)
        data = board.get_board_data()
        board.stop_stream()
    finally:
        board.release_session()
    return data
