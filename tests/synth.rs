//! The synthesizer's documented promises, measured from rendered audio with independent
//! analysis (FFT peak interpolation, envelope spectra, step statistics).

mod support;

use std::sync::Arc;

use melodiasync::engine::{Controls, Engine, NoteAction, TimedNote};
use melodiasync::params::MelodiaSyncParams;
use melodiasync::synth::rng::Rng;
use melodiasync::synth::{limiter::CEILING, Modulation, Synth, SynthSettings};
use nice_plug::prelude::Params;
use support::analysis::*;

/// Renders `seconds` of `settings` (with neutral modulation) through a fresh synth.
fn render_synth(settings: &SynthSettings, sr: f32, seconds: f32) -> (Vec<f32>, Vec<f32>) {
    let mut s = Synth::new(sr, 1);
    let n = (seconds * sr) as usize;
    let mut l = vec![0.0; n];
    let mut r = vec![0.0; n];
    for (cl, cr) in l.chunks_mut(512).zip(r.chunks_mut(512)) {
        s.process(settings, &Modulation::NEUTRAL, cl, cr);
    }
    (l, r)
}

/// Only the named layer audible, no reverb, flat tone.
fn solo(binaural: f32, iso: f32) -> SynthSettings {
    SynthSettings {
        binaural_level: binaural,
        isochronic_level: iso,
        reverb_mix: 0.0,
        ..SynthSettings::silent()
    }
}

#[test]
fn binaural_difference_equals_the_beat_within_10_mhz() {
    let sr = 48_000.0;
    for (carrier, beat) in [
        (100.0, 0.5),
        (200.0, 8.0),
        (250.0, 4.3),
        (400.0, 40.0),
        (137.0, 13.7),
    ] {
        let settings = SynthSettings {
            carrier_hz: carrier,
            beat_hz: beat,
            ..solo(1.0, 0.0)
        };
        let (l, r) = render_synth(&settings, sr, 23.0);
        // 2^20 samples after the first second (smoothers settled): 0.046 Hz bins.
        let (l, r) = (
            &l[48_000..48_000 + (1 << 20)],
            &r[48_000..48_000 + (1 << 20)],
        );
        let fl = peak_frequency(l, sr, 50.0, 500.0);
        let fr = peak_frequency(r, sr, 50.0, 500.0);
        let diff = fr - fl;
        assert!(
            (diff - beat as f64).abs() < 0.01,
            "carrier {carrier} beat {beat}: measured L {fl:.4} R {fr:.4} diff {diff:.4}"
        );
        assert!(
            ((fl + fr) / 2.0 - carrier as f64).abs() < 0.05,
            "carrier off: {fl} {fr}"
        );
    }
}

#[test]
fn isochronic_pulse_rate_within_one_percent() {
    let sr = 48_000.0;
    for rate in [1.5, 4.0, 6.5, 10.0, 18.0, 32.0] {
        let settings = SynthSettings {
            beat_hz: rate,
            pulse_tone_hz: 440.0,
            ..solo(0.0, 1.0)
        };
        let (l, _) = render_synth(&settings, sr, 21.0);
        // Envelope: energy per 1 ms frame (1 kHz envelope rate), then its spectrum.
        let env: Vec<f32> = l[48_000..]
            .chunks(48)
            .map(|c| c.iter().map(|v| v * v).sum::<f32>())
            .collect();
        let mean = env.iter().sum::<f32>() / env.len() as f32;
        let env: Vec<f32> = env.iter().map(|e| e - mean).collect();
        let f = peak_frequency(&env[..16_384], 1000.0, 0.5, 45.0);
        assert!(
            ((f - rate as f64) / rate as f64).abs() < 0.01,
            "pulse rate {rate}: measured {f:.4}"
        );
    }
}

#[test]
fn silence_when_every_level_is_zero() {
    let (l, r) = render_synth(&SynthSettings::silent(), 48_000.0, 3.0);
    assert!(
        l.iter().chain(&r).all(|x| *x == 0.0),
        "max {}",
        l.iter().fold(0.0f32, |m, x| m.max(x.abs()))
    );
}

