//! The built-in heart simulator: an ECG, a PPG or a stream of beat intervals from a heart
//! that breathes, so the heart programs work (and are tested) without a sensor.
//! Deterministic for a seed.
//!
//! The beats: each interval is `base − A(f)·sin(2π·breath phase) + Mayer wave + jitter`
//! (ms). Breathing in shortens the interval (respiratory sinus arrhythmia); the Mayer wave is
//! the 0.1 Hz baroreflex rhythm; the jitter is white, per beat. The RSA amplitude `A` grows as
//! breathing slows toward 6 per minute, the resonance frequency of the baroreflex (Lehrer &
//! Gevirtz 2014): three times its amount at 0.1 Hz, falling off with a 0.04 Hz Gaussian.
//!
//! The waveforms: the ECG is the sum of five Gaussian waves per beat (P, Q, R, S, T; the R
//! wave at the beat, 1 mV), with breathing's baseline wander and a little noise, in mV. The
//! PPG is a systolic and a diastolic Gaussian per beat, the systolic peak
//! [`PULSE_TRANSIT_S`] after the R wave, in arbitrary units.

use super::source::Generator;
use crate::features::heart::HeartKind;
use crate::math::Portable;
use crate::synth::rng::Rng;

/// From the R wave to the PPG's systolic peak, s.
pub const PULSE_TRANSIT_S: f64 = 0.25;

/// How the simulated listener breathes and how their heart answers.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HeartScript {
    /// At rest: 66 bpm, about 12 breaths per minute (the rate wanders by up to a quarter),
    /// RSA ±40 ms.
    Rest,
    /// Resonance breathing: 12 breaths per minute for a minute, then slowing linearly to 6
    /// per minute by minute 3 (as when following the pacer), then 6; 66 bpm.
    Resonance,
    /// Stressed: 84 bpm, about 16 breaths per minute (wandering as at rest), RSA ±12 ms.
    Stress,
    /// Steady breathing at this many breaths per minute; 66 bpm, RSA ±40 ms (before the
    /// resonance gain).
    Paced(f32),
}

impl HeartScript {
    /// Parses `rest`, `resonance`, `stress` or a breathing rate per minute (`6`, `4.5`).
    pub fn parse(name: &str) -> Result<Self, String> {
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "rest" | "" => Ok(HeartScript::Rest),
            "resonance" => Ok(HeartScript::Resonance),
            "stress" => Ok(HeartScript::Stress),
            other => match other.parse::<f32>() {
                Ok(r) if (2.0..=30.0).contains(&r) => Ok(HeartScript::Paced(r)),
                _ => Err(format!(
                    "'{other}' is not a heart simulator script; use rest, resonance, stress or a \
                     breathing rate from 2 to 30 per minute."
                )),
            },
        }
    }

    /// The script of a heart source written `sim` or `sim:SCRIPT` (`None` for anything else:
    /// a file whose name starts with "sim" is a file). The one reading of that syntax, for
    /// offline inputs, live sources and the CLI's checks.
    pub fn from_source(text: &str) -> Option<Result<Self, String>> {
        let rest = text.trim().strip_prefix("sim")?;
        if rest.is_empty() || rest.starts_with(':') {
            Some(Self::parse(rest.trim_start_matches(':')))
        } else {
            None
        }
    }

    /// Base interval (ms) and RSA amplitude before the resonance gain (ms).
    fn heart(self) -> (f64, f64) {
        match self {
            HeartScript::Stress => (60_000.0 / 84.0, 12.0),
            _ => (60_000.0 / 66.0, 40.0),
        }
    }

    /// The breathing rate (Hz) at `t` s and the breaths taken since 0 (closed form, so a seek
    /// lands on the same phase).
    pub fn breath(self, t: f64) -> (f64, f64) {
        let steady = |per_min: f64| (per_min / 60.0, per_min / 60.0 * t);
        // Unpaced breathing wanders: the rate swings ±15 % and ±10 % over 37 s and 23 s.
        let wandering = |per_min: f64| {
            let r = per_min / 60.0;
            let swing = |depth: f64, period: f64| {
                let w = std::f64::consts::TAU / period;
                (
                    depth * (w * t).libm_sin(),
                    depth / w * (1.0 - (w * t).libm_cos()),
                )
            };
            let (a, ia) = swing(0.15, 37.0);
            let (b, ib) = swing(0.10, 23.0);
            (r * (1.0 + a + b), r * (t + ia + ib))
        };
        match self {
            HeartScript::Rest => wandering(12.0),
            HeartScript::Stress => wandering(16.0),
            HeartScript::Paced(r) => steady(r as f64),
            HeartScript::Resonance => {
                let (r0, r1, a, b) = (0.2, 0.1, 60.0, 180.0);
                if t < a {
                    (r0, r0 * t)
                } else if t < b {
                    let u = t - a;
                    let slope = (r1 - r0) / (b - a);
                    (r0 + slope * u, r0 * a + r0 * u + 0.5 * slope * u * u)
                } else {
                    (r1, r0 * a + 0.5 * (r0 + r1) * (b - a) + r1 * (t - b))
                }
            }
        }
    }
}

