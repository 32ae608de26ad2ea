//! QRS detection in a streaming ECG: Pan & Tompkins (1985), "A real-time QRS detection
//! algorithm", IEEE Trans. Biomed. Eng. 32(3), with its adaptive thresholds, search-back and
//! T-wave discrimination, at any sample rate.
//!
//! The steps, per sample:
//! 1. band-pass 5–15 Hz (Butterworth, two second-order sections), where QRS energy is;
//! 2. the five-point derivative `(2x[n] + x[n−1] − x[n−3] − 2x[n−4]) / 8`;
//! 3. squaring;
//! 4. a 150 ms moving-window integral.
//!
//! A peak of the integral is taken once it has stood [`CONFIRM_S`] without being topped.
//! Above threshold I1 it is a QRS; below it is noise. The levels follow as in the paper
//! (SPKI, NPKI with weight 1/8; I1 = NPKI + (SPKI − NPKI)/4, I2 = I1/2).
//! - No QRS for 1.66 mean intervals: the best noise peak above I2 since the last QRS is
//!   taken (the search-back).
//! - A peak within 360 ms of a QRS whose steepest slope is under half the last QRS's is a
//!   T wave.
//! - Nothing is taken within 200 ms of a QRS (the refractory period).
//!
//! The R peak is then placed at the largest value of the ECG (drift removed by a 0.5 Hz
//! high-pass, whose phase at QRS frequencies is negligible; smoothed by a centred 20 ms
//! moving average, as NeuroKit2's cleaning does against mains hum) in the integral's window
//! before its peak. It is refined between samples by a parabola, so beat times do not depend on the
//! sample grid. The detection lags the R peak by about 0.4 s: the integral's width, its
//! confirmation and the band-pass.

use crate::features::envelope::Biquad;

/// How long an integral peak must stand before it is judged, s.
pub const CONFIRM_S: f64 = 0.2;
/// Moving-window integration width, s (Pan & Tompkins: 150 ms).
pub const INTEGRATION_S: f64 = 0.15;
/// Refractory period, s.
pub const REFRACTORY_S: f64 = 0.2;
/// T-wave window after a QRS, s.
pub const T_WAVE_S: f64 = 0.36;
/// Learning phase before the thresholds are trusted, s.
pub const LEARNING_S: f64 = 2.0;

/// A detected beat.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Beat {
    /// Where the peak is, in samples from the detector's start (fractional).
    pub index: f64,
    /// The peak's height in the detector's localisation signal (input units).
    pub amplitude: f32,
}

/// A peak of the integrated signal, waiting to be judged.
#[derive(Clone, Copy, Debug, Default)]
struct Peak {
    /// Integral value.
    value: f64,
    /// Sample index.
    index: u64,
    /// Steepest squared slope in the integration window.
    slope: f64,
}

/// The streaming Pan–Tompkins detector (allocation-free after construction).
pub struct PanTompkins {
    /// Sample rate, Hz.
    fs: f64,
    /// Band-pass sections (high-pass 5 Hz, low-pass 15 Hz) and their states.
    band: [(Biquad, [f64; 2]); 2],
    /// Drift removal for localisation (0.5 Hz high-pass) and its state.
    drift: (Biquad, [f64; 2]),
    /// The last four band-passed values (derivative taps).
    taps: [f64; 4],
    /// Squared derivative ring (the integration window).
    squared: Vec<f64>,
    /// Running sum of `squared`.
    sum: f64,
    /// The drift-free ECG ring for localisation (about 1 s).
    ecg: Vec<f32>,
    /// Samples seen.
    n: u64,
    /// The integral's peak being followed, and whether it rose (only a rise is a peak).
    candidate: Peak,
    /// Whether `candidate` is a rise (a descent after a judged peak is not a peak).
    rising: bool,
    /// The largest integral seen in the learning phase, and the sum for its mean.
    learning: (f64, f64),
    /// Signal and noise peak levels.
    spki: f64,
    /// Noise peak level.
    npki: f64,
    /// The last QRS (index and slope).
    last_qrs: Option<Peak>,
    /// The recent QRS intervals (samples) for the mean used by the search-back.
    intervals: [f64; 8],
    /// How many of `intervals` are filled.
    interval_len: usize,
    /// The best noise peak above I2 since the last QRS (search-back candidate).
    searchback: Option<Peak>,
}

