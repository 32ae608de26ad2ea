//! The interfaces of EEG sources. A live [`Source`] is what the worker pumps (an LSL inlet,
//! or a [`Generator`] paced by the wall clock: [`Paced`]). A [`Generator`] (the simulator, a
//! recording's [`super::playback::Playback`]) yields the same samples whether the worker paces
//! it in real time or the offline renderer by the audio clock (`render::EegDrive`).
//! [`open_live`] turns the user's [`SourceSpec`] into the live source.

use std::sync::Arc;

use super::lsl::LslSource;
use super::playback::Playback;
use super::protocol::{SourceState, SourceStatus};
use super::recording;
use super::sim::Simulator;
use super::SourceSpec;

/// Samples on demand, in µV, one value per channel.
pub trait Generator {
    /// Channel labels.
    fn labels(&self) -> &[String];
    /// Sample rate in Hz.
    fn rate(&self) -> f32;
    /// Writes the next sample into `out` (one value per channel) and returns its time in
    /// seconds on the generator's own clock: it starts at 0 and never goes back, and a jump
    /// of more than a sample period is a gap in the data (a recording's EDF+D gap or lost
    /// data), which pacing reproduces. `None` at the end of a finite generator (nothing
    /// written).
    fn next(&mut self, out: &mut [f32]) -> Option<f64>;
    /// Moves to generator time `t` (s, from 0): the next sample is the first at or after
    /// `t`. What follows depends only on `t` (a timeline played from the same place gives the
    /// same samples). Real-time safe.
    fn seek(&mut self, t: f64);
}

/// A boxed generator (a recording of any kind, chosen at run time) is a generator.
impl<G: Generator + ?Sized> Generator for Box<G> {
    fn labels(&self) -> &[String] {
        (**self).labels()
    }

    fn rate(&self) -> f32 {
        (**self).rate()
    }

    fn next(&mut self, out: &mut [f32]) -> Option<f64> {
        (**self).next(out)
    }

    fn seek(&mut self, t: f64) {
        (**self).seek(t)
    }
}

/// A generator as a live source, paced by the wall clock: each sample is delivered when the
/// wall clock reaches its time, so a recording's gaps last as long as they did.
pub struct Paced<G> {
    /// The samples.
    generator: G,
    /// Local time of the generator's time 0 (moved on when the worker stalls, so a stall
    /// never comes out as a burst of more than a second's samples).
    start: Option<f64>,
    /// The next sample, already taken from the generator, and its time.
    pending: Option<f64>,
    /// That sample.
    buf: Vec<f32>,
    /// Whether the generator has ended.
    ended: bool,
}

impl<G: Generator> Paced<G> {
    /// Starts pacing `generator` at its first pump.
    pub fn new(generator: G) -> Self {
        Self {
            buf: vec![0.0; generator.labels().len()],
            generator,
            start: None,
            pending: None,
            ended: false,
        }
    }
}

impl<G: Generator> Source for Paced<G> {
    fn pump(&mut self, status: &mut SourceStatus, sink: &mut dyn FnMut(&[f32], f64)) -> usize {
        let now = ::lsl::local_clock();
        let start = *self.start.get_or_insert(now);
        let max = self.generator.rate().ceil() as usize;
        let mut sent = 0;
        while sent < max && !self.ended {
            let t = match self.pending {
                Some(t) => t,
                None => match self.generator.next(&mut self.buf) {
                    Some(t) => {
                        self.pending = Some(t);
                        t
                    }
                    None => {
                        self.ended = true;
                        status.state = SourceState::Stopped;
                        status.message = "The recording has ended.".into();
                        break;
                    }
                },
            };
            if start + t > now {
                break;
            }
            sink(&self.buf, start + t);
            self.pending = None;
            sent += 1;
        }
        if sent == max {
            // Behind by more than a second: skip ahead rather than burst.
            if let (Some(t), Some(s)) = (self.pending, self.start.as_mut()) {
                *s = s.max(now - t);
            }
        }
        status.samples += sent as u64;
        status.measured_rate = self.generator.rate() as f64;
        if sent == 0 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        sent
    }

    fn layout(&self) -> Option<(&[String], f32)> {
        Some((self.generator.labels(), self.generator.rate()))
    }
}

/// A source that produces nothing (after an error), without spinning.
pub struct Idle;

impl Source for Idle {
    fn pump(&mut self, _: &mut SourceStatus, _: &mut dyn FnMut(&[f32], f64)) -> usize {
        std::thread::sleep(std::time::Duration::from_millis(20));
        0
    }