/// The RSA gain at breathing rate `f` Hz: 1 far from resonance, 3 at 0.1 Hz.
fn resonance_gain(f: f64) -> f64 {
    1.0 + 2.0 * (-((f - 0.1) / 0.04).powi(2)).libm_exp()
}

/// The simulated heart's beats, one after another (the truth the waveforms are drawn from).
#[derive(Clone, Debug)]
pub struct BeatClock {
    /// The script.
    script: HeartScript,
    /// Jitter per beat.
    rng: Rng,
    /// The seed (for a restart).
    seed: u64,
    /// Time of the newest beat, s.
    time: f64,
}

impl BeatClock {
    /// The first beat is at 0.5 s.
    pub fn new(script: HeartScript, seed: u64) -> Self {
        Self {
            script,
            rng: Rng::new(seed ^ 0x0048_4541_5254),
            seed,
            time: 0.5,
        }
    }

    /// The interval that starts at the newest beat (ms), and moves on to the next beat;
    /// returns the new beat's time (s) and that interval.
    pub fn next_beat(&mut self) -> (f64, f64) {
        let t = self.time;
        let (base, rsa) = self.script.heart();
        let (rate, cycles) = self.script.breath(t);
        let phase = std::f64::consts::TAU * cycles;
        let mayer = 8.0 * (std::f64::consts::TAU * 0.1 * t + 1.0).libm_sin();
        let jitter = 10.0 * self.rng.bipolar() as f64;
        let rr = base - rsa * resonance_gain(rate) * phase.libm_sin() + mayer + jitter;
        self.time = t + rr / 1000.0;
        (self.time, rr)
    }

    /// The newest beat's time, s.
    pub fn time(&self) -> f64 {
        self.time
    }

    /// Back to the start.
    pub fn restart(&mut self) {
        *self = Self::new(self.script, self.seed);
    }
}

/// Settings of the heart simulator.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CardiacSimConfig {
    /// What it produces.
    pub kind: HeartKind,
    /// Sample rate for ECG and PPG, Hz.
    pub rate: f32,
    /// The breathing script.
    pub script: HeartScript,
    /// Random seed.
    pub seed: u64,
}

impl CardiacSimConfig {
    /// An ECG at 250 Hz (a Polar H10 streams 130 Hz; clinical ECGs 250–1000 Hz), a PPG at
    /// 64 Hz (Muse S), or intervals.
    pub fn new(kind: HeartKind, script: HeartScript) -> Self {
        Self {
            kind,
            rate: match kind {
                HeartKind::Ecg => 250.0,
                HeartKind::Ppg => 64.0,
                HeartKind::Rr => 1.0,
            },
            script,
            seed: 7,
        }
    }
}

/// One Gaussian wave of a beat: offset from the beat (s), amplitude, width (s).
type Wave = (f64, f64, f64);

