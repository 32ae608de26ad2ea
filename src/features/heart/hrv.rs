//! Heart-rate variability from NN intervals (normal-to-normal beat intervals, ms).
//!
//! Time domain as the Task Force of the ESC and NASPE (1996) defines it: SDNN is the sample
//! standard deviation of the intervals (n − 1, as Kubios and NeuroKit2 compute it), RMSSD the
//! root mean square of successive differences.
//!
//! Frequency domain as Kubios HRV does it (Tarvainen et al. 2014): the interval series
//! (each interval placed at the time of the beat that ends it) is resampled evenly at 4 Hz by
//! a natural cubic spline, and its Welch PSD (Hann, mean removed; [`Welch`]) integrated over
//! the standard bands: VLF 0.0033–0.04 Hz, LF 0.04–0.15 Hz, HF 0.15–0.4 Hz, in ms².
//!
//! Two slow-breathing measures come from the same spectrum:
//! - the breathing rate from respiratory sinus arrhythmia: the frequency of the spectrum's
//!   largest peak in 0.05–0.5 Hz (3–30 breaths per minute), refined between bins by a
//!   parabola through the logarithms of the three bins around it (exact for the Gaussian
//!   main lobe of a Hann window to a few hundredths of a bin);
//! - coherence as HeartMath defines it (McCraty et al. 2009): the largest peak in
//!   0.04–0.26 Hz, its power in a 0.03 Hz window centred on it, divided by the rest of the
//!   power from 0.0033 to 0.4 Hz. The window is widened to the Hann main lobe (±2 bins)
//!   when the bins are coarser than that, so a pure rhythm counts whole.
//!
//! Everything is preallocated at construction; [`Spectrum::analyse`] allocates nothing.

use crate::features::spectrum::{Detrend, Welch};
use crate::math::Portable;

/// VLF band, Hz.
pub const VLF_HZ: (f32, f32) = (0.0033, 0.04);
/// LF band, Hz.
pub const LF_HZ: (f32, f32) = (0.04, 0.15);
/// HF band, Hz.
pub const HF_HZ: (f32, f32) = (0.15, 0.4);
/// Where the breathing rate is looked for, Hz (3–30 breaths per minute).
pub const BREATH_HZ: (f32, f32) = (0.05, 0.5);
/// Where coherence looks for its peak, Hz (HeartMath).
pub const COHERENCE_PEAK_HZ: (f32, f32) = (0.04, 0.26);
/// Half the width of coherence's peak window, Hz (HeartMath: 0.030 Hz wide).
pub const COHERENCE_HALF_WIDTH_HZ: f32 = 0.015;
/// Kubios's even resampling rate for the interval series, Hz.
pub const RESAMPLE_HZ: f32 = 4.0;

/// Time-domain HRV of a run of NN intervals.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TimeDomain {
    /// Mean NN interval, ms.
    pub mean_nn_ms: f32,
    /// Mean heart rate, beats per minute (60 000 / mean NN).
    pub mean_hr_bpm: f32,
    /// Sample standard deviation of the intervals (n − 1), ms.
    pub sdnn_ms: f32,
    /// Root mean square of successive differences, ms.
    pub rmssd_ms: f32,
}

/// Time-domain HRV of `nn_ms` (NN intervals in ms, in order). `None` with fewer than three
/// intervals (no spread to speak of).
pub fn time_domain(nn_ms: &[f32]) -> Option<TimeDomain> {
    let n = nn_ms.len();
    if n < 3 {
        return None;
    }
    // f64 sums: an hour of beats in ms² would lose digits in f32.
    let mean = nn_ms.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
    let var = nn_ms
        .iter()
        .map(|&x| (x as f64 - mean).powi(2))
        .sum::<f64>()
        / (n - 1) as f64;
    let ssd = nn_ms
        .windows(2)
        .map(|w| (w[1] as f64 - w[0] as f64).powi(2))
        .sum::<f64>()
        / (n - 1) as f64;
    Some(TimeDomain {
        mean_nn_ms: mean as f32,
        mean_hr_bpm: (60_000.0 / mean) as f32,
        sdnn_ms: var.sqrt() as f32,
        rmssd_ms: ssd.sqrt() as f32,
    })
}