impl PanTompkins {
    /// A detector for an ECG sampled at `fs` Hz (at least 100 Hz; the band edges are clamped
    /// below the Nyquist frequency).
    pub fn new(fs: f32) -> Self {
        let fs = fs.max(50.0) as f64;
        let q = std::f64::consts::FRAC_1_SQRT_2;
        let w = ((INTEGRATION_S * fs).round() as usize).max(1);
        Self {
            fs,
            band: [
                (Biquad::highpass(5.0, q, fs), [0.0; 2]),
                (Biquad::lowpass(15.0f64.min(0.4 * fs), q, fs), [0.0; 2]),
            ],
            drift: (Biquad::highpass(0.5, q, fs), [0.0; 2]),
            taps: [0.0; 4],
            squared: vec![0.0; w],
            sum: 0.0,
            ecg: vec![0.0; (fs as usize).max(w * 4)],
            n: 0,
            candidate: Peak::default(),
            rising: false,
            learning: (0.0, 0.0),
            spki: 0.0,
            npki: 0.0,
            last_qrs: None,
            intervals: [0.0; 8],
            interval_len: 0,
            searchback: None,
        }
    }

    /// Forgets the signal (a gap, a new electrode contact): the thresholds learn again.
    pub fn reset(&mut self) {
        *self = Self::new(self.fs as f32);
    }

    /// Samples seen since the start or the last reset.
    pub fn samples(&self) -> u64 {
        self.n
    }

    fn threshold1(&self) -> f64 {
        self.npki + 0.25 * (self.spki - self.npki)
    }

    /// Takes one ECG sample (any unit; a non-finite one counts as 0) and returns a beat when
    /// one is judged.
    pub fn push(&mut self, x: f32) -> Option<Beat> {
        let x = if x.is_finite() { x as f64 } else { 0.0 };
        let mut y = x;
        for (f, s) in self.band.iter_mut() {
            y = f.tick(y, s);
        }
        let d = (2.0 * y + self.taps[0] - self.taps[2] - 2.0 * self.taps[3]) / 8.0;
        self.taps = [y, self.taps[0], self.taps[1], self.taps[2]];
        let sq = d * d;
        let w = self.squared.len();
        let slot = (self.n % w as u64) as usize;
        self.sum += sq - self.squared[slot];
        self.squared[slot] = sq;
        let integral = (self.sum / w as f64).max(0.0);
        let clean = self.drift.0.tick(x, &mut self.drift.1);
        let len = self.ecg.len();
        self.ecg[(self.n % len as u64) as usize] = clean as f32;
        let n = self.n;
        self.n += 1;

        let learning_end = (LEARNING_S * self.fs) as u64;
        if n < learning_end {
            self.learning.0 = self.learning.0.max(integral);
            self.learning.1 += integral;
            if n + 1 == learning_end {
                self.spki = self.learning.0 / 3.0;
                self.npki = 0.5 * self.learning.1 / learning_end as f64;
            }
            self.candidate = Peak {
                value: integral,
                index: n,
                slope: 0.0,
            };
            return None;
        }

        // Follow the integral: a rise updates the candidate, a descent follows it down.
        if integral > self.candidate.value {
            if !self.rising {
                self.rising = true;
            }
            let slope = self.squared.iter().copied().fold(0.0, f64::max);
            self.candidate = Peak {
                value: integral,
                index: n,
                slope,
            };
        } else if !self.rising {
            self.candidate = Peak {
                value: integral,
                index: n,
                slope: 0.0,
            };
        }
        let mut beat = None;
        if self.rising && (n - self.candidate.index) as f64 >= CONFIRM_S * self.fs {
            let peak = self.candidate;
            self.rising = false;
            self.candidate = Peak {
                value: integral,
                index: n,
                slope: 0.0,
            };
            beat = self.judge(peak);
        }
        if beat.is_none() {
            beat = self.search_back(n);
        }
        beat
    }

