//! Low-latency band power by complex demodulation ("quadrature" band filters), updated every
//! sample: the estimator live feedback uses by default.
//!
//! Method (complex demodulation, as in BioExplorer-style IIR band filters and Smetanin et al.
//! 2020, "Digital filters for low-latency quantification of brain rhythms in real time", J.
//! Neural Eng. 17 046022): each channel is high-passed (2nd-order Butterworth at
//! [`HIGHPASS_HZ`], to remove electrode offsets and drift), multiplied by `exp(-j·2π·f0·t)`
//! (`f0` the band centre) and low-pass filtered on the real and imaginary parts (Butterworth
//! of order [`ORDER`] for narrow bands, higher for wide ones: [`order_for`]). The result `y`
//! is the band's complex envelope, and the band power is `2·|y|²` µV².
//!
//! Calibration: the low-pass has unity gain at 0 Hz, so a steady sine of amplitude `A` at the
//! band centre reads `A²/2` — the same number the Welch path integrates. Its cutoff is chosen
//! so the noise-equivalent bandwidth of the band filter equals the band's width: white noise
//! of variance `σ²` reads `2σ²·(high − low)/fs`, again what Welch gives. A sine away from the
//! centre reads a little less (the Butterworth roll-off), and a filter's skirt lets in a
//! little of a strong rhythm in the neighbouring band (see [`ORDER`]); being instantaneous,
//! what leaks in beats with the band's own rhythm at their difference frequency.
//!
//! Delay: the envelope lags the signal by the low-pass filter's group delay at 0 Hz,
//! `Σ 1/(Q_k·2π·fc)` over its second-order sections plus `1/(2π·fc)` for an odd order's real
//! pole ([`BandDesign::group_delay_s`]): 133 ms for alpha (8–13 Hz), 167 ms for theta,
//! 222 ms for SMR (12–15 Hz) and delta, 85–110 ms for the wide bands. Narrower bands are
//! slower, which no causal filter avoids; Welch over a 1 s window lags by about half its
//! window (about 0.5 s).
//!
//! Allocation-free after construction; state in `f64` (the low-pass poles sit within 1e-3 of
//! the unit circle at 1 kHz).

use crate::math::Portable;

/// Butterworth order of the demodulation low-pass for bands up to [`WIDE_BAND_HZ`] wide
/// (delta, theta, alpha, SMR). Third order: a strong neighbouring rhythm leaks in far less
/// than through a second-order filter (a 10 Hz alpha rhythm: 0.5 % of its power into SMR and
/// 1.2 % into theta, against 2.2 % and 4.1 %), for a third more delay.
pub const ORDER: usize = 3;
/// Butterworth order for bands wider than [`WIDE_BAND_HZ`] (high beta).
pub const WIDE_ORDER: usize = 4;
/// Butterworth order for bands wider than twice [`WIDE_BAND_HZ`] (beta, gamma): their skirts
/// would otherwise reach well into the neighbours (a 2nd-order beta filter passes 16 % of a
/// 10 Hz alpha rhythm; 8th order, 0.7 %), and a wide band's filter is fast anyway.
pub const VERY_WIDE_ORDER: usize = 8;
/// Bands wider than this (Hz) get [`WIDE_ORDER`]; twice as wide, [`VERY_WIDE_ORDER`].
pub const WIDE_BAND_HZ: f64 = 6.0;
/// Most sections a band's low-pass has (second-order, plus one first-order for odd orders).
const SECTIONS: usize = VERY_WIDE_ORDER / 2;

/// The Butterworth order for a band `width_hz` wide.
pub fn order_for(width_hz: f64) -> usize {
    if width_hz > 2.0 * WIDE_BAND_HZ {
        VERY_WIDE_ORDER
    } else if width_hz > WIDE_BAND_HZ {
        WIDE_ORDER
    } else {
        ORDER
    }
}

/// High-pass corner before demodulation, Hz.
pub const HIGHPASS_HZ: f64 = 0.5;

/// One second-order section, transposed direct form II, `f64`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Biquad {
    /// Feed-forward coefficients.
    b: [f64; 3],
    /// Feedback coefficients (a1, a2; a0 = 1).
    a: [f64; 2],
}

impl Biquad {
    /// A first-order low-pass with corner `fc` at `fs` (bilinear transform, pre-warped): the
    /// real pole of an odd-order Butterworth filter.
    pub fn lowpass1(fc: f64, fs: f64) -> Self {
        let k = (std::f64::consts::PI * fc / fs).libm_tan();
        let b0 = k / (1.0 + k);
        Self {
            b: [b0, b0, 0.0],
            a: [(k - 1.0) / (k + 1.0), 0.0],
        }
    }