/// How the spectrum is estimated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpectralConfig {
    /// Seconds of evenly resampled intervals analysed (the newest, ending at the last beat).
    pub window_s: f32,
    /// Welch segment length, s (the window itself: one Hann periodogram).
    pub segment_s: f32,
    /// Welch segment overlap, 0..1.
    pub overlap: f32,
    /// The even resampling rate, Hz.
    pub resample_hz: f32,
}

impl SpectralConfig {
    /// The live default: the newest 64 s (HeartMath's coherence window; LF's slowest cycle,
    /// 25 s, fits two and a half times), one periodogram, at 4 Hz.
    pub const LIVE: SpectralConfig = SpectralConfig {
        window_s: 64.0,
        segment_s: 64.0,
        overlap: 0.5,
        resample_hz: RESAMPLE_HZ,
    };
}

/// Frequency-domain HRV of one window.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SpectralMeasures {
    /// VLF power, ms².
    pub vlf_ms2: f32,
    /// LF power, ms².
    pub lf_ms2: f32,
    /// HF power, ms².
    pub hf_ms2: f32,
    /// LF / HF.
    pub lf_hf: f32,
    /// HF / (LF + HF), 0..1 (HF in normalised units, as a share).
    pub hf_share: f32,
    /// The breathing rate from RSA, breaths per minute.
    pub breath_rate_bpm: f32,
    /// Coherence ratio (peak power / the rest), ≥ 0.
    pub coherence: f32,
    /// Frequency of coherence's peak, Hz.
    pub coherence_peak_hz: f32,
}

/// The preallocated spectral analysis of an NN-interval series.
pub struct Spectrum {
    /// The settings.
    config: SpectralConfig,
    /// Beat times relative to the first beat used, s (spline knots).
    knot_t: Vec<f64>,
    /// NN intervals at the knots, ms.
    knot_y: Vec<f64>,
    /// Spline second derivatives at the knots.
    second: Vec<f64>,
    /// Tridiagonal solver scratch.
    scratch: Vec<f64>,
    /// The evenly resampled series, ms.
    even: Vec<f32>,
    /// The estimator.
    welch: Welch,
    /// Its PSD, ms²/Hz.
    psd: Vec<f32>,
}

impl Spectrum {
    /// An analysis with `config` for windows of up to `max_beats` beats.
    pub fn new(config: SpectralConfig, max_beats: usize) -> Self {
        let fs = config.resample_hz.max(1.0);
        let window_len = ((config.window_s * fs).round() as usize).max(16);
        // Floored, as scipy's and NeuroKit2's `int(N / 2)`: a rounded-up segment can leave
        // the window's newest part out of every segment.
        let segment = ((config.segment_s * fs).floor() as usize).clamp(16, window_len);
        let welch = Welch::new(fs, window_len, segment, config.overlap, Detrend::Mean);
        let cap = max_beats.max(4);
        Self {
            config,
            knot_t: Vec::with_capacity(cap),
            knot_y: Vec::with_capacity(cap),
            second: vec![0.0; cap],
            scratch: vec![0.0; cap],
            even: vec![0.0; window_len],
            psd: vec![0.0; welch.bins()],
            welch,
        }
    }

    /// The settings.
    pub fn config(&self) -> &SpectralConfig {
        &self.config
    }

    /// The PSD of the last analysis (ms²/Hz) and its bin spacing (Hz).
    pub fn psd(&self) -> (&[f32], f32) {
        (&self.psd, self.welch.bin_hz())
    }

    /// Analyses the newest `window_s` of `beats` (time of the beat ending each interval, s,
    /// increasing; the interval, ms). `None` when the beats span less than the window or
    /// there are more than the capacity given to [`Spectrum::new`].
    pub fn analyse(
        &mut self,
        beats: impl DoubleEndedIterator<Item = (f64, f32)> + Clone,
    ) -> Option<SpectralMeasures> {
        let fs = self.config.resample_hz.max(1.0) as f64;
        let n_even = self.even.len();
        let span = (n_even - 1) as f64 / fs;
        let last = beats.clone().next_back()?.0;
        let start = last - span;
        // The knots: every beat in the window plus one before it, so the spline covers it.
        self.knot_t.clear();
        self.knot_y.clear();
        let mut count = 0;
        let mut first_in = None;
        for (i, (t, _)) in beats.clone().enumerate() {
            if t >= start && first_in.is_none() {
                first_in = Some(i);
            }
            count = i + 1;
        }
        let first = first_in?.checked_sub(1)?;
        if count - first > self.second.len() {
            return None;
        }
        for (t, y) in beats.skip(first) {
            self.knot_t.push(t - start);
            self.knot_y.push(y as f64);
        }
        self.fit_spline();
        for (i, e) in self.even.iter_mut().enumerate() {
            *e = spline_at(&self.knot_t, &self.knot_y, &self.second, i as f64 / fs) as f32;
        }
        self.welch.psd(&self.even, &mut self.psd);
        Some(self.measures())
    }

