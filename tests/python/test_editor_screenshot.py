"""The editor, really drawn: the standalone app with the simulator source runs under Xvfb
(Mesa software OpenGL), and two screenshots a few seconds apart must show a non-blank editor
whose meter region changes as the simulated EEG moves. The first screenshot is saved as
target/editor-screenshot.png (the README's picture comes from this test)."""
import os
import pathlib
import signal
import subprocess
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
W, H = 1280, 800


def grab(display, png=None):
    env = dict(os.environ, DISPLAY=display)
    raw = subprocess.run(["import", "-window", "root", "-depth", "8", "rgb:-"],
                         capture_output=True, check=True, env=env).stdout
    img = np.frombuffer(raw, dtype=np.uint8).reshape(H, W, 3)
    if png:
        subprocess.run(["import", "-window", "root", str(png)], check=True, env=env)
    return img


def editor_frames(cmd, env_extra, tmp_path, shot=None):
    """Runs the standalone `cmd` with the simulator under a fresh Xvfb and returns two
    screenshots 2 s apart, taken once the editor has drawn (the first also saved to `shot`)."""
    display = f":{100 + os.getpid() % 100}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", f"{W}x{H}x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app = None
    try:
        time.sleep(1.5)
        env = dict(os.environ, DISPLAY=display, HOME=str(tmp_path),
                   MELODIASYNC_PRESET_DIR=str(tmp_path / "presets"), LIBGL_ALWAYS_SOFTWARE="1")
        env.update({k: v.replace("{display}", display) for k, v in env_extra.items()})
        app = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # Wait for the editor to draw (software GL is slow to start on 2 cores).
        deadline = time.monotonic() + 60
        first = None
        while time.monotonic() < deadline:
            time.sleep(1.0)
            assert app.poll() is None, app.stdout.read().decode(errors="replace")
            img = grab(display)
            if img.std() > 20:
                first = img
                break
        assert first is not None, "the editor never drew anything"
        time.sleep(4.0)  # frames keep arriving: let the meters move
        first = grab(display, png=shot)
        time.sleep(2.0)
        second = grab(display)
        return first, second
    finally:
        if app is not None:
            app.send_signal(signal.SIGTERM)
            try:
                app.wait(timeout=10)
            except subprocess.TimeoutExpired:
                app.kill()
        xvfb.terminate()
        xvfb.wait(timeout=10)


def assert_editor_draws_and_meters_move(first, second):
    """Not blank, the meter region (top left, under the header) moves between the frames,
    and the screen outside the editor window stays the same (nothing flickers)."""
    colours = np.unique(first.reshape(-1, 3), axis=0)
    assert len(colours) > 50 and first.std() > 20, (len(colours), first.std())
    meters = (slice(95, 340), slice(0, 380))
    diff = np.abs(first[meters].astype(int) - second[meters].astype(int)).mean()
    assert diff > 0.2, f"meters did not move ({diff:.3f})"
    outside = (slice(720, 800), slice(1000, 1280))
    assert np.array_equal(first[outside], second[outside])


def test_editor_renders_and_its_meters_move(cli, tmp_path):
    shot = ROOT / "target" / "editor-screenshot.png"
    first, second = editor_frames([str(cli), "standalone", "--eeg", "sim:eyes-closed", "--backend", "dummy"],
                                  {}, tmp_path, shot)
    assert shot.exists() and shot.stat().st_size > 10_000
    assert_editor_draws_and_meters_move(first, second)
