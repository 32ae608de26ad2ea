//! The plugin's control path traced block by block on the audio clock (offline renders without
//! audio: the same numbers the synth receives), for the loop tests. Every figure the tests
//! assert is computed in the tests from these traces, independently of `bench loop`.

#![allow(dead_code)]

use std::sync::Arc;

use melodiasync::eeg::stimulus::Stimulus;
use melodiasync::eeg::worker::AnalysisConfig;
use melodiasync::engine::Controls;
use melodiasync::feedback::mapping::{Dest, RouteSource};
use melodiasync::feedback::program::{Program, ProgramKind};
use melodiasync::params::MelodiaSyncParams;
use melodiasync::render::{render_traced, EegInput, EegJob, RenderJob, TraceEvent};

/// Per block of 512 samples at 48 kHz: its start time, the watched destination's value in the
/// modulation the synth receives, the reward, the in-target state and the reported success.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Block start times, s.
    pub times: Vec<f64>,
    /// The watched destination.
    pub values: Vec<f64>,
    /// The reward the sound follows.
    pub reward: Vec<f64>,
    /// In target.
    pub in_target: Vec<bool>,
    /// The success rate the engine reports.
    pub reported: Vec<f64>,
}

impl Trace {
    /// Mean of `v` (one of this trace's series) over blocks in `[a, b)` seconds.
    pub fn mean(&self, v: &[f64], a: f64, b: f64) -> f64 {
        let sel: Vec<f64> = self
            .times
            .iter()
            .zip(v)
            .filter(|(t, _)| **t >= a && **t < b)
            .map(|(_, x)| *x)
            .collect();
        assert!(!sel.is_empty(), "no blocks in [{a}, {b})");
        sel.iter().sum::<f64>() / sel.len() as f64
    }

    /// Share of blocks in `[a, b)` seconds for which `f(block)` holds.
    pub fn share(&self, a: f64, b: f64, f: impl Fn(usize) -> bool) -> f64 {
        let idx: Vec<usize> = (0..self.times.len())
            .filter(|&i| self.times[i] >= a && self.times[i] < b)
            .collect();
        assert!(!idx.is_empty(), "no blocks in [{a}, {b})");
        idx.iter().filter(|&&i| f(i)).count() as f64 / idx.len() as f64
    }

    /// Share of blocks in `[a, b)` seconds in target.
    pub fn in_target_share(&self, a: f64, b: f64) -> f64 {
        self.share(a, b, |i| self.in_target[i])
    }

    /// The element-wise mean of `traces` (values and reward; in-target from the first).
    pub fn average(traces: &[Trace]) -> Trace {
        let n = traces.iter().map(|t| t.times.len()).min().unwrap();
        let k = traces.len() as f64;
        let avg = |f: &dyn Fn(&Trace) -> &Vec<f64>| -> Vec<f64> {
            (0..n)
                .map(|i| traces.iter().map(|t| f(t)[i]).sum::<f64>() / k)
                .collect()
        };
        Trace {
            times: traces[0].times[..n].to_vec(),
            values: avg(&|t| &t.values),
            reward: avg(&|t| &t.reward),
            in_target: traces[0].in_target[..n].to_vec(),
            reported: avg(&|t| &t.reported),
        }
    }
}

/// The plugin's defaults (what a new instance plays) with `program`.
pub fn controls(program: ProgramKind) -> Controls {
    let mut c = MelodiaSyncParams::default().controls();
    c.program = program;
    c
}

/// The program's first reward route's destination.
pub fn watched(program: ProgramKind) -> Dest {
    Program::factory(program)
        .mapping
        .iter()
        .find(|r| r.source == RouteSource::Reward)
        .unwrap()
        .dest
}

/// A generated stimulus as an in-memory recording.
pub fn memory(s: &Stimulus) -> EegInput {
    EegInput::Memory(Arc::new(s.recording()))
}

/// A job rendering `input` for `seconds` without audio with `controls`.
pub fn job(input: EegInput, seconds: f64, controls: Controls) -> RenderJob {
    RenderJob {
        eeg: Some(EegJob {
            input,
            analysis: AnalysisConfig::default(),
            log: None,
            heart: None,
        }),
        audio: false,
        ..RenderJob::new(controls, seconds)
    }
}

/// Renders `input` for `seconds` with the defaults and `program`, tracing the program's
/// watched destination.
pub fn trace(input: EegInput, seconds: f64, program: ProgramKind) -> Trace {
    trace_job(&job(input, seconds, controls(program)), watched(program))
}

/// Runs `job`, tracing `dest`.
pub fn trace_job(job: &RenderJob, dest: Dest) -> Trace {
    let mut t = Trace::default();
    render_traced::<std::convert::Infallible>(
        job,
        |_, _| Ok(()),
        |ev| {
            if let TraceEvent::Block {
                time,
                modulation,
                feedback,
            } = ev
            {
                t.times.push(*time);
                t.values.push(dest.of(modulation) as f64);
                t.reward.push(feedback.reward as f64);
                t.in_target.push(feedback.in_target);
                t.reported.push(feedback.success_rate as f64);
            }
        },
    )
    .unwrap();
    t
}
