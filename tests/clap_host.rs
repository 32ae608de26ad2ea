//! The built `.clap` in a real CLAP host (clack-host): descriptor, ports, parameters, rendering
//! at several sample rates and block sizes, notes, and state round trips. The bundle is built
//! with `assert_process_allocs`, so any allocation inside `process()` aborts this test.

mod support;

use support::clap_harness::*;

fn rms(x: &[f32]) -> f32 {
    (x.iter().map(|v| v * v).sum::<f32>() / x.len().max(1) as f32).sqrt()
}

#[test]
fn descriptor_ports_and_parameters() {
    let entry = load_entry();
    let factory = entry.get_plugin_factory().expect("plugin factory");
    let desc = factory
        .plugin_descriptors()
        .find(|d| d.id().map(|i| i.to_bytes()) == Some(PLUGIN_ID.as_bytes()))
        .expect("MelodiaSync descriptor");
    assert_eq!(desc.name().unwrap().to_str().unwrap(), "MelodiaSync");
    let features: Vec<String> = desc
        .features()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    // "ambient" is not a standard CLAP feature, so it carries our namespace as the spec asks.
    for want in ["instrument", "synthesizer", "stereo", "melodiasync:ambient"] {
        assert!(
            features.iter().any(|f| f == want),
            "feature {want} missing in {features:?}"
        );
    }

    let mut instance = instantiate(&entry);
    let (audio_in, audio_out, channels, note_in) = ports(&mut instance);
    assert_eq!((audio_in, audio_out, channels, note_in), (0, 1, 2, 1));

    let params = params(&mut instance);
    let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
    for want in [
        "Relaxation",
        "Drone level",
        "Binaural level",
        "Pulse level",
        "Noise level",
        "Beat rate",
        "Binaural carrier",
        "Tone",
        "Reverb mix",
        "Output",
    ] {
        assert!(
            names.contains(&want),
            "parameter {want} missing in {names:?}"
        );
    }
    // Ardour and JUCE-based hosts hide every parameter whose title holds "MIDI CC " (they
    // filter JUCE's fake CC parameters): none of ours may.
    for name in &names {
        assert!(!name.contains("MIDI CC "), "hosts would hide '{name}'");
    }
    assert!(names.contains(&"Send CCs"), "{names:?}");
    for p in &params {
        let v = param_value(&mut instance, p.id);
        assert!(p.min <= p.default && p.default <= p.max, "{p:?}");
        assert!(
            (v - p.default).abs() < 1e-9,
            "{} starts at {v}, not its default",
            p.name
        );
    }
}

#[test]
fn renders_finite_nonsilent_stereo_at_every_rate_and_block_size() {
    let entry = load_entry();
    for &sr in &[44_100.0, 48_000.0, 96_000.0] {
        let frames = (sr * 2.0) as usize;
        let mut reference: Option<Vec<f32>> = None;
        for (label, pattern) in support::block_patterns() {
            let mut instance = instantiate(&entry);
            let events = [
                (frames / 4, HostEvent::NoteOn(50, 0.8)),
                (frames / 2, HostEvent::NoteOff(50)),
            ];
            let (l, r) = render(&mut instance, sr, frames, pattern, &events);
            assert!(
                l.iter().chain(&r).all(|x| x.is_finite()),
                "{sr} Hz / {label}: non-finite"
            );
            assert!(
                rms(&l) > 0.01 && rms(&r) > 0.01,
                "{sr} Hz / {label}: silent"
            );
            let peak = l.iter().chain(&r).fold(0.0f32, |m, x| m.max(x.abs()));
            assert!(
                peak < 0.8913,
                "{sr} Hz / {label}: peak {peak} above -1 dBFS"
            );
            // Left and right differ (binaural, stereo pad): really stereo.
            let diff: f32 =
                l.iter().zip(&r).map(|(a, b)| (a - b).abs()).sum::<f32>() / l.len() as f32;
            assert!(diff > 1e-3, "{sr} Hz / {label}: mono output");
            // The synth's control rate is internal, so the block size must not change the sound.
            match &reference {
                None => reference = Some(l),
                Some(ref_l) => {
                    let err = ref_l
                        .iter()
                        .zip(&l)
                        .fold(0.0f32, |m, (a, b)| m.max((a - b).abs()));
                    assert!(
                        err < 1e-4,
                        "{sr} Hz / {label}: differs from 1-sample blocks by {err}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_held_note_changes_the_drone() {
    let entry = load_entry();
    let sr = 48_000.0;
    let frames = (sr * 4.0) as usize;
    let mut a = instantiate(&entry);
    let (free, _) = render(&mut a, sr, frames, |_| 512, &[]);
    let mut b = instantiate(&entry);
    let (held, _) = render(
        &mut b,
        sr,
        frames,
        |_| 512,
        &[(0, HostEvent::NoteOn(57, 1.0))],
    );
    // Same start, different chord: after the glide the signals diverge clearly.
    let tail = frames / 2;
    let d: f32 = free[tail..]
        .iter()
        .zip(&held[tail..])
        .map(|(x, y)| (x - y).abs())
        .sum::<f32>()
        / (frames - tail) as f32;
    assert!(d > 0.005, "note had no audible effect ({d})");
}

#[test]
fn state_round_trip_reproduces_the_output() {
    let entry = load_entry();
    let sr = 48_000.0;
    let frames = 48_000;
    let mut a = instantiate(&entry);
    let params = params(&mut a);
    let beat = find(&params, "Beat rate");
    let tone = find(&params, "Tone");
    let chord = find(&params, "Chord");
    // Change three parameters through the host's parameter events, then play.
    let changes = [
        (
            0,
            HostEvent::Param(beat.id, beat.min + 0.7 * (beat.max - beat.min)),
        ),
        (
            0,
            HostEvent::Param(tone.id, tone.min + 0.9 * (tone.max - tone.min)),
        ),
        (0, HostEvent::Param(chord.id, chord.max)),
    ];
    render(&mut a, sr, 256, |_| 256, &changes);
    let (ref_l, ref_r) = render(&mut a, sr, frames, |_| 256, &[]);
    let state = save_state(&mut a);
    assert!(!state.is_empty());
    // The EEG source choice travels with the project (default: LSL, type EEG).
    let text = String::from_utf8_lossy(&state);
    assert!(
        text.contains("eeg-source") && text.contains("EEG"),
        "{text}"
    );

    let mut b = instantiate(&entry);
    let (default_l, _) = render(&mut b, sr, frames, |_| 256, &[]);
    load_state(&mut b, &state);
    for p in [beat, tone, chord] {
        let va = param_value(&mut a, p.id);
        let vb = param_value(&mut b, p.id);
        assert!(
            (va - vb).abs() < 1e-9,
            "{}: {va} vs {vb} after load",
            p.name
        );
        assert!((vb - p.default).abs() > 1e-6, "{} did not change", p.name);
    }
    let (l, r) = render(&mut b, sr, frames, |_| 256, &[]);
    assert_eq!(l, ref_l, "left differs after state load");
    assert_eq!(r, ref_r, "right differs after state load");
    let d = default_l
        .iter()
        .zip(&l)
        .fold(0.0f32, |m, (x, y)| m.max((x - y).abs()));
    assert!(d > 0.01, "the loaded state sounds like the defaults");
}