/// The ECG's waves (offsets from the R wave, mV, widths): P, Q, R, S, T.
const ECG_WAVES: [Wave; 5] = [
    (-0.20, 0.15, 0.025),
    (-0.035, -0.12, 0.010),
    (0.0, 1.0, 0.011),
    (0.035, -0.25, 0.010),
    (0.30, 0.30, 0.060),
];
/// The PPG's waves (offsets from the systolic peak): systolic, diastolic.
const PPG_WAVES: [Wave; 2] = [(0.0, 1.0, 0.09), (0.32, 0.45, 0.12)];

/// The heart simulator as a [`Generator`] (one channel).
pub struct CardiacSim {
    /// Settings.
    config: CardiacSimConfig,
    /// The channel label.
    labels: Vec<String>,
    /// The beats.
    clock: BeatClock,
    /// Four beats around now (the newest last): the waves of neighbours overlap.
    beats: [f64; 4],
    /// The next sample's index (ECG, PPG).
    index: u64,
    /// Sensor noise.
    noise: Rng,
    /// The interval that ended at `beats[3]`, ms (RR streams).
    last_rr: f64,
}

impl CardiacSim {
    /// A simulator with `config`.
    pub fn new(config: CardiacSimConfig) -> Self {
        let mut s = Self {
            labels: vec![config.kind.name().to_string()],
            clock: BeatClock::new(config.script, config.seed),
            beats: [0.0; 4],
            index: 0,
            noise: Rng::new(config.seed.wrapping_mul(31) + 1),
            last_rr: 0.0,
            config,
        };
        s.restart();
        s
    }

    fn restart(&mut self) {
        self.clock.restart();
        self.noise = Rng::new(self.config.seed.wrapping_mul(31) + 1);
        self.index = 0;
        // Two beats before the first are far in the past; the first two are real.
        self.beats = [-10.0, -5.0, self.clock.time(), 0.0];
        self.beats[3] = self.clock.next_beat().0;
    }

    /// Moves the beat window on until the newest beat is after `t` (+ a wave's reach).
    fn advance_beats(&mut self, t: f64) {
        while self.beats[3] < t + 0.5 {
            let (b, rr) = self.clock.next_beat();
            self.beats = [self.beats[1], self.beats[2], self.beats[3], b];
            self.last_rr = rr;
        }
    }

    /// The waveform at `t` s.
    fn value(&mut self, t: f64) -> f64 {
        self.advance_beats(t);
        let (waves, shift): (&[Wave], f64) = match self.config.kind {
            HeartKind::Ppg => (&PPG_WAVES, PULSE_TRANSIT_S),
            _ => (&ECG_WAVES, 0.0),
        };
        let mut v = 0.0;
        for &b in &self.beats {
            for &(offset, amp, width) in waves {
                let x = (t - (b + shift + offset)) / width;
                if x.abs() < 6.0 {
                    v += amp * (-0.5 * x * x).libm_exp();
                }
            }
        }
        let (_, cycles) = self.config.script.breath(t);
        let wander = match self.config.kind {
            HeartKind::Ppg => 0.15,
            _ => 0.05,
        } * (std::f64::consts::TAU * cycles).libm_sin();
        v + wander + 0.01 * self.noise.bipolar() as f64
    }
}

impl Generator for CardiacSim {
    fn labels(&self) -> &[String] {
        &self.labels
    }

    fn rate(&self) -> f32 {
        self.config.rate
    }

    fn next(&mut self, out: &mut [f32]) -> Option<f64> {
        if self.config.kind == HeartKind::Rr {
            // One sample per beat: the interval that ends at it, at its time.
            let (t, rr) = self.clock.next_beat();
            out[0] = rr as f32;
            return Some(t);
        }
        let t = self.index as f64 / self.config.rate as f64;
        out[0] = self.value(t) as f32;
        self.index += 1;
        Some(t)
    }

