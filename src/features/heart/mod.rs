//! The heart feature engine: pure DSP on a cardiac signal (ECG, PPG) or on beat-to-beat
//! intervals (RR), no threads, no I/O, no allocation after construction.
//!
//! A [`HeartAnalyzer`] takes samples (or intervals) with their times and keeps
//! [`HeartFeatures`], a small `Copy` value that rides in every
//! [`FeatureFrame`](super::FeatureFrame) beside the EEG values:
//! - beats: [`ecg::PanTompkins`] (QRS) or [`ppg::Elgendi`] (systolic peaks);
//! - intervals: [`rr::RrCorrector`] (missed, extra and ectopic beats corrected and flagged);
//! - features: [`hrv`] (HR, RMSSD and SDNN over [`HeartConfig::time_window_s`]; LF, HF,
//!   LF/HF, the breathing rate from RSA and coherence over the spectral window).
//!
//! Heart features are windowed statistics: they follow the body over seconds, not the
//! hundreds of milliseconds of the EEG bands. Each says how far it lags
//! ([`HeartFeatures::delay_s`]).

pub mod ecg;
pub mod hrv;
pub mod ppg;
pub mod record;
pub mod rr;

use std::collections::VecDeque;

use hrv::{SpectralConfig, Spectrum};
use rr::{Nn, RrCorrector};

/// Where the peak of a parabola through three equally spaced values `a`, `b`, `c` (the
/// middle one the largest) lies, in samples from the middle: −0.5..0.5, 0 when they are not
/// a peak. Places beats and spectral peaks between samples.
pub fn parabolic_offset(a: f64, b: f64, c: f64) -> f64 {
    let denom = a - 2.0 * b + c;
    if denom < -1e-12 {
        (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
    } else {
        0.0
    }
}

/// Where [`coherence_scale`] is full: a coherence ratio of 16 (HeartMath's high-coherence
/// range starts near 3; experts reach 10 and more).
pub const COHERENCE_FULL: f32 = 16.0;

/// A coherence ratio on a 0..1 scale for meters and MIDI CC: logarithmic from 0.1 to
/// [`COHERENCE_FULL`], so a beginner's 0.5 and an expert's 10 both show (equal ratios, equal
/// steps); 0 for anything not a positive number.
pub fn coherence_scale(ratio: f32) -> f32 {
    if !(ratio.is_finite() && ratio > 0.1) {
        return 0.0;
    }
    ((ratio / 0.1).ln() / (COHERENCE_FULL / 0.1).ln()).clamp(0.0, 1.0)
}

/// No beat for this long and the heart features hold, s (24 bpm is 2.5 s a beat).
pub const NO_BEAT_S: f64 = 3.0;
/// A longer silence between beats starts the interval series afresh, s.
pub const GAP_S: f64 = 3.0;
/// Share of measured (not corrected) intervals the time window needs for its values to count.
pub const MIN_BEAT_QUALITY: f32 = 0.8;
/// Intervals the time window needs before RMSSD and SDNN count.
pub const MIN_BEATS: usize = 10;

/// What a heart stream carries.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum HeartKind {
    /// Raw electrocardiogram (LSL type `ECG`).
    #[default]
    Ecg,
    /// Raw photoplethysmogram (LSL type `PPG`).
    Ppg,
    /// Beat-to-beat intervals in ms, one sample per beat (as Polar apps publish them).
    Rr,
}

impl HeartKind {
    /// Every kind, in menu order.
    pub const ALL: [HeartKind; 3] = [HeartKind::Ecg, HeartKind::Ppg, HeartKind::Rr];

    /// The LSL stream type and the CLI's spelling.
    pub fn name(self) -> &'static str {
        match self {
            HeartKind::Ecg => "ECG",
            HeartKind::Ppg => "PPG",
            HeartKind::Rr => "RR",
        }
    }

    /// Parses `ECG`, `PPG` or `RR` (any case).
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("'{s}' is not a heart stream type; use ECG, PPG or RR."))
    }
}

