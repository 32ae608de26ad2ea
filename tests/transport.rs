//! Transport-locked time through the built `.clap`: playing or bouncing from a song position
//! gives the same samples whatever ran before, a jump does what a start does, the block size
//! changes nothing, and the change is click-free.

mod support;

use clack_host::prelude::*;
use support::clap_harness::*;

const SR: f64 = 48_000.0;
/// Samples of each relock fade (5 ms).
const FADE: usize = 240;

/// Activates `inst` (offline or not), plays `frames` with `transport(frame)`, deactivates.
fn run(
    inst: &mut PluginInstance<Host>,
    offline: bool,
    frames: usize,
    block: impl FnMut(usize) -> usize,
    transport: impl FnMut(usize) -> Option<Transport>,
) -> Vec<f32> {
    run_all(inst, offline, frames, block, transport).left
}

/// [`run`], with the right channel and the MIDI the plugin sent.
fn run_all(
    inst: &mut PluginInstance<Host>,
    offline: bool,
    frames: usize,
    block: impl FnMut(usize) -> usize,
    transport: impl FnMut(usize) -> Option<Transport>,
) -> Rendered {
    set_offline(inst, offline);
    let config = PluginAudioConfiguration {
        sample_rate: SR,
        min_frames_count: 1,
        max_frames_count: 4096,
    };
    let p = inst.activate(|_, _| (), config).expect("activate");
    let (out, stopped) = play_with_transport(p, SR, frames, block, &[], false, transport);
    inst.deactivate(stopped);
    out
}

/// Stopped for `stopped` frames (the synth runs freely), then playing from `from` s.
fn stop_then_play(stopped: usize, from: f64) -> impl FnMut(usize) -> Option<Transport> {
    move |frame| {
        Some(if frame < stopped {
            Transport {
                playing: false,
                seconds: from,
            }
        } else {
            Transport {
                playing: true,
                seconds: from + (frame - stopped) as f64 / SR,
            }
        })
    }
}

/// Asserts `a == b` sample for sample, naming the first difference (not printing both).
fn assert_same(a: &[f32], b: &[f32], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    if let Some(i) = a
        .iter()
        .zip(b)
        .position(|(x, y)| x.to_bits() != y.to_bits())
    {
        panic!(
            "{what}: first difference at sample {i} of {}: {} vs {}",
            a.len(),
            a[i],
            b[i]
        );
    }
}

/// Asserts `a != b` somewhere.
fn assert_differ(a: &[f32], b: &[f32], what: &str) {
    assert!(a.iter().zip(b).any(|(x, y)| x != y), "{what}");
}

/// Largest step between neighbouring samples.
fn max_step(x: &[f32]) -> f32 {
    x.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
}

#[test]
fn playing_from_a_position_gives_the_same_samples_whatever_ran_before() {
    let entry = load_entry();
    let n = 48_000;
    // Different histories: 0.3 s and 1.1 s of free running (whole 512-sample blocks) before
    // play at 10 s.
    let a = run(
        &mut instantiate(&entry),
        false,
        14_336 + n,
        |_| 512,
        stop_then_play(14_336, 10.0),
    );
    let b = run(
        &mut instantiate(&entry),
        false,
        52_736 + n,
        |_| 512,
        stop_then_play(52_736, 10.0),
    );
    let (a, b) = (&a[14_336..], &b[52_736..]);
    // The running sound fades out, the state is rebuilt for 10 s + 5 ms, then all is equal.
    assert_differ(&a[..FADE], &b[..FADE], "the histories differ");
    assert_same(&a[FADE..], &b[FADE..], "from the rebuild on");
    assert!(a.iter().all(|x| x.is_finite()));
    // Another position is another stream of drift, surf and noise.
    let c = run(
        &mut instantiate(&entry),
        false,
        14_336 + n,
        |_| 512,
        stop_then_play(14_336, 20.0),
    );
    assert_differ(&a[FADE..], &c[14_336 + FADE..], "another position");
}

