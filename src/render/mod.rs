//! Offline rendering through the plugin's own signal path ([`Engine`]): the CLI's `render` and
//! `bench` commands and the render tests all go through here. [`eeg`] paces the EEG (and,
//! through [`heart`], a heart input beside it) by the audio clock.

pub mod eeg;
pub mod heart;

use std::path::PathBuf;
use std::time::Instant;

use crate::bridge::{record_channel, FeedbackRecord};
use crate::engine::{Controls, Engine, NoteAction, TimedNote};
use crate::loudness::LoudnessMeter;
use crate::math::Portable;
use crate::session::{SessionOptions, SessionSummary, SessionThread};
use crate::synth::CONTROL_BLOCK;
pub use eeg::{EegDrive, EegInput, EegJob, CLOCK_HOP_S};
pub use heart::HeartDrive;

/// Seconds a guided render goes on after its session completes (the last glide settles).
pub const GUIDE_TAIL_S: f64 = 2.0;

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
    /// EEG driving the feedback engine, if any.
    pub eeg: Option<EegJob>,
    /// Compiled programs from a calibration (default: the factory programs).
    pub programs: Option<crate::bridge::ProgramTable>,
    /// A guided session to run (its stages set the controls); the render then ends when the
    /// session completes, after [`GUIDE_TAIL_S`], if that is before `seconds`.
    pub guide: Option<crate::guide::Plan>,
    /// Whether to run the synth. Without it only the control path runs (EEG, features,
    /// feedback, the modulation each block would receive): exactly the same numbers, far
    /// faster, for long loop measurements. The sink then gets no blocks.
    pub audio: bool,
}

impl RenderJob {
    /// A job for `seconds` of audio with `controls`, 48 kHz, 512-sample blocks, nothing else.
    pub fn new(controls: Controls, seconds: f64) -> Self {
        Self {
            controls,
            seconds,
            sample_rate: 48_000.0,
            block: 512,
            relaxation_ramp: None,
            notes: Vec::new(),
            eeg: None,
            programs: None,
            guide: None,
            audio: true,
        }
    }
}

/// What a traced render reports as it goes (see [`render_traced`]).
#[derive(Clone, Copy, Debug)]
pub enum TraceEvent<'a> {
    /// A frame was scored, at the start of the block it applies to.
    Frame(&'a FeedbackRecord),
    /// A block starts.
    Block {
        /// Audio time of the block's first sample, s.
        time: f64,
        /// The modulation the synth receives for the block.
        modulation: crate::synth::Modulation,
        /// The feedback engine's state after the block's frames.
        feedback: crate::feedback::FeedbackSnapshot,
    },
}

/// What a render measured.
#[derive(Clone, Debug)]
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
    /// The session summary, when EEG drove the render.
    pub session: Option<SessionSummary>,
    /// Where the session log went.
    pub log: Option<PathBuf>,
    /// A guided session's baseline stages as they ended (the daily baseline to carry), or
    /// why one gave none.
    pub baselines: Vec<Result<crate::session::CarriedBaseline, String>>,
    /// What the recording's reader said (see [`Recording::notes`]).
    pub eeg_notes: Vec<String>,
}

/// Why a render stopped.
#[derive(Debug)]
pub enum RenderError<E> {
    /// The sink failed.
    Sink(E),
    /// The EEG input or the session log failed (a sentence).
    Session(String),
}

/// Renders `job`, handing every block to `sink` (e.g. a WAV writer). Stops at the first sink
/// error and returns it.
pub fn render<E>(
    job: &RenderJob,
    sink: impl FnMut(&[f32], &[f32]) -> Result<(), E>,
) -> Result<RenderReport, RenderError<E>> {
    render_traced(job, sink, |_| {})
}

/// How long every render fades out at its end, s: a raised-cosine fade, so a file never ends
/// on a cut (the sound itself goes on; a host's render ends where its region ends).
pub const END_FADE_S: f64 = 0.05;

/// Applies the end fade to the block of samples `done..done + left.len()` of a render of
/// `total` samples at `sr` Hz. The gain depends on the sample's index alone, so the fade is
/// the same for any block size.
fn fade_out_end(left: &mut [f32], right: &mut [f32], done: usize, total: usize, sr: f32) {
    let fade = ((END_FADE_S * sr as f64).round() as usize).min(total);
    let start = total - fade;
    for (k, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
        let i = done + k;
        if i >= start && fade > 0 {
            // 1 at the fade's start, 0 at the render's last sample.
            let x = (i - start + 1) as f64 / fade as f64;
            let gain = (0.5 + 0.5 * (std::f64::consts::PI * x).libm_cos()) as f32;
            *l *= gain;
            *r *= gain;
        }
    }
}