#[test]
fn identical_input_and_seed_give_identical_output_and_reset_reproduces_it() {
    let settings = SynthSettings::DEFAULT;
    let a = render_synth(&settings, 44_100.0, 3.0);
    let b = render_synth(&settings, 44_100.0, 3.0);
    assert_eq!(a, b);
    let mut s = Synth::new(44_100.0, 1);
    let n = 3 * 44_100;
    let mut l = vec![0.0; n];
    let mut r = vec![0.0; n];
    s.process(&settings, &Modulation::NEUTRAL, &mut l, &mut r);
    s.reset();
    s.process(&settings, &Modulation::NEUTRAL, &mut l, &mut r);
    assert_eq!((l, r), a);
    // A different seed gives a different soundscape (the seed is really used).
    let mut other = Synth::new(44_100.0, 2);
    let mut l2 = vec![0.0; n];
    let mut r2 = vec![0.0; n];
    other.process(&settings, &Modulation::NEUTRAL, &mut l2, &mut r2);
    assert_ne!(l2, a.0);
}

/// Renders through the engine with `block(i)` giving each host block's size.
fn render_engine(
    controls: &Controls,
    sr: f32,
    frames: usize,
    mut block: impl FnMut(usize) -> usize,
) -> Vec<f32> {
    let mut e = Engine::new(sr);
    let mut out = Vec::with_capacity(frames);
    let mut l = vec![0.0; 4096];
    let mut r = vec![0.0; 4096];
    let mut i = 0;
    while out.len() < frames {
        let n = block(i).clamp(1, 4096).min(frames - out.len());
        i += 1;
        e.render(controls, || None, &mut l[..n], &mut r[..n]);
        out.extend_from_slice(&l[..n]);
    }
    out
}

#[test]
fn output_does_not_depend_on_the_host_block_size() {
    let controls = MelodiaSyncParams::default().controls();
    let frames = 48_000;
    let reference = render_engine(&controls, 48_000.0, frames, |_| 32);
    for (label, f) in support::block_patterns() {
        assert_eq!(
            render_engine(&controls, 48_000.0, frames, f),
            reference,
            "block size {label}"
        );
    }
}

/// Sets a parameter's normalised value through the same pointer the host wrappers use.
fn set_normalized(params: &Arc<MelodiaSyncParams>, id: &str, value: f32) {
    let ptr = melodiasync::params::param_by_id(params, id).unwrap();
    // SAFETY: the pointer targets `params`, alive for this call; no other thread uses it.
    unsafe {
        ptr._internal_set_normalized_value(value);
    }
}

/// Step bound for a parameter jump: 1.25 x the larger of the steady-state maximum steps before
/// and after the jump, plus 0.001. Justification: a smoothed full-scale level change over the
/// synth's 60 ms time constant adds at most 0.89 / (0.06 s · 48 kHz) ≈ 3e-4 per sample; while
/// a control moves, the sound may pass through states up to 25 % louder than either end (the
/// drift wobble's sign); a click (an unsmoothed jump) adds a step of the order of the signal's
/// amplitude, 5-50x the steady step. With the smoother bypassed this test fails.
#[test]
fn every_parameter_jump_min_to_max_stays_within_the_step_bound() {
    let sr = 48_000.0;
    // Long enough for the drone's 1.2 s voice fade-in to finish, so "steady" means steady.
    let settle = 5 * 48_000;
    let after = 48_000;
    let ids: Vec<String> = MelodiaSyncParams::default()
        .param_map()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    for id in ids {
        for (from, to) in [(0.0, 1.0), (1.0, 0.0)] {
            let steady = |v: f32| {
                let p = Arc::new(MelodiaSyncParams::default());
                set_normalized(&p, &id, v);
                let x = render_engine(&p.controls(), sr, settle + after, |_| 256);
                max_step(&x[settle - 1..])
            };
            let (sa, sb) = (steady(from), steady(to));
            let p = Arc::new(MelodiaSyncParams::default());
            set_normalized(&p, &id, from);
            let mut e = Engine::new(sr);
            let mut l = vec![0.0; settle];
            let mut r = vec![0.0; settle];
            e.render(&p.controls(), || None, &mut l, &mut r);
            let last = *l.last().unwrap();
            set_normalized(&p, &id, to);
            let mut l2 = vec![0.0; after];
            let mut r2 = vec![0.0; after];
            e.render(&p.controls(), || None, &mut l2, &mut r2);
            let mut joined = vec![last];
            joined.extend_from_slice(&l2);
            let jump = max_step(&joined);
            let bound = 1.25 * sa.max(sb) + 0.001;
            assert!(
                jump <= bound,
                "parameter {id} {from}->{to}: step {jump:.5} > bound {bound:.5} (steady {sa:.5}/{sb:.5})"
            );
        }
    }
}

