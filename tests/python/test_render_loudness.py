"""`melodiasync render` against independent references: pyloudnorm (BS.1770-4) for loudness,
numpy for peak, DC and duration, scipy's Welch PSD for the relaxation journey."""
import re
import subprocess

import numpy as np
import pyloudnorm
import scipy.signal
import soundfile


def run_render(cli, tmp_path, *args):
    out = tmp_path / "render.wav"
    proc = subprocess.run([str(cli), "render", "--out", str(out), *args],
                          capture_output=True, text=True, check=True)
    audio, sr = soundfile.read(out, always_2d=True)
    return audio, sr, proc.stdout


def reported(stdout, what):
    m = re.search(what, stdout)
    assert m, f"'{what}' not in: {stdout}"
    return float(m.group(1))


def test_reported_loudness_and_peak_match_pyloudnorm(cli, tmp_path):
    for sr in (44100, 48000):
        audio, got_sr, stdout = run_render(cli, tmp_path, "--seconds", "30", "--sample-rate", str(sr))
        assert got_sr == sr and audio.shape == (30 * sr, 2)
        ref_lufs = pyloudnorm.Meter(sr).integrated_loudness(audio)
        ref_peak = 20 * np.log10(np.max(np.abs(audio)))
        assert abs(reported(stdout, r"loudness (-?[\d.]+) LUFS") - ref_lufs) < 0.1, (stdout, ref_lufs)
        assert abs(reported(stdout, r"peak (-?[\d.]+) dBFS") - ref_peak) < 0.1, (stdout, ref_peak)
        assert abs(reported(stdout, r"([\d.]+) s at") - 30.0) < 1e-6
        # The factory soundscape: about -18 LUFS, peaks below -1 dBFS, no DC.
        assert -19.5 < ref_lufs < -16.5, ref_lufs
        assert ref_peak < -1.0, ref_peak
        assert np.all(np.abs(audio.mean(axis=0)) < 1e-3)


def test_relaxation_ramp_darkens_the_sound_over_the_render(cli, tmp_path):
    audio, sr, _ = run_render(cli, tmp_path, "--seconds", "40", "--relaxation-ramp", "0:1")
    mono = audio.mean(axis=1)

    def centroid(x):
        f, p = scipy.signal.welch(x, sr, nperseg=8192)
        return float(np.sum(f * p) / np.sum(p))

    first, last = centroid(mono[2 * sr:10 * sr]), centroid(mono[-8 * sr:])
    assert first > 1.3 * last, (first, last)


def test_set_applies_parameters_by_their_host_text(cli, tmp_path):
    base, sr, _ = run_render(cli, tmp_path, "--seconds", "5")
    quiet, _, _ = run_render(cli, tmp_path, "--seconds", "5", "--set", "out=-12")
    ratio_db = 20 * np.log10(np.sqrt(np.mean(quiet[sr:] ** 2)) / np.sqrt(np.mean(base[sr:] ** 2)))
    assert abs(ratio_db + 12.0) < 0.3, ratio_db


def test_bad_arguments_get_one_clear_sentence_and_no_file(cli, tmp_path):
    cases = [
        (["--set", "nosuch=1"], "no parameter with id 'nosuch'"),
        (["--set", "beat=fast"], "not a valid value for 'Beat rate'"),
        (["--relaxation-ramp", "0:2"], "not a relaxation ramp"),
        (["--seconds", "0"], "out of range"),
        (["--sample-rate", "1000"], "out of range"),
    ]
    for args, phrase in cases:
        out = tmp_path / "bad.wav"
        proc = subprocess.run([str(cli), "render", "--out", str(out), *args],
                              capture_output=True, text=True)
        assert proc.returncode != 0, args
        assert phrase in proc.stderr, (args, proc.stderr)
        assert not out.exists(), f"{args} left a file behind"
    proc = subprocess.run([str(cli), "render", "--out", str(tmp_path / "no/such/dir/x.wav"),
                           "--seconds", "1"], capture_output=True, text=True)
    assert proc.returncode != 0 and "Cannot create" in proc.stderr, proc.stderr


def test_a_failed_render_leaves_an_existing_file_as_it_was(cli, tmp_path):
    # The recording is found missing only once rendering starts; the WAV is written under a
    # temporary name and renamed at the end, so the earlier file survives and no part remains.
    out = tmp_path / "session.wav"
    out.write_bytes(b"an earlier render")
    proc = subprocess.run([str(cli), "render", "--out", str(out), "--seconds", "2",
                           "--eeg", str(tmp_path / "missing.edf")], capture_output=True, text=True)
    assert proc.returncode != 0 and "missing.edf" in proc.stderr, proc.stderr
    assert out.read_bytes() == b"an earlier render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.wav"]
    # And a render that succeeds replaces it with a complete WAV.
    proc = subprocess.run([str(cli), "render", "--out", str(out), "--seconds", "1"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:4] == b"RIFF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session.wav"]