    /// Natural cubic spline second derivatives through the knots (Thomas algorithm).
    fn fit_spline(&mut self) {
        let (t, y) = (&self.knot_t, &self.knot_y);
        let n = t.len();
        let (m, c) = (&mut self.second[..n], &mut self.scratch[..n]);
        m[0] = 0.0;
        c[0] = 0.0;
        // Forward sweep: m holds the modified right-hand side, c the modified upper diagonal.
        for i in 1..n - 1 {
            let h0 = t[i] - t[i - 1];
            let h1 = t[i + 1] - t[i];
            let rhs = 6.0 * ((y[i + 1] - y[i]) / h1 - (y[i] - y[i - 1]) / h0);
            let diag = 2.0 * (h0 + h1) - h0 * c[i - 1];
            c[i] = h1 / diag;
            m[i] = (rhs - h0 * m[i - 1]) / diag;
        }
        m[n - 1] = 0.0;
        for i in (1..n - 1).rev() {
            m[i] -= c[i] * m[i + 1];
        }
    }

    /// Band powers, breathing rate and coherence from the PSD.
    fn measures(&self) -> SpectralMeasures {
        let df = self.welch.bin_hz();
        let bin_f = |k: usize| k as f32 * df;
        let band = |(lo, hi): (f32, f32)| -> f32 {
            self.psd
                .iter()
                .enumerate()
                .filter(|(k, _)| bin_f(*k) >= lo && bin_f(*k) < hi)
                .map(|(_, p)| *p)
                .sum::<f32>()
                * df
        };
        let (vlf, lf, hf) = (band(VLF_HZ), band(LF_HZ), band(HF_HZ));
        let total = band((VLF_HZ.0, HF_HZ.1));
        let breath = self.peak(BREATH_HZ);
        let coh_peak = self.peak(COHERENCE_PEAK_HZ);
        let half = COHERENCE_HALF_WIDTH_HZ.max(2.0 * df);
        let peak_power = band((coh_peak - half, coh_peak + half + 1e-6));
        let rest = (total - peak_power).max(1e-9);
        SpectralMeasures {
            vlf_ms2: vlf,
            lf_ms2: lf,
            hf_ms2: hf,
            lf_hf: lf / hf.max(1e-9),
            hf_share: hf / (lf + hf).max(1e-9),
            breath_rate_bpm: 60.0 * breath,
            coherence: peak_power / rest,
            coherence_peak_hz: coh_peak,
        }
    }

    /// The frequency of the largest PSD peak strictly inside `(lo, hi)` Hz, refined by a
    /// parabola through the log powers of its bin and its neighbours.
    fn peak(&self, (lo, hi): (f32, f32)) -> f32 {
        let df = self.welch.bin_hz();
        let k_lo = ((lo / df).ceil() as usize).max(1);
        let k_hi = ((hi / df).floor() as usize).min(self.psd.len() - 2);
        if k_hi < k_lo {
            return 0.0;
        }
        let k = (k_lo..=k_hi)
            .max_by(|&a, &b| self.psd[a].total_cmp(&self.psd[b]))
            .unwrap_or(k_lo);
        let ln = |p: f32| (p.max(1e-12) as f64).libm_ln();
        let delta =
            super::parabolic_offset(ln(self.psd[k - 1]), ln(self.psd[k]), ln(self.psd[k + 1]));
        ((k as f64 + delta) * df as f64) as f32
    }
}

