"""`melodiasync report` against an independent reading of the session logs (numpy): the
series the pictures plot are the log's own columns, the PNG is a real picture of the right
size with the stages shaded in it, and the history over three sessions is the time in target
and baseline alpha that the three logs hold."""
import csv
import pathlib
import subprocess

import numpy as np
import pytest
from PIL import Image

SESSION = "Focus reset"


def render(cli, folder: pathlib.Path, name: str, script: str) -> pathlib.Path:
    log = folder / f"{name}.csv"
    proc = subprocess.run(
        [str(cli), "render", "--session", SESSION, "--eeg", f"sim:{script}",
         "--out", str(folder / f"{name}.wav"), "--log", str(log)],
        capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    (folder / f"{name}.wav").unlink()
    return log


def columns(path: pathlib.Path) -> dict:
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert rows, path
    return {k: [r[k] for r in rows] for k in rows[0]}


def numbers(col) -> np.ndarray:
    return np.array([float(v) for v in col])


@pytest.fixture(scope="module")
def sessions(cli, tmp_path_factory):
    folder = tmp_path_factory.mktemp("sessions")
    # Named by date as the plugin names them: the history orders sessions by name.
    logs = [render(cli, folder, f"2026-11-{day}_08-00-00_focus-reset", script)
            for day, script in [("28", "steady"), ("29", "relax"), ("30", "focus")]]
    return folder, logs


def test_the_plotted_series_are_the_logs_columns(cli, sessions):
    _, logs = sessions
    log = logs[-1]
    proc = subprocess.run([str(cli), "report", str(log), "--bands", "theta,alpha,smr"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    png = log.with_name(log.stem + ".report.png")
    svg = log.with_name(log.stem + ".report.svg")
    series = log.with_name(log.stem + ".report.csv")
    for f in (png, svg, series):
        assert f.exists() and f"wrote {f}" in proc.stdout, proc.stdout
    ours, theirs = columns(series), columns(log)
    assert len(ours["time_s"]) == len(theirs["audio_time_s"])
    pairs = [("time_s", "audio_time_s"), ("reward", "reward"), ("in_target", "in_target"),
             ("in_target_level", "in_target_level"), ("theta_rel", "theta_rel"),
             ("alpha_rel", "alpha_rel"), ("smr_rel", "smr_rel"), ("target_1", "target_1"),
             ("target_2", "target_2"), ("target_3", "target_3"),
             ("stage_index", "stage_index")]
    for a, b in pairs:
        np.testing.assert_allclose(numbers(ours[a]), numbers(theirs[b]), rtol=0, atol=1e-9,
                                   equal_nan=True, err_msg=a)
    assert ours["stage"] == theirs["stage"]

    img = Image.open(png).convert("RGB")
    assert img.size == (1200, 900)
    pixels = np.asarray(img).reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 100, "a real picture, not a blank one"
    # The stage shading: each stage's tint (Okabe-Ito colours at 18 % over white) covers
    # a good part of the top panel; a picture without stages has none of it.
    shades = [(0xcc, 0x79, 0xa7), (0xf0, 0xe4, 0x42), (0x00, 0x9e, 0x73), (0x56, 0xb4, 0xe9)]
    top = np.asarray(img)[60:360].reshape(-1, 3).astype(int)
    for k, c in enumerate(shades):
        tint = np.round(0.18 * np.array(c) + 0.82 * 255)
        share = np.mean(np.all(np.abs(top - tint) <= 2, axis=1))
        assert share > 0.01, f"stage {k} shading covers {share:.3%}"
    assert "SMR" in svg.read_text()


def test_the_history_is_the_three_sessions_figures(cli, sessions):
    folder, logs = sessions
    proc = subprocess.run([str(cli), "report", str(logs[-1]), "--history"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    stem = logs[-1].stem
    history = columns(folder / f"{stem}.history.csv")
    assert history["session"] == [log.stem for log in logs]
    for i, log in enumerate(logs):
        c = columns(log)
        t = numbers(c["audio_time_s"])
        inside = numbers(c["in_target"]) > 0.5
        step = np.diff(t)
        # Time in target: the steps that start in target, over the time with EEG (no gaps
        # here: the simulator never stops).
        assert np.all(step < 1.0)
        share = np.sum(step[inside[:-1]]) / (t[-1] - t[0])
        assert float(history["time_in_target"][i]) == pytest.approx(share, abs=1e-4)
        # Baseline alpha: the mean relative alpha of the baseline stage's scored frames.
        stage = np.array(c["stage"])
        kept = (stage == "Baseline") & (numbers(c["held"]) < 0.5)
        alpha = np.mean(numbers(c["alpha_rel"])[kept].astype(np.float32))
        assert float(history["baseline_alpha"][i]) == pytest.approx(alpha, rel=1e-4)
    # The focusing listener spends more of the session in target than the steady one.
    shares = numbers(history["time_in_target"])
    assert shares[2] > shares[0]
    img = Image.open(folder / f"{stem}.history.png")
    assert img.size == (1200, 500)