/// Why the heart features are holding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HeartIssue {
    /// Nothing wrong.
    #[default]
    None,
    /// No signal has arrived yet.
    NoSignal,
    /// Samples arrive but no beat for [`NO_BEAT_S`].
    NoBeats,
    /// The signal does not move (a loose or disconnected sensor).
    Flat,
    /// The signal sits at its rails (the amplifier is saturated).
    Saturated,
    /// The signal holds NaN or infinite values.
    NonFinite,
    /// Too many intervals needed correcting (movement, a poor contact).
    Artefacts,
    /// Fewer than [`MIN_BEATS`] intervals yet.
    Warming,
}

impl HeartIssue {
    /// The sentence for the status line ("" when there is nothing wrong).
    pub fn sentence(self) -> &'static str {
        match self {
            HeartIssue::None => "",
            HeartIssue::NoSignal => "No heart signal yet.",
            HeartIssue::NoBeats => {
                "No heartbeat for 3 s: check the sensor's contact; the heart features hold."
            }
            HeartIssue::Flat => {
                "The heart signal is flat: the sensor is loose or off; the heart features hold."
            }
            HeartIssue::Saturated => {
                "The heart signal is saturated (stuck at its limits): reseat the sensor; the \
                 heart features hold."
            }
            HeartIssue::NonFinite => {
                "The heart signal holds invalid values (NaN): the features hold until it is \
                 clean."
            }
            HeartIssue::Artefacts => {
                "More than a fifth of recent beats needed correcting (movement or a poor \
                 contact); the heart features hold."
            }
            HeartIssue::Warming => "Counting the first heartbeats.",
        }
    }
}

/// Everything the heart analysis found, as of its newest beat. Always finite; when `valid`
/// is false the time-domain values hold their last good state (or zero), and consumers hold.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct HeartFeatures {
    /// HR, RMSSD and SDNN are usable now (a recent beat, enough clean intervals).
    pub valid: bool,
    /// HR alone is usable now: a recent beat, the signal checks pass, and the intervals are
    /// not mostly corrected. It needs only one interval, so it comes within two beats of
    /// the signal, long before RMSSD's [`MIN_BEATS`].
    pub hr_valid: bool,
    /// LF, HF, LF/HF, HF share, the breathing rate and coherence are usable now (the spectral
    /// window is full, and `valid`).
    pub spectral_valid: bool,
    /// Why not, when not.
    pub issue: HeartIssue,
    /// Time of the newest beat (source clock, s).
    pub beat_time: f64,
    /// Instantaneous heart rate: 60 000 / the newest NN interval, bpm.
    pub hr_bpm: f32,
    /// Mean heart rate over the time window, bpm.
    pub mean_hr_bpm: f32,
    /// RMSSD over the time window, ms.
    pub rmssd_ms: f32,
    /// SDNN over the time window, ms.
    pub sdnn_ms: f32,
    /// LF power, ms².
    pub lf_ms2: f32,
    /// HF power, ms².
    pub hf_ms2: f32,
    /// LF / HF.
    pub lf_hf: f32,
    /// HF / (LF + HF), 0..1.
    pub hf_share: f32,
    /// Coherence ratio (HeartMath), ≥ 0.
    pub coherence: f32,
    /// Breathing rate from RSA, breaths per minute.
    pub breath_rate_bpm: f32,
    /// Share of the time window's intervals measured as they are (not corrected), 0..1.
    pub quality: f32,
    /// Intervals in the time window.
    pub beats: u16,
    /// Of those, corrected.
    pub corrected: u16,
    /// How far the time-domain values lag the body (half the time window), s.
    pub delay_s: f32,
    /// How far the spectral values lag (half the spectral window), s.
    pub spectral_delay_s: f32,
}

impl HeartFeatures {
    /// Whether these come from a heart input at all (a frame without one carries the
    /// default: not valid, and no issue either, since nothing was asked of it).
    pub fn present(&self) -> bool {
        self.valid || self.hr_valid || self.issue != HeartIssue::None
    }
}

/// How the heart is analysed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeartConfig {
    /// What the samples are.
    pub kind: HeartKind,
    /// Sample rate, Hz (ignored for RR).
    pub rate: f32,
    /// Window of RMSSD, SDNN and mean HR, s (ultra-short-term HRV: 60 s; Munoz et al. 2015
    /// find RMSSD over 60 s agrees with 5 min).
    pub time_window_s: f32,
    /// The spectral analysis.
    pub spectral: SpectralConfig,
}