/// The natural cubic spline through `(t, y)` with second derivatives `m`, at `x` (clamped to
/// the knots' span).
fn spline_at(t: &[f64], y: &[f64], m: &[f64], x: f64) -> f64 {
    let n = t.len();
    let x = x.clamp(t[0], t[n - 1]);
    // The interval holding x (knots are few: a binary search per sample).
    let i = match t.binary_search_by(|v| v.total_cmp(&x)) {
        Ok(i) => i.min(n - 2),
        Err(i) => i.saturating_sub(1).min(n - 2),
    };
    let h = t[i + 1] - t[i];
    let a = (t[i + 1] - x) / h;
    let b = (x - t[i]) / h;
    a * y[i] + b * y[i + 1] + ((a * a * a - a) * m[i] + (b * b * b - b) * m[i + 1]) * h * h / 6.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Beats of a heart whose interval is `mean + amp·sin(2π f t)` ms.
    fn sinus_beats(mean: f64, amp: f64, f: f64, seconds: f64) -> Vec<(f64, f32)> {
        let mut beats = Vec::new();
        let mut t = 0.0;
        while t < seconds {
            let rr = mean + amp * (std::f64::consts::TAU * f * t).sin();
            t += rr / 1000.0;
            beats.push((t, rr as f32));
        }
        beats
    }

    #[test]
    fn time_domain_matches_its_definitions() {
        let nn = [800.0, 820.0, 790.0, 810.0, 805.0];
        let td = time_domain(&nn).unwrap();
        let mean = 805.0;
        let sd = ((25.0 + 225.0 + 225.0 + 25.0 + 0.0) / 4.0f64).sqrt();
        let rmssd = ((400.0 + 900.0 + 400.0 + 25.0) / 4.0f64).sqrt();
        assert!((td.mean_nn_ms - mean).abs() < 1e-3);
        assert!((td.sdnn_ms as f64 - sd).abs() < 1e-3, "{}", td.sdnn_ms);
        assert!((td.rmssd_ms as f64 - rmssd).abs() < 1e-3);
        assert!((td.mean_hr_bpm - 60_000.0 / 805.0).abs() < 1e-3);
        assert!(time_domain(&nn[..2]).is_none());
    }

    #[test]
    fn a_breathing_rhythm_is_found_at_its_rate_and_band() {
        for (f, in_hf) in [(0.1, false), (0.25, true)] {
            let beats = sinus_beats(900.0, 50.0, f, 200.0);
            let mut s = Spectrum::new(SpectralConfig::LIVE, 512);
            let m = s.analyse(beats.iter().copied()).unwrap();
            assert!(
                (m.breath_rate_bpm - 60.0 * f as f32).abs() < 0.2,
                "{f} Hz: {}",
                m.breath_rate_bpm
            );
            // A sine of amplitude A has power A²/2: nearly all of it in its band.
            let want = 50.0f32 * 50.0 / 2.0;
            let got = if in_hf { m.hf_ms2 } else { m.lf_ms2 };
            assert!((got / want - 1.0).abs() < 0.1, "{f} Hz: {got} vs {want}");
            if !in_hf {
                assert!(
                    m.coherence > 5.0,
                    "a pure 0.1 Hz rhythm is coherent: {}",
                    m.coherence
                );
                assert!((m.coherence_peak_hz - 0.1).abs() < 0.005);
            }
        }
    }

    #[test]
    fn the_spline_passes_through_its_knots_and_is_smooth() {
        let mut s = Spectrum::new(SpectralConfig::LIVE, 64);
        let t = [0.0, 0.8, 1.7, 2.5, 3.1];
        let y = [800.0, 850.0, 790.0, 830.0, 810.0];
        s.knot_t.extend_from_slice(&t);
        s.knot_y.extend_from_slice(&y);
        s.fit_spline();
        for (ti, yi) in t.iter().zip(y) {
            assert!((spline_at(&s.knot_t, &s.knot_y, &s.second, *ti) - yi).abs() < 1e-9);
        }
        // Continuity of the first derivative at an inner knot.
        let d = |x: f64| {
            (spline_at(&s.knot_t, &s.knot_y, &s.second, x + 1e-6)
                - spline_at(&s.knot_t, &s.knot_y, &s.second, x - 1e-6))
                / 2e-6
        };
        assert!((d(1.7 - 1e-4) - d(1.7 + 1e-4)).abs() < 0.1);
    }

    #[test]
    fn too_short_a_record_has_no_spectrum() {
        let beats = sinus_beats(900.0, 50.0, 0.1, 30.0);
        let mut s = Spectrum::new(SpectralConfig::LIVE, 512);
        assert!(s.analyse(beats.iter().copied()).is_none());
    }
}
