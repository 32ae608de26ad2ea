//! Safety limiter: a peak gain computer followed by a soft clipper that can never exceed the
//! ceiling. Transparent at the default levels; it only protects ears and speakers when a user
//! pushes every layer up at once.

use crate::math::Portable;

/// Absolute ceiling of the output: -1 dBFS.
pub const CEILING: f32 = 0.891_250_9;
/// Level where the gain computer starts to act: -3 dBFS.
const THRESHOLD: f32 = 0.707_945_8;
/// Below this the soft clipper is the identity.
const KNEE: f32 = 0.8;

/// The limiter state.
#[derive(Clone, Copy, Debug)]
pub struct Limiter {
    /// Current gain, 0..1.
    gain: f32,
    /// Per-sample attack coefficient (1 ms).
    attack: f32,
    /// Per-sample release coefficient (300 ms).
    release: f32,
}

impl Limiter {
    /// A limiter at `sample_rate`.
    pub fn new(sample_rate: f32) -> Self {
        let mut l = Self {
            gain: 1.0,
            attack: 0.0,
            release: 0.0,
        };
        l.set_sample_rate(sample_rate);
        l
    }

    /// Recomputes the time constants.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.attack = 1.0 - (-1.0 / (0.001 * sample_rate)).libm_exp();
        self.release = 1.0 - (-1.0 / (0.3 * sample_rate)).libm_exp();
        self.reset();
    }

    /// Back to unity gain.
    pub fn reset(&mut self) {
        self.gain = 1.0;
    }

    /// Limits one stereo sample (linked gain, so the stereo image does not shift).
    #[inline]
    pub fn process(&mut self, left: f32, right: f32) -> (f32, f32) {
        let peak = left.abs().max(right.abs());
        let wanted = if peak > THRESHOLD {
            THRESHOLD / peak
        } else {
            1.0
        };
        let coeff = if wanted < self.gain {
            self.attack
        } else {
            self.release
        };
        self.gain += (wanted - self.gain) * coeff;
        (soft_clip(left * self.gain), soft_clip(right * self.gain))
    }
}

/// Identity below `KNEE`, then a tanh curve that approaches `CEILING` and never reaches it.
#[inline]
pub fn soft_clip(x: f32) -> f32 {
    let a = x.abs();
    if a <= KNEE {
        return x;
    }
    let room = CEILING - KNEE;
    let y = KNEE + room * ((a - KNEE) / room).libm_tanh();
    // tanh saturates to exactly 1.0 in f32 for large inputs; keep strictly under the ceiling.
    y.min(CEILING * 0.9999).copysign(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_exceeds_the_ceiling_and_is_transparent_below_threshold() {
        let mut l = Limiter::new(48_000.0);
        for i in 0..48_000 {
            let x = 0.5 * (i as f32 * 0.01).sin();
            let (a, b) = l.process(x, -x);
            assert_eq!(a, x);
            assert_eq!(b, -x);
        }
        for i in 0..48_000 {
            let x = 40.0 * (i as f32 * 0.01).sin();
            let (a, b) = l.process(x, x * 0.5);
            assert!(a.abs() < CEILING && b.abs() < CEILING, "{a} {b}");
        }
    }

    #[test]
    fn soft_clip_is_continuous_and_monotonic() {
        let mut prev = soft_clip(-10.0);
        for i in -100_000..100_000 {
            let y = soft_clip(i as f32 * 1e-4);
            assert!(y >= prev);
            assert!(y - prev < 1.1e-4);
            prev = y;
        }
    }
}