    fn seek(&mut self, t: f64) {
        self.restart();
        if self.config.kind == HeartKind::Rr {
            while self.clock.time() < t {
                self.clock.next_beat();
            }
            return;
        }
        self.index = (t.max(0.0) * self.config.rate as f64).ceil() as u64;
        let s = self.index as f64 / self.config.rate as f64;
        // The noise stream is per sample: skip it ahead so a seek gives the same samples.
        for _ in 0..self.index {
            self.noise.bipolar();
        }
        self.advance_beats(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::heart::{HeartAnalyzer, HeartConfig};

    fn beats_until(script: HeartScript, seconds: f64) -> Vec<(f64, f64)> {
        let mut c = BeatClock::new(script, 7);
        let mut out = Vec::new();
        while c.time() < seconds {
            out.push(c.next_beat());
        }
        out
    }

    #[test]
    fn the_ecg_detector_finds_every_simulated_beat_within_10_ms() {
        for kind in [HeartKind::Ecg, HeartKind::Ppg] {
            let mut sim = CardiacSim::new(CardiacSimConfig::new(kind, HeartScript::Rest));
            let rate = sim.rate();
            let mut a = HeartAnalyzer::new(HeartConfig::live(kind, rate));
            let mut buf = [0.0f32];
            let mut found = Vec::new();
            while let Some(t) = sim.next(&mut buf) {
                if t > 120.0 {
                    break;
                }
                if let Some(b) = a.push(buf[0], t) {
                    found.push(b);
                }
            }
            let shift = if kind == HeartKind::Ppg {
                PULSE_TRANSIT_S
            } else {
                0.0
            };
            let truth: Vec<f64> = beats_until(HeartScript::Rest, 119.0)
                .iter()
                .map(|b| b.0 + shift)
                .filter(|t| *t > 3.0 && *t < 118.0)
                .collect();
            let mut worst = 0.0f64;
            for t in &truth {
                let near = found
                    .iter()
                    .map(|f| (f - t).abs())
                    .fold(f64::INFINITY, f64::min);
                worst = worst.max(near);
            }
            assert!(
                worst < 0.010,
                "{kind:?}: worst {worst:.4} s over {} beats",
                truth.len()
            );
            let extra = found.iter().filter(|f| **f > 3.0 && **f < 118.0).count();
            assert_eq!(extra, truth.len(), "{kind:?}: no extra beats");
        }
    }

    #[test]
    fn breathing_rate_from_rsa_is_within_half_a_breath_per_minute() {
        for per_min in [4.5f32, 6.0, 9.0, 12.0, 15.0] {
            let cfg = CardiacSimConfig::new(HeartKind::Rr, HeartScript::Paced(per_min));
            let mut sim = CardiacSim::new(cfg);
            let mut a = HeartAnalyzer::new(HeartConfig::live(HeartKind::Rr, 1.0));
            let mut buf = [0.0f32];
            while let Some(t) = sim.next(&mut buf) {
                a.push_rr(buf[0], t);
                if t > 150.0 {
                    break;
                }
            }
            let f = a.features();
            assert!(f.spectral_valid, "{f:?}");
            assert!(
                (f.breath_rate_bpm - per_min).abs() <= 0.5,
                "{per_min}/min measured {}",
                f.breath_rate_bpm
            );
        }
    }

    #[test]
    fn seeking_gives_the_same_samples() {
        let cfg = CardiacSimConfig::new(HeartKind::Ecg, HeartScript::Resonance);
        let mut a = CardiacSim::new(cfg);
        let mut b = CardiacSim::new(cfg);
        let mut buf = [0.0f32];
        let mut first = Vec::new();
        while let Some(t) = a.next(&mut buf) {
            if t >= 12.0 {
                first.push(buf[0]);
            }
            if first.len() == 500 {
                break;
            }
        }
        b.seek(12.0);
        let second: Vec<f32> = (0..500)
            .map(|_| {
                b.next(&mut buf);
                buf[0]
            })
            .collect();
        assert_eq!(first, second);
    }
}