#[test]
fn output_stays_finite_and_below_the_ceiling_under_random_automation() {
    let sr = 48_000.0;
    let params = Arc::new(MelodiaSyncParams::default());
    let ids: Vec<String> = params
        .param_map()
        .into_iter()
        .map(|(id, _, _)| id)
        .collect();
    let mut rng = Rng::new(2024);
    let mut e = Engine::new(sr);
    let mut l = vec![0.0; 4096];
    let mut r = vec![0.0; 4096];
    let mut total = 0usize;
    while total < 60 * 48_000 {
        // Move a few random parameters to random values (jumps, not glides) every block.
        for _ in 0..3 {
            let id = &ids[(rng.next_u64() % ids.len() as u64) as usize];
            set_normalized(&params, id, rng.unit());
        }
        let n = 1 + (rng.next_u64() % 4096) as usize;
        let key = 30 + (rng.next_u64() % 60) as u8;
        let action = if rng.unit() < 0.5 {
            NoteAction::On(key)
        } else {
            NoteAction::Off(key)
        };
        let mut ev = Some(TimedNote {
            offset: (rng.next_u64() % n as u64) as u32,
            action,
        });
        e.render(&params.controls(), || ev.take(), &mut l[..n], &mut r[..n]);
        for x in l[..n].iter().chain(&r[..n]) {
            assert!(
                x.is_finite() && x.abs() < CEILING,
                "sample {x} at frame {total}"
            );
        }
        total += n;
    }
}

#[test]
fn default_patch_is_near_minus_18_lufs_with_headroom_and_no_dc() {
    use melodiasync::loudness::LoudnessMeter;
    let controls = MelodiaSyncParams::default().controls();
    for sr in [44_100.0, 48_000.0, 96_000.0] {
        let mut e = Engine::new(sr);
        let n = (30.0 * sr) as usize;
        let mut l = vec![0.0; n];
        let mut r = vec![0.0; n];
        for (cl, cr) in l.chunks_mut(1024).zip(r.chunks_mut(1024)) {
            e.render(&controls, || None, cl, cr);
        }
        let mut m = LoudnessMeter::new(sr);
        m.push(&l, &r);
        let lufs = m.integrated_lufs().unwrap();
        assert!((lufs + 18.0).abs() < 1.5, "{sr} Hz: {lufs:.2} LUFS");
        assert!(
            m.peak_dbfs() < -1.0,
            "{sr} Hz: peak {:.2} dBFS",
            m.peak_dbfs()
        );
        let dc = l.iter().chain(&r).map(|x| *x as f64).sum::<f64>() / (2 * n) as f64;
        assert!(dc.abs() < 1e-3, "{sr} Hz: DC {dc}");
    }
}

#[test]
fn relaxation_macro_warms_the_sound_and_slows_the_beat() {
    let sr = 48_000.0;
    let render_at = |relax: f32| {
        let mut c = MelodiaSyncParams::default().controls();
        c.relaxation = relax;
        render_engine(&c, sr, 10 * 48_000, |_| 512)
    };
    let tense = render_at(0.0);
    let deep = render_at(1.0);
    let (ct, cd) = (
        centroid(&tense[48_000..], sr),
        centroid(&deep[48_000..], sr),
    );
    assert!(
        ct > 1.3 * cd,
        "centroid tense {ct:.0} Hz vs deep {cd:.0} Hz"
    );

    // The beat follows the macro: 8 Hz at neutral, doubled at 0, halved at 1.
    for (relax, want) in [(0.0, 16.0), (0.5, 8.0), (1.0, 4.0)] {
        let mut c = MelodiaSyncParams::default().controls();
        c.relaxation = relax;
        c.settings = SynthSettings { ..solo(1.0, 0.0) };
        let mut s = Synth::new(sr, 1);
        let n = 1 << 20;
        let mut l = vec![0.0; n + 48_000];
        let mut r = vec![0.0; n + 48_000];
        s.process(&c.settings, &Engine::new(sr).modulation(&c), &mut l, &mut r);
        let beat = peak_frequency(&r[48_000..], sr, 50.0, 500.0)
            - peak_frequency(&l[48_000..], sr, 50.0, 500.0);
        assert!(
            (beat - want).abs() < 0.01,
            "relaxation {relax}: beat {beat:.4}, want {want}"
        );
    }
}

