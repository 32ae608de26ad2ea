//! Measuring the whole EEG → sound loop on the audio clock (`melodiasync bench loop`).
//!
//! Each factory program is driven by a stimulus whose rhythm sits in the band the program
//! rewards (or inhibits), with a known amplitude envelope ([`crate::eeg::stimulus`]). The
//! offline renderer runs the plugin's own control path (features → feedback → the modulation
//! each audio block hands the synth), so every figure is deterministic and in audio time:
//!
//! - **step**: the rhythm jumps from its low to its high amplitude at 30 s and back at 60 s;
//!   t50 and t90 are the times after the step at which the seed-averaged feature, reward and
//!   applied modulation first pass 50 % and 90 % of their change (baseline: the 5 s before
//!   the step; final: 5–8 s after it);
//! - **wander**: the envelope wanders smoothly (content below 0.7 Hz) for 120 s; the
//!   correlation of each signal with the true envelope at the best lag in 0–2 s, over the
//!   whole run and over the first minute alone (both from [`START_S`]), for listeners whose
//!   rhythm is weaker or stronger than the reference (`--scales`: amplitude factors; ½ and
//!   2 are a quarter and four times the power);
//! - **steady**: constant amplitude for 300 s; the applied modulation's standard deviation
//!   and the in-target on/off flips per minute after the first minute;
//! - **threshold**: long runs (2 h by default) of the wander at the three listener scales and
//!   of the simulator's Calm script: the share of time in target after the first minute, the
//!   lowest and highest share in any 10-minute window, and the success rate the engine
//!   reports.

use std::sync::Arc;

use crate::eeg::sim::{Script, SimConfig};
use crate::eeg::stimulus::{Envelope, Stimulus};
use crate::eeg::worker::AnalysisConfig;
use crate::engine::Controls;
use crate::features::bands::{ALPHA, HIGH_BETA, SMR, THETA};
use crate::features::baseline::FeatureId;
use crate::feedback::mapping::{Dest, RouteSource};
use crate::feedback::program::{Program, ProgramKind};
use crate::render::{render_traced, EegInput, EegJob, RenderError, RenderJob, TraceEvent};

/// Where fidelity is measured from, s: the first frame needs a full 1 s window, and the
/// feedback fades in over [`crate::feedback::FADE_IN_S`] when it starts.
pub const START_S: f64 = 1.0 + crate::feedback::FADE_IN_S as f64;

/// How one program is stimulated and observed.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopCase {
    /// The program.
    pub program: ProgramKind,
    /// The stimulus rhythm, Hz.
    pub rhythm_hz: f32,
    /// Channels carrying the varying rhythm (empty: all).
    pub rhythm_on: Vec<String>,
    /// Constant rhythm amplitude on the other channels, µV.
    pub others_amplitude: f32,
    /// Low and high rhythm amplitude of the reference listener, µV.
    pub range: (f32, f32),
    /// The feature watched (the program's first reward term).
    pub feature: FeatureId,
    /// The destination watched (the program's first reward route).
    pub dest: Dest,
    /// +1 when the reward should rise with the rhythm's amplitude, -1 when it should fall.
    pub reward_sign: f32,
    /// Likewise for the destination (the reward's sign times the route's polarity).
    pub sign: f32,
}

