"""The low-latency quadrature band power (`melodiasync features --estimator quadrature`)
against a causal reference built with scipy.signal from the method's description: a 2nd-order
Butterworth high-pass at 0.5 Hz, demodulation by exp(-j·2π·f0·t) at the band centre, a
Butterworth low-pass (order 3, 4 for bands wider than 6 Hz, 8 wider than 12 Hz) whose
noise-equivalent bandwidth is half the band, and power 2·|y|². Every sample of every channel
and band must agree.

Data: BrainFlow's synthetic board (an independent EEG generator with alpha, beta and noise
per channel) and noise plus sines. No recorded human EEG installs offline from PyPI or Debian
(mne, mne-bids, neurokit2, yasa, neurodsp, wfdb, biosppy, sleepecg and python3-mne were
checked: none ships a raw recording)."""
import numpy as np
import scipy.signal

from test_features_scipy import generate_synthetic, run_features

BANDS = {"delta": (1, 4), "theta": (4, 8), "alpha": (8, 13), "beta": (13, 30),
         "gamma": (30, 45), "smr": (12, 15), "highbeta": (20, 30)}


def order_for(width):
    return 8 if width > 12 else 4 if width > 6 else 3


def reference_power(x, rate, lo, hi):
    """Band power of one channel at every sample, µV²."""
    hp = scipy.signal.butter(2, 0.5, "highpass", fs=rate, output="sos")
    x = scipy.signal.sosfilt(hp, x)
    n = order_for(hi - lo)
    enbw = (np.pi / (2 * n)) / np.sin(np.pi / (2 * n))
    fc = 0.5 * (hi - lo) / enbw
    lp = scipy.signal.butter(n, fc, "lowpass", fs=rate, output="sos")
    t = np.arange(x.size) / rate
    z = x * np.exp(-2j * np.pi * 0.5 * (lo + hi) * t)
    y = scipy.signal.sosfilt(lp, z.real) + 1j * scipy.signal.sosfilt(lp, z.imag)
    return 2 * np.abs(y) ** 2


def compare(cli, tmp_path, labels, data, rate):
    rows = run_features(cli, tmp_path, labels, data, rate, "--estimator", "quadrature",
                        "--hop", str(1 / rate), "--per-channel")
    return compare_rows(rows, labels, data, rate)


def compare_rows(rows, labels, data, rate):
    """Largest difference of the CLI's per-channel rows from the reference, relative to each
    band's typical power; fails above 1e-4."""
    assert len(rows) > rate * 5
    ks = np.array([int(round(float(row["time"]) * rate)) for row in rows])
    worst = 0.0
    compared = 0
    for c, label in enumerate(labels):
        for name, (lo, hi) in BANDS.items():
            ref = reference_power(data[c], rate, lo, hi)
            got = np.array([float(row[f"{label}_{name}_abs"]) for row in rows])
            # Relative to the band's typical power, so near-zero instants do not inflate the
            # error of a value that is off by float rounding only. The floor, 1e-7 of the
            # channel's variance (-70 dB), is for bands a test signal leaves empty: there both
            # sides hold only what the filters' deep stopbands pass, which depends on
            # coefficient rounding.
            scale = ref[rate:].mean() + 1e-7 * np.var(data[c])
            worst = max(worst, float(np.max(np.abs(got - ref[ks])) / scale))
            compared += got.size
    assert compared > 10_000
    # f32 output against f64: agreement to a few parts in 10^5 of the band's power.
    assert worst < 1e-4, f"largest difference from the scipy reference: {worst:.2e}"
    return worst


def test_noise_and_sines_match_the_scipy_reference(cli, tmp_path):
    rate = 256
    rng = np.random.default_rng(5)
    t = np.arange(12 * rate) / rate
    labels = ["F3", "F4", "O1", "O2"]
    data = np.stack([
        8 * rng.standard_normal(t.size) + 15 * np.sin(2 * np.pi * (9.5 + 0.5 * c) * t)
        + 6 * np.sin(2 * np.pi * 6 * t + c) + 4 * np.sin(2 * np.pi * 24 * t) + 20
        for c in range(len(labels))
    ])
    compare(cli, tmp_path, labels, data, rate)


def test_brainflow_synthetic_board_matches_the_scipy_reference(cli, tmp_path):
    from brainflow.board_shim import BoardIds, BoardShim
    board_id = BoardIds.SYNTHETIC_BOARD.value
    data = generate_synthetic(board_id, seconds=10)
    eeg = data[BoardShim.get_eeg_channels(board_id)][:8]
    rate = BoardShim.get_sampling_rate(board_id)
    labels = [f"S{c}" for c in range(eeg.shape[0])]
    compare(cli, tmp_path, labels, eeg, rate)


def test_an_edf_file_read_by_the_cli_matches_the_scipy_reference(cli, tmp_path):
    # A real file as a recorder writes it (pyedflib's bundled EDF: sines, ramps, pulses and
    # noise at 200 Hz), read by the CLI itself; the reference runs on the physical signals
    # pyedflib reads.
    import csv
    import pathlib
    import subprocess

    import pyedflib
    path = pathlib.Path(pyedflib.__file__).parent / "tests" / "data" / "test_generator.edf"
    reader = pyedflib.EdfReader(str(path))
    try:
        labels = reader.getSignalLabels()
        rate = int(reader.getSampleFrequency(0))
        data = np.stack([reader.readSignal(i) for i in range(reader.signals_in_file)])
    finally:
        reader.close()
    out = tmp_path / "frames.csv"
    # Every 10th sample: the file is 10 minutes long, and the filters run on every sample
    # between frames anyway.
    subprocess.run([str(cli), "features", str(path), "--out", str(out), "--estimator",
                    "quadrature", "--hop", str(10 / rate), "--per-channel"], check=True,
                   capture_output=True, text=True)
    with open(out) as f:
        rows = list(csv.DictReader(f))
    # The reader leaves out "pulse": the label names a cardiac signal, and its EEG choice
    # is by label (README, Recordings). Everything else is compared.
    kept = [i for i, l in enumerate(labels) if f"{l}_delta_abs" in rows[0]]
    assert [labels[i] for i in kept] == [l for l in labels if l != "pulse"]
    compare_rows(rows, [labels[i] for i in kept], data[kept], rate)