    /// Classifies an integral peak as QRS, T wave or noise.
    fn judge(&mut self, peak: Peak) -> Option<Beat> {
        let since = |q: &Peak| (peak.index - q.index) as f64 / self.fs;
        if let Some(q) = &self.last_qrs {
            if since(q) < REFRACTORY_S {
                return None;
            }
        }
        if peak.value > self.threshold1() {
            let t_wave = self
                .last_qrs
                .as_ref()
                .is_some_and(|q| since(q) < T_WAVE_S && peak.slope < 0.5 * q.slope);
            if !t_wave {
                self.spki = 0.125 * peak.value + 0.875 * self.spki;
                return Some(self.qrs(peak));
            }
        }
        self.npki = 0.125 * peak.value + 0.875 * self.npki;
        if peak.value > 0.5 * self.threshold1()
            && self.searchback.is_none_or(|s| peak.value > s.value)
        {
            self.searchback = Some(peak);
        }
        None
    }

    /// The search-back: with no QRS for 1.66 mean intervals, the best noise peak above I2.
    fn search_back(&mut self, n: u64) -> Option<Beat> {
        let (Some(q), Some(s)) = (self.last_qrs, self.searchback) else {
            return None;
        };
        if self.interval_len < 2 {
            return None;
        }
        let mean =
            self.intervals[..self.interval_len].iter().sum::<f64>() / self.interval_len as f64;
        if ((n - q.index) as f64) < 1.66 * mean {
            return None;
        }
        self.spki = 0.25 * s.value + 0.75 * self.spki;
        Some(self.qrs(s))
    }

    /// Records a QRS and places its R peak.
    fn qrs(&mut self, peak: Peak) -> Beat {
        if let Some(q) = &self.last_qrs {
            let interval = (peak.index - q.index) as f64;
            if self.interval_len < self.intervals.len() {
                self.interval_len += 1;
            }
            self.intervals.rotate_right(1);
            self.intervals[0] = interval;
        }
        self.last_qrs = Some(peak);
        self.searchback = None;
        // The QRS lies in the integration window before the integral's peak, shifted by the
        // band-pass's delay (about 25 ms at these corners).
        let w = self.squared.len() as u64;
        let lead = (0.05 * self.fs) as u64;
        let hi = peak.index.min(self.n - 1);
        let oldest = self.n.saturating_sub(self.ecg.len() as u64);
        let lo = peak.index.saturating_sub(w + lead).max(oldest);
        let len = self.ecg.len() as u64;
        // A centred 20 ms moving average: linear phase, so the peak stays put, while sensor
        // noise and mains hum (a null at 50 Hz) no longer jitter it.
        let half = ((0.01 * self.fs) as u64).max(1);
        let lo = (lo + half).min(hi);
        let hi = hi.saturating_sub(half).max(lo);
        let at = |i: u64| {
            let sum: f32 = (i - half..=i + half)
                .map(|j| self.ecg[(j % len) as usize])
                .sum();
            sum / (2 * half + 1) as f32
        };
        let mut best = lo;
        for i in lo..=hi {
            if at(i) > at(best) {
                best = i;
            }
        }
        let mut index = best as f64;
        if best > lo && best < hi {
            index +=
                super::parabolic_offset(at(best - 1) as f64, at(best) as f64, at(best + 1) as f64);
        }
        Beat {
            index,
            amplitude: at(best),
        }
    }
}
