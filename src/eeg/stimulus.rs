//! Test stimuli for the feedback loop: a 1/f ("pink") background plus one rhythm whose
//! amplitude follows a known envelope, so the loop's latency and fidelity can be measured
//! against the truth (`melodiasync bench loop`, `tests/loop_latency.rs`).
//!
//! Every channel carries the same rhythm (random phase per channel) on its own independent
//! background; the background is scaled to a chosen standard deviation over the whole
//! recording. Deterministic for a seed.

use super::recording::Recording;
use super::sim::LABELS_10_20;
use crate::synth::noise::PinkFilter;
use crate::synth::rng::Rng;

/// How the rhythm's amplitude evolves.
#[derive(Clone, Debug, PartialEq)]
pub enum Envelope {
    /// Constant amplitude, µV.
    Steady(f32),
    /// `low` µV, then `high` from `up_s` to `down_s` seconds, then `low` again.
    Step {
        /// Amplitude before and after, µV.
        low: f32,
        /// Amplitude between the steps, µV.
        high: f32,
        /// Time of the step up, s.
        up_s: f64,
        /// Time of the step down, s.
        down_s: f64,
    },
    /// A smooth random wander between `low` and `high` µV: a sum of sinusoids with
    /// frequencies in 0.03–`max_hz` Hz (random phases), scaled to span the range exactly
    /// over the recording.
    Wander {
        /// Lowest amplitude, µV.
        low: f32,
        /// Highest amplitude, µV.
        high: f32,
        /// Highest modulation frequency, Hz.
        max_hz: f32,
    },
}

/// When the held state of [`Stimulus::hold`] is reached, s.
pub const HOLD_UP_S: f64 = 60.0;
/// When it ends, s.
pub const HOLD_DOWN_S: f64 = 180.0;
/// The end of the hold stimulus, s.
pub const HOLD_END_S: f64 = 240.0;

/// The sinusoids of a wander envelope and the range of their sum.
struct WanderParts {
    /// (frequency Hz, phase rad) of each sinusoid.
    parts: Vec<(f64, f64)>,
    /// Lowest value of the sum over the recording.
    lo: f64,
    /// Highest value.
    hi: f64,
}

/// A stimulus: background, rhythm and its envelope.
#[derive(Clone, Debug, PartialEq)]
pub struct Stimulus {
    /// Channels (10-20 labels in the simulator's order).
    pub channels: usize,
    /// Sample rate, Hz.
    pub rate: f32,
    /// Length, s.
    pub seconds: f64,
    /// Background standard deviation per channel, µV.
    pub background_std: f32,
    /// Rhythm frequency, Hz.
    pub rhythm_hz: f32,
    /// Rhythm amplitude (peak, µV) over time.
    pub envelope: Envelope,
    /// Channels (by label) that carry the rhythm; empty: all.
    pub rhythm_on: Vec<String>,
    /// Constant amplitude (µV) of the same rhythm on the channels not in `rhythm_on`.
    pub others_amplitude: f32,
    /// Random seed.
    pub seed: u64,
}

impl Stimulus {
    /// `seconds` of 8 channels at 256 Hz with an 8 µV background and a `rhythm_hz` rhythm
    /// following `envelope` (the reference recordings).
    pub fn new(rhythm_hz: f32, envelope: Envelope, seconds: f64, seed: u64) -> Self {
        Self {
            channels: 8,
            rate: 256.0,
            seconds,
            background_std: 8.0,
            rhythm_hz,
            envelope,
            rhythm_on: Vec::new(),
            others_amplitude: 0.0,
            seed,
        }
    }

    /// The held state of issue 27 (`bench loop`'s hold figures, `tests/hold.rs`): 6 channels
    /// at 250 Hz, a 7 µV pink background, and a `rhythm_hz` rhythm at 3 µV rising to 15 µV at
    /// [`HOLD_UP_S`], held there for two minutes and back at [`HOLD_DOWN_S`], for
    /// [`HOLD_END_S`] seconds; amplitudes times `scale` (the listener's strength).
    pub fn hold(rhythm_hz: f32, scale: f32, seed: u64) -> Self {
        Self {
            channels: 6,
            rate: 250.0,
            background_std: 7.0,
            ..Self::new(
                rhythm_hz,
                Envelope::Step {
                    low: 3.0 * scale,
                    high: 15.0 * scale,
                    up_s: HOLD_UP_S,
                    down_s: HOLD_DOWN_S,
                },
                HOLD_END_S,
                seed,
            )
        }
    }

    /// Channel labels.
    pub fn labels(&self) -> Vec<String> {
        (0..self.channels)
            .map(|i| {
                LABELS_10_20
                    .get(i)
                    .map_or_else(|| format!("E{}", i + 1), |l| l.to_string())
            })
            .collect()
    }

