//! Binaural beat: one sine per ear, `carrier - beat/2` on the left and `carrier + beat/2` on
//! the right, so the difference the listener's brainstem hears is exactly `beat`.

use super::osc::{increment, Phasor, Sine};
use super::smooth::Ramp;

/// The binaural layer.
#[derive(Clone, Copy, Debug)]
pub struct Binaural {
    /// Left and right phases.
    phases: [Phasor; 2],
    /// Sine lookup.
    sine: Sine,
    /// Sample rate in Hz.
    sample_rate: f64,
}

impl Binaural {
    /// A binaural layer at `sample_rate`.
    pub fn new(sample_rate: f32) -> Self {
        Self {
            phases: [Phasor::new(0.0); 2],
            sine: Sine::new(),
            sample_rate: sample_rate as f64,
        }
    }

    /// Changes the sample rate and resets.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = sample_rate as f64;
        self.reset();
    }

    /// Restarts both phases at zero.
    pub fn reset(&mut self) {
        self.phases = [Phasor::new(0.0); 2];
    }

    /// Adds the beat into the buffers, which hold samples `offset..` of the current control
    /// block; `gain` is the level's course over that block.
    pub fn process(
        &mut self,
        carrier_hz: f32,
        beat_hz: f32,
        gain: Ramp,
        offset: usize,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let c = carrier_hz as f64;
        let half = 0.5 * beat_hz as f64;
        let inc_l = increment(c - half, self.sample_rate);
        let inc_r = increment(c + half, self.sample_rate);
        let [pl, pr] = &mut self.phases;
        for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
            let g = gain.at(offset + i);
            *l += g * self.sine.at(pl.tick(inc_l));
            *r += g * self.sine.at(pr.tick(inc_r));
        }
    }
}
