"""EDF/BDF recordings: `melodiasync features` reads pyedflib's bundled test files and its
per-channel band powers match scipy on the physical signals pyedflib reads (within 1 %)."""
import csv
import pathlib
import subprocess

import numpy as np
import pyedflib

from test_features_scipy import BANDS, scipy_band_powers

DATA = pathlib.Path(pyedflib.__file__).parent / "tests" / "data"


def features(cli, path, tmp_path, *extra):
    out = tmp_path / "frames.csv"
    subprocess.run([str(cli), "features", str(path), "--out", str(out), *extra], check=True,
                   capture_output=True, text=True)
    with open(out) as f:
        return list(csv.DictReader(f))


def test_edf_matches_pyedflib_and_scipy(cli, tmp_path):
    path = DATA / "test_generator.edf"
    reader = pyedflib.EdfReader(str(path))
    try:
        labels = reader.getSignalLabels()
        rate = reader.getSampleFrequency(0)
        data = np.stack([reader.readSignal(i) for i in range(reader.signals_in_file)])
    finally:
        reader.close()
    rows = features(cli, path, tmp_path, "--window", "2", "--hop", "5", "--per-channel")
    # The reader leaves out "pulse" (a label naming a cardiac signal; EEG is chosen by label).
    kept = [i for i, l in enumerate(labels) if f"{l}_delta_abs" in rows[0]]
    assert [labels[i] for i in kept] == [l for l in labels if l != "pulse"]
    labels, data = [labels[i] for i in kept], data[kept]
    win, hop = int(2 * rate), int(5 * rate)
    assert len(rows) == (data.shape[1] - win) // hop + 1
    for j, row in enumerate(rows[:20]):
        ref = scipy_band_powers(data[:, j * hop:j * hop + win], rate, win)
        for c, label in enumerate(labels):
            # The window's whole power (all frequencies): f32 leakage scales with it.
            total = np.var(data[c, j * hop:j * hop + win])
            for name in BANDS:
                got = float(row[f"{label}_{name}_abs"])
                want = ref[name][c]
                # Relative to the band, with floors for bands that hold (numerically) nothing:
                # 1e-6 of the window's power (f32 leakage), and 1e-12 µV² for flat stretches.
                tol = 0.01 * want + 1e-6 * total + 1e-12
                assert abs(got - want) <= tol, (label, name, got, want)


def test_bdf_reads_the_signals_at_the_common_rate(cli, tmp_path):
    path = DATA / "test_generator.bdf"
    reader = pyedflib.EdfReader(str(path))
    try:
        rates = reader.getSampleFrequencies()
        labels = reader.getSignalLabels()
    finally:
        reader.close()
    # Every signal has its own rate here; the reader keeps one and says nothing false.
    rows = features(cli, path, tmp_path, "--per-channel")
    kept = [k[:-len("_delta_abs")] for k in rows[0] if k.endswith("_delta_abs") and k != "delta_abs"]
    assert len(kept) == 1 and kept[0] in labels
    assert len(rows) > 0 and all(np.isfinite(float(r["quality"])) for r in rows)
    assert len(set(rates)) == len(rates)


def test_a_damaged_edf_gets_one_sentence(cli, tmp_path):
    bad = tmp_path / "bad.edf"
    bad.write_bytes((DATA / "test_generator.edf").read_bytes()[:300])
    proc = subprocess.run([str(cli), "features", str(bad), "--out", str(tmp_path / "o.csv")],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "bad.edf" in proc.stderr and proc.stderr.count("\n") == 1, proc.stderr
    assert not (tmp_path / "o.csv").exists()
