//! Success chimes: soft bell tones in key with the drone, struck at random moments with a
//! density the feedback engine sets (the "birds" of neurofeedback apps: a cue that says "you
//! are there" without demanding attention).
//!
//! Each strike picks one of the drone's current notes two or three octaves up, so the chimes
//! always belong to the chord. A voice is four sine partials (near-harmonic, like a small
//! tuned bell) with a 5 ms attack and per-partial exponential decays, panned at random.

use super::osc::{increment, Phasor, Sine};
use super::rng::Rng;
use super::CONTROL_BLOCK;
use crate::math::Portable;

/// Voices ringing at once; a new strike takes the quietest.
pub const VOICES: usize = 8;
/// Strikes per second at density 1: sparse enough to stay a cue, not a melody.
pub const MAX_RATE: f32 = 1.2;
/// Shortest time between strikes in seconds, so bursts never clump.
const MIN_GAP_S: f32 = 0.3;
/// Partial frequency ratios: a little stretched, like a real small bell or a glass.
const RATIOS: [f32; 4] = [1.0, 2.003, 3.01, 4.2];
/// Partial amplitudes: mostly fundamental, so it stays soft.
const AMPS: [f32; 4] = [1.0, 0.3, 0.12, 0.05];
/// Partial decay times (63 %) in seconds: higher partials die first, as in a struck bar.
const DECAYS: [f32; 4] = [2.2, 1.1, 0.6, 0.35];
/// Attack time in seconds: long enough not to click, short enough to sound struck.
const ATTACK_S: f32 = 0.005;

/// One ringing chime.
#[derive(Clone, Copy, Debug)]
struct Voice {
    /// Partial phases.
    phases: [Phasor; 4],
    /// Partial phase increments.
    incs: [u32; 4],
    /// Current partial amplitudes.
    env: [f32; 4],
    /// Per-sample decay multipliers.
    decay: [f32; 4],
    /// Attack progress 0..1 and its per-sample step.
    attack: f32,
    /// Per-sample attack step.
    attack_step: f32,
    /// Left and right gains (equal-power pan).
    pan: (f32, f32),
}

impl Voice {
    /// A silent voice.
    const SILENT: Self = Self {
        phases: [Phasor { phase: 0 }; 4],
        incs: [0; 4],
        env: [0.0; 4],
        decay: [0.0; 4],
        attack: 1.0,
        attack_step: 0.0,
        pan: (0.0, 0.0),
    };

    /// Loudness for voice stealing.
    fn level(&self) -> f32 {
        self.env[0] * self.attack
    }

    /// Whether the voice has died away (below -100 dB).
    fn is_silent(&self) -> bool {
        self.env[0] < 1e-5
    }
}

/// The chime layer.
pub struct Chimes {
    /// Voice slots.
    voices: [Voice; VOICES],
    /// Strike timing and note choice.
    rng: Rng,
    /// Seed, so `reset` replays the same strikes.
    seed: u64,
    /// Samples until another strike is allowed.
    gap: u32,
    /// Last note struck, to avoid repeating it.
    last_note: f32,
    /// Strikes since the last reset (for tests and meters).
    strikes: u64,
    /// Sine lookup.
    sine: Sine,
    /// Sample rate in Hz.
    sample_rate: f32,
}

impl Chimes {
    /// A chime layer at `sample_rate` with a deterministic `seed`.
    pub fn new(sample_rate: f32, seed: u64) -> Self {
        Self {
            voices: [Voice::SILENT; VOICES],
            rng: Rng::new(seed),
            seed,
            gap: 0,
            last_note: 0.0,
            strikes: 0,
            sine: Sine::new(),
            sample_rate,
        }
    }

