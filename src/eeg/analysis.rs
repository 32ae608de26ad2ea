//! How EEG is analysed, whatever its source: window, hop, montage, bands and estimator, and
//! the extractor they build for a stream's layout.

use crate::features::extractor::{resolve_channels, Estimator};
use crate::features::{Band, Extractor, ExtractorConfig};

/// How the worker analyses whatever source it has.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AnalysisConfig {
    /// Window in seconds.
    pub window_s: f32,
    /// Hop in seconds.
    pub hop_s: f32,
    /// Montage channels by label (empty: all).
    pub montage: Vec<String>,
    /// Custom bands.
    pub extra_bands: Vec<Band>,
    /// Band-power estimator (live feedback: the low-latency quadrature filters).
    #[serde(default = "Estimator::live")]
    pub estimator: Estimator,
}

impl Default for AnalysisConfig {
    fn default() -> Self {
        Self {
            window_s: 1.0,
            hop_s: 1.0 / 64.0,
            montage: Vec::new(),
            extra_bands: Vec::new(),
            estimator: Estimator::live(),
        }
    }
}

/// Builds an extractor for a stream layout; a montage naming channels the stream lacks is a
/// sentence for the status (the stream is not used until the montage or stream changes).
pub fn extractor_for(
    labels: &[String],
    rate: f32,
    analysis: &AnalysisConfig,
) -> Result<Extractor, String> {
    let mut cfg = ExtractorConfig::new(rate, labels.to_vec());
    cfg.window_s = analysis.window_s;
    cfg.hop_s = analysis.hop_s;
    cfg.extra_bands = analysis.extra_bands.clone();
    cfg.estimator = analysis.estimator;
    cfg.montage = resolve_channels(labels, &analysis.montage).map_err(|e| {
        format!("The saved montage does not fit this stream: {e} Pick the channels again.")
    })?;
    Extractor::new(cfg)
}
