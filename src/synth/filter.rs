//! Filters used by the layers and the master section.

use crate::math::Portable;
use std::f32::consts::PI;

/// State-variable low-pass (Simper/Cytomic trapezoidal form).
///
/// Chosen because its coefficients can change every control block without zipper noise or
/// instability: the state stays bounded for any cutoff in (0, Nyquist).
#[derive(Clone, Copy, Debug, Default)]
pub struct SvfLowpass {
    /// Integrator states.
    ic1: f32,
    ic2: f32,
    /// Coefficients derived from cutoff and Q.
    a1: f32,
    a2: f32,
    a3: f32,
}

impl SvfLowpass {
    /// A filter with cutoff `cutoff_hz` and quality `q` at `sample_rate`.
    pub fn new(cutoff_hz: f32, q: f32, sample_rate: f32) -> Self {
        let mut f = Self::default();
        f.set(cutoff_hz, q, sample_rate);
        f
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.ic1 = 0.0;
        self.ic2 = 0.0;
    }

    /// Sets cutoff (clamped below Nyquist) and Q.
    #[inline]
    pub fn set(&mut self, cutoff_hz: f32, q: f32, sample_rate: f32) {
        let fc = cutoff_hz.clamp(10.0, 0.49 * sample_rate);
        let g = (PI * fc / sample_rate).libm_tan();
        let k = 1.0 / q;
        self.a1 = 1.0 / (1.0 + g * (g + k));
        self.a2 = g * self.a1;
        self.a3 = g * self.a2;
    }

    /// Filters one sample.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let v3 = x - self.ic2;
        let v1 = self.a1 * self.ic1 + self.a2 * v3;
        let v2 = self.ic2 + self.a2 * self.ic1 + self.a3 * v3;
        self.ic1 = 2.0 * v1 - self.ic1;
        self.ic2 = 2.0 * v2 - self.ic2;
        v2
    }
}

/// One-pole low-pass `y += a·(x - y)`, with `a` from the impulse-invariant mapping.
#[derive(Clone, Copy, Debug, Default)]
pub struct OnePole {
    /// Output state.
    y: f32,
    /// Coefficient.
    a: f32,
}

impl OnePole {
    /// A one-pole low-pass at `cutoff_hz`.
    pub fn new(cutoff_hz: f32, sample_rate: f32) -> Self {
        let mut f = Self::default();
        f.set(cutoff_hz, sample_rate);
        f
    }

    /// Sets the cutoff.
    #[inline]
    pub fn set(&mut self, cutoff_hz: f32, sample_rate: f32) {
        self.a = 1.0 - (-2.0 * PI * cutoff_hz / sample_rate).libm_exp();
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.y = 0.0;
    }

    /// Filters one sample.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        self.y += self.a * (x - self.y);
        self.y
    }
}

/// DC blocker: a one-zero one-pole high-pass at a few hertz.
///
/// Brown noise and asymmetric drift leave a slow offset; this keeps the output centred.
#[derive(Clone, Copy, Debug, Default)]
pub struct DcBlocker {
    /// Previous input.
    x1: f32,
    /// Previous output.
    y1: f32,
    /// Pole radius.
    r: f32,
}

impl DcBlocker {
    /// A DC blocker with corner `cutoff_hz`.
    pub fn new(cutoff_hz: f32, sample_rate: f32) -> Self {
        Self {
            x1: 0.0,
            y1: 0.0,
            r: (-2.0 * PI * cutoff_hz / sample_rate).libm_exp(),
        }
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.x1 = 0.0;
        self.y1 = 0.0;
    }

    /// Filters one sample.
    #[inline]
    pub fn process(&mut self, x: f32) -> f32 {
        let y = x - self.x1 + self.r * self.y1;
        self.x1 = x;
        self.y1 = y;
        y
    }
}

