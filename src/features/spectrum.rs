//! Welch power spectral density with `realfft`: plan, window and scratch allocated once.
//!
//! Input is assumed to be in microvolts (µV), so the density is in µV²/Hz and a band power
//! integrated over hertz is in µV². Scaling follows `scipy.signal.welch(scaling="density")`:
//! each segment is detrended, tapered with a periodic Hann window, transformed, scaled by
//! `1 / (fs · Σw²)`, and made one-sided by doubling every bin except DC and (for even lengths)
//! Nyquist; segments are averaged with the mean.

use crate::math::Portable;
use std::sync::Arc;

use realfft::num_complex::Complex32;
use realfft::{RealFftPlanner, RealToComplex};

/// Replaces line-noise bins (inclusive index ranges, each with a neighbour on both sides) by
/// a straight line between their neighbours.
pub fn remove_line_bins(psd: &mut [f32], ranges: &[(usize, usize)]) {
    for &(lo, hi) in ranges {
        let (a, b) = (psd[lo - 1], psd[hi + 1]);
        let span = (hi + 2 - lo) as f32;
        for (i, p) in psd[lo..=hi].iter_mut().enumerate() {
            let t = (i + 1) as f32 / span;
            *p = a + (b - a) * t;
        }
    }
}

/// How each segment is detrended before the taper.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detrend {
    /// Subtract the segment mean (scipy's default, "constant").
    #[default]
    Mean,
    /// Subtract the least-squares line.
    Linear,
    /// Leave the segment as it is.
    None,
}

/// A Welch estimator for windows of a fixed length.
pub struct Welch {
    /// Samples per segment (the FFT length).
    segment: usize,
    /// Samples between segment starts.
    step: usize,
    /// Segments per window.
    segments: usize,
    /// Samples per analysed window.
    window_len: usize,
    /// Periodic Hann taper.
    taper: Vec<f32>,
    /// Density scale with the one-sided factor folded in, per bin.
    bin_scale: Vec<f32>,
    /// Detrending mode.
    detrend: Detrend,
    /// Centred time index `t - t̄` per sample of a segment, for linear detrending.
    centred_t: Vec<f32>,
    /// `Σ (t - t̄)²`, for linear detrending.
    t_var: f32,
    /// The forward FFT plan.
    fft: Arc<dyn RealToComplex<f32>>,
    /// Time-domain scratch.
    input: Vec<f32>,
    /// Frequency-domain scratch.
    output: Vec<Complex32>,
    /// FFT scratch.
    scratch: Vec<Complex32>,
    /// Bin spacing in Hz.
    bin_hz: f32,
}

impl Welch {
    /// An estimator for `window_len`-sample windows at `sample_rate`, split into segments of
    /// `segment` samples overlapping by `overlap` (0..1). `segment` is clamped to the window.
    pub fn new(
        sample_rate: f32,
        window_len: usize,
        segment: usize,
        overlap: f32,
        detrend: Detrend,
    ) -> Self {
        let segment = segment.clamp(2, window_len.max(2));
        let step = ((segment as f32 * (1.0 - overlap.clamp(0.0, 0.95))).round() as usize).max(1);
        let segments = 1 + (window_len.max(segment) - segment) / step;
        let taper: Vec<f32> = (0..segment)
            .map(|i| {
                (0.5 - 0.5 * (std::f64::consts::TAU * i as f64 / segment as f64).libm_cos()) as f32
            })
            .collect();
        let sum_sq: f64 = taper.iter().map(|w| (*w as f64).powi(2)).sum();
        let bins = segment / 2 + 1;
        let base = 1.0 / (sample_rate as f64 * sum_sq * segments as f64);
        let bin_scale = (0..bins)
            .map(|k| {
                let one_sided = k == 0 || (segment.is_multiple_of(2) && k == bins - 1);
                (if one_sided { base } else { 2.0 * base }) as f32
            })
            .collect();
        let mean_t = (segment as f32 - 1.0) / 2.0;
        let centred_t: Vec<f32> = (0..segment).map(|i| i as f32 - mean_t).collect();
        let t_var = centred_t.iter().map(|t| t * t).sum();
        let fft = RealFftPlanner::<f32>::new().plan_fft_forward(segment);
        let input = fft.make_input_vec();
        let output = fft.make_output_vec();
        let scratch = fft.make_scratch_vec();
        Self {
            segment,
            step,
            segments,
            window_len,
            taper,
            bin_scale,
            detrend,
            centred_t,
            t_var,
            fft,
            input,
            output,
            scratch,
            bin_hz: sample_rate / segment as f32,
        }
    }