impl LoopCase {
    /// The case for `program`.
    pub fn for_program(program: ProgramKind) -> Self {
        let p = Program::factory(program);
        let (rhythm_hz, rhythm_on, others, range) = match program {
            ProgramKind::Calm => (10.0, vec![], 0.0, (2.0, 20.0)),
            ProgramKind::DeepRest | ProgramKind::SleepOnset => (6.0, vec![], 0.0, (2.0, 20.0)),
            ProgramKind::SmrFocus => (13.5, vec![], 0.0, (2.0, 20.0)),
            ProgramKind::CoolDown => (25.0, vec![], 0.0, (2.0, 20.0)),
            // Right-frontal alpha against a constant left: asymmetry moves toward the target.
            ProgramKind::Balance => (10.0, vec!["F4".to_string()], 8.0, (2.0, 8.0)),
        };
        let route = p
            .mapping
            .iter()
            .find(|r| r.source == RouteSource::Reward)
            .copied()
            .unwrap_or(p.mapping[0]);
        // The reward rises with every stimulus rhythm (it is the rewarded band, or, for
        // Balance, moves the asymmetry toward its target) except Cool-down's high beta; the
        // route's depth sets the polarity of the destination.
        let rises = if program == ProgramKind::CoolDown {
            -1.0
        } else {
            1.0
        };
        Self {
            program,
            rhythm_hz,
            rhythm_on,
            others_amplitude: others,
            range,
            feature: match program {
                ProgramKind::DeepRest | ProgramKind::SleepOnset => FeatureId::Rel(THETA as u8),
                ProgramKind::SmrFocus => FeatureId::Rel(SMR as u8),
                ProgramKind::CoolDown => FeatureId::Rel(HIGH_BETA as u8),
                ProgramKind::Calm => FeatureId::Rel(ALPHA as u8),
                ProgramKind::Balance => FeatureId::Asymmetry,
            },
            dest: route.dest,
            reward_sign: rises,
            sign: rises * route.depth.signum(),
        }
    }

    /// A stimulus for this case: `envelope` scaled by `scale` (the listener's strength).
    pub fn stimulus(&self, envelope: Envelope, scale: f32, seconds: f64, seed: u64) -> Stimulus {
        let envelope = match envelope {
            Envelope::Steady(a) => Envelope::Steady(a * scale),
            Envelope::Step {
                low,
                high,
                up_s,
                down_s,
            } => Envelope::Step {
                low: low * scale,
                high: high * scale,
                up_s,
                down_s,
            },
            Envelope::Wander { low, high, max_hz } => Envelope::Wander {
                low: low * scale,
                high: high * scale,
                max_hz,
            },
        };
        Stimulus {
            rhythm_on: self.rhythm_on.clone(),
            others_amplitude: self.others_amplitude * scale,
            ..Stimulus::new(self.rhythm_hz, envelope, seconds, seed)
        }
    }
}

/// Per-block signals of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoopTrace {
    /// Block start times, s.
    pub times: Vec<f64>,
    /// The watched feature of the newest frame scored by then.
    pub feature: Vec<f32>,
    /// The reward after the block's frames.
    pub reward: Vec<f32>,
    /// The watched destination's value in the modulation the synth receives.
    pub modulation: Vec<f32>,
    /// In target.
    pub in_target: Vec<bool>,
    /// The success rate the engine reports.
    pub success_rate: Vec<f32>,
}

/// Runs `input` through the control path with `controls` and `analysis`; one trace row per
/// block of 512 samples at 48 kHz.
pub fn run(
    input: EegInput,
    seconds: f64,
    controls: Controls,
    analysis: AnalysisConfig,
    case: &LoopCase,
) -> Result<LoopTrace, String> {
    let job = RenderJob {
        eeg: Some(EegJob {
            input,
            analysis,
            log: None,
        }),
        audio: false,
        ..RenderJob::new(controls, seconds)
    };
    let mut trace = LoopTrace::default();
    let mut feature = 0.0f32;
    render_traced::<std::convert::Infallible>(
        &job,
        |_, _| Ok(()),
        |ev| match ev {
            TraceEvent::Frame(r) => {
                if r.frame.valid {
                    feature = case.feature.of(&r.frame);
                }
            }
            TraceEvent::Block {
                time,
                modulation,
                feedback,
            } => {
                trace.times.push(*time);
                trace.feature.push(feature);
                trace.reward.push(feedback.reward);
                trace.modulation.push(case.dest.of(modulation));
                trace.in_target.push(feedback.in_target);
                trace.success_rate.push(feedback.success_rate);
            }
        },
    )
    .map_err(|e| match e {
        RenderError::Session(s) => s,
        RenderError::Sink(never) => match never {},
    })?;
    Ok(trace)
}