/// Tilt EQ: splits at a pivot with a one-pole low-pass and weights the two halves oppositely.
///
/// `tilt_db` > 0 brightens (highs up, lows down by the same amount); the pivot frequency is
/// untouched. One multiply-add more than a plain one-pole: cheap enough for the master bus.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tilt {
    /// The split filter.
    split: OnePole,
}

impl Tilt {
    /// A tilt EQ pivoting at `pivot_hz`.
    pub fn new(pivot_hz: f32, sample_rate: f32) -> Self {
        Self {
            split: OnePole::new(pivot_hz, sample_rate),
        }
    }

    /// Clears the state.
    pub fn reset(&mut self) {
        self.split.reset();
    }

    /// Gains for the low and high halves for a tilt in dB.
    pub fn gains(tilt_db: f32) -> (f32, f32) {
        let g = 10f32.libm_powf(tilt_db / 40.0);
        (1.0 / g, g)
    }

    /// Filters one sample with precomputed [`gains`](Self::gains).
    #[inline]
    pub fn process(&mut self, x: f32, low_gain: f32, high_gain: f32) -> f32 {
        let lo = self.split.process(x);
        lo * low_gain + (x - lo) * high_gain
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steady-state gain of `f` for a sine at `freq`, measured by RMS after settling.
    fn measured_gain(mut f: impl FnMut(f32) -> f32, freq: f32, sr: f32) -> f32 {
        let n = sr as usize;
        let mut acc_in = 0.0f64;
        let mut acc_out = 0.0f64;
        for i in 0..2 * n {
            let x = (2.0 * PI * freq * i as f32 / sr).sin();
            let y = f(x);
            if i >= n {
                acc_in += (x * x) as f64;
                acc_out += (y * y) as f64;
            }
        }
        (acc_out / acc_in).sqrt() as f32
    }

    #[test]
    fn svf_is_3db_down_at_cutoff_with_butterworth_q() {
        let sr = 48_000.0;
        let mut f = SvfLowpass::new(1000.0, std::f32::consts::FRAC_1_SQRT_2, sr);
        let g = measured_gain(|x| f.process(x), 1000.0, sr);
        assert!((20.0 * g.log10() + 3.01).abs() < 0.1, "{g}");
        let mut f = SvfLowpass::new(1000.0, std::f32::consts::FRAC_1_SQRT_2, sr);
        let pass = measured_gain(|x| f.process(x), 100.0, sr);
        assert!((pass - 1.0).abs() < 0.01);
        let mut f = SvfLowpass::new(1000.0, std::f32::consts::FRAC_1_SQRT_2, sr);
        // Two poles: -12 dB/octave far above cutoff, so 8 kHz is about -36 dB.
        let stop = measured_gain(|x| f.process(x), 8000.0, sr);
        assert!(20.0 * stop.log10() < -33.0, "{stop}");
    }

    #[test]
    fn dc_blocker_removes_offset_and_passes_audio() {
        let sr = 48_000.0;
        let mut f = DcBlocker::new(5.0, sr);
        let mut y = 0.0;
        for _ in 0..sr as usize {
            y = f.process(0.5);
        }
        assert!(y.abs() < 1e-3, "{y}");
        let mut f = DcBlocker::new(5.0, sr);
        let g = measured_gain(|x| f.process(x), 200.0, sr);
        assert!((g - 1.0).abs() < 0.01);
    }

    #[test]
    fn tilt_moves_lows_and_highs_in_opposite_directions() {
        let sr = 48_000.0;
        let (lg, hg) = Tilt::gains(6.0);
        let mut t = Tilt::new(800.0, sr);
        let low = measured_gain(|x| t.process(x, lg, hg), 50.0, sr);
        let mut t = Tilt::new(800.0, sr);
        let high = measured_gain(|x| t.process(x, lg, hg), 12_000.0, sr);
        assert!((20.0 * low.log10() + 3.0).abs() < 0.3, "{low}");
        assert!((20.0 * high.log10() - 3.0).abs() < 0.3, "{high}");
    }
}
