"""An independent LSL peer: a pylsl outlet (pylsl ships its own liblsl) sends 10 Hz alpha on
O1/O2 and 20 Hz beta on C3/C4; `melodiasync monitor` connects through the EEG worker and its
frames show alpha in the posterior montage and beta in the central one."""
import json
import subprocess
import threading
import time

import numpy as np
import pylsl

RATE = 250.0
LABELS = ["O1", "O2", "C3", "C4"]


def run_outlet(name, stop, declared=RATE, sent=RATE):
    """Sends alpha on O1/O2 and beta on C3/C4 at `sent` Hz, declaring `declared` Hz."""
    info = pylsl.StreamInfo(name, "EEG", len(LABELS), declared, "float32", f"pylsl-{name}")
    chans = info.desc().append_child("channels")
    for label in LABELS:
        chans.append_child("channel").append_child_value("label", label)
    outlet = pylsl.StreamOutlet(info)
    start, n = pylsl.local_clock(), 0
    while not stop.is_set():
        due = int((pylsl.local_clock() - start) * sent)
        while n < due:
            t = n / sent
            alpha = 20 * np.sin(2 * np.pi * 10 * t)
            beta = 20 * np.sin(2 * np.pi * 20 * t)
            outlet.push_sample([alpha, alpha, beta, beta], start + t)
            n += 1
        time.sleep(0.002)


def monitor(cli, name, channels, seconds=5):
    proc = subprocess.run([str(cli), "monitor", "--name", name, "--seconds", str(seconds), "--json",
                           "--channels", channels], capture_output=True, text=True, check=True)
    lines = [json.loads(l) for l in proc.stdout.splitlines() if l.strip()]
    statuses = [l for l in lines if "status" in l]
    frames = [l for l in lines if "seq" in l]
    return statuses, frames


def test_pylsl_outlet_shows_alpha_and_beta_in_the_right_channels(cli):
    stop = threading.Event()
    t = threading.Thread(target=run_outlet, args=("PyAlphaBeta", stop), daemon=True)
    t.start()
    try:
        statuses, frames = monitor(cli, "PyAlphaBeta", "O1,O2")
        assert any(s["status"] == "connected" and s["channels"] == LABELS for s in statuses), statuses
        assert len(frames) > 50, len(frames)
        late = frames[-10:]
        assert all(f["valid"] and f["alpha"] > 0.95 and f["beta"] < 0.05 for f in late), late[-1]
        assert all(abs(f["peak_alpha_hz"] - 10.0) < 0.1 for f in late)
        _, frames = monitor(cli, "PyAlphaBeta", "C3,C4")
        late = frames[-10:]
        assert all(f["beta"] > 0.95 and f["alpha"] < 0.05 for f in late), late[-1]
    finally:
        stop.set()
        t.join()


def test_a_stream_sending_half_its_declared_rate_is_analysed_at_the_rate_it_sends(cli):
    # Declares 250 Hz, sends 125 Hz: read at 250 Hz its 10 Hz alpha would show as 20 Hz beta,
    # at full quality. The worker measures the rate from the timestamps, warns, and analyses
    # at 125 Hz.
    stop = threading.Event()
    t = threading.Thread(target=run_outlet, args=("PyHalfRate", stop, 250.0, 125.0), daemon=True)
    t.start()
    try:
        statuses, frames = monitor(cli, "PyHalfRate", "O1,O2", seconds=10)
        warned = [s for s in statuses if "declares 250 Hz but its timestamps show 125 Hz" in s["message"]]
        assert warned and warned[-1]["warnings"], statuses
        late = frames[-10:]
        assert len(frames) > 50 and all(f["alpha"] > 0.9 and f["beta"] < 0.05 for f in late), late[-1]
        assert all(abs(f["peak_alpha_hz"] - 10.0) < 0.2 for f in late), late[-1]
    finally:
        stop.set()
        t.join()


def test_two_outlets_with_one_name_are_told_apart(cli):
    # Two headsets (or an old outlet still running) under one name: the worker says which
    # one it uses, by source id and host, and that the other exists.
    stop = threading.Event()
    threads = []
    for source in ["twin-a", "twin-b"]:
        def run(source=source):
            info = pylsl.StreamInfo("PyTwin", "EEG", 1, 128.0, "float32", source)
            info.desc().append_child("channels").append_child("channel").append_child_value("label", "O1")
            outlet = pylsl.StreamOutlet(info)
            start, n = pylsl.local_clock(), 0
            while not stop.is_set():
                while n < int((pylsl.local_clock() - start) * 128.0):
                    outlet.push_sample([20 * np.sin(2 * np.pi * 10 * n / 128.0)], start + n / 128.0)
                    n += 1
                time.sleep(0.005)
        threads.append(threading.Thread(target=run, daemon=True))
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        statuses, frames = monitor(cli, "PyTwin", "O1", seconds=4)
        warnings = [w for s in statuses for w in s["warnings"]]
        twin = [w for w in warnings if "Another stream is also named 'PyTwin'" in w]
        assert twin, statuses
        assert any(s["status"] == "connected" for s in statuses), statuses
        # The warning names the other one's source id, and the one in use.
        assert "twin-a" in twin[0] and "twin-b" in twin[0], twin[0]
        assert frames
    finally:
        stop.set()
        for t in threads:
            t.join()