/// [`render`], calling `trace` for every scored frame and every block, in audio-time order.
pub fn render_traced<E>(
    job: &RenderJob,
    mut sink: impl FnMut(&[f32], &[f32]) -> Result<(), E>,
    mut trace: impl FnMut(&TraceEvent<'_>),
) -> Result<RenderReport, RenderError<E>> {
    let sr = job.sample_rate;
    let mut total = (job.seconds * sr as f64).round() as usize;
    let block = job.block.max(1);
    let mut engine = Engine::new(sr);
    if let Some(table) = job.programs {
        engine.set_programs(table, &job.controls.feedback);
    }
    if let Some(plan) = &job.guide {
        engine.set_guide(Some(Box::new(crate::guide::Conductor::new(plan.clone()))));
    }
    let mut drive = match &job.eeg {
        Some(e) => {
            let heart = e.heart.as_ref().map(HeartDrive::new).transpose();
            let heart = heart.map_err(|why| RenderError::Session(format!("--heart: {why}")))?;
            Some(
                EegDrive::new(&e.input, &e.analysis)
                    .map_err(RenderError::Session)?
                    .with_heart(heart),
            )
        }
        None => None,
    };
    // The session thread logs and summarises, as in the plugin; the render waits for it
    // rather than dropping records.
    let carried = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let (records, session) = match &drive {
        Some(_) => {
            let (tx, rx) = record_channel();
            let sink = carried.clone();
            let opts = SessionOptions {
                carry: Some(Box::new(
                    move |b: Result<&crate::session::CarriedBaseline, &str>| {
                        if let Ok(mut v) = sink.lock() {
                            v.push(b.cloned().map_err(str::to_string));
                        }
                    },
                )),
                log: job.eeg.as_ref().and_then(|e| e.log.clone()),
                stage_names: job
                    .guide
                    .as_ref()
                    .map_or(Vec::new(), |p| p.stage_names.clone()),
                ..SessionOptions::default()
            };
            (Some(tx), Some(SessionThread::spawn(rx, opts)))
        }
        None => (None, None),
    };
    let mut meter = LoudnessMeter::new(sr);
    let mut left = vec![0.0f32; block];
    let mut right = vec![0.0f32; block];
    let mut note_idx = 0;
    let mut all_finite = true;
    // What the program lacked in the last scored frame (said if it held throughout).
    let mut missing = crate::feedback::Missing::default();
    let started = Instant::now();
    let mut done = 0;
    while done < total {
        let n = block.min(total - done);
        let block_end = done + n;
        let mut at = done;
        // As `process()` does at each block start.
        engine.sync_program(&job.controls);
        // The block in pieces that end at control points: EEG frames are scored at control
        // points (the audio time they would arrive live, to the 0.7 ms grid), so neither the
        // feedback nor the sound depends on the block size.
        while at < block_end {
            let piece_end = ((at / CONTROL_BLOCK + 1) * CONTROL_BLOCK).min(block_end);
            let mut controls = job.controls;
            if let Some((from, to)) = job.relaxation_ramp {
                let grid_start = at - at % CONTROL_BLOCK;
                let t = grid_start as f32 / total.max(1) as f32;
                controls.relaxation = from + (to - from) * t;
            }
            if at % CONTROL_BLOCK == 0 {
                if let Some(d) = drive.as_mut() {
                    let now = at as f64 / sr as f64;
                    d.feed_until(now, |frame| {
                        // Offline, the frames' clock is the audio clock.
                        let record = engine.score(frame, &controls, now, now);
                        missing = record.feedback.missing;
                        trace(&TraceEvent::Frame(&record));
                        if let Some(tx) = &records {
                            tx.push_waiting(record);
                        }
                    });
                }
            }
            let (from, to) = (at - done, piece_end - done);
            if job.audio {
                let notes = &job.notes;
                engine.render(
                    &controls,
                    || {
                        let (time, action) = *notes.get(note_idx)?;
                        let sample = (time * sr as f64).round() as usize;
                        if sample >= piece_end {
                            return None;
                        }
                        note_idx += 1;
                        Some(TimedNote {
                            offset: sample.saturating_sub(at) as u32,
                            action,
                        })
                    },
                    &mut left[from..to],
                    &mut right[from..to],
                );
            } else {
                engine.control_only(&controls, piece_end - at);
            }
            if at == done {
                trace(&TraceEvent::Block {
                    time: done as f64 / sr as f64,
                    modulation: engine.applied(),
                    feedback: engine.feedback().snapshot(),
                });
            }
            at = piece_end;
        }
        if job.audio {
            fade_out_end(&mut left[..n], &mut right[..n], done, total, sr);
            all_finite &= left[..n].iter().chain(&right[..n]).all(|x| x.is_finite());
            meter.push(&left[..n], &right[..n]);
            sink(&left[..n], &right[..n]).map_err(RenderError::Sink)?;
        }
        done += n;
        // A guided session complete: a short tail, then the render ends.
        if job.guide.is_some() && engine.guide_mark().complete {
            let end = done + (GUIDE_TAIL_S * sr as f64).round() as usize;
            total = total.min(end);
        }
    }
    drop(records);
    let (session, log) = match session.map(SessionThread::finish).transpose() {
        Ok(Some((summary, log))) => (Some(summary), log),
        Ok(None) => (None, None),
        Err(e) => return Err(RenderError::Session(e)),
    };
    let baselines = match carried.lock() {
        Ok(mut v) => std::mem::take(&mut *v),
        Err(_) => Vec::new(),
    };
    let rendered_s = total as f64 / sr as f64;
    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
    let guide_notes = job.guide.as_ref().map_or(Vec::new(), |plan| {
        guided_notes(
            plan,
            &engine.guide_mark(),
            drive.as_ref().and_then(|d| d.ended_at()),
            session.as_ref(),
            &baselines,
        )
    });
    let mut report = RenderReport {
        lufs: meter.integrated_lufs(),
        peak_dbfs: meter.peak_dbfs(),
        seconds: meter.seconds(sr),
        realtime_factor: rendered_s / elapsed,
        all_finite,
        session,
        log,
        baselines,
        eeg_notes: drive.map_or(Vec::new(), |d| d.report_notes(rendered_s)),
    };
    report.eeg_notes.extend(guide_notes);
    if let Some(s) = report.session.as_ref() {
        if s.frames > 0 && s.held_frames == s.frames && missing.held {
            report.eeg_notes.push(format!(
                "warning: the program held every frame ({}): it had nothing to score; give \
                 it the input it needs, or choose a program the inputs can feed (--program).",
                missing.sentence().trim_end_matches('.')
            ));
        }
    }
    Ok(report)
}

/// What a guided render must say: no EEG, EEG that ended before the session did (the log
/// stops there), a session the render cut short, baseline stages that calibrated nothing.
fn guided_notes(
    plan: &crate::guide::Plan,
    mark: &crate::bridge::GuideMark,
    eeg_ended: Option<f64>,
    session: Option<&SessionSummary>,
    baselines: &[Result<crate::session::CarriedBaseline, String>],
) -> Vec<String> {
    let name = |i: usize| plan.stage_names.get(i).map_or("", String::as_str);
    let n = plan.stage_names.len();
    let mut notes = Vec::new();
    match (session, eeg_ended) {
        (None, _) => notes.push(
            "warning: no EEG (--eeg): the session's stages played their sounds on their \
             fixed and maximum times, with no feedback and no log."
                .into(),
        ),
        (Some(s), Some(t)) if s.stages.last().is_none_or(|v| v.ended.is_none()) => {
            if let Some(v) = s.stages.last() {
                notes.push(format!(
                    "warning: the EEG ended at {t:.1} s, in stage {} of {n} ('{}'): the \
             session went on without it (stages on their maximum times) and the log \
             and summary stop there.",
                    v.stage + 1,
                    v.name
                ));
            }
        }
        _ => {}
    }
    if !mark.complete {
        notes.push(format!(
            "warning: the render ended in stage {} of {n} ('{}') before the session completed; \
             a longer --seconds plays the rest.",
            mark.stage as usize + 1,
            name(mark.stage as usize)
        ));
    }
    for e in baselines.iter().filter_map(|b| b.as_ref().err()) {
        notes.push(format!("warning: the baseline {e}."));
    }
    notes
}

/// Renders `job` into memory: `(left, right)`. Errors are the EEG input's or the log's.
pub fn render_to_vec(job: &RenderJob) -> Result<(Vec<f32>, Vec<f32>, RenderReport), String> {
    let mut l = Vec::new();
    let mut r = Vec::new();
    let report = render::<std::convert::Infallible>(job, |a, b| {
        l.extend_from_slice(a);
        r.extend_from_slice(b);
        Ok(())
    })
    .map_err(|e| match e {
        RenderError::Session(s) => s,
        RenderError::Sink(never) => match never {},
    })?;
    Ok((l, r, report))
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