#[test]
fn a_jump_rebuilds_the_state_as_a_start_does() {
    let entry = load_entry();
    // Playing from 0 s; at 0.5 s of audio the host locates to 10 s (a loop, a click in the
    // ruler) and plays on from there.
    let jump = 24_064;
    let looped = run(
        &mut instantiate(&entry),
        false,
        jump + 48_000,
        |_| 256,
        |frame| {
            Some(Transport {
                playing: true,
                seconds: if frame < jump {
                    frame as f64 / SR
                } else {
                    10.0 + (frame - jump) as f64 / SR
                },
            })
        },
    );
    let started = run(
        &mut instantiate(&entry),
        false,
        9_984 + 48_000,
        |_| 256,
        stop_then_play(9_984, 10.0),
    );
    assert_same(
        &looped[jump + FADE..],
        &started[9_984 + FADE..],
        "jump against start",
    );
    // No click: the fades step no more than the sound itself does while playing on.
    let around = max_step(&looped[jump - 2 * FADE..jump + 2 * FADE]);
    let steady = max_step(&looped[jump + 4 * FADE..]);
    assert!(
        around <= 1.5 * steady,
        "step {around} at the jump, {steady} while playing"
    );
}

#[test]
fn an_offline_bounce_is_the_same_from_its_first_sample_and_for_any_block_size() {
    let entry = load_entry();
    let n = 96_000;
    // Bounced twice, after different free-running histories (ten blocks of 480; three of
    // 3200: the play starts on a block boundary in both), with different block sizes.
    let a = run(
        &mut instantiate(&entry),
        true,
        4_800 + n,
        |i| if i < 10 { 480 } else { 512 },
        stop_then_play(4_800, 30.0),
    );
    let sizes = [1usize, 64, 700, 4096, 33, 2048];
    let b = run(
        &mut instantiate(&entry),
        true,
        9_600 + n,
        |i| if i < 3 { 3_200 } else { sizes[i % 6] },
        stop_then_play(9_600, 30.0),
    );
    assert_same(&a[4_800..], &b[9_600..], "from the bounce's first sample");
    // It fades in from silence over 5 ms (no click at the bounce's start).
    assert_eq!(a[4_800], 0.0);
    assert!(max_step(&a[4_800..4_800 + 2 * FADE]) <= 1.5 * max_step(&a[4_800 + 4 * FADE..]));
}

