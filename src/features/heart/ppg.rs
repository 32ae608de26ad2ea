//! Systolic peaks in a streaming PPG: Elgendi et al. (2013), "Systolic peak detection in
//! acceleration photoplethysmograms measured from emergency responders in tropical
//! conditions", PLoS ONE 8(10) (two event-related moving averages; NeuroKit2's default).
//!
//! The steps, per sample:
//! 1. band-pass 0.5–8 Hz (Butterworth, two second-order sections);
//! 2. keep the positive part and square it;
//! 3. two moving averages of that: over a systolic peak ([`PEAK_WINDOW_S`], 111 ms) and over
//!    a beat ([`BEAT_WINDOW_S`], 667 ms). Both are centred by delaying the shorter one,
//!    since causal windows lag by half their width.
//!
//! Where the peak average exceeds the beat average plus β = 0.02 of the squared signal's
//! running mean, a block of interest opens. A block at least as wide as the peak window holds a
//! beat. The beat is at the largest value of the PPG in the block (the same signal,
//! smoothed by a centred [1 2 1] / 4 kernel, so no phase shift), refined by a parabola.
//! Beats closer than [`MIN_INTERVAL_S`] to the previous one are dropped (NeuroKit2's
//! minimum delay). The detection lags the systolic peak by about half a beat window plus the
//! block's end: about 0.5 s.

use crate::features::envelope::Biquad;

/// Systolic-peak window (Elgendi's W1), s.
pub const PEAK_WINDOW_S: f64 = 0.111;
/// Beat window (Elgendi's W2), s.
pub const BEAT_WINDOW_S: f64 = 0.667;
/// Elgendi's β: the offset of the threshold, as a share of the mean squared signal.
pub const BETA: f64 = 0.02;
/// Shortest interval between beats, s.
pub const MIN_INTERVAL_S: f64 = 0.3;
/// Time constant of the squared signal's running mean, s.
const MEAN_TAU_S: f64 = 10.0;

pub use super::ecg::Beat;

/// A trailing moving average over a ring.
struct Moving {
    ring: Vec<f64>,
    sum: f64,
}

impl Moving {
    fn new(len: usize) -> Self {
        Self {
            ring: vec![0.0; len.max(1)],
            sum: 0.0,
        }
    }

    fn push(&mut self, n: u64, x: f64) -> f64 {
        let len = self.ring.len();
        let slot = (n % len as u64) as usize;
        self.sum += x - self.ring[slot];
        self.ring[slot] = x;
        self.sum / len as f64
    }
}

/// The streaming Elgendi detector (allocation-free after construction).
pub struct Elgendi {
    /// Sample rate, Hz.
    fs: f64,
    /// Band-pass sections and their states.
    band: [(Biquad, [f64; 2]); 2],
    /// The peak window's average.
    peak: Moving,
    /// The beat window's average.
    beat: Moving,
    /// The peak average delayed to line up with the beat average (a ring).
    delay: Vec<f64>,
    /// Running mean of the squared signal.
    mean: f64,
    /// Running-mean coefficient per sample.
    mean_a: f64,
    /// The raw PPG ring for localisation (about 2 s).
    raw: Vec<f32>,
    /// Samples seen.
    n: u64,
    /// Where the open block of interest started (aligned index), if one is open.
    block: Option<u64>,
    /// Index of the last beat.
    last: Option<f64>,
}

impl Elgendi {
    /// A detector for a PPG sampled at `fs` Hz (at least 25 Hz).
    pub fn new(fs: f32) -> Self {
        let fs = fs.max(25.0) as f64;
        let q = std::f64::consts::FRAC_1_SQRT_2;
        let w1 = ((PEAK_WINDOW_S * fs).round() as usize).max(1);
        let w2 = ((BEAT_WINDOW_S * fs).round() as usize).max(w1);
        Self {
            fs,
            band: [
                (Biquad::highpass(0.5, q, fs), [0.0; 2]),
                (Biquad::lowpass(8.0f64.min(0.4 * fs), q, fs), [0.0; 2]),
            ],
            peak: Moving::new(w1),
            beat: Moving::new(w2),
            delay: vec![0.0; ((w2 - w1) / 2).max(1)],
            mean: 0.0,
            mean_a: 1.0 - (-1.0 / (MEAN_TAU_S * fs)).exp(),
            raw: vec![0.0; (2.0 * fs) as usize + w2],
            n: 0,
            block: None,
            last: None,
        }
    }

    /// Forgets the signal.
    pub fn reset(&mut self) {
        *self = Self::new(self.fs as f32);
    }

    /// How far the aligned averages lag the newest sample, samples: half the beat window.
    fn lag(&self) -> u64 {
        (self.beat.ring.len() / 2) as u64
    }

    /// Takes one PPG sample (any unit; a non-finite one counts as 0) and returns a beat when
    /// a block of interest closes on one.
    pub fn push(&mut self, x: f32) -> Option<Beat> {
        let x = if x.is_finite() { x } else { 0.0 };
        let mut y = x as f64;
        for (f, s) in self.band.iter_mut() {
            y = f.tick(y, s);
        }
        let sq = y.max(0.0).powi(2);
        let n = self.n;
        self.n += 1;
        let len = self.raw.len();
        self.raw[(n % len as u64) as usize] = x;
        self.mean += (sq - self.mean) * if n == 0 { 1.0 } else { self.mean_a };
        let peak_now = self.peak.push(n, sq);
        let beat_avg = self.beat.push(n, sq);
        // Delay the peak average so both averages are centred on the same sample.
        let d = self.delay.len();
        let slot = (n % d as u64) as usize;
        let peak_avg = std::mem::replace(&mut self.delay[slot], peak_now);
        if n < self.beat.ring.len() as u64 * 2 {
            return None;
        }
        let aligned = n - self.lag();
        let inside = peak_avg > beat_avg + BETA * self.mean;
        match (inside, self.block) {
            (true, None) => {
                self.block = Some(aligned);
                None
            }
            (false, Some(start)) => {
                self.block = None;
                let width = aligned - start;
                if (width as usize) < self.peak.ring.len() {
                    return None;
                }
                self.locate(start, aligned)
            }
            _ => None,
        }
    }

    /// The beat in the block `[start, end)` (aligned indices).
    fn locate(&mut self, start: u64, end: u64) -> Option<Beat> {
        let len = self.raw.len() as u64;
        let oldest = self.n.saturating_sub(len) + 2;
        let newest = self.n.saturating_sub(3);
        let (lo, hi) = (start.max(oldest), end.min(newest));
        if hi <= lo {
            return None;
        }
        let raw = |i: u64| self.raw[(i % len) as usize] as f64;
        // A centred binomial [1 2 1] / 4: smooths sensor noise without moving a symmetric
        // peak (a wider average would pull the asymmetric pulse's peak toward its slow fall).
        let smooth = |i: u64| 0.25 * raw(i - 1) + 0.5 * raw(i) + 0.25 * raw(i + 1);
        let mut best = lo;
        for i in lo..hi {
            if smooth(i) > smooth(best) {
                best = i;
            }
        }
        let mut index = best as f64;
        if best > lo && best + 1 < hi {
            index += super::parabolic_offset(smooth(best - 1), smooth(best), smooth(best + 1));
        }
        if self
            .last
            .is_some_and(|l| (index - l) / self.fs < MIN_INTERVAL_S)
        {
            return None;
        }
        self.last = Some(index);
        Some(Beat {
            index,
            amplitude: smooth(best) as f32,
        })
    }
}