    /// The wander's sinusoids and raw range, or nothing for the other envelopes.
    fn wander_parts(&self) -> Option<WanderParts> {
        let Envelope::Wander { max_hz, .. } = self.envelope else {
            return None;
        };
        let mut rng = Rng::new(self.seed ^ 0x5EED_F00D);
        let parts: Vec<(f64, f64)> = (0..12)
            .map(|_| {
                let f = 0.03 + (max_hz as f64 - 0.03) * rng.unit() as f64;
                (f, std::f64::consts::TAU * rng.unit() as f64)
            })
            .collect();
        let raw = |t: f64| -> f64 {
            parts
                .iter()
                .map(|(f, p)| (std::f64::consts::TAU * f * t + p).sin())
                .sum()
        };
        let steps = (self.seconds * 100.0) as usize + 1;
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for i in 0..steps {
            let v = raw(i as f64 / 100.0);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        Some(WanderParts { parts, lo, hi })
    }

    /// The rhythm's true amplitude at every `step_s` seconds from 0 (µV).
    pub fn envelope_series(&self, step_s: f64) -> Vec<f32> {
        let n = (self.seconds / step_s).floor() as usize;
        let wander = self.wander_parts();
        (0..n)
            .map(|i| self.amplitude_at(i as f64 * step_s, wander.as_ref()))
            .collect()
    }

    /// The amplitude at `t` (µV).
    fn amplitude_at(&self, t: f64, wander: Option<&WanderParts>) -> f32 {
        match self.envelope {
            Envelope::Steady(a) => a,
            Envelope::Step {
                low,
                high,
                up_s,
                down_s,
            } => {
                if t >= up_s && t < down_s {
                    high
                } else {
                    low
                }
            }
            Envelope::Wander { low, high, .. } => {
                let WanderParts { parts, lo, hi } =
                    wander.expect("wander parts for a wander envelope");
                let v: f64 = parts
                    .iter()
                    .map(|(f, p)| (std::f64::consts::TAU * f * t + p).sin())
                    .sum();
                let u = ((v - lo) / (hi - lo).max(1e-12)).clamp(0.0, 1.0);
                low + (high - low) * u as f32
            }
        }
    }

    /// Generates the recording (µV, interleaved).
    pub fn recording(&self) -> Recording {
        let labels = self.labels();
        let ch = self.channels;
        let n = (self.seconds * self.rate as f64).round() as usize;
        let mut rng = Rng::new(self.seed);
        let mut pinks: Vec<PinkFilter> = (0..ch).map(|_| PinkFilter::new(self.rate)).collect();
        let phases: Vec<f64> = (0..ch)
            .map(|_| std::f64::consts::TAU * rng.unit() as f64)
            .collect();
        // Let the pink filters settle before the first kept sample.
        for p in pinks.iter_mut() {
            for _ in 0..(10.0 * self.rate) as usize {
                p.process(rng.bipolar());
            }
        }
        let mut samples = vec![0.0f32; n * ch];
        for i in 0..n {
            for (c, p) in pinks.iter_mut().enumerate() {
                samples[i * ch + c] = p.process(rng.bipolar());
            }
        }
        // Scale each channel's background to the chosen standard deviation.
        for c in 0..ch {
            let (mut s, mut s2) = (0.0f64, 0.0f64);
            for i in 0..n {
                let x = samples[i * ch + c] as f64;
                s += x;
                s2 += x * x;
            }
            let mean = s / n.max(1) as f64;
            let sd = (s2 / n.max(1) as f64 - mean * mean).max(1e-30).sqrt();
            let g = self.background_std as f64 / sd;
            for i in 0..n {
                let x = &mut samples[i * ch + c];
                *x = ((*x as f64 - mean) * g) as f32;
            }
        }
        let carries: Vec<bool> = labels
            .iter()
            .map(|l| {
                self.rhythm_on.is_empty()
                    || self.rhythm_on.iter().any(|r| r.eq_ignore_ascii_case(l))
            })
            .collect();
        let wander = self.wander_parts();
        let w = std::f64::consts::TAU * self.rhythm_hz as f64;
        for i in 0..n {
            let t = i as f64 / self.rate as f64;
            let a = self.amplitude_at(t, wander.as_ref());
            for c in 0..ch {
                let amp = if carries[c] { a } else { self.others_amplitude };
                samples[i * ch + c] += amp * (w * t + phases[c]).sin() as f32;
            }
        }
        Recording::continuous(labels, self.rate, samples)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn background_has_the_chosen_spread_and_the_step_is_where_it_says() {
        let s = Stimulus::new(
            10.0,
            Envelope::Step {
                low: 0.0,
                high: 20.0,
                up_s: 5.0,
                down_s: 8.0,
            },
            10.0,
            3,
        );
        let rec = s.recording();
        assert_eq!(rec.frames(), 2560);
        // Before the step: background only, 8 µV.
        let sd = |from: usize, to: usize| {
            let v: Vec<f64> = (from..to).map(|i| rec.frame(i)[0] as f64).collect();
            let m = v.iter().sum::<f64>() / v.len() as f64;
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len() as f64).sqrt()
        };
        let before = sd(0, 1200);
        assert!((before - 8.0).abs() < 1.5, "{before}");
        // During: a 20 µV sine adds 20²/2 to the variance.
        let during = sd(1300, 2000);
        let want = (before * before + 200.0).sqrt();
        assert!((during - want).abs() < 2.0, "{during} vs {want}");
        let env = s.envelope_series(0.5);
        assert_eq!(env[9], 0.0);
        assert_eq!(env[10], 20.0);
        assert_eq!(env[16], 0.0);
    }

    #[test]
    fn wander_spans_its_range() {
        let s = Stimulus::new(
            10.0,
            Envelope::Wander {
                low: 2.0,
                high: 20.0,
                max_hz: 0.7,
            },
            120.0,
            1,
        );
        let env = s.envelope_series(0.01);
        let lo = env.iter().cloned().fold(f32::INFINITY, f32::min);
        let hi = env.iter().cloned().fold(0.0, f32::max);
        assert!(
            (lo - 2.0).abs() < 0.05 && (hi - 20.0).abs() < 0.05,
            "{lo} {hi}"
        );
    }
}
