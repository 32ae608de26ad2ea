"""Recordings through the CLI, against independent readers: every case file in
tests/data/recordings gives its right answer from `melodiasync features` and `render --eeg`;
pyxdf's reading of the XDF files, written out as CSV, gives the CLI the same frames as the XDF
itself; a mixed-rate EDF written by pyedflib is analysed on its EEG only."""
import csv
import pathlib
import subprocess

import numpy as np
import pyedflib
import pyxdf
import pytest

CASES = pathlib.Path(__file__).resolve().parents[1] / "data" / "recordings"

# file -> (channels, rate, band that holds the 10 Hz or 6 Hz rhythm, words the reader says)
EXPECTED = {
    "01-edfplus-discontinuous.edf": (4, 256, None, ["EDF+D", "9.00 s missing in 1 gap"]),
    "05-edf-nrecords-minus1.edf": (4, 256, "alpha", ["number of records"]),
    "06-edf-truncated.edf": (4, 256, "alpha", ["7 of the 10 records"]),
    "09-edf-latin1-header.edf": (4, 256, "alpha", ["EEG signals used"]),
    "10c-edf-eeg256-aux128.edf": (2, 256, "alpha", ["EEG C3-A2, EEG C4-A1", "Pleth (pulse)"]),
    "11-openbci-gui-raw.txt": (8, 250, "alpha", ["OpenBCI GUI export"]),
    "13-csv-utf8-bom.csv": (2, 256, "alpha", ["O1, O2 at 256"]),
    "16-csv-ms-timestamps-256hz.csv": (2, 256, "alpha", ["at 256 Hz"]),
    "17f-xdf-zeros-midfile-then-boundary.xdf": (4, 256, "alpha", ["damaged bytes"]),
    "19-xdf-clock-reset.xdf": (4, 256, None, ["clock jumps back"]),
    "20-xdf-nominal-vs-effective-rate.xdf": (4, 125, "alpha", ["declares 250 Hz but its timestamps show 125 Hz"]),
    "25a-edfplus-incomplete-subfields.edf": (4, 256, "alpha", ["EDF+C"]),
    "28-xdf-two-eeg-streams.xdf": (8, 500, "theta", ["'EEG114'", "'EEG115'", "--stream"]),
}


