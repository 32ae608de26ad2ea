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
    /// Writes the next sample into `out` (one value per channel); `false` at the end of a
    /// finite generator (nothing written).
    fn next_sample(&mut self, out: &mut [f32]) -> bool;
}

/// A generator as a live source, paced by the wall clock.
pub struct Paced<G> {
    /// The samples.
    generator: G,
    /// Real-time pacing.
    pacer: Pacer,
    /// One sample.
    buf: Vec<f32>,
}

impl<G: Generator> Paced<G> {
    /// Starts pacing `generator` now.
    pub fn new(generator: G) -> Self {
        Self {
            buf: vec![0.0; generator.labels().len()],
            pacer: Pacer::new(generator.rate()),
            generator,
        }
    }
}

impl<G: Generator> Source for Paced<G> {
    fn pump(&mut self, status: &mut SourceStatus, sink: &mut dyn FnMut(&[f32], f64)) -> usize {
        let (due, t0) = self.pacer.due();
        let mut sent = 0;
        for i in 0..due {
            if !self.generator.next_sample(&mut self.buf) {
                status.state = SourceState::Stopped;
                status.message = "The recording has ended.".into();
                break;
            }
            sink(&self.buf, t0 + i as f64 * self.pacer.period());
            sent += 1;
        }
        self.pacer.advance(sent);
        status.samples += sent;
        status.measured_rate = self.generator.rate() as f64;
        if sent == 0 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        sent as usize
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
        } => match recording::open(path, *rate) {
            Ok(rec) => {
                status.state = SourceState::Connected;
                status.name = path.display().to_string();
                status.stream_type = "EEG (recording)".into();
                status.labels = rec.labels.clone();
                status.nominal_rate = rec.sample_rate as f64;
                status.message = format!(
                    "Playing '{}' ({} channels at {} Hz){}.",
                    path.display(),
                    rec.channels(),
                    rec.sample_rate,
                    if *looping { ", looping" } else { "" }
                );
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

/// Paces a generator (simulator or recording) at real time on the worker's clock.
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