    /// A Butterworth-family low-pass section with quality `q` and corner `fc` at `fs` (bilinear
    /// transform, pre-warped so the corner is exact).
    pub fn lowpass(fc: f64, q: f64, fs: f64) -> Self {
        let k = (std::f64::consts::PI * fc / fs).libm_tan();
        let norm = 1.0 / (1.0 + k / q + k * k);
        let b0 = k * k * norm;
        Self {
            b: [b0, 2.0 * b0, b0],
            a: [2.0 * (k * k - 1.0) * norm, (1.0 - k / q + k * k) * norm],
        }
    }

    /// The matching high-pass section.
    pub fn highpass(fc: f64, q: f64, fs: f64) -> Self {
        let k = (std::f64::consts::PI * fc / fs).libm_tan();
        let norm = 1.0 / (1.0 + k / q + k * k);
        Self {
            b: [norm, -2.0 * norm, norm],
            a: [2.0 * (k * k - 1.0) * norm, (1.0 - k / q + k * k) * norm],
        }
    }

    /// Filters one value; `s` is this section's state.
    #[inline]
    pub fn tick(&self, x: f64, s: &mut [f64; 2]) -> f64 {
        let y = self.b[0] * x + s[0];
        s[0] = self.b[1] * x - self.a[0] * y + s[1];
        s[1] = self.b[2] * x - self.a[1] * y;
        y
    }
}

/// Quality factors of the second-order sections of a Butterworth filter of (even) order
/// `order` (the unused slots are 0).
/// A first-order section (the real pole of an odd order) is marked by `Q = ∞`.
fn butterworth_q(order: usize) -> [f64; SECTIONS] {
    std::array::from_fn(|k| {
        if k < order / 2 {
            let theta = (2 * k + 1) as f64 * std::f64::consts::PI / (2 * order) as f64;
            1.0 / (2.0 * theta.libm_sin())
        } else if k == order / 2 && order % 2 == 1 {
            f64::INFINITY
        } else {
            0.0
        }
    })
}

/// Noise-equivalent bandwidth of a Butterworth low-pass of order `order` as a multiple of
/// its cutoff: `(π/2n) / sin(π/2n)`.
pub fn enbw_factor(order: usize) -> f64 {
    let x = std::f64::consts::PI / (2 * order) as f64;
    x / x.libm_sin()
}

/// The filters of one band at one sample rate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandDesign {
    /// Band centre, Hz.
    pub centre_hz: f64,
    /// Low-pass cutoff, Hz.
    pub cutoff_hz: f64,
    /// Butterworth order of the low-pass.
    pub order: usize,
    /// Low-pass sections (the first `order / 2` are used).
    sections: [Biquad; SECTIONS],
    /// Phasor step `exp(-j·2π·f0/fs)` as (cos, sin).
    step: (f64, f64),
}

impl BandDesign {
    /// The design for band `low..high` Hz at `fs`.
    pub fn new(low: f64, high: f64, fs: f64) -> Self {
        let order = order_for(high - low);
        let centre_hz = 0.5 * (low + high);
        let cutoff_hz = 0.5 * (high - low) / enbw_factor(order);
        let qs = butterworth_q(order);
        let w = std::f64::consts::TAU * centre_hz / fs;
        Self {
            centre_hz,
            cutoff_hz,
            order,
            sections: std::array::from_fn(|k| {
                if qs[k].is_infinite() {
                    Biquad::lowpass1(cutoff_hz, fs)
                } else if qs[k] > 0.0 {
                    Biquad::lowpass(cutoff_hz, qs[k], fs)
                } else {
                    Biquad::default()
                }
            }),
            step: (w.libm_cos(), -w.libm_sin()),
        }
    }

    /// Group delay of the envelope (the low-pass's at 0 Hz), s: `Σ 1/(Q_k·2π·fc)` over the
    /// second-order sections, plus `1/(2π·fc)` for the real pole of an odd order.
    pub fn group_delay_s(&self) -> f64 {
        let w = std::f64::consts::TAU * self.cutoff_hz;
        butterworth_q(self.order)
            .iter()
            .filter(|q| **q > 0.0)
            .map(|q| {
                if q.is_infinite() {
                    1.0 / w
                } else {
                    1.0 / (q * w)
                }
            })
            .sum()
    }

    /// Sections in use.
    fn used(&self) -> usize {
        self.order.div_ceil(2)
    }
}

/// Low-pass state of one channel in one band: per section, (re, im) × 2.
type BandState = [[[f64; 2]; 2]; SECTIONS];