impl HeartConfig {
    /// The live settings for a stream of `kind` at `rate`.
    pub fn live(kind: HeartKind, rate: f32) -> Self {
        Self {
            kind,
            rate,
            time_window_s: 60.0,
            spectral: SpectralConfig::LIVE,
        }
    }
}

/// The beat detector for a raw stream.
enum Detector {
    Ecg(ecg::PanTompkins),
    Ppg(ppg::Elgendi),
    None,
}

impl Detector {
    fn push(&mut self, x: f32) -> Option<ecg::Beat> {
        match self {
            Detector::Ecg(d) => d.push(x),
            Detector::Ppg(d) => d.push(x),
            Detector::None => None,
        }
    }
}

/// Checks of the raw signal over one-second blocks (flat, saturated, non-finite).
#[derive(Clone, Copy, Debug, Default)]
struct SignalCheck {
    /// Samples per block.
    block: u32,
    /// Samples in the current block.
    count: u32,
    /// Non-finite samples in it.
    non_finite: u32,
    /// Samples equal to the one before.
    repeats: u32,
    /// The previous sample.
    previous: f32,
    /// Range of the block.
    min: f32,
    /// Range of the block.
    max: f32,
    /// The verdict of the last whole block.
    verdict: HeartIssue,
}

impl SignalCheck {
    fn new(rate: f32) -> Self {
        Self {
            block: (rate.max(1.0).round() as u32).max(8),
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
            ..Self::default()
        }
    }

    fn push(&mut self, x: f32) {
        if !x.is_finite() {
            self.non_finite += 1;
        } else {
            if x == self.previous {
                self.repeats += 1;
            }
            self.previous = x;
            self.min = self.min.min(x);
            self.max = self.max.max(x);
        }
        self.count += 1;
        if self.count >= self.block {
            let n = self.count as f32;
            self.verdict = if self.non_finite as f32 > 0.1 * n {
                HeartIssue::NonFinite
            } else if self.max <= self.min || self.repeats as f32 >= 0.95 * n {
                HeartIssue::Flat
            } else if self.repeats as f32 >= 0.2 * n {
                // Runs of equal values with a range: clipped at the converter's limits.
                HeartIssue::Saturated
            } else {
                HeartIssue::None
            };
            *self = Self {
                verdict: self.verdict,
                previous: self.previous,
                ..Self::new(self.block as f32)
            };
        }
    }
}

/// The streaming heart analysis (allocation-free after construction).
pub struct HeartAnalyzer {
    /// Settings.
    config: HeartConfig,
    /// Beat detector (raw streams).
    detector: Detector,
    /// Signal checks (raw streams).
    check: SignalCheck,
    /// Samples pushed (raw streams).
    samples: u64,
    /// Interval correction.
    corrector: RrCorrector,
    /// Time of the previous beat.
    previous_beat: Option<f64>,
    /// NN intervals, oldest first, as long as the longer window.
    nn: VecDeque<Nn>,
    /// Scratch for the time window's intervals.
    scratch: Vec<f32>,
    /// Spectral analysis.
    spectrum: Spectrum,
    /// The current features.
    features: HeartFeatures,
    /// Newest sample time.
    now: f64,
    /// Detected beats (raw streams) or intervals taken (RR), from the start.
    beats_seen: u64,
}

impl HeartAnalyzer {
    /// Capacity of the interval store: 4 beats a second (240 bpm) over the longer window.
    fn capacity(config: &HeartConfig) -> usize {
        (4.0 * config.time_window_s.max(config.spectral.window_s) + 16.0) as usize
    }

    /// An analysis with `config`.
    pub fn new(config: HeartConfig) -> Self {
        let cap = Self::capacity(&config);
        let detector = match config.kind {
            HeartKind::Ecg => Detector::Ecg(ecg::PanTompkins::new(config.rate)),
            HeartKind::Ppg => Detector::Ppg(ppg::Elgendi::new(config.rate)),
            HeartKind::Rr => Detector::None,
        };
        Self {
            detector,
            check: SignalCheck::new(config.rate),
            samples: 0,
            corrector: RrCorrector::default(),
            previous_beat: None,
            nn: VecDeque::with_capacity(cap),
            scratch: Vec::with_capacity(cap),
            spectrum: Spectrum::new(config.spectral, cap),
            features: HeartFeatures {
                issue: HeartIssue::NoSignal,
                ..HeartFeatures::default()
            },
            now: f64::NEG_INFINITY,
            beats_seen: 0,
            config,
        }
    }

