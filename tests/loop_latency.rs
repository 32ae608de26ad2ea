//! The EEG -> sound loop as the listener meets it, on the audio clock (deterministic offline
//! renders through the plugin's own control path): how fast the applied modulation follows a
//! step in the rewarded rhythm, how faithfully it follows a wandering rhythm, how steady it is
//! on steady EEG, and how well adaptive targets hold the share of time in target.
//!
//! The stimuli are the ones `melodiasync bench loop` uses (8 channels at 256 Hz, an 8 µV 1/f
//! background, one rhythm with a known envelope); every figure is computed here from the
//! per-block trace, independently of the benchmark's own code.

mod support;

use melodiasync::eeg::sim::{Script, SimConfig};
use melodiasync::eeg::stimulus::{Envelope, Stimulus};
use melodiasync::eeg::worker::AnalysisConfig;
use melodiasync::feedback::program::ProgramKind;
use melodiasync::render::{EegInput, EegJob, RenderJob};
use support::loop_trace::{controls, memory, trace, Trace};

/// The stimulus rhythm (Hz) each tested program rewards.
fn rhythm(program: ProgramKind) -> f32 {
    match program {
        ProgramKind::Calm => 10.0,
        ProgramKind::SleepOnset => 6.0,
        ProgramKind::SmrFocus => 13.5,
        other => panic!("no stimulus for {other:?}"),
    }
}

/// Seconds after `at` when `v` passes `fraction` of its change from the mean of the 5 s
/// before `at` to the mean of 5–8 s after it, and stays past it for 0.1 s.
fn crossing(times: &[f64], v: &[f64], at: f64, fraction: f64) -> f64 {
    let mean = |a: f64, b: f64| {
        let sel: Vec<f64> = times
            .iter()
            .zip(v)
            .filter(|(t, _)| **t >= a && **t < b)
            .map(|(_, x)| *x)
            .collect();
        sel.iter().sum::<f64>() / sel.len() as f64
    };
    let (before, after) = (mean(at - 5.0, at), mean(at + 5.0, at + 8.0));
    let level = before + fraction * (after - before);
    let up = after > before;
    let past = |i: usize| if up { v[i] >= level } else { v[i] <= level };
    (0..times.len())
        .filter(|&i| times[i] >= at && past(i))
        .find(|&i| {
            (i..times.len())
                .take_while(|&j| times[j] < times[i] + 0.1)
                .all(past)
        })
        .map(|i| times[i] - at)
        .expect("never crossed")
}

#[test]
fn applied_modulation_follows_a_rhythm_step_within_250_ms() {
    // Up at 30 s (2 -> 20 µV), down at 60 s, averaged over four background seeds so one
    // noise realisation cannot decide the figure; for listeners with a quarter, one and four
    // times the rhythm's power.
    for (program, scale) in [
        ProgramKind::Calm,
        ProgramKind::SleepOnset,
        ProgramKind::SmrFocus,
    ]
    .into_iter()
    .flat_map(|p| [0.5f32, 1.0, 2.0].map(|scale| (p, scale)))
    {
        let env = Envelope::Step {
            low: 2.0 * scale,
            high: 20.0 * scale,
            up_s: 30.0,
            down_s: 60.0,
        };
        let traces: Vec<Trace> = (1..=4)
            .map(|seed| {
                let s = Stimulus::new(rhythm(program), env.clone(), 90.0, seed);
                trace(memory(&s), 90.0, program)
            })
            .collect();
        let n = traces[0].values.len();
        let mean: Vec<f64> = (0..n)
            .map(|i| traces.iter().map(|t| t.values[i]).sum::<f64>() / 4.0)
            .collect();
        let times = &traces[0].times;
        for at in [30.0, 60.0] {
            let t50 = crossing(times, &mean, at, 0.5);
            let t90 = crossing(times, &mean, at, 0.9);
            // The goal: 50 % within 250 ms and 90 % within 600 ms of the step, in audio time,
            // including the frame hop and the 10.7 ms block.
            assert!(
                t50 <= 0.25,
                "{program:?} x{scale} step at {at}: t50 {t50:.3} s"
            );
            assert!(
                t90 <= 0.6,
                "{program:?} x{scale} step at {at}: t90 {t90:.3} s"
            );
        }
    }
}

/// Pearson correlation.
fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// Where fidelity is measured from, s: the first frame needs a full 1 s window, and feedback
/// fades in over 3 s when it starts (so it never jumps in).
const START: f64 = 1.0 + melodiasync::feedback::FADE_IN_S as f64;