/// Complex-demodulation band power for every channel and band.
pub struct QuadratureBank {
    /// One design per band.
    designs: Vec<BandDesign>,
    /// High-pass before demodulation.
    highpass: Biquad,
    /// High-pass state per channel.
    hp_state: Vec<[f64; 2]>,
    /// The newest high-passed sample per channel.
    hp_out: Vec<f64>,
    /// Demodulation phasor per band, (re, im).
    phasor: Vec<(f64, f64)>,
    /// Low-pass state, `channels × bands`, row-major by channel.
    state: Vec<BandState>,
    /// The newest complex envelope, `channels × bands`.
    envelope: Vec<(f64, f64)>,
}

impl QuadratureBank {
    /// A bank for `channels` channels at `fs` Hz and the bands `(low, high)` in Hz.
    pub fn new(channels: usize, fs: f64, bands: &[(f64, f64)]) -> Self {
        let q = std::f64::consts::FRAC_1_SQRT_2;
        Self {
            designs: bands
                .iter()
                .map(|&(l, h)| BandDesign::new(l, h, fs))
                .collect(),
            highpass: Biquad::highpass(HIGHPASS_HZ, q, fs),
            hp_state: vec![[0.0; 2]; channels],
            hp_out: vec![0.0; channels],
            phasor: vec![(1.0, 0.0); bands.len()],
            state: vec![BandState::default(); channels * bands.len()],
            envelope: vec![(0.0, 0.0); channels * bands.len()],
        }
    }

    /// The band designs, in band order.
    pub fn designs(&self) -> &[BandDesign] {
        &self.designs
    }

    /// Forgets the signal (after a gap): filters restart from rest.
    pub fn reset(&mut self) {
        self.hp_state.iter_mut().for_each(|s| *s = [0.0; 2]);
        self.hp_out.iter_mut().for_each(|x| *x = 0.0);
        self.phasor.iter_mut().for_each(|p| *p = (1.0, 0.0));
        self.state
            .iter_mut()
            .for_each(|s| *s = BandState::default());
        self.envelope.iter_mut().for_each(|e| *e = (0.0, 0.0));
    }

    /// Pushes one sample per channel (µV). Non-finite values are taken as 0 so the filters
    /// stay finite (the quality checks flag such windows).
    pub fn push(&mut self, sample: &[f32]) {
        let bands = self.designs.len();
        for ((x, s), out) in sample.iter().zip(&mut self.hp_state).zip(&mut self.hp_out) {
            let x = if x.is_finite() { *x as f64 } else { 0.0 };
            *out = self.highpass.tick(x, s);
        }
        for (b, (p, d)) in self.phasor.iter_mut().zip(&self.designs).enumerate() {
            let (c, s) = *p;
            for (ch, &x) in self.hp_out.iter().enumerate() {
                let st = &mut self.state[ch * bands + b];
                let (mut re, mut im) = (x * c, x * s);
                for (k, sec) in d.sections[..d.used()].iter().enumerate() {
                    re = sec.tick(re, &mut st[k][0]);
                    im = sec.tick(im, &mut st[k][1]);
                }
                self.envelope[ch * bands + b] = (re, im);
            }
            // Advance the phasor and keep it on the unit circle (one Newton step).
            let (sc, ss) = d.step;
            let (nc, ns) = (c * sc - s * ss, c * ss + s * sc);
            let g = 1.5 - 0.5 * (nc * nc + ns * ns);
            *p = (nc * g, ns * g);
        }
    }