    /// Number of frequency bins (`segment / 2 + 1`).
    pub fn bins(&self) -> usize {
        self.bin_scale.len()
    }

    /// Bin spacing in Hz.
    pub fn bin_hz(&self) -> f32 {
        self.bin_hz
    }

    /// Samples per analysed window.
    pub fn window_len(&self) -> usize {
        self.window_len
    }

    /// Segments averaged per window.
    pub fn segments(&self) -> usize {
        self.segments
    }

    /// Writes the PSD (µV²/Hz) of `window` (exactly `window_len` samples) into `psd`
    /// (`bins()` values). Allocation-free.
    pub fn psd(&mut self, window: &[f32], psd: &mut [f32]) {
        debug_assert_eq!(window.len(), self.window_len);
        debug_assert_eq!(psd.len(), self.bins());
        psd.iter_mut().for_each(|p| *p = 0.0);
        for s in 0..self.segments {
            let seg = &window[s * self.step..s * self.step + self.segment];
            let n = self.segment as f32;
            let (offset, slope) = match self.detrend {
                Detrend::None => (0.0, 0.0),
                Detrend::Mean => (seg.iter().sum::<f32>() / n, 0.0),
                Detrend::Linear => {
                    let mean = seg.iter().sum::<f32>() / n;
                    let cov: f32 = seg.iter().zip(&self.centred_t).map(|(x, t)| x * t).sum();
                    (mean, cov / self.t_var)
                }
            };
            for ((dst, &x), (&w, &t)) in self
                .input
                .iter_mut()
                .zip(seg)
                .zip(self.taper.iter().zip(&self.centred_t))
            {
                *dst = (x - offset - slope * t) * w;
            }
            self.fft
                .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch)
                .expect("buffers come from the same plan");
            for (p, c) in psd.iter_mut().zip(&self.output) {
                *p += c.norm_sqr();
            }
        }
        for (p, s) in psd.iter_mut().zip(&self.bin_scale) {
            *p *= s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(freq: f32, amp: f32, sr: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| amp * (std::f32::consts::TAU * freq * i as f32 / sr).sin())
            .collect()
    }

    #[test]
    fn parseval_total_power_of_a_sine_is_half_amplitude_squared() {
        // A bin-centred sine: the Hann-tapered density integrates to the signal's variance.
        let (sr, n) = (256.0, 256);
        let x = sine(10.0, 20.0, sr, n);
        let mut w = Welch::new(sr, n, n, 0.5, Detrend::Mean);
        let mut p = vec![0.0; w.bins()];
        w.psd(&x, &mut p);
        let total: f32 = p.iter().sum::<f32>() * w.bin_hz();
        assert!((total - 200.0).abs() < 0.5, "{total}");
    }

    #[test]
    fn white_noise_density_is_variance_over_half_the_rate() {
        let (sr, n) = (500.0, 5000);
        let mut rng = crate::synth::rng::Rng::new(3);
        // Uniform(-a, a) has variance a²/3.
        let a = 30.0;
        let x: Vec<f32> = (0..n).map(|_| a * rng.bipolar()).collect();
        let mut w = Welch::new(sr, n, 500, 0.5, Detrend::Mean);
        let mut p = vec![0.0; w.bins()];
        w.psd(&x, &mut p);
        let mean_density = p[5..p.len() - 5].iter().sum::<f32>() / (p.len() - 10) as f32;
        let want = a * a / 3.0 / (sr / 2.0);
        assert!(
            (mean_density / want - 1.0).abs() < 0.05,
            "{mean_density} vs {want}"
        );
    }

    #[test]
    fn linear_detrend_removes_a_ramp() {
        let (sr, n) = (256.0, 256);
        let ramp: Vec<f32> = (0..n).map(|i| 5.0 + 0.8 * i as f32).collect();
        let mut w = Welch::new(sr, n, n, 0.5, Detrend::Linear);
        let mut p = vec![0.0; w.bins()];
        w.psd(&ramp, &mut p);
        assert!(p.iter().all(|v| *v < 1e-6), "{:?}", &p[..4]);
        let mut w = Welch::new(sr, n, n, 0.5, Detrend::Mean);
        w.psd(&ramp, &mut p);
        assert!(
            p[1] > 1.0,
            "mean detrend keeps the ramp's low-frequency power"
        );
    }
}