/// Seconds after `step_s` at which `values` (sampled at `times`) passes `fraction` of its
/// change from the 5 s before the step to 5–8 s after it and stays past it for
/// [`HOLD_S`] (so a noise spike before the response cannot count); `None` if it never does
/// (or does not change).
pub fn step_time(times: &[f64], values: &[f32], step_s: f64, fraction: f64) -> Option<f64> {
    let before = mean_in(times, values, step_s - 5.0, step_s)?;
    let after = mean_in(times, values, step_s + 5.0, step_s + 8.0)?;
    let change = after - before;
    if change.abs() < 1e-9 {
        return None;
    }
    let level = before + fraction * change;
    let past = |i: usize| (values[i] as f64 - level) * change.signum() >= 0.0;
    (0..times.len())
        .filter(|&i| times[i] >= step_s && past(i))
        .find(|&i| {
            (i..times.len())
                .take_while(|&j| times[j] < times[i] + HOLD_S)
                .all(past)
        })
        .map(|i| times[i] - step_s)
}

/// How long a step response must stay past a level to count as having reached it, s.
pub const HOLD_S: f64 = 0.1;

/// Pearson correlation of `a` and `b` (0 when either is constant).
pub fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len().min(b.len());
    if n < 2 {
        return 0.0;
    }
    let ma = a[..n].iter().sum::<f64>() / n as f64;
    let mb = b[..n].iter().sum::<f64>() / n as f64;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (x, y) = (a[i] - ma, b[i] - mb);
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    if saa <= 0.0 || sbb <= 0.0 {
        0.0
    } else {
        sab / (saa * sbb).sqrt()
    }
}

/// The best correlation (times `sign`) of `values` with the envelope delayed by 0–2 s, over
/// blocks in `[from, to)` seconds; `envelope(t)` gives the true amplitude. Returns
/// (correlation, lag in s).
pub fn best_lag(
    times: &[f64],
    values: &[f32],
    envelope: &dyn Fn(f64) -> f64,
    sign: f32,
    from: f64,
    to: f64,
) -> (f64, f64) {
    let idx: Vec<usize> = (0..times.len())
        .filter(|&i| times[i] >= from && times[i] < to)
        .collect();
    let v: Vec<f64> = idx
        .iter()
        .map(|&i| values[i] as f64 * sign as f64)
        .collect();
    let mut best = (f64::NEG_INFINITY, 0.0);
    for step in 0..=200 {
        let lag = step as f64 * 0.01;
        let e: Vec<f64> = idx.iter().map(|&i| envelope(times[i] - lag)).collect();
        let c = correlation(&v, &e);
        if c > best.0 {
            best = (c, lag);
        }
    }
    best
}

/// Standard deviation of `values` over blocks at or after `from` seconds.
pub fn std_after(times: &[f64], values: &[f32], from: f64) -> f64 {
    let v: Vec<f64> = times
        .iter()
        .zip(values)
        .filter(|(t, _)| **t >= from)
        .map(|(_, v)| *v as f64)
        .collect();
    if v.len() < 2 {
        return 0.0;
    }
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
}

/// In-target changes (on or off) per minute after `from` seconds.
pub fn flips_per_min(times: &[f64], in_target: &[bool], from: f64) -> f64 {
    let idx: Vec<usize> = (0..times.len()).filter(|&i| times[i] >= from).collect();
    if idx.len() < 2 {
        return 0.0;
    }
    let flips = idx
        .windows(2)
        .filter(|w| in_target[w[0]] != in_target[w[1]])
        .count();
    let minutes = (times[*idx.last().unwrap_or(&0)] - times[idx[0]]) / 60.0;
    flips as f64 / minutes.max(1e-9)
}

/// Share of blocks in target in `[from, to)` seconds.
pub fn share(times: &[f64], in_target: &[bool], from: f64, to: f64) -> f64 {
    let (mut on, mut n) = (0usize, 0usize);
    for (t, it) in times.iter().zip(in_target) {
        if *t >= from && *t < to {
            n += 1;
            on += *it as usize;
        }
    }
    on as f64 / n.max(1) as f64
}

/// Mean of `values` over blocks in `[from, to)` seconds (0 when there are none).
pub fn mean_between(times: &[f64], values: &[f32], from: f64, to: f64) -> f64 {
    mean_in(times, values, from, to).unwrap_or(0.0)
}

