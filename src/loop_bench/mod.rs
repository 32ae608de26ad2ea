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
//! - **hold**: issue 27's held state ([`Stimulus::hold`]: the rhythm at 3 µV, 15 µV from 60 s
//!   to 180 s, 3 µV again) at each listener scale, seed-averaged: the applied modulation's
//!   rise, the share of it left 90–120 s into the hold, the share of the hold in target, and
//!   the largest distance from the old level 20–60 s after the return;
//! - **threshold**: long runs (2 h by default) of the wander at each listener scale, of the
//!   simulator's Drift script (slow drowsiness and drying electrodes) and, for Calm, its Calm
//!   script: the share of time in target after the first minute, the lowest and highest share
//!   in any 10-minute window, the success rate the engine reports, and the shares of time
//!   after the second minute with the reward saturated (> 0.95) or starved (< 0.05).

mod metrics;
mod report;

use std::sync::Arc;

use crate::eeg::sim::{Script, SimConfig};
use crate::eeg::stimulus::{Envelope, Stimulus, HOLD_DOWN_S, HOLD_UP_S};
use crate::eeg::worker::AnalysisConfig;
use crate::engine::Controls;
use crate::features::bands::{ALPHA, HIGH_BETA, SMR, THETA};
use crate::features::baseline::FeatureId;
use crate::feedback::mapping::{Dest, RouteSource};
use crate::feedback::program::{Program, ProgramKind};
use crate::render::{render_traced, EegInput, EegJob, RenderError, RenderJob, TraceEvent};
pub use metrics::*;
pub use report::*;

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
    /// The case for `program`: `None` for a program with no EEG term (Resonance breathing
    /// follows the heart alone, which this EEG loop does not stimulate). Calm body and mind
    /// is measured on its EEG term; its heart term sits out without a heart input.
    pub fn for_program(program: ProgramKind) -> Option<Self> {
        let p = Program::factory(program);
        let (rhythm_hz, rhythm_on, others, range) = match program {
            ProgramKind::ResonanceBreathing => return None,
            ProgramKind::Calm | ProgramKind::CalmBodyAndMind => (10.0, vec![], 0.0, (2.0, 20.0)),
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
        Some(Self {
            program,
            rhythm_hz,
            rhythm_on,
            others_amplitude: others,
            range,
            feature: match program {
                ProgramKind::DeepRest | ProgramKind::SleepOnset => FeatureId::Rel(THETA as u8),
                ProgramKind::SmrFocus => FeatureId::Rel(SMR as u8),
                ProgramKind::CoolDown => FeatureId::Rel(HIGH_BETA as u8),
                ProgramKind::Calm | ProgramKind::CalmBodyAndMind => FeatureId::Rel(ALPHA as u8),
                ProgramKind::Balance => FeatureId::Asymmetry,
                ProgramKind::ResonanceBreathing => return None,
            },
            dest: route.dest,
            reward_sign: rises,
            sign: rises * route.depth.signum(),
        })
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

    /// The held state of [`Stimulus::hold`] in this case's rhythm, at listener strength
    /// `scale`. An asymmetry case (Balance: the rhythm on some channels, a constant one on the
    /// others) holds its range's top instead, where the asymmetry meets its target.
    pub fn hold_stimulus(&self, scale: f32, seed: u64) -> Stimulus {
        let mut s = Stimulus {
            rhythm_on: self.rhythm_on.clone(),
            others_amplitude: self.others_amplitude * scale,
            ..Stimulus::hold(self.rhythm_hz, scale, seed)
        };
        if self.others_amplitude > 0.0 {
            s.envelope = Envelope::Step {
                low: self.range.0 * scale,
                high: self.range.1 * scale,
                up_s: HOLD_UP_S,
                down_s: HOLD_DOWN_S,
            };
        }
        s
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
            heart: None,
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
        let holds = (1..=opts.seeds)
            .map(|seed| go(&case.hold_stimulus(scale, seed)))
            .collect::<Result<Vec<_>, _>>()?;
        let avg = average(&holds);
        let in_target = holds
            .iter()
            .map(|t| share(&t.times, &t.in_target, HOLD_UP_S, HOLD_DOWN_S))
            .sum::<f64>()
            / holds.len() as f64;
        report.hold.push(HoldReport {
            scale,
            modulation: hold_figures(&avg.times, &avg.modulation, HOLD_UP_S, HOLD_DOWN_S),
            in_target,
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
        let mut scripts = vec![Script::Drift];
        if case.program == ProgramKind::Calm {
            scripts.push(Script::Calm);
        }
        for script in scripts {
            let sim = EegInput::Simulator(SimConfig {
                script,
                ..SimConfig::default()
            });
            let name = if script == Script::Calm {
                "sim:calm"
            } else {
                "sim:drift"
            };
            runs.push((
                name.into(),
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
                saturated: share_beyond(&tr.times, &tr.reward, 0.95, true, 120.0, f64::INFINITY),
                starved: share_beyond(&tr.times, &tr.reward, 0.05, false, 120.0, f64::INFINITY),
            });
        }
    }
    Ok(report)
}