#[test]
fn non_finite_settings_and_modulation_fall_back_to_defaults() {
    let bad = SynthSettings {
        tone: f32::NAN,
        carrier_hz: f32::INFINITY,
        beat_hz: f32::NAN,
        noise_cutoff_hz: f32::NEG_INFINITY,
        root_note: f32::NAN,
        output_db: f32::NAN,
        ..SynthSettings::DEFAULT
    };
    let modulation = Modulation {
        warmth: f32::NAN,
        space: f32::INFINITY,
        ..Modulation::NEUTRAL
    };
    let mut s = Synth::new(48_000.0, 1);
    let mut l = vec![0.0; 96_000];
    let mut r = vec![0.0; 96_000];
    s.process(&bad, &modulation, &mut l, &mut r);
    assert!(l.iter().chain(&r).all(|x| x.is_finite()));
    // Not silenced: the factory values stand in for the broken ones.
    let (good_l, _) = render_synth(&SynthSettings::DEFAULT, 48_000.0, 2.0);
    let ratio = rms(&l[48_000..]) / rms(&good_l[48_000..]);
    assert!((ratio - 1.0).abs() < 0.05, "level ratio {ratio}");
}

/// The breath pacer alone (noise layer, bright so its envelope is measured finely), no
/// reverb.
fn pacer_only(rate: f32, inhale: f32) -> SynthSettings {
    SynthSettings {
        pacer: true,
        pacer_rate: rate,
        pacer_inhale: inhale,
        pacer_level: 0.8,
        noise_colour: 0.0,
        noise_cutoff_hz: 12_000.0,
        reverb_mix: 0.0,
        ..SynthSettings::silent()
    }
}

/// RMS per 10 ms of `x` at `sr`.
fn envelope(x: &[f32], sr: f32) -> Vec<f64> {
    x.chunks((0.01 * sr) as usize)
        .map(|c| rms(c) as f64)
        .collect()
}

/// Times (s, at 100 Hz) where `e` crosses `level` upward (`up`) or downward, interpolated;
/// a crossing counts only after `e` has been `hysteresis` on the other side, so noise
/// around the level is not a crossing.
fn crossings(e: &[f64], level: f64, hysteresis: f64, up: bool) -> Vec<f64> {
    let sign = if up { 1.0 } else { -1.0 };
    let mut armed = false;
    let mut out = Vec::new();
    for (k, w) in e.windows(2).enumerate() {
        let (a, b) = (sign * (w[0] - level), sign * (w[1] - level));
        if a < -hysteresis {
            armed = true;
        }
        if armed && a < 0.0 && b >= 0.0 {
            out.push((k as f64 + a / (a - b)) * 0.01);
            armed = false;
        }
    }
    out
}

/// Least-squares residual of `y` against `c0 + c1·e + c2·e²` (a 3 × 3 normal system).
fn quadratic_residual(y: &[f64], e: &[f64]) -> f64 {
    let mut a = [[0.0f64; 3]; 3];
    let mut b = [0.0f64; 3];
    for (yi, ei) in y.iter().zip(e) {
        let x = [1.0, *ei, ei * ei];
        for r in 0..3 {
            b[r] += x[r] * yi;
            for c in 0..3 {
                a[r][c] += x[r] * x[c];
            }
        }
    }
    // Cramer's rule.
    let det = |m: &[[f64; 3]; 3]| {
        m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1])
            - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
            + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
    };
    let d = det(&a);
    let coef: Vec<f64> = (0..3)
        .map(|k| {
            let mut m = a;
            for r in 0..3 {
                m[r][k] = b[r];
            }
            det(&m) / d
        })
        .collect();
    y.iter()
        .zip(e)
        .map(|(yi, ei)| (yi - coef[0] - coef[1] * ei - coef[2] * ei * ei).powi(2))
        .sum()
}

/// The inhale share of a folded breath envelope (one breath, `fold[b]` at phase
/// `(b + 0.5) / len`): the share and phase of the raised-cosine breath (rise over the
/// inhale, fall over the exhale) that fit it best, searched coarse then fine.
fn fit_inhale_share(fold: &[f64]) -> f64 {
    let n = fold.len() as f64;
    let model = |share: f64, shift: f64| -> Vec<f64> {
        (0..fold.len())
            .map(|b| {
                let p = ((b as f64 + 0.5) / n - shift).rem_euclid(1.0);
                if p < share {
                    0.5 - 0.5 * (std::f64::consts::PI * p / share).cos()
                } else {
                    0.5 + 0.5 * (std::f64::consts::PI * (p - share) / (1.0 - share)).cos()
                }
            })
            .collect()
    };
    // The best (residual, share, shift) over a grid.
    let search = |shares: Vec<f64>, shifts: Vec<f64>| {
        let mut best = (f64::MAX, 0.4, 0.0);
        for &share in &shares {
            for &shift in &shifts {
                let r = quadratic_residual(fold, &model(share, shift));
                if r < best.0 {
                    best = (r, share, shift);
                }
            }
        }
        best
    };
    let coarse = search(
        (15..=65).map(|k| k as f64 / 100.0).collect(),
        (0..100).map(|k| k as f64 / 100.0).collect(),
    );
    let (_, s0, t0) = coarse;
    let fine = search(
        (-20..=20).map(|k| s0 + k as f64 / 2000.0).collect(),
        (-20..=20).map(|k| t0 + k as f64 / 2000.0).collect(),
    );
    fine.1
}

