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
    set_offline(inst, offline);
    let config = PluginAudioConfiguration {
        sample_rate: SR,
        min_frames_count: 1,
        max_frames_count: 4096,
    };
    let p = inst.activate(|_, _| (), config).expect("activate");
    let (out, stopped) = play_with_transport(p, SR, frames, block, &[], false, transport);
    inst.deactivate(stopped);
    out.left
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
