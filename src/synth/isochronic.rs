//! Isochronic pulse: a tone switched on and off at the pulse rate, with raised-cosine edges so
//! every pulse starts and ends without a click.

use super::osc::{increment, to_phase, Phasor, Sine};
use super::smooth::Ramp;

/// Fraction of each period spent rising (and again falling): soft but clearly pulsed.
const EDGE: f64 = 0.2;
/// Fraction of each period the gate is open, edges included.
const DUTY: f64 = 0.5;

/// The gate shape over one period, `phase` in turns `[0, 1)`: 0..1 with smooth edges.
#[inline]
pub fn gate(sine: &Sine, phase: f64) -> f32 {
    // cos(π·x) for x in [0, 1] is the sine a quarter turn on.
    let cos_half = |x: f64| sine.at(to_phase(0.5 * x + 0.25));
    if phase < EDGE {
        0.5 - 0.5 * cos_half(phase / EDGE)
    } else if phase < DUTY {
        1.0
    } else if phase < DUTY + EDGE {
        0.5 + 0.5 * cos_half((phase - DUTY) / EDGE)
    } else {
        0.0
    }
}

/// The isochronic layer (mono, centred).
#[derive(Clone, Copy, Debug)]
pub struct Isochronic {
    /// Phase of the tone.
    tone: Phasor,
    /// Phase of the gate.
    pulse: Phasor,
    /// Sine lookup.
    sine: Sine,
    /// Sample rate in Hz.
    sample_rate: f64,
}

impl Isochronic {
    /// An isochronic layer at `sample_rate`.
    pub fn new(sample_rate: f32) -> Self {
        Self {
            tone: Phasor::new(0.0),
            pulse: Phasor::new(0.0),
            sine: Sine::new(),
            sample_rate: sample_rate as f64,
        }
    }

    /// Changes the sample rate and resets.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = sample_rate as f64;
        self.reset();
    }

    /// Restarts tone and gate at phase zero.
    pub fn reset(&mut self) {
        self.tone = Phasor::new(0.0);
        self.pulse = Phasor::new(0.0);
    }

    /// Where the gate is in its period, turns `[0, 1)`.
    pub fn pulse_turns(&self) -> f64 {
        self.pulse.phase as f64 / 4_294_967_296.0
    }

    /// Moves the gate by `turns` (small corrections that keep it on a grid).
    pub fn shift_pulse(&mut self, turns: f64) {
        self.pulse.phase = self
            .pulse
            .phase
            .wrapping_add(to_phase(turns.rem_euclid(1.0)));
    }

    /// Adds the pulsed tone into both buffers, which hold samples `offset..` of the current
    /// control block; `gain` is the level's course over that block.
    pub fn process(
        &mut self,
        tone_hz: f32,
        rate_hz: f32,
        gain: Ramp,
        offset: usize,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let inc_t = increment(tone_hz as f64, self.sample_rate);
        let inc_p = increment(rate_hz as f64, self.sample_rate);
        for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
            let pulse = self.pulse.tick(inc_p) as f64 * (1.0 / 4_294_967_296.0);
            let s =
                gain.at(offset + i) * gate(&self.sine, pulse) * self.sine.at(self.tone.tick(inc_t));
            *l += s;
            *r += s;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_is_continuous_and_spans_zero_to_one() {
        let sine = Sine::new();
        let gate = |p: f64| gate(&sine, p);
        let mut prev = gate(0.0);
        assert!(prev.abs() < 1e-5);
        let steps = 100_000;
        for i in 1..=steps {
            let g = gate(i as f64 / steps as f64 % 1.0);
            // Steepest slope of a raised-cosine edge: π/2 per EDGE turns.
            assert!(
                (g - prev).abs()
                    <= (std::f64::consts::PI / (2.0 * EDGE)) as f32 / steps as f32 + 1e-5
            );
            prev = g;
        }
        assert!((gate(0.3) - 1.0).abs() < 1e-5);
        assert!(gate(0.8).abs() < 1e-5);
    }
}
