//! The worker-side interface every EEG source implements.

use super::protocol::SourceStatus;

/// A live source, owned by the worker thread (it may hold handles that must not move).
pub trait Source {
    /// Delivers every sample that is ready to `sink(values, local_time_seconds)` (values in µV,
    /// one per channel), updates `status`, and returns how many samples it delivered. May block
    /// briefly (a few ms) waiting for data; never for long.
    fn pump(&mut self, status: &mut SourceStatus, sink: &mut dyn FnMut(&[f32], f64)) -> usize;

    /// Channel labels and sample rate of the current stream, once connected.
    fn layout(&self) -> Option<(&[String], f32)>;
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
