//! Stereo reverb: an 8-line feedback delay network with a Hadamard mixing matrix and damping
//! in every loop.
//!
//! Delay lengths are fixed per sample rate (changing them while playing would click); "size"
//! sets the decay time through the loop gains, and "damping" the high-frequency decay.

use super::filter::OnePole;
use crate::math::Portable;

/// Number of delay lines (a power of two for the fast Hadamard transform).
const LINES: usize = 8;
/// Line lengths in milliseconds: mutually prime in samples at common rates, spread so the modes
/// are dense and no two lines share echoes.
const LENGTHS_MS: [f32; LINES] = [31.3, 37.9, 41.1, 47.3, 53.9, 61.7, 67.1, 79.3];

/// The reverb.
pub struct Reverb {
    /// One buffer per line, allocated in `set_sample_rate`.
    lines: [Vec<f32>; LINES],
    /// Write positions.
    pos: [usize; LINES],
    /// Damping low-pass per line.
    damping: [OnePole; LINES],
    /// Loop gain per line for the current decay time.
    gains: [f32; LINES],
    /// Sample rate in Hz.
    sample_rate: f32,
}

impl Reverb {
    /// A reverb at `sample_rate` (allocates the delay lines).
    pub fn new(sample_rate: f32) -> Self {
        let mut r = Self {
            lines: Default::default(),
            pos: [0; LINES],
            damping: [OnePole::default(); LINES],
            gains: [0.0; LINES],
            sample_rate,
        };
        r.set_sample_rate(sample_rate);
        r
    }

    /// Resizes the delay lines for `sample_rate` (allocates: call off the audio thread).
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = sample_rate;
        for (line, ms) in self.lines.iter_mut().zip(LENGTHS_MS) {
            *line = vec![0.0; (ms * 0.001 * sample_rate).round().max(1.0) as usize];
        }
        self.set_decay(2.0, 6000.0);
        self.reset();
    }

    /// Silences the tail (no allocation).
    pub fn reset(&mut self) {
        for l in &mut self.lines {
            l.iter_mut().for_each(|x| *x = 0.0);
        }
        self.pos = [0; LINES];
        for d in &mut self.damping {
            d.reset();
        }
    }

    /// Sets the decay time (RT60 in seconds, at low frequencies) and damping cutoff in Hz.
    pub fn set_decay(&mut self, rt60: f32, damping_hz: f32) {
        for i in 0..LINES {
            let len = self.lines[i].len() as f32;
            // -60 dB after rt60 seconds: each pass through a line of `len` samples loses
            // 60 · len / (rt60 · sr) dB.
            self.gains[i] = 10f32.libm_powf(-3.0 * len / (rt60.max(0.05) * self.sample_rate));
            self.damping[i].set(damping_hz, self.sample_rate);
        }
    }

    /// Processes one stereo sample and returns the wet signal.
    #[inline]
    pub fn process(&mut self, left: f32, right: f32) -> (f32, f32) {
        let mut v = [0.0f32; LINES];
        for ((x, line), &p) in v.iter_mut().zip(&self.lines).zip(&self.pos) {
            *x = line[p];
        }
        let out_l = v[0] + v[2] + v[4] + v[6];
        let out_r = v[1] + v[3] + v[5] + v[7];
        hadamard(&mut v);
        for i in 0..LINES {
            // Left feeds the even lines, right the odd ones, with alternating signs so the
            // input does not excite one dominant mode.
            let input = if i % 2 == 0 { left } else { right };
            let sign = if i % 4 < 2 { 1.0 } else { -1.0 };
            let fb = self.damping[i].process(v[i]) * self.gains[i];
            let line = &mut self.lines[i];
            line[self.pos[i]] = fb + sign * input;
            self.pos[i] += 1;
            if self.pos[i] == line.len() {
                self.pos[i] = 0;
            }
        }
        (out_l * 0.25, out_r * 0.25)
    }
}

/// In-place orthonormal Hadamard transform of 8 values (energy preserving, so the loop gains
/// alone set the decay).
#[inline]
fn hadamard(v: &mut [f32; LINES]) {
    let mut h = 1;
    while h < LINES {
        for i in (0..LINES).step_by(2 * h) {
            for j in i..i + h {
                let (a, b) = (v[j], v[j + h]);
                v[j] = a + b;
                v[j + h] = a - b;
            }
        }
        h *= 2;
    }
    let norm = 1.0 / (LINES as f32).sqrt();
    for x in v.iter_mut() {
        *x *= norm;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hadamard_preserves_energy() {
        let mut v = [1.0, -2.0, 0.5, 3.0, 0.0, 1.5, -1.0, 2.5];
        let e0: f32 = v.iter().map(|x| x * x).sum();
        hadamard(&mut v);
        let e1: f32 = v.iter().map(|x| x * x).sum();
        assert!((e0 - e1).abs() < 1e-4);
    }

    #[test]
    fn impulse_decays_at_the_set_rt60() {
        let sr = 48_000.0;
        let mut r = Reverb::new(sr);
        let rt60 = 2.0;
        // Damping far above the band keeps the decay frequency-independent for this check.
        r.set_decay(rt60, 20_000.0);
        let n = (3.0 * sr) as usize;
        let mut energy = vec![0.0f64; n];
        for (i, e) in energy.iter_mut().enumerate() {
            let x = if i == 0 { 1.0 } else { 0.0 };
            let (l, rr) = r.process(x, x);
            *e = (l * l + rr * rr) as f64;
        }
        // Schroeder backward integration, then the time from -5 dB to -25 dB (T20) x 3.
        let mut acc = 0.0;
        let mut edc = vec![0.0f64; n];
        for i in (0..n).rev() {
            acc += energy[i];
            edc[i] = acc;
        }
        let db = |i: usize| 10.0 * (edc[i] / edc[0]).log10();
        let t5 = (0..n).find(|&i| db(i) < -5.0).unwrap();
        let t25 = (0..n).find(|&i| db(i) < -25.0).unwrap();
        let measured = 3.0 * (t25 - t5) as f32 / sr;
        assert!((measured - rt60).abs() < 0.2 * rt60, "RT60 {measured} s");
        assert!(energy.iter().all(|e| e.is_finite()));
    }
}
