"""The built VST3 in a real VST3 host: Spotify's pedalboard (JUCE) loads it headless as an
instrument, sees its parameters, renders with MIDI, and responds to parameter changes. The test
bundle is built with assert_process_allocs, so an allocation in process() aborts this run."""
import mido
import numpy as np
import pedalboard

SR = 48000


def load(vst3_path):
    plugin = pedalboard.load_plugin(str(vst3_path))
    assert plugin.is_instrument, "MelodiaSync must load as an instrument"
    return plugin


def render(plugin, seconds=5.0, notes=()):
    msgs = []
    for start, note, length in notes:
        msgs.append(mido.Message("note_on", note=note, velocity=100, time=start))
        msgs.append(mido.Message("note_off", note=note, velocity=0, time=start + length))
    plugin.reset()
    return plugin(msgs, duration=seconds, sample_rate=SR, num_channels=2)


def test_loads_as_instrument_and_exposes_parameters(vst3_path):
    plugin = load(vst3_path)
    names = set(plugin.parameters.keys())
    for want in ["relaxation", "drone_level", "binaural_level", "pulse_level", "noise_level",
                 "beat_rate_hz", "binaural_carrier", "tone", "reverb_mix", "output_db", "chord",
                 "root_note"]:
        assert want in names, f"{want} missing from {sorted(names)}"


def test_renders_five_seconds_with_midi(vst3_path):
    plugin = load(vst3_path)
    audio = render(plugin, 5.0, notes=[(0.5, 50, 3.0)])
    assert audio.shape == (2, 5 * SR)
    assert np.all(np.isfinite(audio))
    rms = np.sqrt(np.mean(audio ** 2, axis=1))
    assert np.all(rms > 0.01), rms
    assert np.max(np.abs(audio)) < 10 ** (-1 / 20), "peaks must stay below -1 dBFS"
    # Stereo, not dual mono (binaural beat, panned pad).
    assert np.mean(np.abs(audio[0] - audio[1])) > 1e-3


def test_parameter_change_audibly_changes_the_output(vst3_path):
    plugin = load(vst3_path)
    base = render(plugin, 4.0)
    # pedalboard names parameters after name + unit and shows percentages as 0..100.
    plugin.beat_rate_hz = 20.0
    plugin.tone = 5
    changed = render(plugin, 4.0)
    assert abs(plugin.beat_rate_hz - 20.0) < 0.05
    assert abs(plugin.tone - 5) < 0.5
    tail = slice(SR, None)
    diff_db = 20 * np.log10(np.sqrt(np.mean((changed[:, tail] - base[:, tail]) ** 2))
                            / np.sqrt(np.mean(base[:, tail] ** 2)))
    assert diff_db > -20, f"change only {diff_db:.1f} dB relative to the signal"

    # The beat really moved: the right-minus-left carrier difference follows beat_rate.
    plugin.drone_level = 0.0
    plugin.noise_level = 0.0
    plugin.pulse_level = 0.0
    plugin.reverb_mix = 0.0
    solo = render(plugin, 12.0)[:, SR:]
    freqs = np.fft.rfftfreq(solo.shape[1], 1 / SR)
    win = np.hanning(solo.shape[1])
    peaks = []
    for ch in solo:
        mag = np.abs(np.fft.rfft(ch * win))
        band = (freqs > 50) & (freqs < 500)
        k = np.argmax(np.where(band, mag, 0))
        a, b, c = np.log(mag[k - 1:k + 2])
        peaks.append((k + 0.5 * (a - c) / (a - 2 * b + c)) * (freqs[1] - freqs[0]))
    assert abs((peaks[1] - peaks[0]) - 20.0) < 0.02, peaks
