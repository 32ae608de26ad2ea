//! The individual alpha frequency (peak alpha) of a power spectral density.

use super::TINY;
use crate::math::Portable;

/// Search range of the individual alpha peak, Hz.
const PEAK_RANGE: (f32, f32) = (7.0, 14.0);

/// Individual peak alpha frequency and its confidence from a PSD.
///
/// Method: the largest bin in 7–14 Hz that is a local maximum, refined by Gaussian
/// (log-parabolic) interpolation through it and its neighbours — exact for a Gaussian-shaped
/// peak and within a few hundredths of a bin for a Hann-tapered sinusoid. Confidence is
/// `1 - background / peak`, where the background is the straight line between the mean
/// densities of the flanks (5–7 Hz and 14–16 Hz) at the peak frequency: 0 for no peak above
/// the 1/f background, toward 1 for a sharp alpha peak. No local maximum: (0 Hz, 0).
pub fn peak_alpha(psd: &[f32], bin_hz: f32) -> (f32, f32) {
    let lo = (PEAK_RANGE.0 / bin_hz).ceil() as usize;
    let hi = ((PEAK_RANGE.1 / bin_hz).floor() as usize).min(psd.len().saturating_sub(2));
    if lo < 1 || lo >= hi {
        return (0.0, 0.0);
    }
    let k = (lo..=hi)
        .max_by(|&a, &b| psd[a].total_cmp(&psd[b]))
        .unwrap_or(lo);
    if !(psd[k] > psd[k - 1] && psd[k] >= psd[k + 1]) || psd[k] <= 0.0 {
        return (0.0, 0.0);
    }
    let ln = |v: f32| (v.max(TINY) as f64).libm_ln();
    let (a, b, c) = (ln(psd[k - 1]), ln(psd[k]), ln(psd[k + 1]));
    let denom = a - 2.0 * b + c;
    let delta = if denom < 0.0 {
        (0.5 * (a - c) / denom).clamp(-0.5, 0.5)
    } else {
        0.0
    };
    let freq = ((k as f64 + delta) * bin_hz as f64) as f32;
    let flank = |f0: f32, f1: f32| {
        let i0 = (f0 / bin_hz).round() as usize;
        let i1 = ((f1 / bin_hz).round() as usize).min(psd.len() - 1);
        let n = (i1 + 1).saturating_sub(i0).max(1);
        psd[i0.min(psd.len() - 1)..=i1.max(i0.min(psd.len() - 1))]
            .iter()
            .sum::<f32>()
            / n as f32
    };
    let (left, right) = (flank(5.0, 7.0), flank(14.0, 16.0));
    let t = (freq - 6.0) / (15.0 - 6.0);
    let background = left + (right - left) * t;
    let confidence = (1.0 - background / psd[k]).clamp(0.0, 1.0);
    (freq, confidence)
}