    /// Band power of channel `ch` in band `b`, µV²: `2·|y|²`.
    pub fn power(&self, ch: usize, b: usize) -> f32 {
        let (re, im) = self.envelope[ch * self.designs.len() + b];
        (2.0 * (re * re + im * im)) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Alpha (8–13 Hz) at 256 Hz, one channel.
    fn alpha_bank() -> QuadratureBank {
        QuadratureBank::new(1, 256.0, &[(8.0, 13.0)])
    }

    #[test]
    fn a_steady_sine_at_the_centre_reads_half_its_squared_amplitude() {
        for (lo, hi, fs) in [(8.0, 13.0, 256.0), (12.0, 15.0, 256.0), (1.0, 4.0, 500.0)] {
            let mut bank = QuadratureBank::new(1, fs, &[(lo, hi)]);
            let f = 0.5 * (lo + hi);
            let a = 20.0;
            let (mut sum, mut n) = (0.0, 0);
            for i in 0..(40.0 * fs) as usize {
                let t = i as f64 / fs;
                bank.push(&[(a * (std::f64::consts::TAU * f * t).sin()) as f32]);
                if t > 20.0 {
                    sum += bank.power(0, 0) as f64;
                    n += 1;
                }
            }
            let mean = sum / n as f64;
            let want = a * a / 2.0;
            // The 2f0 image and the 0.5 Hz high-pass cost well under 1 %.
            assert!(
                (mean / want - 1.0).abs() < 0.01,
                "{lo}-{hi}: {mean} vs {want}"
            );
        }
    }

    #[test]
    fn white_noise_reads_its_variance_times_the_band_over_nyquist() {
        let fs = 256.0;
        let bands = [(8.0, 13.0), (4.0, 8.0), (20.0, 30.0)];
        let mut bank = QuadratureBank::new(1, fs, &bands);
        let mut rng = crate::synth::rng::Rng::new(11);
        // Uniform on [-1, 1): variance 1/3.
        let var = 1.0 / 3.0;
        let mut sums = [0.0f64; 3];
        let n = (2000.0 * fs) as usize;
        for i in 0..n {
            bank.push(&[rng.bipolar()]);
            if i > 10 * fs as usize {
                for (b, s) in sums.iter_mut().enumerate() {
                    *s += bank.power(0, b) as f64;
                }
            }
        }
        for (b, (lo, hi)) in bands.iter().enumerate() {
            let mean = sums[b] / (n - 10 * fs as usize - 1) as f64;
            // One-sided density 2σ²/fs over the band: what Welch integrates.
            let want = 2.0 * var * (hi - lo) / fs;
            assert!(
                (mean / want - 1.0).abs() < 0.03,
                "{lo}-{hi}: {mean} vs {want}"
            );
        }
    }

    /// Step response of the analog third-order Butterworth low-pass at `t` seconds: from
    /// 1/(s(s+1)(s²+s+1)) = 1/s − 1/(s+1) − 1/(s²+s+1) in units of 1/ωc.
    fn butterworth3_step(t: f64, fc: f64) -> f64 {
        let u = std::f64::consts::TAU * fc * t;
        let r3 = 3.0f64.sqrt();
        1.0 - (-u).exp() - 2.0 / r3 * (-u / 2.0).exp() * (r3 / 2.0 * u).sin()
    }

    #[test]
    fn a_sine_switched_on_rises_as_the_low_pass_step_response() {
        let fs = 1000.0;
        let mut bank = QuadratureBank::new(1, fs, &[(8.0, 13.0)]);
        let fc = bank.designs()[0].cutoff_hz;
        assert_eq!(bank.designs()[0].order, 3);
        let a = 10.0;
        let on = 2.0;
        let mut worst = 0.0f64;
        let mut t50 = None;
        for i in 0..(4.0 * fs) as usize {
            let t = i as f64 / fs;
            let x = if t >= on {
                a * (std::f64::consts::TAU * 10.5 * (t - on)).cos()
            } else {
                0.0
            };
            bank.push(&[x as f32]);
            if t >= on {
                let got = (bank.power(0, 0) as f64 / (a * a / 2.0)).sqrt();
                let want = butterworth3_step(t - on, fc);
                worst = worst.max((got - want).abs());
                if t50.is_none() && got >= 0.5 {
                    t50 = Some(t - on);
                }
            }
        }
        // Envelope (amplitude) within 3 % of full scale of the analog step response: the
        // demodulation image at 2·f0 passes the low-pass at (fc / 2f0)² = 1.2 % and ripples
        // the envelope by that much; the bilinear transform and the 0.5 Hz high-pass barely
        // show at 1 kHz.
        assert!(worst < 0.03, "largest deviation {worst}");
        // The documented group delay is the envelope's lag: the step reaches half height at
        // 1.068 times it for this filter (where the analytic response above crosses 0.5).
        let tau = bank.designs()[0].group_delay_s();
        let t50 = t50.unwrap();
        assert!(
            (t50 - 1.068 * tau).abs() < 0.01,
            "t50 {t50} vs group delay {tau}"
        );
        // Two time constants of the cutoff: 2/(2π·fc) with fc = 2.5 Hz / (π/6 / sin(π/6)).
        let want = 2.0 / (std::f64::consts::TAU * 2.5 / (std::f64::consts::PI / 3.0));
        assert!(
            (tau - want).abs() < 1e-9 && (tau - 0.133).abs() < 0.001,
            "{tau}"
        );
    }

    #[test]
    fn reset_forgets_the_signal() {
        let mut bank = alpha_bank();
        for i in 0..2560 {
            bank.push(&[(10.0 * (i as f32 * 0.25).sin())]);
        }
        assert!(bank.power(0, 0) > 1.0);
        bank.reset();
        bank.push(&[0.0]);
        assert_eq!(bank.power(0, 0), 0.0);
        // Non-finite input is taken as 0: the state stays finite.
        bank.push(&[f32::NAN]);
        assert!(bank.power(0, 0).is_finite());
    }
}
