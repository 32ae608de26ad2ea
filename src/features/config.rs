//! What an [`super::Extractor`] computes: the band-power estimator, the configuration, and
//! channel selection by label.

use super::bands::Band;
use super::quality::QualityConfig;
use super::spectrum::Detrend;

/// How band powers are estimated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// Welch PSD over the sliding window, integrated per band: the analysis reference
    /// (matches `scipy.signal.welch`), lagging about half a window.
    #[default]
    Welch,
    /// Complex demodulation per band, updated every sample ([`super::envelope`]): the
    /// low-latency estimator for live feedback (group delay 85–222 ms by band).
    Quadrature,
}

impl Estimator {
    /// The estimator live feedback uses unless a program or analysis says otherwise.
    pub fn live() -> Self {
        Estimator::Quadrature
    }

    /// Parses `welch` or `quadrature` (also `fast`).
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "welch" => Ok(Estimator::Welch),
            "quadrature" | "fast" => Ok(Estimator::Quadrature),
            other => Err(format!(
                "'{other}' is not a band-power estimator; use quadrature (low latency) or welch."
            )),
        }
    }

    /// The name as files and the CLI use it.
    pub fn id(self) -> &'static str {
        match self {
            Estimator::Welch => "welch",
            Estimator::Quadrature => "quadrature",
        }
    }
}

/// What to compute, and over which channels.
#[derive(Clone, Debug, PartialEq)]
pub struct ExtractorConfig {
    /// Sample rate in Hz.
    pub sample_rate: f32,
    /// One label per channel (empty strings when the stream has none).
    pub labels: Vec<String>,
    /// Analysis window in seconds.
    pub window_s: f32,
    /// Seconds between frames.
    pub hop_s: f32,
    /// Welch segment length in seconds (`None`: the whole window, one segment).
    pub segment_s: Option<f32>,
    /// Welch segment overlap, 0..0.95.
    pub overlap: f32,
    /// Segment detrending.
    pub detrend: Detrend,
    /// Bands after the seven standard ones.
    pub extra_bands: Vec<Band>,
    /// Channels averaged into the montage values (empty: all channels).
    pub montage: Vec<usize>,
    /// Asymmetry pair (left, right); `None` picks F3/F4 by label when present.
    pub asymmetry_pair: Option<(usize, usize)>,
    /// Quality thresholds.
    pub quality: QualityConfig,
    /// Band-power estimator for the frame's band values (quality checks, peak alpha and the
    /// quadrature path's relative-power denominators always use the Welch window).
    pub estimator: Estimator,
}

impl ExtractorConfig {
    /// Defaults for `channels` channels at `sample_rate`: 1 s window, 1/32 s hop, one Hann
    /// segment, mean detrend, all channels in the montage.
    pub fn new(sample_rate: f32, labels: Vec<String>) -> Self {
        Self {
            sample_rate,
            labels,
            window_s: 1.0,
            hop_s: 1.0 / 32.0,
            segment_s: None,
            overlap: 0.5,
            detrend: Detrend::Mean,
            extra_bands: Vec::new(),
            montage: Vec::new(),
            asymmetry_pair: None,
            quality: QualityConfig::default(),
            estimator: Estimator::Welch,
        }
    }
}

/// Finds channel indices by label (case-insensitive) or by number; one sentence on failure.
pub fn resolve_channels(labels: &[String], wanted: &[String]) -> Result<Vec<usize>, String> {
    wanted
        .iter()
        .map(|w| {
            let w = w.trim();
            labels
                .iter()
                .position(|l| l.trim().eq_ignore_ascii_case(w))
                .or_else(|| w.parse::<usize>().ok().filter(|&i| i < labels.len()))
                .ok_or_else(|| {
                    format!(
                        "Channel '{w}' is not in this recording; its channels are: {}.",
                        labels.join(", ")
                    )
                })
        })
        .collect()
}
