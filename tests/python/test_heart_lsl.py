"""An independent LSL peer for the heart: pylsl outlets (pylsl ships its own liblsl) send
NeuroKit2's simulated ECG and an irregular stream of RR intervals; `melodiasync monitor
--heart-type` reads them through the worker's heart inlet. HR must appear within 5 s of the
stream reaching the inlet, each beat where NeuroKit2 puts it, and each HR the interval that
ends at that beat."""
import json
import subprocess
import threading
import time

import neurokit2 as nk
import numpy as np
import pylsl

FS = 250


def ecg_outlet(name, ecg, stop, started):
    info = pylsl.StreamInfo(name, "ECG", 1, FS, "float32", f"pylsl-{name}")
    info.desc().append_child("channels").append_child("channel").append_child_value("label", "ECG")
    outlet = pylsl.StreamOutlet(info)
    start, n = pylsl.local_clock(), 0
    started["t0"] = start
    while not stop.is_set() and n < len(ecg):
        due = min(len(ecg), int((pylsl.local_clock() - start) * FS))
        while n < due:
            outlet.push_sample([float(ecg[n])], start + n / FS)
            n += 1
        time.sleep(0.002)


def rr_outlet(name, intervals_ms, stop, sent):
    info = pylsl.StreamInfo(name, "RR", 1, pylsl.IRREGULAR_RATE, "float32", f"pylsl-{name}")
    outlet = pylsl.StreamOutlet(info)
    t = pylsl.local_clock() + 0.5
    for ms in intervals_ms:
        t += ms / 1000.0
        while pylsl.local_clock() < t:
            if stop.is_set():
                return
            time.sleep(0.002)
        outlet.push_sample([float(ms)], t)
        sent.append((t, ms))


def monitor(cli, kind, name, seconds):
    proc = subprocess.run([str(cli), "monitor", "--heart-type", kind, "--heart", f"lsl:name={name}",
                           "--seconds", str(seconds), "--json"],
                          capture_output=True, text=True, check=True)
    lines = [json.loads(l) for l in proc.stdout.splitlines() if l.strip()]
    statuses = [l for l in lines if "heart_status" in l]
    beats = [l for l in lines if "beat_time" in l]
    return statuses, beats


def first_hr_after_connection(statuses, beats):
    connected = next(s["at_s"] for s in statuses if s["heart_status"] == "connected")
    first = next(b["at_s"] for b in beats if b["hr_bpm"] is not None)
    return first - connected


def test_a_pylsl_ecg_stream_gives_hr_within_5_s_with_neurokit2s_beats(cli):
    ecg = nk.ecg_simulate(duration=40, sampling_rate=FS, heart_rate=70, noise=0.02,
                          random_state=3)
    _, info = nk.ecg_peaks(ecg, sampling_rate=FS)
    peaks = np.asarray(info["ECG_R_Peaks"]) / FS
    stop, started = threading.Event(), {}
    t = threading.Thread(target=ecg_outlet, args=("PyHeartECG", ecg, stop, started), daemon=True)
    t.start()
    try:
        statuses, beats = monitor(cli, "ECG", "PyHeartECG", 14)
    finally:
        stop.set()
        t.join()
    assert any(s["heart_status"] == "connected" for s in statuses), statuses
    assert first_hr_after_connection(statuses, beats) < 5.0, beats[:5]
    with_hr = [b for b in beats if b["hr_bpm"] is not None]
    assert len(with_hr) >= 8, len(with_hr)
    for b in with_hr:
        # The beat on the outlet's own clock (same machine: LSL's clock offset is ~0).
        at = b["beat_time"] - started["t0"]
        k = int(np.argmin(np.abs(peaks - at)))
        assert abs(peaks[k] - at) < 0.010, (at, peaks[k])
        want = 60.0 / (peaks[k] - peaks[k - 1])
        assert abs(b["hr_bpm"] - want) / want < 0.02, (b["hr_bpm"], want)
    assert abs(np.median([b["hr_bpm"] for b in with_hr]) - 70) < 3


def test_a_pylsl_rr_stream_gives_each_interval_as_hr_within_5_s(cli):
    rng = np.random.default_rng(5)
    beats_t = np.arange(40)
    # Breathing at 6 per minute around 900 ms, with a little jitter.
    intervals = 900 + 60 * np.sin(2 * np.pi * 0.1 * beats_t * 0.9) + rng.normal(0, 8, beats_t.size)
    stop, sent = threading.Event(), []
    t = threading.Thread(target=rr_outlet, args=("PyHeartRR", intervals, stop, sent), daemon=True)
    t.start()
    try:
        statuses, beats = monitor(cli, "RR", "PyHeartRR", 12)
    finally:
        stop.set()
        t.join()
    assert first_hr_after_connection(statuses, beats) < 5.0, beats[:5]
    with_hr = [b for b in beats if b["hr_bpm"] is not None]
    assert len(with_hr) >= 5, len(with_hr)
    for b in with_hr:
        k = int(np.argmin([abs(ts - b["beat_time"]) for ts, _ in sent]))
        ts, ms = sent[k]
        assert abs(ts - b["beat_time"]) < 0.001
        assert abs(b["hr_bpm"] - 60000.0 / ms) < 1e-3 * 60000.0 / ms

