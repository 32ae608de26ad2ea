//! Offline rendering through the plugin's own signal path ([`Engine`]): the CLI's `render` and
//! `bench` commands and the render tests all go through here.

use std::time::Instant;

use crate::engine::{Controls, Engine, NoteAction, TimedNote};
use crate::loudness::LoudnessMeter;

/// What to render.
#[derive(Clone, Debug)]
pub struct RenderJob {
    /// Parameter values (targets) for the whole render.
    pub controls: Controls,
    /// Length in seconds.
    pub seconds: f64,
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// Host block size in samples.
    pub block: usize,
    /// Relaxation from `.0` at the start to `.1` at the end (overrides the parameter).
    pub relaxation_ramp: Option<(f32, f32)>,
    /// Note actions at times in seconds, sorted by time.
    pub notes: Vec<(f64, NoteAction)>,
}

/// What a render measured.
#[derive(Clone, Copy, Debug)]
pub struct RenderReport {
    /// Integrated loudness (BS.1770), if the render was long and loud enough to measure.
    pub lufs: Option<f64>,
    /// Sample peak in dBFS.
    pub peak_dbfs: f64,
    /// Rendered duration in seconds.
    pub seconds: f64,
    /// Audio seconds rendered per wall-clock second (including the meter and the sink).
    pub realtime_factor: f64,
    /// Whether every sample was finite.
    pub all_finite: bool,
}

/// Renders `job`, handing every block to `sink` (e.g. a WAV writer). Stops at the first sink
/// error and returns it.
pub fn render<E>(
    job: &RenderJob,
    mut sink: impl FnMut(&[f32], &[f32]) -> Result<(), E>,
) -> Result<RenderReport, E> {
    let sr = job.sample_rate;
    let total = (job.seconds * sr as f64).round() as usize;
    let block = job.block.max(1);
    let mut engine = Engine::new(sr);
    let mut meter = LoudnessMeter::new(sr);
    let mut left = vec![0.0f32; block];
    let mut right = vec![0.0f32; block];
    let mut note_idx = 0;
    let mut all_finite = true;
    let started = Instant::now();
    let mut done = 0;
    while done < total {
        let n = block.min(total - done);
        let mut controls = job.controls;
        if let Some((from, to)) = job.relaxation_ramp {
            let t = done as f32 / total.max(1) as f32;
            controls.relaxation = from + (to - from) * t;
        }
        let block_end = done + n;
        let notes = &job.notes;
        engine.render(
            &controls,
            || {
                let (time, action) = *notes.get(note_idx)?;
                let at = (time * sr as f64).round() as usize;
                if at >= block_end {
                    return None;
                }
                note_idx += 1;
                Some(TimedNote {
                    offset: at.saturating_sub(done) as u32,
                    action,
                })
            },
            &mut left[..n],
            &mut right[..n],
        );
        all_finite &= left[..n].iter().chain(&right[..n]).all(|x| x.is_finite());
        meter.push(&left[..n], &right[..n]);
        sink(&left[..n], &right[..n])?;
        done += n;
    }
    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
    Ok(RenderReport {
        lufs: meter.integrated_lufs(),
        peak_dbfs: meter.peak_dbfs(),
        seconds: meter.seconds(sr),
        realtime_factor: job.seconds / elapsed,
        all_finite,
    })
}

/// Renders `job` into memory: `(left, right)`.
pub fn render_to_vec(job: &RenderJob) -> (Vec<f32>, Vec<f32>, RenderReport) {
    let mut l = Vec::new();
    let mut r = Vec::new();
    let report = render::<std::convert::Infallible>(job, |a, b| {
        l.extend_from_slice(a);
        r.extend_from_slice(b);
        Ok(())
    })
    .unwrap_or_else(|never| match never {});
    (l, r, report)
}

/// Parses a relaxation ramp "FROM:TO" (each 0..1).
pub fn parse_ramp(text: &str) -> Result<(f32, f32), String> {
    let err = || {
        format!(
            "'{text}' is not a relaxation ramp; write FROM:TO with numbers from 0 to 1, e.g. 0:1."
        )
    };
    let (a, b) = text.split_once(':').ok_or_else(err)?;
    let a: f32 = a.trim().parse().map_err(|_| err())?;
    let b: f32 = b.trim().parse().map_err(|_| err())?;
    if !(0.0..=1.0).contains(&a) || !(0.0..=1.0).contains(&b) {
        return Err(err());
    }
    Ok((a, b))
}

/// Real-time factor of the engine alone (no metering, no I/O): `seconds` of audio at
/// `sample_rate` in `block`-sample blocks, with `controls` held.
pub fn bench_engine(controls: &Controls, sample_rate: f32, block: usize, seconds: f64) -> f64 {
    let mut engine = Engine::new(sample_rate);
    let mut left = vec![0.0f32; block];
    let mut right = vec![0.0f32; block];
    let blocks = (seconds * sample_rate as f64 / block as f64).ceil() as usize;
    let mut guard = 0.0f32;
    let started = Instant::now();
    for _ in 0..blocks {
        engine.render(controls, || None, &mut left, &mut right);
        // Keeps the optimiser from discarding the work.
        guard += left[0] + right[block - 1];
    }
    let elapsed = started.elapsed().as_secs_f64();
    std::hint::black_box(guard);
    (blocks * block) as f64 / sample_rate as f64 / elapsed
}