#[test]
fn breath_pacer_rate_and_inhale_share_are_heard_within_one_percent() {
    let sr = 48_000.0;
    for (rate, inhale) in [(6.0, 0.4), (4.5, 0.3), (10.0, 0.5), (3.0, 0.6)] {
        let period = 60.0 / rate as f64;
        let breaths = 20.0;
        let (l, r) = render_synth(
            &pacer_only(rate, inhale),
            sr,
            (breaths * period) as f32 + 1.0,
        );
        // From 1 s (the smoothers settled), the envelope of both (independent) channels,
        // and its period from the upward crossings of its middle on a lightly smoothed copy
        // (a 0.2 s box delays every crossing alike).
        let env: Vec<f64> = envelope(&l[48_000..], sr)
            .iter()
            .zip(envelope(&r[48_000..], sr))
            .map(|(a, b)| (0.5 * (a * a + b * b)).sqrt())
            .collect();
        let smooth: Vec<f64> = env
            .windows(21)
            .map(|w| w.iter().sum::<f64>() / 21.0)
            .collect();
        let (lo, hi) = smooth
            .iter()
            .fold((f64::MAX, 0.0f64), |(a, b), x| (a.min(*x), b.max(*x)));
        let ups = crossings(&smooth, 0.5 * (lo + hi), 0.1 * (hi - lo), true);
        assert!(ups.len() >= 12, "{rate}/min: {} breaths", ups.len());
        let measured = (ups[ups.len() - 1] - ups[0]) / (ups.len() - 1) as f64;
        assert!(
            (measured / period - 1.0).abs() < 0.01,
            "{rate}/min: period {measured:.3} s for {period:.3} s"
        );
        // Every breath folded onto one, 200 bins a breath, from the first crossing.
        let bins = 200;
        let mut fold = vec![(0.0f64, 0u32); bins];
        let span = ups[ups.len() - 1] - ups[0];
        for (k, v) in env.iter().enumerate() {
            let t = k as f64 * 0.01 - ups[0];
            if (0.0..span).contains(&t) {
                let b = (((t / measured).fract() * bins as f64) as usize).min(bins - 1);
                fold[b].0 += v;
                fold[b].1 += 1;
            }
        }
        let fold: Vec<f64> = fold.iter().map(|(s, n)| s / *n as f64).collect();
        // The inhale share (and phase) whose raised-cosine breath best explains the folded
        // envelope, through any smooth monotonic level (a quadratic: the low-pass opening
        // with the breath makes the level a little more than proportional).
        let share = fit_inhale_share(&fold);
        assert!(
            (share / inhale as f64 - 1.0).abs() < 0.01,
            "{rate}/min {inhale}: inhale share {share:.4}"
        );
        let (lo, hi) = fold
            .iter()
            .fold((f64::MAX, 0.0f64), |(a, b), x| (a.min(*x), b.max(*x)));
        // The cue is clear: its swing is most of its level.
        assert!(hi > 3.0 * lo, "{lo} {hi}");
    }
}

#[test]
fn turning_the_pacer_on_and_off_never_clicks() {
    // The noise layer with its surf, the pacer switched every 1.3 s against the same layer
    // left alone: the largest step of the 2 ms envelope is no larger.
    let sr = 48_000.0;
    let base = SynthSettings {
        noise_level: 0.8,
        pacer_level: 0.8,
        reverb_mix: 0.0,
        noise_cutoff_hz: 12_000.0,
        ..SynthSettings::silent()
    };
    let largest_step = |toggle: bool| {
        let mut s = Synth::new(sr, 1);
        let (mut l, mut r) = (vec![0.0; 480], vec![0.0; 480]);
        let mut env = Vec::new();
        for k in 0..2000 {
            let on = toggle && (k as f32 * 0.01 / 1.3) as usize % 2 == 1;
            let settings = SynthSettings { pacer: on, ..base };
            for (cl, cr) in l.chunks_mut(96).zip(r.chunks_mut(96)) {
                s.process(&settings, &Modulation::NEUTRAL, cl, cr);
                env.push(rms(cl) as f64);
            }
        }
        env[500..]
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f64::max)
    };
    let (steady, toggled) = (largest_step(false), largest_step(true));
    assert!(toggled < 1.2 * steady, "{toggled} vs {steady}");
}
