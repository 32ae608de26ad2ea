//! Control smoothing and slow drift: the reasons automation never clicks and pads breathe.

use super::rng::Rng;
use super::CONTROL_BLOCK;
use crate::math::Portable;

/// A control's course across one control block: linear from `from` (its value before the
/// block) to `to` (its value at the block's last sample).
///
/// Values are computed from the absolute position in the block, never accumulated, so a block
/// rendered in several spans (host buffers that split it) gives bit-identical samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ramp {
    /// Value before the block's first sample.
    pub from: f32,
    /// Value at the block's last sample.
    pub to: f32,
}

impl Ramp {
    /// A ramp from `from` to `to`.
    pub const fn new(from: f32, to: f32) -> Self {
        Self { from, to }
    }

    /// A constant.
    pub const fn flat(value: f32) -> Self {
        Self {
            from: value,
            to: value,
        }
    }

    /// The value at sample `k` (0-based) of the control block.
    #[inline]
    pub fn at(&self, k: usize) -> f32 {
        self.from + (self.to - self.from) * ((k + 1) as f32 * (1.0 / CONTROL_BLOCK as f32))
    }

    /// Whether the ramp is silent throughout (both ends zero).
    pub fn is_zero(&self) -> bool {
        self.from == 0.0 && self.to == 0.0
    }
}

/// One-pole smoother: moves `current` toward a target with time constant `tau` seconds.
///
/// Every user-facing control passes through one of these inside the synth, so a parameter that
/// jumps from min to max reaches 63 % of the way in `tau` and never changes by more than
/// `|target - current| / (tau · sample_rate)` per sample.
#[derive(Clone, Copy, Debug)]
pub struct Smoothed {
    /// The value currently applied.
    pub current: f32,
    /// Per-sample coefficient `1 - exp(-1 / (tau · sample_rate))`.
    coeff: f32,
    /// Time constant in seconds, kept to recompute `coeff` when the sample rate changes.
    tau: f32,
}

impl Smoothed {
    /// A smoother resting at `value` with time constant `tau` seconds.
    pub fn new(value: f32, tau: f32, sample_rate: f32) -> Self {
        let mut s = Self {
            current: value,
            coeff: 0.0,
            tau,
        };
        s.set_sample_rate(sample_rate);
        s
    }

    /// Recomputes the coefficient for a new sample rate.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.coeff = 1.0 - (-1.0 / (self.tau * sample_rate)).libm_exp();
    }

    /// Jumps straight to `value` (used by `reset`, never during playback).
    pub fn reset(&mut self, value: f32) {
        self.current = value;
    }

    /// Advances one sample toward `target` and returns the new value.
    #[inline]
    pub fn next(&mut self, target: f32) -> f32 {
        self.current += (target - self.current) * self.coeff;
        self.current
    }

    /// Advances several samples at once with a coefficient from [`coeff_for`](Self::coeff_for)
    /// (exact for a constant target) and returns the new value.
    #[inline]
    pub fn next_n(&mut self, target: f32, coeff_n: f32) -> f32 {
        self.current += (target - self.current) * coeff_n;
        self.current
    }

    /// The coefficient that [`next_n`](Self::next_n) needs to advance `n` samples in one step.
    pub fn coeff_for(&self, n: usize) -> f32 {
        1.0 - (1.0 - self.coeff).powi(n as i32)
    }
}

/// Smooth random motion in `[-1, 1]`: cosine interpolation between random points.
///
/// Used for detune and amplitude drift of drone voices, so a held chord never sounds static
/// and never repeats. The mean time between points is `period` seconds, jittered ±40 %.
#[derive(Clone, Copy, Debug)]
pub struct Drift {
    /// Random source for new points.
    rng: Rng,
    /// Value at the start of the current segment.
    from: f32,
    /// Value at the end of the current segment.
    to: f32,
    /// Position in the current segment, 0..1.
    pos: f32,
    /// Per-sample advance of `pos`.
    step: f32,
    /// Mean segment length in samples.
    mean_len: f32,
}

impl Drift {
    /// A drift source with mean segment length `period` seconds.
    pub fn new(seed: u64, period: f32, sample_rate: f32) -> Self {
        let mut d = Self {
            rng: Rng::new(seed),
            from: 0.0,
            to: 0.0,
            pos: 0.0,
            step: 0.0,
            mean_len: period * sample_rate,
        };
        d.reset(seed, period, sample_rate);
        d
    }

    /// Restarts from the seed (deterministic).
    pub fn reset(&mut self, seed: u64, period: f32, sample_rate: f32) {
        self.rng = Rng::new(seed);
        self.mean_len = period * sample_rate;
        self.from = self.rng.bipolar();
        self.to = self.rng.bipolar();
        self.pos = 0.0;
        self.new_step();
    }

    fn new_step(&mut self) {
        let len = self.mean_len * (0.6 + 0.8 * self.rng.unit());
        self.step = 1.0 / len.max(1.0);
    }

    /// Advances `n` samples and returns the current value.
    #[inline]
    pub fn advance(&mut self, n: usize) -> f32 {
        self.pos += self.step * n as f32;
        if self.pos >= 1.0 {
            self.pos -= 1.0;
            self.from = self.to;
            self.to = self.rng.bipolar();
            self.new_step();
        }
        // Cosine interpolation: zero slope at every point, so no corners in the motion.
        let w = 0.5 - 0.5 * super::osc::cos_turns(0.5 * self.pos as f64);
        self.from + (self.to - self.from) * w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoother_reaches_63_percent_in_tau() {
        let sr = 48_000.0;
        let mut s = Smoothed::new(0.0, 0.05, sr);
        let n = (0.05 * sr) as usize;
        let mut v = 0.0;
        let mut max_step = 0.0f32;
        for _ in 0..n {
            let prev = s.current;
            v = s.next(1.0);
            max_step = max_step.max(v - prev);
        }
        assert!((v - (1.0 - (-1.0f32).exp())).abs() < 1e-3, "{v}");
        assert!(max_step <= 1.0 / (0.05 * sr) + 1e-6);
    }

    #[test]
    fn next_n_equals_n_single_steps() {
        let mut a = Smoothed::new(0.2, 0.03, 44_100.0);
        let mut b = a;
        let c = b.coeff_for(32);
        for _ in 0..32 {
            a.next(0.9);
        }
        b.next_n(0.9, c);
        assert!((a.current - b.current).abs() < 1e-5);
    }

    #[test]
    fn drift_stays_in_range_and_moves_smoothly() {
        let sr = 48_000.0;
        let mut d = Drift::new(3, 0.5, sr);
        let mut prev = d.advance(1);
        let mut lo = f32::MAX;
        let mut hi = f32::MIN;
        for _ in 0..(10.0 * sr) as usize {
            let v = d.advance(1);
            // Max slope of a cosine segment of amplitude 2 over >= 0.3 s: π / (0.3 s · sr).
            assert!((v - prev).abs() < std::f32::consts::PI / (0.3 * sr) + 1e-6);
            prev = v;
            lo = lo.min(v);
            hi = hi.max(v);
        }
        assert!(lo >= -1.0 && hi <= 1.0);
        assert!(hi - lo > 0.5, "drift barely moved: {lo}..{hi}");
    }
}