    fn layout(&self) -> Option<(&[String], f32)> {
        None
    }
}

/// A live source, owned by the worker thread (it may hold handles that must not move).
pub trait Source {
    /// Delivers every sample that is ready to `sink(values, local_time_seconds)` (values in µV,
    /// one per channel), updates `status`, and returns how many samples it delivered. May block
    /// briefly (a few ms) waiting for data; never for long.
    fn pump(&mut self, status: &mut SourceStatus, sink: &mut dyn FnMut(&[f32], f64)) -> usize;

    /// Channel labels and sample rate of the current stream, once connected.
    fn layout(&self) -> Option<(&[String], f32)>;
}

/// Builds the live source for `spec`, with its initial status (an [`Idle`] source and an
/// error status when the simulator script or recording cannot be opened). Call it on the
/// thread that will pump the source: an LSL inlet must not move.
pub fn open_live(spec: &SourceSpec) -> (Box<dyn Source>, SourceStatus) {
    let mut status = SourceStatus::default();
    let source: Box<dyn Source> = match spec {
        SourceSpec::Lsl { prop, value } => {
            status.message = format!(
                "Looking for an LSL stream with {} '{value}'.",
                prop.as_lsl()
            );
            Box::new(LslSource::new(*prop, value))
        }
        SourceSpec::Simulator(cfg) => match Simulator::new(cfg.clone()) {
            Ok(sim) => {
                status.state = SourceState::Connected;
                status.name = "MelodiaSync simulator".into();
                status.stream_type = "EEG (simulated)".into();
                status.labels = sim.labels().to_vec();
                status.nominal_rate = sim.rate() as f64;
                status.message = format!(
                    "Simulated EEG ({} channels at {} Hz, script {:?}) — not a real brain signal.",
                    cfg.channels, cfg.rate, cfg.script
                );
                Box::new(Paced::new(sim))
            }
            Err(e) => return (Box::new(Idle), error_status(e)),
        },
        SourceSpec::File {
            path,
            looping,
            rate,
            channels,
            stream,
        } => match recording::open(
            path,
            &recording::ReadOptions {
                rate: *rate,
                channels: channels.clone(),
                stream: stream.clone(),
            },
        ) {
            Ok(rec) => {
                status.state = SourceState::Connected;
                status.name = path.display().to_string();
                status.stream_type = "EEG (recording)".into();
                status.labels = rec.labels.clone();
                status.nominal_rate = rec.sample_rate as f64;
                status.message = format!(
                    "Playing '{}' ({}{}).",
                    path.display(),
                    rec.summary,
                    if *looping { ", looping" } else { "" }
                );
                status.warnings = rec.warnings.iter().map(|w| format!("{w}.")).collect();
                Box::new(Paced::new(Playback::new(Arc::new(rec), *looping)))
            }
            Err(e) => return (Box::new(Idle), error_status(e)),
        },
    };
    (source, status)
}

/// A status in the error state with `message`.
fn error_status(message: String) -> SourceStatus {
    SourceStatus {
        state: SourceState::Error,
        message,
        ..SourceStatus::default()
    }
}

/// Counts samples due on the wall clock at a fixed rate (LSL outlets: `simulate`, `replay`).
pub struct Pacer {
    /// Local time when pacing started.
    start: f64,
    /// Samples delivered.
    sent: u64,
    /// Samples per second.
    rate: f64,
}

impl Pacer {
    /// A pacer starting now.
    pub fn new(rate: f32) -> Self {
        Self {
            start: ::lsl::local_clock(),
            sent: 0,
            rate: rate as f64,
        }
    }

    /// How many samples are due now (at most one second's worth, so a stalled thread does not
    /// produce a burst), and the timestamp of the first of them.
    pub fn due(&mut self) -> (u64, f64) {
        let now = ::lsl::local_clock();
        let target = ((now - self.start) * self.rate) as u64;
        let due = target
            .saturating_sub(self.sent)
            .min(self.rate.ceil() as u64);
        if target > self.sent + due {
            // Skip what cannot be caught up; the timeline stays real time.
            self.sent = target - due;
        }
        (due, self.start + self.sent as f64 / self.rate)
    }

    /// Marks `n` samples as delivered.
    pub fn advance(&mut self, n: u64) {
        self.sent += n;
    }

    /// Seconds per sample.
    pub fn period(&self) -> f64 {
        1.0 / self.rate
    }
}
