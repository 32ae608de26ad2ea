//! Oscillator primitives: a polynomial sine and a double-precision phase accumulator.
//!
//! The phase is kept in `f64` because the binaural layer's promise (the left/right frequency
//! difference equals the beat parameter within 0.01 Hz) depends on long-run frequency accuracy,
//! and `f32` phase accumulation drifts by a few mHz at audio rates.

use crate::math::Portable;

/// Fractional part of `x` in `[0, 1)`, for |x| < 2^53.
///
/// `f64::floor` is a library call on baseline x86-64 (no SSE4.1 `roundsd`); a truncating
/// conversion is one instruction, and the oscillators call this several times per sample.
#[inline]
pub fn fract(x: f64) -> f64 {
    let f = x - (x as i64) as f64;
    if f < 0.0 {
        f + 1.0
    } else {
        f
    }
}

/// `sin(2π·phase)` for any finite `phase`, accurate to about 4e-6 (-108 dB), with no table.
///
/// A 9th-order Taylor polynomial on a quarter wave; folding keeps the argument in
/// `[-π/2, π/2]` where the truncation error is largest at the edge: (π/2)^11 / 11! ≈ 3.6e-6.
#[inline]
pub fn sin_turns(phase: f64) -> f32 {
    // Reduce to t in [-0.5, 0.5): sin(2π·phase) = -sin(2π·t) with t = frac(phase) - 0.5.
    let mut t = fract(phase) - 0.5;
    if t > 0.25 {
        t = 0.5 - t;
    } else if t < -0.25 {
        t = -0.5 - t;
    }
    let x = t * std::f64::consts::TAU;
    let x2 = x * x;
    let s = x
        * (1.0
            + x2 * (-1.0 / 6.0
                + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (1.0 / 362_880.0)))));
    -s as f32
}

/// `cos(2π·phase)`, via [`sin_turns`].
#[inline]
pub fn cos_turns(phase: f64) -> f32 {
    sin_turns(phase + 0.25)
}

/// Turns per `u32` phase unit: a full cycle is 2^32.
const PHASE_SCALE: f64 = 4_294_967_296.0;

/// A phase in turns as a 32-bit fixed-point fraction that wraps by itself.
///
/// Audio-rate oscillators use this instead of floating point: wrapping is free and exact, the
/// frequency resolution is `sample_rate / 2^32` (1.1e-5 Hz at 48 kHz, far inside the binaural
/// layer's 0.01 Hz promise), and no `floor` is needed per sample.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Phasor {
    /// Current phase, 2^32 = one turn.
    pub phase: u32,
}

impl Phasor {
    /// A phasor starting at `turns` (any value; wrapped).
    pub fn new(turns: f64) -> Self {
        Self {
            phase: to_phase(turns),
        }
    }

    /// Returns the current phase, then advances by `increment`.
    #[inline]
    pub fn tick(&mut self, increment: u32) -> u32 {
        let p = self.phase;
        self.phase = p.wrapping_add(increment);
        p
    }
}

/// Converts turns (any finite value) to a wrapped fixed-point phase.
#[inline]
pub fn to_phase(turns: f64) -> u32 {
    (fract(turns) * PHASE_SCALE) as u64 as u32
}

/// The per-sample phase increment of a frequency (rounded to the nearest unit).
#[inline]
pub fn increment(freq_hz: f64, sample_rate: f64) -> u32 {
    // +0.5 then truncation rounds (`f64::round` is a library call on baseline x86-64).
    (fract(freq_hz / sample_rate) * PHASE_SCALE + 0.5) as u64 as u32
}

/// Entries in the sine table (a power of two: the top bits of a phase index it).
const SINE_BITS: u32 = 12;
/// See [`SINE_BITS`].
const SINE_LEN: usize = 1 << SINE_BITS;

/// One cycle of sine (plus a guard sample), built once per process.
fn sine_table() -> &'static [f32; SINE_LEN + 1] {
    static TABLE: std::sync::OnceLock<[f32; SINE_LEN + 1]> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0.0f32; SINE_LEN + 1];
        for (i, v) in t.iter_mut().enumerate() {
            *v = (std::f64::consts::TAU * i as f64 / SINE_LEN as f64).libm_sin() as f32;
        }
        t
    })
}

/// A sine oscillator's lookup: `sin(2π·phase/2^32)` by linear interpolation in a 4096-entry
/// table, accurate to 3e-7 ((2π/4096)²/8, about -130 dB). Holding the table reference keeps the
/// per-sample path free of the `OnceLock` check.
#[derive(Clone, Copy, Debug)]
pub struct Sine {
    /// The shared table.
    table: &'static [f32; SINE_LEN + 1],
}

impl Default for Sine {
    fn default() -> Self {
        Self::new()
    }
}

impl Sine {
    /// The shared sine (builds the table on first use: call off the audio thread).
    pub fn new() -> Self {
        Self {
            table: sine_table(),
        }
    }

    /// `sin(2π·phase/2^32)`.
    #[inline]
    pub fn at(&self, phase: u32) -> f32 {
        let i = (phase >> (32 - SINE_BITS)) as usize;
        let frac = (phase & ((1 << (32 - SINE_BITS)) - 1)) as f32
            * (1.0 / (1u32 << (32 - SINE_BITS)) as f32);
        let a = self.table[i];
        let b = self.table[i + 1];
        a + (b - a) * frac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sin_turns_matches_std_within_promise() {
        let mut worst = 0.0f64;
        for i in -20_000..20_000 {
            let p = i as f64 / 7_777.0;
            let err = (sin_turns(p) as f64 - (p * std::f64::consts::TAU).sin()).abs();
            worst = worst.max(err);
        }
        assert!(worst < 5e-6, "worst error {worst}");
    }

    #[test]
    fn fract_matches_std() {
        for x in [-3.75, -1.0, -0.2, 0.0, 0.3, 1.0, 2.5, 1e9 + 0.125] {
            let want = x - f64::floor(x);
            assert!((fract(x) - want).abs() < 1e-12, "{x}");
            assert!((0.0..1.0).contains(&fract(x)));
        }
    }

    #[test]
    fn table_sine_matches_std_within_promise() {
        let sine = Sine::new();
        let mut worst = 0.0f64;
        let mut p = 0u32;
        for _ in 0..200_000 {
            let want = (std::f64::consts::TAU * p as f64 / PHASE_SCALE).sin();
            worst = worst.max((sine.at(p) as f64 - want).abs());
            p = p.wrapping_add(21_474_837); // a non-power-of-two stride through the cycle
        }
        assert!(worst < 5e-7, "worst error {worst}");
    }

    #[test]
    fn phasor_frequency_is_exact_to_the_increment_resolution() {
        let sr = 48_000.0;
        let f = 203.7;
        let inc = increment(f, sr);
        let realised = inc as f64 / PHASE_SCALE * sr;
        assert!((realised - f).abs() <= 0.5 * sr / PHASE_SCALE);
        let mut ph = Phasor::new(0.0);
        let mut wraps = 0;
        let mut last = 0;
        for _ in 0..480_000 {
            let p = ph.tick(inc);
            if p < last {
                wraps += 1;
            }
            last = p;
        }
        // 10 s of 203.7 Hz: 2037 cycles, the last one ending on the final sample or just after.
        assert!((2036..=2037).contains(&wraps), "{wraps}");
    }
}
