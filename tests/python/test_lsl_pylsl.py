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


def run_outlet(name, stop):
    info = pylsl.StreamInfo(name, "EEG", len(LABELS), RATE, "float32", f"pylsl-{name}")
    chans = info.desc().append_child("channels")
    for label in LABELS:
        chans.append_child("channel").append_child_value("label", label)
    outlet = pylsl.StreamOutlet(info)
    start, n = pylsl.local_clock(), 0
    while not stop.is_set():
        due = int((pylsl.local_clock() - start) * RATE)
        while n < due:
            t = n / RATE
            alpha = 20 * np.sin(2 * np.pi * 10 * t)
            beta = 20 * np.sin(2 * np.pi * 20 * t)
            outlet.push_sample([alpha, alpha, beta, beta], start + t)
            n += 1
        time.sleep(0.002)


def monitor(cli, name, channels):
    proc = subprocess.run([str(cli), "monitor", "--name", name, "--seconds", "5", "--json",
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