    /// The settings.
    pub fn config(&self) -> &HeartConfig {
        &self.config
    }

    /// Forgets the signal (a new stream, a reconnection).
    pub fn reset(&mut self) {
        *self = Self::new(self.config);
    }

    /// Beats detected (or intervals taken) so far.
    pub fn beats_seen(&self) -> u64 {
        self.beats_seen
    }

    /// The NN intervals held, oldest first.
    pub fn intervals(&self) -> impl Iterator<Item = &Nn> {
        self.nn.iter()
    }

    /// Takes one sample of a raw stream (ECG or PPG) at source time `time` (s). Returns the
    /// time of a beat detected with it (the beat is earlier than `time`, by the detector's
    /// lag).
    pub fn push(&mut self, x: f32, time: f64) -> Option<f64> {
        self.now = time;
        self.check.push(x);
        let index = self.samples;
        self.samples += 1;
        let beat = self.detector.push(x)?;
        let beat_time = time - (index as f64 - beat.index) / self.config.rate.max(1.0) as f64;
        self.beats_seen += 1;
        if let Some(prev) = self.previous_beat {
            self.take_interval(beat_time, ((beat_time - prev) * 1000.0) as f32);
        }
        self.previous_beat = Some(beat_time);
        Some(beat_time)
    }

    /// Takes one beat-to-beat interval `ms` ending at source time `time` (s) (an RR stream).
    pub fn push_rr(&mut self, ms: f32, time: f64) {
        self.now = time;
        self.beats_seen += 1;
        self.previous_beat = Some(time);
        self.take_interval(time, ms);
    }

    /// The features as of source time `now` (s): they stop being valid when no beat has
    /// come for [`NO_BEAT_S`] or the raw signal fails its checks.
    pub fn features_at(&self, now: f64) -> HeartFeatures {
        let mut f = self.features;
        let raw = self.config.kind != HeartKind::Rr;
        let silent = match self.previous_beat {
            Some(t) => now - t > NO_BEAT_S,
            None => raw && self.samples as f64 / self.config.rate.max(1.0) as f64 > NO_BEAT_S,
        };
        let issue = if self.samples == 0 && self.beats_seen == 0 {
            HeartIssue::NoSignal
        } else if raw && self.check.verdict != HeartIssue::None {
            self.check.verdict
        } else if silent {
            HeartIssue::NoBeats
        } else {
            f.issue
        };
        if issue != HeartIssue::None {
            f.issue = issue;
            f.valid = false;
            f.spectral_valid = false;
            f.hr_valid &= issue == HeartIssue::Warming;
        }
        f
    }

    /// The features as of the newest sample.
    pub fn features(&self) -> HeartFeatures {
        self.features_at(self.now)
    }

    /// Corrects one interval and updates the features.
    fn take_interval(&mut self, time: f64, ms: f32) {
        if !(ms.is_finite() && ms > 0.0) || ms as f64 > GAP_S * 1000.0 {
            // A silence (or nonsense): the series starts afresh, as after a reconnection.
            self.corrector.reset();
            return;
        }
        let out = self.corrector.push(time, ms);
        let cap = self.nn.capacity();
        let keep_s = self.config.time_window_s.max(self.config.spectral.window_s) as f64 + 5.0;
        for nn in out.iter() {
            if self.nn.len() == cap {
                self.nn.pop_front();
            }
            self.nn.push_back(nn);
        }
        while self.nn.front().is_some_and(|n| time - n.time > keep_s) {
            self.nn.pop_front();
        }
        if out.iter().next().is_some() {
            self.update();
        }
    }