/// Mean of `values` over blocks in `[from, to)` seconds, if there are any.
fn mean_in(times: &[f64], values: &[f32], from: f64, to: f64) -> Option<f64> {
    let v: Vec<f64> = times
        .iter()
        .zip(values)
        .filter(|(t, _)| **t >= from && **t < to)
        .map(|(_, v)| *v as f64)
        .collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// t50 and t90 of one signal, s.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct StepTimes {
    /// Time to 50 % of the change.
    pub t50: Option<f64>,
    /// Time to 90 % of the change.
    pub t90: Option<f64>,
}

/// Best-lag correlation of one signal with the true envelope.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct Fidelity {
    /// Correlation (with the expected sign) over the whole run.
    pub corr: f64,
    /// Its lag, s.
    pub lag: f64,
    /// Correlation over the first minute alone.
    pub first_minute: f64,
    /// Its lag, s.
    pub first_minute_lag: f64,
}

/// Step responses of the three signals.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct StepReport {
    /// Feature.
    pub feature: StepTimes,
    /// Reward.
    pub reward: StepTimes,
    /// Applied modulation.
    pub modulation: StepTimes,
}

/// Fidelity of the three signals for one listener.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct WanderReport {
    /// The listener's rhythm relative to the reference.
    pub scale: f32,
    /// Feature.
    pub feature: Fidelity,
    /// Reward.
    pub reward: Fidelity,
    /// Applied modulation.
    pub modulation: Fidelity,
}

/// Flicker on steady EEG for one listener.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct SteadyReport {
    /// The listener's rhythm relative to the reference.
    pub scale: f32,
    /// Standard deviation of the applied modulation after the first minute.
    pub modulation_std: f64,
    /// In-target flips per minute after the first minute.
    pub flips_per_min: f64,
    /// Share of time in target after the first minute.
    pub in_target: f64,
}

/// Threshold control over a long run for one listener.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ThresholdReport {
    /// Which listener: `x0.25`, `x1`, `x4` (the wander) or `sim:calm`.
    pub listener: String,
    /// The success-rate goal.
    pub goal: f64,
    /// Share of time in target after the first minute.
    pub share: f64,
    /// Lowest share in any 10-minute window after the first minute.
    pub window_min: f64,
    /// Highest share in any such window.
    pub window_max: f64,
    /// Mean success rate the engine reported after the first minute (its 60 s average of
    /// the same in-target state).
    pub reported: f64,
    /// The window length the lowest and highest shares are taken over, s.
    pub window_s: f64,
}

/// Everything measured for one program with one analysis.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct ProgramReport {
    /// Program id.
    pub program: String,
    /// The analysis path (estimator) measured.
    pub estimator: String,
    /// Step up.
    pub step_up: StepReport,
    /// Step down.
    pub step_down: StepReport,
    /// Fidelity per listener.
    pub wander: Vec<WanderReport>,
    /// Flicker per listener.
    pub steady: Vec<SteadyReport>,
    /// Threshold control per listener (empty when not asked for).
    pub threshold: Vec<ThresholdReport>,
}

/// What to measure.
#[derive(Clone, Debug, PartialEq)]
pub struct LoopOptions {
    /// Seeds averaged for the step and the wander.
    pub seeds: u64,
    /// Length of the threshold runs, s (0: skip them).
    pub threshold_s: f64,
    /// Listener scales.
    pub scales: Vec<f32>,
}

impl Default for LoopOptions {
    fn default() -> Self {
        Self {
            seeds: 4,
            threshold_s: 7200.0,
            scales: vec![0.25, 1.0, 4.0],
        }
    }
}

/// Averages traces of equal length element-wise (feature, reward, modulation).
fn average(traces: &[LoopTrace]) -> LoopTrace {
    let n = traces.iter().map(|t| t.times.len()).min().unwrap_or(0);
    let k = traces.len().max(1) as f32;
    let avg = |f: &dyn Fn(&LoopTrace) -> &Vec<f32>| -> Vec<f32> {
        (0..n)
            .map(|i| traces.iter().map(|t| f(t)[i]).sum::<f32>() / k)
            .collect()
    };
    LoopTrace {
        times: traces.first().map_or(Vec::new(), |t| t.times[..n].to_vec()),
        feature: avg(&|t| &t.feature),
        reward: avg(&|t| &t.reward),
        modulation: avg(&|t| &t.modulation),
        in_target: Vec::new(),
        success_rate: avg(&|t| &t.success_rate),
    }
}