def features(cli, path, tmp_path, *extra):
    out = tmp_path / "frames.csv"
    proc = subprocess.run([str(cli), "features", str(path), "--out", str(out), *extra],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    with open(out) as f:
        return list(csv.DictReader(f)), proc.stdout, proc.stderr


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_case_file_gives_its_right_answer_through_the_cli(cli, tmp_path, name):
    channels, rate, band, said = EXPECTED[name]
    rows, out, err = features(cli, CASES / name, tmp_path)
    assert f"from {channels} channels at {rate} Hz" in out, out
    for words in said:
        assert words in err, err
    assert rows
    if band:
        assert all(float(r[f"{band}_rel"]) > 0.9 for r in rows), name
    if band == "alpha":
        mean = np.mean([float(r["alpha_abs"]) for r in rows])
        assert 185 < mean < 215, mean
    if name.startswith("01"):
        # Before the gap alpha, after it theta, at the record times; none mixed.
        for r in rows:
            a, t = float(r["alpha_rel"]), float(r["theta_rel"])
            assert (a > 0.9) != (t > 0.9) and (a > 0.9) == (float(r["time"]) < 4.0), r
    if name.startswith("19"):
        kinds = ["alpha" if float(r["alpha_rel"]) > 0.9 else "theta" for r in rows]
        switch = kinds.index("theta")
        assert set(kinds[:switch]) == {"alpha"} and set(kinds[switch:]) == {"theta"}


def test_a_render_says_what_it_read_and_plays_the_chosen_stream(cli, tmp_path):
    proc = subprocess.run([str(cli), "render", "--eeg", str(CASES / "28-xdf-two-eeg-streams.xdf"),
                           "--eeg-stream", "EEG115", "--program", "calm", "--seconds", "5",
                           "--out", str(tmp_path / "r.wav"), "--log", str(tmp_path / "r.csv")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "read stream 'EEG115'" in proc.stderr, proc.stderr
    with open(tmp_path / "r.csv") as f:
        rows = list(csv.DictReader(f))
    late = [r for r in rows if float(r["audio_time_s"]) > 2.0]
    assert late and all(float(r["alpha_rel"]) > 0.9 for r in late)


@pytest.mark.parametrize("name", ["17f-xdf-zeros-midfile-then-boundary.xdf",
                                  "20-xdf-nominal-vs-effective-rate.xdf",
                                  "28-xdf-two-eeg-streams.xdf"])
def test_pyxdf_reads_the_same_samples_and_times(cli, tmp_path, name):
    streams, _ = pyxdf.load_xdf(str(CASES / name), synchronize_clocks=True,
                                dejitter_timestamps=False)
    stream = streams[0]  # pyxdf keeps file order too: the first EEG stream
    labels = [c["label"][0] for c in stream["info"]["desc"][0]["channels"][0]["channel"]]
    path = tmp_path / "pyxdf.csv"
    with open(path, "w") as f:
        f.write("time," + ",".join(labels) + "\n")
        for t, row in zip(stream["time_stamps"], stream["time_series"]):
            f.write(repr(float(t)) + "," + ",".join(repr(float(v)) for v in row) + "\n")
    direct, out_direct, _ = features(cli, CASES / name, tmp_path)
    via, out_via, _ = features(cli, path, tmp_path)
    assert out_direct == out_via
    assert len(direct) == len(via)
    for a, b in zip(direct, via):
        assert abs(float(a["time"]) - float(b["time"])) < 1e-5
        for band in ["theta_abs", "alpha_abs", "beta_abs"]:
            assert abs(float(a[band]) - float(b[band])) <= 1e-4 * max(1.0, abs(float(b[band])))


def test_a_mixed_rate_edf_from_pyedflib_is_analysed_on_its_eeg(cli, tmp_path):
    # EEG at 256 Hz; ECG, respiration and EMG at 512 Hz, the most common rate.
    path = tmp_path / "mixed.edf"
    signals = [("EEG Fz-Cz", 256, "uV"), ("EEG Pz-Oz", 256, "uV"), ("ECG", 512, "mV"),
               ("Resp chest", 512, "uV"), ("EMG submental", 512, "uV")]
    seconds = 10
    writer = pyedflib.EdfWriter(str(path), len(signals), file_type=pyedflib.FILETYPE_EDFPLUS)
    headers, data = [], []
    rng = np.random.default_rng(3)
    for label, rate, unit in signals:
        t = np.arange(seconds * rate) / rate
        freq = 10.0 if label.startswith("EEG") else 3.0
        data.append(20 * np.sin(2 * np.pi * freq * t) + rng.normal(0, 2, t.size))
        headers.append({"label": label, "dimension": unit, "sample_frequency": rate,
                        "physical_max": 200.0, "physical_min": -200.0,
                        "digital_max": 32767, "digital_min": -32768})
    writer.setSignalHeaders(headers)
    writer.writeSamples(data)
    writer.close()
    rows, out, err = features(cli, path, tmp_path, "--per-channel")
    assert "from 2 channels at 256 Hz" in out, out
    assert "ECG (heart)" in err and "Resp chest (breathing)" in err, err
    assert all(float(r["alpha_rel"]) > 0.9 for r in rows)
    # The values agree with pyedflib's physical signals (Welch, 1 s window).
    from test_features_scipy import scipy_band_powers
    first = rows[0]
    ref = scipy_band_powers(np.stack(data[:2])[:, :256], 256, 256)
    for c, label in enumerate(["EEG Fz-Cz", "EEG Pz-Oz"]):
        got = float(first[f"{label}_alpha_abs"])
        assert abs(got - ref["alpha"][c]) <= 0.01 * ref["alpha"][c] + 0.05, (label, got, ref["alpha"][c])


@pytest.mark.parametrize("name", ["05-edf-nrecords-minus1.edf", "06-edf-truncated.edf",
                                  "09-edf-latin1-header.edf", "10c-edf-eeg256-aux128.edf",
                                  "25a-edfplus-incomplete-subfields.edf"])
def test_mne_reads_the_same_edf_signals(cli, tmp_path, name):
    # MNE as the independent reader: the CLI's per-channel alpha equals scipy's on the
    # signals MNE reads, window by window, for the signals the CLI chose.
    import mne
    from test_features_scipy import scipy_band_powers
    mne.set_log_level("ERROR")
    raw = mne.io.read_raw_edf(str(CASES / name), preload=True)
    rate = int(raw.info["sfreq"])
    rows, _, _ = features(cli, CASES / name, tmp_path, "--per-channel", "--hop", "1")
    kept = [l for l in raw.ch_names if f"{l}_alpha_abs" in rows[0]]
    assert kept and len(rows) == raw.n_times // rate
    data = raw.get_data(picks=kept) * 1e6  # V -> µV
    for j, row in enumerate(rows):
        ref = scipy_band_powers(data[:, j * rate:(j + 1) * rate], rate, rate)
        for c, label in enumerate(kept):
            got, want = float(row[f"{label}_alpha_abs"]), ref["alpha"][c]
            assert abs(got - want) <= 0.01 * want, (label, j, got, want)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_case_file_renders_and_says_what_it_read(cli, tmp_path, name):
    proc = subprocess.run([str(cli), "render", "--eeg", str(CASES / name), "--program", "calm",
                           "--seconds", "12", "--out", str(tmp_path / "r.wav")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.startswith("read "), proc.stderr
    for words in EXPECTED[name][3]:
        assert words in proc.stderr, proc.stderr
    # Every case file is shorter than 12 s of data or has a gap: where the EEG ends, the
    # render says so rather than going quiet about it.
    if name.startswith(("05", "06", "09", "10c", "13", "16", "17f", "25a")):
        assert "the recording ends at" in proc.stderr, proc.stderr


def test_a_short_recording_gets_a_baseline_length_that_fits(cli, tmp_path):
    path = CASES / "05-edf-nrecords-minus1.edf"
    proc = subprocess.run([str(cli), "calibrate", "--eeg", str(path), "--seconds", "20",
                           "--out", str(tmp_path / "c.json")], capture_output=True, text=True)
    assert proc.returncode != 0 and "ended after 9.0 s of clean frames" in proc.stderr, proc.stderr
    fits = proc.stderr.split("--seconds ")[1].split(".")[0]
    proc = subprocess.run([str(cli), "calibrate", "--eeg", str(path), "--seconds", fits,
                           "--out", str(tmp_path / "c.json")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def test_a_gap_in_the_recording_is_time_without_eeg_in_the_summary(cli, tmp_path):
    import json
    log = tmp_path / "s.csv"
    proc = subprocess.run([str(cli), "render", "--eeg", str(CASES / "01-edfplus-discontinuous.edf"),
                           "--program", "calm", "--seconds", "16", "--out", str(tmp_path / "r.wav"),
                           "--log", str(log)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads((tmp_path / "s.summary.json").read_text())
    # 9 s missing at 3 s, plus the 1 s window refilling after it.
    assert summary["gaps"] == 1 and 9.0 <= summary["without_eeg_s"] <= 10.1, summary
    with open(log) as f:
        times = [float(r["audio_time_s"]) for r in csv.DictReader(f)]
    steps = np.diff(times)
    assert abs(steps.max() - summary["without_eeg_s"]) < 1e-6
    # A render that ends inside the gap says so.
    proc = subprocess.run([str(cli), "render", "--eeg", str(CASES / "01-edfplus-discontinuous.edf"),
                           "--program", "calm", "--seconds", "8", "--out", str(tmp_path / "r.wav")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "ends inside a gap in the recording: no EEG after 3.0 s" in proc.stderr, proc.stderr


def test_a_recording_with_no_usable_frame_says_why(cli, tmp_path):
    path = tmp_path / "zeros.edf"
    writer = pyedflib.EdfWriter(str(path), 2, file_type=pyedflib.FILETYPE_EDF)
    writer.setSignalHeaders([{"label": l, "dimension": "uV", "sample_frequency": 256,
                              "physical_max": 200.0, "physical_min": -200.0,
                              "digital_max": 32767, "digital_min": -32768} for l in ["O1", "O2"]])
    writer.writeSamples([np.zeros(256 * 5), np.zeros(256 * 5)])
    writer.close()
    rows, out, err = features(cli, path, tmp_path)
    assert "(0 valid)" in out
    assert "none of the" in err and "flat signals in 100 %" in err, err


def test_an_edf_exported_by_mne_is_read_with_its_eeg_chosen_by_site(cli, tmp_path):
    # MNE (through edfio) writes plain labels with no type prefix: the 10-10 sites choose the
    # EEG, and the values equal scipy's on the signals MNE put in the file.
    import mne
    from test_features_scipy import scipy_band_powers
    mne.set_log_level("ERROR")
    rate, seconds = 200, 10
    t = np.arange(rate * seconds) / rate
    rng = np.random.default_rng(7)
    names = ["Fp1", "O1", "O2", "Cz", "ECG", "EOG left", "Resp"]
    kinds = ["eeg"] * 4 + ["ecg", "eog", "resp"]
    data = np.array([(20 * np.sin(2 * np.pi * (10.0 if k == "eeg" else 1.2) * t)
                      + rng.normal(0, 2, t.size)) * 1e-6 for k in kinds])
    raw = mne.io.RawArray(data, mne.create_info(names, rate, kinds))
    raw.set_annotations(mne.Annotations([2.0], [1.0], ["eyes closed"]))
    path = tmp_path / "mne.edf"
    mne.export.export_raw(str(path), raw, fmt="edf")
    rows, out, err = features(cli, path, tmp_path, "--per-channel", "--hop", "1")
    assert "from 4 channels at 200 Hz" in out, out
    assert "Fp1, O1, O2, Cz" in err and "ECG (heart)" in err and "EOG left (eye movement)" in err, err
    back = mne.io.read_raw_edf(str(path), preload=True).get_data(picks=names[:4]) * 1e6
    assert len(rows) == seconds
    for j, row in enumerate(rows):
        ref = scipy_band_powers(back[:, j * rate:(j + 1) * rate], rate, rate)
        for c, label in enumerate(names[:4]):
            got, want = float(row[f"{label}_alpha_abs"]), ref["alpha"][c]
            assert abs(got - want) <= 0.01 * want, (label, j, got, want)


def test_a_preset_file_renders_as_the_same_preset_imported(cli, tmp_path):
    import os
    env = {**os.environ, "MELODIASYNC_PRESET_DIR": str(tmp_path / "presets")}
    path = CASES / "21-preset-utf8-bom.json"
    direct = subprocess.run([str(cli), "render", "--preset", str(path), "--seconds", "3",
                             "--out", str(tmp_path / "a.wav")], capture_output=True, text=True, env=env)
    assert direct.returncode == 0, direct.stderr
    imported = subprocess.run([str(cli), "preset", "import", str(path)], capture_output=True,
                              text=True, env=env)
    assert imported.returncode == 0, imported.stderr
    name = json_name(path)
    by_name = subprocess.run([str(cli), "render", "--preset", name, "--seconds", "3",
                              "--out", str(tmp_path / "b.wav")], capture_output=True, text=True, env=env)
    assert by_name.returncode == 0, by_name.stderr
    assert (tmp_path / "a.wav").read_bytes() == (tmp_path / "b.wav").read_bytes()


def json_name(path):
    import json
    return json.loads(path.read_text(encoding="utf-8-sig"))["name"]