    /// Recomputes the features from the held intervals.
    fn update(&mut self) {
        let Some(last) = self.nn.back().copied() else {
            return;
        };
        let window = self.config.time_window_s as f64;
        self.scratch.clear();
        let mut corrected = 0u16;
        for n in self.nn.iter().filter(|n| last.time - n.time < window) {
            self.scratch.push(n.ms);
            corrected += n.corrected as u16;
        }
        let f = &mut self.features;
        f.beat_time = last.time;
        f.hr_bpm = 60_000.0 / last.ms;
        f.beats = self.scratch.len() as u16;
        f.corrected = corrected;
        f.quality = 1.0 - corrected as f32 / self.scratch.len().max(1) as f32;
        f.delay_s = self.config.time_window_s / 2.0;
        f.spectral_delay_s = self.config.spectral.window_s / 2.0;
        if let Some(td) = hrv::time_domain(&self.scratch) {
            f.mean_hr_bpm = td.mean_hr_bpm;
            f.rmssd_ms = td.rmssd_ms;
            f.sdnn_ms = td.sdnn_ms;
        }
        f.issue = if self.scratch.len() < MIN_BEATS {
            HeartIssue::Warming
        } else if f.quality < MIN_BEAT_QUALITY {
            HeartIssue::Artefacts
        } else {
            HeartIssue::None
        };
        f.valid = f.issue == HeartIssue::None;
        f.hr_valid = f.issue != HeartIssue::Artefacts;
        let beats = self.nn.iter().map(|n| (n.time, n.ms));
        match self.spectrum.analyse(beats) {
            Some(m) => {
                f.lf_ms2 = m.lf_ms2;
                f.hf_ms2 = m.hf_ms2;
                f.lf_hf = m.lf_hf;
                f.hf_share = m.hf_share;
                f.coherence = m.coherence;
                f.breath_rate_bpm = m.breath_rate_bpm;
                f.spectral_valid = f.valid;
            }
            None => f.spectral_valid = false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coherence_scale_is_logarithmic_and_bounded() {
        assert_eq!(coherence_scale(0.0), 0.0);
        assert_eq!(coherence_scale(f32::NAN), 0.0);
        assert!((coherence_scale(COHERENCE_FULL) - 1.0).abs() < 1e-6);
        assert_eq!(coherence_scale(1000.0), 1.0);
        // Equal ratios, equal steps.
        let (a, b, c) = (
            coherence_scale(0.5),
            coherence_scale(1.0),
            coherence_scale(2.0),
        );
        assert!(((b - a) - (c - b)).abs() < 1e-6);
    }

    #[test]
    fn rr_streams_give_hr_and_hrv_and_hold_when_beats_stop() {
        let mut a = HeartAnalyzer::new(HeartConfig::live(HeartKind::Rr, 0.0));
        let mut t = 0.0;
        for i in 0..200 {
            let ms = 1000.0 + 40.0 * (std::f64::consts::TAU * 0.1 * t).sin() + (i % 2) as f64;
            t += ms / 1000.0;
            a.push_rr(ms as f32, t);
        }
        let f = a.features_at(t + 0.5);
        assert!(f.valid && f.spectral_valid, "{f:?}");
        assert!(
            (f.breath_rate_bpm - 6.0).abs() < 0.3,
            "{}",
            f.breath_rate_bpm
        );
        assert!((f.mean_hr_bpm - 60.0).abs() < 1.0);
        let held = a.features_at(t + NO_BEAT_S + 0.1);
        assert!(!held.valid && held.issue == HeartIssue::NoBeats);
        assert!(!held.issue.sentence().is_empty());
    }

    #[test]
    fn a_flat_or_saturated_or_nan_signal_holds_with_its_reason() {
        for (issue, signal) in [
            (
                HeartIssue::Flat,
                Box::new(|_i: usize| 0.0f32) as Box<dyn Fn(usize) -> f32>,
            ),
            (
                HeartIssue::Saturated,
                Box::new(|i: usize| if i % 10 < 5 { 1.0 } else { -1.0 }),
            ),
            (HeartIssue::NonFinite, Box::new(|_| f32::NAN)),
        ] {
            let mut a = HeartAnalyzer::new(HeartConfig::live(HeartKind::Ecg, 250.0));
            for i in 0..250 * 5 {
                a.push(signal(i), i as f64 / 250.0);
            }
            let f = a.features();
            assert_eq!(f.issue, issue);
            assert!(!f.valid);
        }
    }
}