/// Measures `case` with `controls` and `analysis` (named `estimator` in the report).
pub fn measure(
    case: &LoopCase,
    controls: Controls,
    analysis: &AnalysisConfig,
    estimator: &str,
    opts: &LoopOptions,
) -> Result<ProgramReport, String> {
    let mut controls = controls;
    controls.program = case.program;
    let mut analysis = analysis.clone();
    analysis.montage = Program::factory(case.program).channels;
    let go = |stim: &Stimulus| {
        run(
            EegInput::Memory(Arc::new(stim.recording())),
            stim.seconds,
            controls,
            analysis.clone(),
            case,
        )
    };
    let (lo, hi) = case.range;
    let step_env = Envelope::Step {
        low: lo,
        high: hi,
        up_s: 30.0,
        down_s: 60.0,
    };
    let steps = (1..=opts.seeds)
        .map(|seed| go(&case.stimulus(step_env.clone(), 1.0, 90.0, seed)))
        .collect::<Result<Vec<_>, _>>()?;
    let avg = average(&steps);
    let times_at = |step: f64| {
        let st = |v: &[f32]| StepTimes {
            t50: step_time(&avg.times, v, step, 0.5),
            t90: step_time(&avg.times, v, step, 0.9),
        };
        StepReport {
            feature: st(&avg.feature),
            reward: st(&avg.reward),
            modulation: st(&avg.modulation),
        }
    };
    let mut report = ProgramReport {
        program: case.program.id().to_string(),
        estimator: estimator.to_string(),
        step_up: times_at(30.0),
        step_down: times_at(60.0),
        ..ProgramReport::default()
    };
    let wander = Envelope::Wander {
        low: lo,
        high: hi,
        max_hz: 0.7,
    };
    for &scale in &opts.scales {
        let mut fid: Vec<[Fidelity; 3]> = Vec::new();
        for seed in 1..=opts.seeds {
            let stim = case.stimulus(wander.clone(), scale, 120.0, seed);
            let env = stim.envelope_series(0.001);
            let envelope = |t: f64| env[((t.max(0.0) * 1000.0) as usize).min(env.len() - 1)] as f64;
            let tr = go(&stim)?;
            let one = |v: &[f32], sign: f32| {
                let (corr, lag) = best_lag(&tr.times, v, &envelope, sign, START_S, 120.0);
                let (first_minute, first_minute_lag) =
                    best_lag(&tr.times, v, &envelope, sign, START_S, 60.0);
                Fidelity {
                    corr,
                    lag,
                    first_minute,
                    first_minute_lag,
                }
            };
            fid.push([
                one(&tr.feature, 1.0),
                one(&tr.reward, case.reward_sign),
                one(&tr.modulation, case.sign),
            ]);
        }
        let k = fid.len() as f64;
        let mean = |j: usize| Fidelity {
            corr: fid.iter().map(|f| f[j].corr).sum::<f64>() / k,
            lag: fid.iter().map(|f| f[j].lag).sum::<f64>() / k,
            first_minute: fid.iter().map(|f| f[j].first_minute).sum::<f64>() / k,
            first_minute_lag: fid.iter().map(|f| f[j].first_minute_lag).sum::<f64>() / k,
        };
        report.wander.push(WanderReport {
            scale,
            feature: mean(0),
            reward: mean(1),
            modulation: mean(2),
        });
        let steady_amp = (lo * hi).sqrt();
        let tr = go(&case.stimulus(Envelope::Steady(steady_amp), scale, 300.0, 1))?;
        report.steady.push(SteadyReport {
            scale,
            modulation_std: std_after(&tr.times, &tr.modulation, 60.0),
            flips_per_min: flips_per_min(&tr.times, &tr.in_target, 60.0),
            in_target: share(&tr.times, &tr.in_target, 60.0, f64::INFINITY),
        });
    }
    if opts.threshold_s > 0.0 {
        let goal = controls
            .feedback
            .success_rate
            .unwrap_or(Program::factory(case.program).success_rate) as f64;
        let secs = opts.threshold_s;
        let mut runs: Vec<(String, LoopTrace)> = Vec::new();
        for &scale in &opts.scales {
            let stim = case.stimulus(wander.clone(), scale, secs, 7);
            runs.push((format!("x{scale}"), go(&stim)?));
        }
        if case.program == ProgramKind::Calm {
            let sim = EegInput::Simulator(SimConfig {
                script: Script::Calm,
                ..SimConfig::default()
            });
            runs.push((
                "sim:calm".into(),
                run(sim, secs, controls, analysis.clone(), case)?,
            ));
        }
        for (listener, tr) in runs {
            let window = if secs >= 1260.0 {
                600.0
            } else {
                (secs - 60.0) / 2.0
            };
            let mut shares = Vec::new();
            let mut from = 60.0;
            while from + window <= secs + 1e-9 {
                shares.push(share(&tr.times, &tr.in_target, from, from + window));
                from += window;
            }
            report.threshold.push(ThresholdReport {
                listener,
                goal,
                share: share(&tr.times, &tr.in_target, 60.0, f64::INFINITY),
                window_min: shares.iter().cloned().fold(f64::INFINITY, f64::min),
                window_max: shares.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
                reported: mean_between(&tr.times, &tr.success_rate, 60.0, f64::INFINITY),
                window_s: window,
            });
        }
    }
    Ok(report)
}

