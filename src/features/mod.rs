//! The feature engine: pure DSP on EEG samples (and, in [`heart`], on a cardiac signal), no
//! threads, no I/O, no allocation after construction. The EEG worker (and the CLI) push
//! samples; every hop an [`Extractor`] emits a [`FeatureFrame`], a small `Copy` value that can
//! cross to the audio thread as it is, with the newest heart features beside the EEG ones.

pub mod alpha_peak;
pub mod bands;
pub mod baseline;
pub mod config;
pub mod envelope;
pub mod extractor;
pub mod heart;
pub mod quality;
pub mod spectrum;

pub use bands::{Band, MAX_BANDS};
pub use extractor::{Extractor, ExtractorConfig};

/// Floor for powers before division or logarithm (µV²): keeps every value finite.
const TINY: f32 = 1e-12;

/// Absolute, relative and log power of one band (montage value).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BandValue {
    /// Absolute power in µV².
    pub abs: f32,
    /// Share of the 1–45 Hz power, 0..1.
    pub rel: f32,
    /// `10·log10(abs)` in dB re 1 µV² (floored at -120 dB so it stays finite).
    pub db: f32,
}

/// Which channels a frame excluded, as a bit set over the first 256 channels (channels beyond
/// that are still assessed and counted in `excluded_count`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelMask(pub [u64; 4]);

impl ChannelMask {
    /// Channels the mask can name.
    pub const CAPACITY: usize = 256;

    /// Marks channel `ch`.
    pub fn insert(&mut self, ch: usize) {
        if ch < Self::CAPACITY {
            self.0[ch / 64] |= 1 << (ch % 64);
        }
    }

    /// Whether channel `ch` is marked.
    pub fn contains(&self, ch: usize) -> bool {
        ch < Self::CAPACITY && self.0[ch / 64] & (1 << (ch % 64)) != 0
    }
}

/// Everything one hop of EEG analysis found: montage-level values, ratios, asymmetry, peak
/// alpha, and how trustworthy they are.
///
/// When `valid` is false (every selected channel was excluded) all values are zero: nothing is
/// invented, and consumers hold their previous state. Every field is always finite.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FeatureFrame {
    /// Frame counter from the extractor's start.
    pub seq: u64,
    /// Time of the newest sample in the window (source clock, seconds).
    pub time: f64,
    /// Number of bands in `bands` (the seven standard ones first, then custom ones).
    pub band_count: u8,
    /// How long each band's value lags the signal, s: its estimator's group delay (the
    /// quadrature filter's, or half the window for Welch). The feedback engine tops each
    /// term's smoothing up to the loop time from here, and displays show it.
    pub band_delay_s: [f32; MAX_BANDS],
    /// The lag of the window-based values (peak alpha, quality), s: half the window.
    pub window_delay_s: f32,
    /// Montage value per band.
    pub bands: [BandValue; MAX_BANDS],
    /// theta / beta.
    pub theta_beta: f32,
    /// alpha / theta.
    pub alpha_theta: f32,
    /// Engagement index beta / (alpha + theta).
    pub engagement: f32,
    /// Frontal alpha asymmetry ln(alpha right) - ln(alpha left) (F4 vs F3 by default).
    pub asymmetry: f32,
    /// Whether both asymmetry channels were clean.
    pub asymmetry_valid: bool,
    /// Individual peak alpha frequency in Hz (7–14 Hz search).
    pub peak_alpha_hz: f32,
    /// Confidence of the peak, 0..1: how far the peak stands above the flanking background.
    pub peak_alpha_confidence: f32,
    /// Share of selected channels that passed every quality check, 0..1.
    pub quality: f32,
    /// False when no selected channel was usable.
    pub valid: bool,
    /// Channels excluded in this frame.
    pub excluded: ChannelMask,
    /// How many channels were excluded (selected or not).
    pub excluded_count: u16,
    /// The heart analysis as of `time` (all zero and not valid without a heart input). Its
    /// own `valid` flags gate heart features; `valid` above gates only the EEG ones.
    pub heart: heart::HeartFeatures,
}

impl FeatureFrame {
    /// The individual alpha peak for outputs (files, logs, the outlet): NaN when none was
    /// found (confidence 0), where the frame itself holds 0 Hz to stay finite.
    pub fn peak_alpha_or_nan(&self) -> f32 {
        if self.peak_alpha_confidence > 0.0 {
            self.peak_alpha_hz
        } else {
            f32::NAN
        }
    }
}