    /// Changes the sample rate and resets.
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.sample_rate = sample_rate;
        self.reset();
    }

    /// Sets the seed the next [`Self::reset`] restarts from (a relock at a song position).
    pub fn set_seed(&mut self, seed: u64) {
        self.seed = seed;
    }

    /// Silences every voice and restarts the strike sequence.
    pub fn reset(&mut self) {
        self.voices = [Voice::SILENT; VOICES];
        self.rng = Rng::new(self.seed);
        self.gap = 0;
        self.last_note = 0.0;
        self.strikes = 0;
    }

    /// Starts a control block: maybe strikes a chime. `density` is 0..1 (strikes per second
    /// up to [`MAX_RATE`]); `notes` are the drone's current notes (MIDI numbers).
    pub fn control(&mut self, density: f32, notes: &[f32]) {
        self.gap = self.gap.saturating_sub(CONTROL_BLOCK as u32);
        let density = if density.is_finite() {
            density.clamp(0.0, 1.0)
        } else {
            0.0
        };
        // One draw per control block keeps the strike process independent of host blocks.
        let chance = density * MAX_RATE * CONTROL_BLOCK as f32 / self.sample_rate;
        let draw = self.rng.unit();
        if notes.is_empty() || self.gap > 0 || draw >= chance {
            return;
        }
        let pick = (self.rng.unit() * notes.len() as f32) as usize;
        let octave = if self.rng.unit() < 0.6 { 24.0 } else { 36.0 };
        let mut note = notes[pick.min(notes.len() - 1)] + octave;
        if note == self.last_note {
            // The neighbouring chord tone instead: repeated pitches sound mechanical.
            note = notes[(pick + 1) % notes.len()] + octave;
        }
        // Keep the bell in a gentle register whatever the drone's root.
        while note > 96.0 {
            note -= 12.0;
        }
        self.last_note = note;
        let velocity = 0.55 + 0.45 * self.rng.unit();
        let pan = 0.5 + 0.35 * self.rng.bipolar();
        self.strike(note, velocity, pan);
        self.strikes += 1;
        self.gap = (MIN_GAP_S * self.sample_rate) as u32;
    }

    /// Starts a voice on `note` (MIDI number) at `velocity` 0..1 and `pan` 0 (left)..1 (right).
    pub fn strike(&mut self, note: f32, velocity: f32, pan: f32) {
        let sr = self.sample_rate;
        let f0 = 440.0 * ((note - 69.0) / 12.0).libm_exp2();
        let slot = self
            .voices
            .iter()
            .enumerate()
            .min_by(|a, b| a.1.level().total_cmp(&b.1.level()))
            .map_or(0, |(i, _)| i);
        let v = &mut self.voices[slot];
        let angle = pan.clamp(0.0, 1.0) * std::f32::consts::FRAC_PI_2;
        v.pan = (angle.libm_cos(), angle.libm_sin());
        for p in 0..RATIOS.len() {
            let f = (f0 * RATIOS[p]).min(0.45 * sr);
            v.incs[p] = increment(f as f64, sr as f64);
            v.phases[p] = Phasor::new(0.0);
            v.env[p] = velocity * AMPS[p];
            // Higher notes ring shorter, as small bells do.
            let tau = DECAYS[p] * (440.0 / f0).libm_powf(0.3).clamp(0.5, 1.5);
            v.decay[p] = (-1.0 / (tau * sr)).libm_exp();
        }
        v.attack = 0.0;
        v.attack_step = 1.0 / (ATTACK_S * sr);
    }

    /// Strikes since the last reset.
    pub fn strikes(&self) -> u64 {
        self.strikes
    }

    /// Number of voices still ringing.
    pub fn ringing(&self) -> usize {
        self.voices.iter().filter(|v| !v.is_silent()).count()
    }

    /// Adds the ringing voices into `left`/`right` at gain `gain`.
    pub fn render(&mut self, gain: f32, left: &mut [f32], right: &mut [f32]) {
        let sine = self.sine;
        for v in self.voices.iter_mut().filter(|v| !v.is_silent()) {
            for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                let mut s = 0.0;
                for p in 0..RATIOS.len() {
                    s += v.env[p] * sine.at(v.phases[p].tick(v.incs[p]));
                    v.env[p] *= v.decay[p];
                }
                v.attack = (v.attack + v.attack_step).min(1.0);
                let y = gain * v.attack * s;
                *l += v.pan.0 * y;
                *r += v.pan.1 * y;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(ch: &mut Chimes, density: f32, seconds: f32) -> (Vec<f32>, u64) {
        let blocks = (seconds * ch.sample_rate) as usize / CONTROL_BLOCK;
        let mut out = vec![0.0; blocks * CONTROL_BLOCK];
        let mut r = vec![0.0; CONTROL_BLOCK];
        let before = ch.strikes();
        for b in out.chunks_mut(CONTROL_BLOCK) {
            ch.control(density, &[45.0, 52.0, 59.0]);
            r.fill(0.0);
            ch.render(1.0, b, &mut r);
        }
        (out, ch.strikes() - before)
    }

    #[test]
    fn density_sets_the_strike_rate() {
        let mut ch = Chimes::new(48_000.0, 3);
        let (_, none) = run(&mut ch, 0.0, 20.0);
        assert_eq!(none, 0);
        let (_, full) = run(&mut ch, 1.0, 200.0);
        // Poisson with a 0.3 s dead time: rate = r / (1 + r * gap) = 0.88 /s.
        let expected = MAX_RATE / (1.0 + MAX_RATE * MIN_GAP_S) * 200.0;
        let got = full as f32;
        assert!(
            (got - expected).abs() < 0.15 * expected,
            "{got} strikes, expected about {expected}"
        );
        let (_, half) = run(&mut ch, 0.5, 200.0);
        assert!(half < full && half > full / 4, "{half} vs {full}");
    }

    #[test]
    fn chimes_decay_to_silence_and_stay_finite() {
        let mut ch = Chimes::new(44_100.0, 1);
        ch.strike(81.0, 1.0, 0.5);
        let (out, _) = run(&mut ch, 0.0, 25.0);
        assert!(out.iter().all(|x| x.is_finite()));
        let peak = out.iter().fold(0.0f32, |a, x| a.max(x.abs()));
        assert!(peak > 0.3 && peak < 1.5, "peak {peak}");
        let tail = &out[out.len() - 4410..];
        assert!(tail.iter().all(|x| x.abs() < 1e-4), "still ringing");
        assert_eq!(ch.ringing(), 0);
        // No click: the first samples rise gradually (5 ms attack).
        let mut ch = Chimes::new(44_100.0, 1);
        let mut l = vec![0.0; 64];
        let mut r = vec![0.0; 64];
        ch.strike(81.0, 1.0, 0.5);
        ch.render(1.0, &mut l, &mut r);
        let steps = l
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(steps < 0.05, "largest step {steps}");
    }

    #[test]
    fn strikes_are_chord_tones() {
        let mut ch = Chimes::new(48_000.0, 7);
        for _ in 0..20_000 {
            ch.control(1.0, &[45.0, 52.0, 59.0]);
            if ch.last_note != 0.0 {
                let pc = (ch.last_note as i32).rem_euclid(12);
                assert!(
                    [9, 4, 11].contains(&pc),
                    "note {} off the chord",
                    ch.last_note
                );
            }
        }
    }
}