/// A listener's rhythm power relative to the reference, for the table: the square of the
/// amplitude scale.
fn power(scale: f32) -> String {
    let p = scale * scale;
    if p >= 1.0 {
        format!("{p}x")
    } else {
        format!("1/{}", (1.0 / p).round())
    }
}

/// Formats `t` in ms, or a dash.
fn ms(t: Option<f64>) -> String {
    t.map_or("   -".into(), |t| format!("{:4.0}", t * 1000.0))
}

/// The report as the table `bench loop` prints.
pub fn format_report(r: &ProgramReport) -> String {
    let mut out = format!("{} ({})\n", r.program, r.estimator);
    let line = |name: &str, up: &StepTimes, down: &StepTimes| {
        format!(
            "  step {name:<10} up t50 {} t90 {} ms | down t50 {} t90 {} ms\n",
            ms(up.t50),
            ms(up.t90),
            ms(down.t50),
            ms(down.t90)
        )
    };
    out += &line("feature", &r.step_up.feature, &r.step_down.feature);
    out += &line("reward", &r.step_up.reward, &r.step_down.reward);
    out += &line("modulation", &r.step_up.modulation, &r.step_down.modulation);
    for w in &r.wander {
        out += &format!(
            "  wander x{:<4} ({:<5} power) corr@lag: feature {:.2}@{:.0} reward {:.2}@{:.0} modulation {:.2}@{:.0} ms (first minute {:.2}@{:.0})\n",
            w.scale,
            power(w.scale),
            w.feature.corr,
            w.feature.lag * 1000.0,
            w.reward.corr,
            w.reward.lag * 1000.0,
            w.modulation.corr,
            w.modulation.lag * 1000.0,
            w.modulation.first_minute,
            w.modulation.first_minute_lag * 1000.0,
        );
    }
    for s in &r.steady {
        out += &format!(
            "  steady x{:<4} ({:<5} power) modulation std {:.3}, in-target flips {:.2}/min, in target {:.0} %\n",
            s.scale,
            power(s.scale),
            s.modulation_std,
            s.flips_per_min,
            100.0 * s.in_target
        );
    }
    for t in &r.threshold {
        out += &format!(
            "  threshold {:<8} in target {:.0} % ({:.0}-min windows {:.0}-{:.0} %), reported success {:.0} %, goal {:.0} %\n",
            t.listener,
            100.0 * t.share,
            t.window_s / 60.0,
            100.0 * t.window_min,
            100.0 * t.window_max,
            100.0 * t.reported,
            100.0 * t.goal
        );
    }
    out
}
