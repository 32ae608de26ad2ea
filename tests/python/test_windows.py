"""The Windows build (scripts/windows.sh --test-bundle, cross-compiled with mingw-w64) under
Wine (scripts/wine.sh): its files need no mingw runtime DLLs (read with pefile, an independent
PE reader), the Windows CLI renders the same samples and session log as the Linux CLI bit for
bit, and a pylsl outlet on Linux reaches the Windows CLI's monitor through liblsl on loopback.
The Windows CLAP in a Windows clack-host build is run by scripts/test.sh (cargo test
--target x86_64-pc-windows-gnu)."""
import json
import pathlib
import subprocess
import threading

import numpy as np
import pefile
import pytest
import soundfile

from test_editor_screenshot import assert_editor_draws_and_meters_move, editor_frames
from test_lsl_pylsl import run_outlet

ROOT = pathlib.Path(__file__).resolve().parents[2]
WIN = ROOT / "target/windows-test"
WINE = ROOT / "scripts/wine.sh"

# What Windows 10 and 11 ship: the only DLLs the plugin and the app may import.
SYSTEM_DLLS = {
    "kernel32.dll", "ntdll.dll", "user32.dll", "gdi32.dll", "advapi32.dll", "shell32.dll",
    "ole32.dll", "oleaut32.dll", "combase.dll", "rpcrt4.dll", "msvcrt.dll", "ws2_32.dll",
    "mswsock.dll", "iphlpapi.dll", "winmm.dll", "bcrypt.dll", "bcryptprimitives.dll",
    "userenv.dll", "opengl32.dll", "propsys.dll", "mmdevapi.dll", "dwmapi.dll", "uxtheme.dll",
    "imm32.dll", "shlwapi.dll", "comdlg32.dll", "comctl32.dll", "version.dll", "avrt.dll",
}


def windows_file(rel):
    path = WIN / rel
    assert path.exists(), f"{path} is missing: run scripts/test.sh, which runs scripts/windows.sh --test-bundle"
    return path


def imports(path):
    pe = pefile.PE(str(path), fast_load=True)
    pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_IMPORT"]])
    return {e.dll.decode().lower() for e in pe.DIRECTORY_ENTRY_IMPORT}


@pytest.mark.parametrize("rel", ["MelodiaSync.clap", "MelodiaSync.vst3/Contents/x86_64-win/MelodiaSync.vst3",
                                 "melodiasync.exe"])
def test_the_windows_files_need_only_windows_own_dlls(rel):
    path = windows_file(rel)
    pe = pefile.PE(str(path), fast_load=True)
    assert pe.FILE_HEADER.Machine == pefile.MACHINE_TYPE["IMAGE_FILE_MACHINE_AMD64"]
    dlls = imports(path)
    api_sets = {d for d in dlls if d.startswith("api-ms-win-")}
    assert not (dlls - SYSTEM_DLLS - api_sets), sorted(dlls - SYSTEM_DLLS - api_sets)
    assert not any(d.startswith(("libstdc", "libgcc", "libwinpthread")) for d in dlls), dlls
    if rel.endswith(".clap"):
        pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_EXPORT"]])
        names = {s.name.decode() for s in pe.DIRECTORY_ENTRY_EXPORT.symbols if s.name}
        assert "clap_entry" in names, names
    if rel.endswith(".vst3"):
        pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_EXPORT"]])
        names = {s.name.decode() for s in pe.DIRECTORY_ENTRY_EXPORT.symbols if s.name}
        assert "GetPluginFactory" in names, names


def wine(*args, **kw):
    return subprocess.run([str(WINE), *map(str, args)], capture_output=True, text=True, **kw)


def test_the_windows_cli_renders_the_linux_session_bit_for_bit(cli, tmp_path):
    exe = windows_file("melodiasync.exe")
    args = ["render", "--seconds", "30", "--eeg", "sim", "--program", "calm", "--block", "300"]
    lin = subprocess.run([str(cli), *args, "--out", tmp_path / "lin.wav", "--log", tmp_path / "lin.csv"],
                         capture_output=True, text=True, check=True)
    win = wine(exe, *args, "--out", tmp_path / "win.wav", "--log", tmp_path / "win.csv", check=True)
    assert "wrote" in win.stdout and "loudness" in win.stdout, win.stdout + win.stderr
    a, sr_a = soundfile.read(tmp_path / "lin.wav", dtype="float32")
    b, sr_b = soundfile.read(tmp_path / "win.wav", dtype="float32")
    assert sr_a == sr_b == 48000 and a.shape == b.shape == (30 * 48000, 2)
    assert np.abs(a).max() > 0.05, "the render sounds"
    # The same bits: the maths the sound and features depend on is the same code (src/math.rs).
    assert np.array_equal(a, b), f"max difference {np.abs(a - b).max()}"
    assert (tmp_path / "lin.csv").read_bytes() == (tmp_path / "win.csv").read_bytes()
    lin_summary = json.loads((tmp_path / "lin.summary.json").read_text())
    win_summary = json.loads((tmp_path / "win.summary.json").read_text())
    assert lin_summary == win_summary and lin_summary["frames"] > 1800


def test_a_pylsl_outlet_on_linux_reaches_the_windows_monitor():
    exe = windows_file("melodiasync.exe")
    stop = threading.Event()
    t = threading.Thread(target=run_outlet, args=("PyToWine", stop), daemon=True)
    t.start()
    try:
        proc = wine(exe, "monitor", "--name", "PyToWine", "--seconds", "8", "--json",
                    "--channels", "O1,O2", timeout=120)
        assert proc.returncode == 0, proc.stderr
        lines = [json.loads(l) for l in proc.stdout.splitlines() if l.strip().startswith("{")]
        statuses = [l for l in lines if "status" in l]
        frames = [l for l in lines if "seq" in l]
        assert any(s["status"] == "connected" for s in statuses), statuses
        assert len(frames) > 50, (len(frames), statuses[-1:])
        late = frames[-10:]
        assert all(f["valid"] and f["alpha"] > 0.95 and f["beta"] < 0.05 for f in late), late[-1]
        assert all(abs(f["peak_alpha_hz"] - 10.0) < 0.1 for f in late)
    finally:
        stop.set()
        t.join()


def test_the_windows_standalone_draws_its_editor_and_the_meters_move(tmp_path):
    # Wine's X11 driver on the test's Xvfb; OpenGL through Mesa, as on Linux.
    exe = windows_file("melodiasync.exe")
    shot = ROOT / "target" / "editor-screenshot-windows.png"
    first, second = editor_frames([str(WINE), str(exe), "standalone", "--eeg", "sim:eyes-closed",
                                   "--backend", "dummy"],
                                  {"MELODIASYNC_WINE_DISPLAY": "{display}"}, tmp_path, shot)
    assert_editor_draws_and_meters_move(first, second)