/// A 12 s recording (O1, O2, Pz, Cz at 256 Hz, µV, with a time column): white noise of 5 µV
/// SD and a 10 Hz alpha rhythm of 2 µV that steps to 20 µV at 5 s.
fn write_alpha_step(path: &std::path::Path) {
    let mut text = String::from("time,O1,O2,Pz,Cz\n");
    let mut seed = 12345u64;
    let mut noise = || {
        // Sum of uniforms: roughly normal, deterministic.
        (0..4)
            .map(|_| {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .sum::<f64>()
            * 5.0
            * 3f64.sqrt()
    };
    for i in 0..256 * 12 {
        let t = i as f64 / 256.0;
        let a = if t < 5.0 { 2.0 } else { 20.0 };
        let alpha = a * (std::f64::consts::TAU * 10.0 * t).sin();
        let row: Vec<String> = (0..4).map(|_| format!("{:.4}", alpha + noise())).collect();
        text += &format!("{t:.6},{}\n", row.join(","));
    }
    std::fs::write(path, text).unwrap();
}

/// A fresh instance whose source is the recording at `path`, placed at `start` s of the song.
fn clip_instance(entry: &PluginEntry, path: &std::path::Path, start: f64) -> PluginInstance<Host> {
    let mut inst = instantiate(entry);
    let state = save_state(&mut inst);
    let spec = serde_json::json!({
        "kind": "file", "path": path, "looping": false, "rate": null, "channels": [], "stream": null
    });
    let state = with_field(&state, "eeg-source", &spec);
    let state = with_param(&state, "eegstart", serde_json::json!({ "f32": start }));
    load_state(&mut inst, &state);
    inst
}

/// The song time (s) of the first alpha CC (first CC 20 + 5) at or above half scale, given
/// the song time of the render's first frame.
fn alpha_high_at(midi: &[MidiOut], song_start: f64) -> Option<f64> {
    midi.iter()
        .find(|m| m.bytes[0] == 0xB0 && m.bytes[1] == 25 && m.bytes[2] >= 64)
        .map(|m| song_start + m.frame as f64 / SR)
}

#[test]
fn an_eeg_recording_on_the_timeline_shapes_the_bounce_in_step_and_repeats() {
    let dir = std::env::temp_dir().join(format!("ms-clip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("alpha-step.csv");
    write_alpha_step(&path);
    let entry = load_entry();
    // The recording starts at song 2 s, so its alpha step falls at song 7 s. Bounced faster
    // than real time from song 0.
    let n = (11.0 * SR) as usize;
    let from_zero = |frame: usize| {
        Some(Transport {
            playing: true,
            seconds: frame as f64 / SR,
        })
    };
    let a = run_all(
        &mut clip_instance(&entry, &path, 2.0),
        true,
        n,
        |_| 512,
        from_zero,
    );
    let step = alpha_high_at(&a.midi, 0.0).expect("the alpha step reaches the CCs");
    assert!(
        (7.0..7.4).contains(&step),
        "alpha rose at song {step:.3} s, not 7.0-7.4 s"
    );
    // Bounced again after 0.5 s of stopped free running, with other block sizes: the same.
    let stopped = 24_000;
    let b = run_all(
        &mut clip_instance(&entry, &path, 2.0),
        true,
        stopped + n,
        |i| if i < 75 { 320 } else { [64, 1000, 4096][i % 3] },
        |frame| {
            Some(Transport {
                playing: frame >= stopped,
                seconds: frame.saturating_sub(stopped) as f64 / SR,
            })
        },
    );
    assert_same(&a.left, &b.left[stopped..], "the second bounce");
    // The same CCs at the same song positions, whatever the block size.
    let song_ccs = |r: &Rendered, skip: usize| -> Vec<(usize, [u8; 3])> {
        r.midi
            .iter()
            .filter(|m| m.frame >= skip)
            .map(|m| (m.frame - skip, m.bytes))
            .collect()
    };
    assert_eq!(song_ccs(&a, 0), song_ccs(&b, stopped), "the CC streams");
    println!("alpha step (song 7.000 s) reached half scale on the CCs at song {step:.3} s");
    // Played from song 9 s (after the step): the EEG starts there, already high.
    let later = run_all(
        &mut clip_instance(&entry, &path, 2.0),
        true,
        24_000,
        |_| 512,
        |frame| {
            Some(Transport {
                playing: true,
                seconds: 9.0 + frame as f64 / SR,
            })
        },
    );
    let high = alpha_high_at(&later.midi, 9.0).expect("alpha high after a locate");
    assert!(high < 9.1, "alpha high at song {high:.3} s");
    // Moving the clip moves the step.
    let moved = run_all(
        &mut clip_instance(&entry, &path, 3.0),
        true,
        n,
        |_| 512,
        from_zero,
    );
    let step_moved = alpha_high_at(&moved.midi, 0.0).unwrap();
    assert!(
        (step_moved - step - 1.0).abs() < 0.03,
        "{step_moved} vs {step} + 1 s"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A fresh instance playing only the isochronic pulse at `beat` Hz, tempo sync `sync`.
fn pulse_instance(entry: &PluginEntry, beat: f64, sync: bool) -> PluginInstance<Host> {
    let mut inst = instantiate(entry);
    let mut state = save_state(&mut inst);
    for (id, v) in [
        ("drone", serde_json::json!({ "f32": 0.0 })),
        ("binaural", serde_json::json!({ "f32": 0.0 })),
        ("noise", serde_json::json!({ "f32": 0.0 })),
        ("chimes", serde_json::json!({ "f32": 0.0 })),
        ("pulse", serde_json::json!({ "f32": 1.0 })),
        ("beat", serde_json::json!({ "f32": beat })),
        ("fbdepth", serde_json::json!({ "f32": 0.0 })),
        ("glide", serde_json::json!({ "bool": false })),
        ("temposync", serde_json::json!({ "bool": sync })),
    ] {
        state = with_param(&state, id, v);
    }
    load_state(&mut inst, &state);
    inst
}

/// The pulse train's rate (Hz, the envelope's strongest component from 1 to 40 Hz, to 0.05
/// Hz) and its phase (turns) against song time, from song time `t0` s of the render `x`.
fn pulse_rate_and_phase(
    x: &[f32],
    song_start: f64,
    skip_s: f64,
    rate_hz: Option<f64>,
) -> (f64, f64) {
    // Envelope: rectified, averaged over 4 ms (the 300 Hz tone's period and more).
    let w = 192;
    let skip = (skip_s * SR) as usize;
    let env: Vec<f64> = x[skip..]
        .chunks(w)
        .map(|c| c.iter().map(|v| v.abs() as f64).sum::<f64>() / c.len() as f64)
        .collect();
    let dt = w as f64 / SR;
    let t0 = song_start + skip_s + dt / 2.0;
    let at = |f: f64| {
        let (mut re, mut im) = (0.0, 0.0);
        for (k, e) in env.iter().enumerate() {
            let ph = std::f64::consts::TAU * f * (t0 + k as f64 * dt);
            re += e * ph.cos();
            im -= e * ph.sin();
        }
        (re.hypot(im), im.atan2(re) / std::f64::consts::TAU)
    };
    let f = rate_hz.unwrap_or_else(|| {
        (20..=800)
            .map(|i| i as f64 * 0.05)
            .max_by(|a, b| at(*a).0.total_cmp(&at(*b).0))
            .unwrap()
    });
    (f, at(f).1.rem_euclid(1.0))
}

#[test]
fn tempo_sync_puts_the_pulse_on_a_related_rate_and_on_the_bar_grid() {
    let entry = load_entry();
    let n = (4.0 * SR) as usize;
    let from = |start: f64| {
        move |frame: usize| {
            Some(Transport {
                playing: true,
                seconds: start + frame as f64 / SR,
            })
        }
    };
    // 120 BPM: a 7 Hz beat becomes 8 Hz (sixteenth notes).
    let a = run(
        &mut pulse_instance(&entry, 7.0, true),
        true,
        n,
        |_| 512,
        from(0.0),
    );
    let (rate, phase_a) = pulse_rate_and_phase(&a, 0.0, 1.0, None);
    assert!((rate - 8.0).abs() < 0.06, "{rate} Hz");
    // Started off the grid (song 10.03 s): after the pull, the same phase against song time.
    let b = run(
        &mut pulse_instance(&entry, 7.0, true),
        true,
        n,
        |_| 512,
        from(10.03),
    );
    let (_, phase_b) = pulse_rate_and_phase(&b, 10.03, 1.0, Some(8.0));
    let apart = (phase_a - phase_b + 0.5).rem_euclid(1.0) - 0.5;
    assert!(
        apart.abs() < 0.01,
        "pulse phases {phase_a:.3} and {phase_b:.3} turns"
    );
    // Without sync the beat stays 7 Hz and the pulse starts where the transport started.
    let c = run(
        &mut pulse_instance(&entry, 7.0, false),
        true,
        n,
        |_| 512,
        from(0.0),
    );
    let (rate_c, _) = pulse_rate_and_phase(&c, 0.0, 1.0, None);
    assert!((rate_c - 7.0).abs() < 0.06, "{rate_c} Hz");
    let d = run(
        &mut pulse_instance(&entry, 8.0, false),
        true,
        n,
        |_| 512,
        from(10.03),
    );
    let (_, phase_d) = pulse_rate_and_phase(&d, 10.03, 1.0, Some(8.0));
    let off = (phase_a - phase_d + 0.5).rem_euclid(1.0) - 0.5;
    assert!(
        off.abs() > 0.1,
        "unsynced pulse off the grid by {off:.3} turns"
    );
    println!(
        "tempo sync at 120 BPM: 7 Hz -> {rate:.2} Hz; pulse phase {phase_a:.4} (from song 0) and \
         {phase_b:.4} turns (from song 10.03 s); unsynced from 10.03 s: {off:.3} turns off"
    );
    // Bounced with other block sizes: the same samples.
    let e = run(
        &mut pulse_instance(&entry, 7.0, true),
        true,
        n,
        |i| [64, 1000, 333][i % 3],
        from(0.0),
    );
    assert_same(&a, &e, "tempo-synced bounce, other block sizes");
}