#[test]
fn applied_modulation_tracks_a_wandering_rhythm_from_the_first_minute() {
    // Listeners whose rhythm carries a quarter, one and four times the reference power
    // (amplitude ×½, ×1, ×2), no calibration: Calm's warmth against the true envelope (2–20
    // µV, content below 0.7 Hz) over the first minute and over two, averaged over six
    // background and envelope seeds (as `bench loop` does).
    for scale in [0.5f32, 1.0, 2.0] {
        let mut first = Vec::new();
        let mut whole = Vec::new();
        for seed in 1..=6 {
            let env = Envelope::Wander {
                low: 2.0 * scale,
                high: 20.0 * scale,
                max_hz: 0.7,
            };
            let s = Stimulus::new(10.0, env, 120.0, seed);
            let truth = s.envelope_series(0.001);
            let t = trace(memory(&s), 120.0, ProgramKind::Calm);
            let best = |to: f64| {
                (0..=25)
                    .map(|k| {
                        let lag = k as f64 * 0.01;
                        let (mut a, mut b) = (Vec::new(), Vec::new());
                        for (time, v) in t.times.iter().zip(&t.values) {
                            if *time >= START && *time < to {
                                a.push(*v);
                                b.push(truth[((time - lag) * 1000.0) as usize] as f64);
                            }
                        }
                        pearson(&a, &b)
                    })
                    .fold(f64::MIN, f64::max)
            };
            first.push(best(60.0));
            whole.push(best(120.0));
        }
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
        // The goal: at least 0.85, at a lag of 250 ms or less (the only lags searched).
        assert!(mean(&first) >= 0.85, "x{scale}: first minute {first:?}");
        assert!(mean(&whole) >= 0.85, "x{scale}: two minutes {whole:?}");
    }
}

#[test]
fn steady_eeg_gives_a_steady_sound() {
    // Constant alpha (6.3 µV, the geometric middle of the step, times the listener's scale)
    // for five minutes. The figures before the work that made the feedback hold states (issue
    // 27; docs/bench/loop-hold-before.txt, Calm with the quadrature estimator) were a warmth
    // standard deviation of 0.095, 0.098 and 0.101 and 1.5, 1.5 and 2.0 in-target flips per
    // minute for a quarter, one and four times the power: holding must not be bought with
    // flicker.
    for (scale, std_before, flips_before) in
        [(0.5f32, 0.095, 1.5), (1.0, 0.098, 1.5), (2.0, 0.101, 2.0)]
    {
        let s = Stimulus::new(10.0, Envelope::Steady(6.32 * scale), 300.0, 1);
        let t = trace(memory(&s), 300.0, ProgramKind::Calm);
        let after: Vec<usize> = (0..t.times.len()).filter(|&i| t.times[i] >= 60.0).collect();
        let v: Vec<f64> = after.iter().map(|&i| t.values[i]).collect();
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
        let flips = after
            .windows(2)
            .filter(|w| t.in_target[w[0]] != t.in_target[w[1]])
            .count() as f64
            / 4.0;
        assert!(sd <= std_before, "x{scale}: warmth standard deviation {sd}");
        assert!(
            flips <= flips_before,
            "x{scale}: {flips} in-target flips per minute"
        );
    }
}

#[test]
fn adaptive_targets_hold_a_reached_state_then_the_goal_for_two_hours() {
    // The simulator's Calm script: alpha rises over five minutes, then stays there for two
    // hours. The state reached is held, so "in target" stays on through its first ten minutes
    // (at least 80 %); once the listener's range has taken it in (one adaptation time, 20
    // minutes), the share of time in target is within ±10 points of the 60 % goal in every
    // 10-minute window, and the reported success rate is that share.
    let input = EegInput::Simulator(SimConfig {
        script: Script::Calm,
        ..SimConfig::default()
    });
    let t = trace(input, 7200.0, ProgramKind::Calm);
    let held = t.in_target_share(300.0, 900.0);
    assert!(
        held >= 0.8,
        "in target {held:.2} of the state's first ten minutes"
    );
    let windows: Vec<f64> = (2..12)
        .map(|k| t.in_target_share(600.0 * k as f64, 600.0 * (k + 1) as f64))
        .collect();
    assert!(
        windows.iter().all(|s| (s - 0.6).abs() <= 0.1),
        "shares per 10 minutes from minute 20: {windows:.2?}"
    );
    // The reported rate at the end is the share over about the last adaptation time (an
    // exponential average): compare it with the share of the last 20 minutes.
    let last = *t.reported.last().unwrap();
    let share = t.in_target_share(6000.0, 7200.0);
    assert!(
        (last - share).abs() < 0.05,
        "reported {last:.3}, share {share:.3}"
    );
}

#[test]
fn an_eeg_driven_render_is_the_same_for_any_block_size() {
    // Frames are scored at control points and the feedback moves on at control points, so
    // the audio is bit-identical whatever the host's block size (including sizes that are not
    // multiples of the 32-sample control grid).
    let render = |block: usize| {
        let job = RenderJob {
            block,
            eeg: Some(EegJob {
                input: EegInput::parse("sim:eyes-closed").unwrap(),
                analysis: AnalysisConfig::default(),
                log: None,
                heart: None,
            }),
            ..RenderJob::new(controls(ProgramKind::Calm), 8.0)
        };
        let (l, r, report) = melodiasync::render::render_to_vec(&job).unwrap();
        assert!(report.all_finite);
        (l, r)
    };
    let reference = render(512);
    for block in [7, 100, 4096] {
        let other = render(block);
        assert!(other == reference, "block size {block} changed the sound");
    }
}
