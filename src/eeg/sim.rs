//! The built-in EEG simulator: realistic synthetic EEG with scripted dynamics, so MelodiaSync
//! works (and can be demonstrated and tested) without a headset. Deterministic for a seed.
//!
//! Each channel is a 1/f background (pink-filtered noise) plus alpha (9.5–10.5 Hz, strongest
//! over parietal/occipital sites), theta (6 Hz, frontal-central) and beta (20 Hz) oscillations
//! whose amplitudes follow a [`Script`], plus eye blinks (100 µV, 0.3 s) on frontal channels
//! every 3–8 s. Values are in µV.

use crate::math::Portable;
use crate::synth::noise::PinkFilter;
use crate::synth::rng::Rng;

/// Standard 10-20 labels, in the order channels are assigned.
pub const LABELS_10_20: [&str; 21] = [
    "Fp1", "Fp2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2", "F7", "F8", "T7", "T8", "P7",
    "P8", "Fz", "Cz", "Pz", "Oz", "Fpz",
];

/// How band amplitudes evolve over a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Script {
    /// Constant amplitudes (alpha 10 µV, theta 5 µV, beta 3 µV).
    Steady,
    /// A relaxation session: alpha rises from 4 to 20 µV over the first 5 minutes while beta
    /// falls from 5 to 2 µV; then holds.
    Calm,
    /// 20 s eyes open / 20 s eyes closed: alpha bursts to 25 µV with the eyes closed.
    EyesClosed,
    /// Focus: over 3 minutes the sensorimotor rhythm (13.5 Hz) rises from 2 to 9 µV, beta
    /// (20 Hz) from 3 to 5 µV, and theta falls from 7 to 3 µV.
    Focus,
    /// A listener relaxing over a guided session: alpha rises from 4 to 22 µV over the first
    /// 6 minutes while beta falls from 5 to 2 µV; from minute 7 to 12 theta rises from 5 to
    /// 16 µV and alpha eases back to 14 µV (deep rest); then holds.
    Relax,
    /// Falling asleep: alpha rises to 18 µV over 4 minutes, then from minute 5 to 15 fades to
    /// 3 µV while theta rises from 5 to 16 µV; delta (2 Hz) grows from 0 to 30 µV from minute 6
    /// to 20; beta falls from 4 to 1.5 µV over the first 10 minutes.
    Drowse,
    /// Two hours of slow drift: alpha waxes and wanes (±30 %, a new value every 2 s) around a
    /// level that falls from 12 to 8 µV as drowsiness sets in, theta rises from 5 to 8 µV, and
    /// the background grows by 40 % as the electrodes dry; then holds.
    Drift,
}

impl Script {
    /// Parses a script name (`steady`, `calm`, `eyes-closed`, `focus`, `relax`, `drowse`,
    /// `drift`).
    pub fn parse(name: &str) -> Result<Self, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "steady" => Ok(Script::Steady),
            "calm" => Ok(Script::Calm),
            "eyes-closed" | "eyes" => Ok(Script::EyesClosed),
            "focus" => Ok(Script::Focus),
            "relax" => Ok(Script::Relax),
            "drowse" => Ok(Script::Drowse),
            "drift" => Ok(Script::Drift),
            other => Err(format!(
                "'{other}' is not a simulator script; use steady, calm, eyes-closed, focus, \
                 relax, drowse or drift."
            )),
        }
    }

    /// The rhythms' amplitudes in µV at `t` seconds.
    pub fn amplitudes(self, t: f64) -> Rhythms {
        let (alpha, theta, beta) = self.rhythms(t);
        let between = |from: f64, to: f64| ((t - from) / (to - from)).clamp(0.0, 1.0) as f32;
        let (delta, smr) = match self {
            // Only these scripts have them (the 1/f background carries some of each).
            Script::Drowse => (30.0 * between(360.0, 1200.0), 0.0),
            Script::Focus => (0.0, 2.0 + 7.0 * between(0.0, 180.0)),
            _ => (0.0, 0.0),
        };
        Rhythms {
            alpha,
            theta,
            beta,
            delta,
            smr,
        }
    }

    /// (alpha, theta, beta) amplitudes in µV at `t` seconds.
    fn rhythms(self, t: f64) -> (f32, f32, f32) {
        let ramp = |secs: f64| (t / secs).clamp(0.0, 1.0) as f32;
        let between = |from: f64, to: f64| ((t - from) / (to - from)).clamp(0.0, 1.0) as f32;
        match self {
            Script::Steady => (10.0, 5.0, 3.0),
            Script::Calm => {
                let r = ramp(300.0);
                (4.0 + 16.0 * r, 5.0, 5.0 - 3.0 * r)
            }
            Script::EyesClosed => {
                // Smooth 1 s transitions between the states.
                let phase = (t % 40.0) as f32;
                let closed = ((phase - 20.0).clamp(0.0, 1.0) - (phase - 39.0).clamp(0.0, 1.0))
                    .clamp(0.0, 1.0);
                (5.0 + 20.0 * closed, 5.0, 3.0)
            }
            Script::Focus => {
                let r = ramp(180.0);
                (8.0, 7.0 - 4.0 * r, 3.0 + 2.0 * r)
            }
            Script::Relax => {
                let (up, deep) = (ramp(360.0), between(420.0, 720.0));
                (
                    4.0 + 18.0 * up - 8.0 * deep,
                    5.0 + 11.0 * deep,
                    5.0 - 3.0 * up,
                )
            }
            Script::Drowse => {
                let (up, fade) = (ramp(240.0), between(300.0, 900.0));
                (
                    4.0 + 14.0 * up - 15.0 * fade,
                    5.0 + 11.0 * fade,
                    4.0 - 2.5 * ramp(600.0),
                )
            }
            Script::Drift => {
                let drift = ramp(DRIFT_S);
                let wax = 1.0 + 0.3 * wax_and_wane(t);
                ((12.0 - 4.0 * drift) * wax, 5.0 + 3.0 * drift, 3.0)
            }
        }
    }

    /// The background's gain at `t` (1 but for Drift, whose electrodes dry).
    pub fn background_gain(self, t: f64) -> f32 {
        match self {
            Script::Drift => 1.0 + 0.4 * (t / DRIFT_S).clamp(0.0, 1.0) as f32,
            _ => 1.0,
        }
    }
}

/// How long the Drift script drifts, s.
const DRIFT_S: f64 = 7200.0;

/// Seconds between the independent values of [`wax_and_wane`].
const WAX_KNOT_S: f64 = 2.0;

/// A natural waxing and waning in -1..1: an independent value every [`WAX_KNOT_S`] seconds
/// (hashed from its index), joined by raised-cosine curves. A function of time, so seeking
/// lands on the same value.
fn wax_and_wane(t: f64) -> f32 {
    let knot = |k: i64| {
        // splitmix64 of the knot's index: independent values without a stored stream.
        let mut z = (k as u64).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let x = t.max(0.0) / WAX_KNOT_S;
    let k = x.floor();
    let u = 0.5 - 0.5 * (std::f64::consts::PI * (x - k)).libm_cos();
    let (a, b) = (knot(k as i64), knot(k as i64 + 1));
    (a + (b - a) * u) as f32
}

/// Rhythm amplitudes at one moment, µV.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rhythms {
    /// Alpha (9.5-10.5 Hz, posterior).
    pub alpha: f32,
    /// Theta (6 Hz, frontal-central).
    pub theta: f32,
    /// Beta (20 Hz).
    pub beta: f32,
    /// Delta (2 Hz, frontal-central).
    pub delta: f32,
    /// Sensorimotor rhythm (13.5 Hz, central).
    pub smr: f32,
}

impl Rhythms {
    /// Every amplitude times `gain` (exact for a gain of 1).
    pub fn scaled(self, gain: f32) -> Self {
        Self {
            alpha: self.alpha * gain,
            theta: self.theta * gain,
            beta: self.beta * gain,
            delta: self.delta * gain,
            smr: self.smr * gain,
        }
    }
}

/// Simulator settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SimConfig {
    /// Channel count.
    pub channels: usize,
    /// Sample rate in Hz.
    pub rate: f32,
    /// Amplitude script.
    pub script: Script,
    /// Random seed.
    pub seed: u64,
    /// Whether frontal channels get blinks.
    pub blinks: bool,
    /// The listener's strength: every rhythm's amplitude times this (2 is four times the
    /// power; the background stays), for tests and `bench loop`.
    #[serde(default = "SimConfig::unit_gain")]
    pub rhythm_gain: f32,
}

impl SimConfig {
    /// For serde's default: the script's own amplitudes.
    fn unit_gain() -> f32 {
        1.0
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            channels: 8,
            rate: 256.0,
            script: Script::Calm,
            seed: 1,
            blinks: true,
            rhythm_gain: 1.0,
        }
    }
}

/// Per-channel generator state.
struct Channel {
    /// 1/f background.
    pink: PinkFilter,
    /// Alpha phase offset and frequency.
    alpha_hz: f32,
    /// Spatial weights (alpha, theta, beta).
    weights: (f32, f32, f32),
    /// Frontal (blinks show here).
    frontal: bool,
    /// Random phase offsets.
    phases: [f32; 3],
}

/// The simulator.
pub struct Simulator {
    /// Settings.
    cfg: SimConfig,
    /// Channel states.
    channels: Vec<Channel>,
    /// Channel labels.
    labels: Vec<String>,
    /// Noise source.
    rng: Rng,
    /// The noise source as created (a seek to 0 starts from it).
    rng_start: Rng,
    /// Samples generated.
    n: u64,
    /// Sample index of the current blink's start, and of the next one.
    blink: (u64, u64),
}

impl super::source::Generator for Simulator {
    fn labels(&self) -> &[String] {
        Simulator::labels(self)
    }

    fn rate(&self) -> f32 {
        Simulator::rate(self)
    }

    /// Endless: always a sample, at `n / rate`.
    fn next(&mut self, out: &mut [f32]) -> Option<f64> {
        let t = self.elapsed();
        Simulator::next_sample(self, out);
        Some(t)
    }

    /// The rhythms follow time itself; the noise and the blinks restart from a stream seeded
    /// by the position ([`crate::transport::seed_at`]), and time 0 is the start as created.
    fn seek(&mut self, t: f64) {
        self.n = (t.max(0.0) * self.cfg.rate as f64).ceil() as u64;
        self.rng = if self.n == 0 {
            self.rng_start
        } else {
            Rng::new(crate::transport::seed_at(self.cfg.seed, self.n as i64))
        };
        for ch in &mut self.channels {
            ch.pink.reset();
        }
        self.blink = (u64::MAX, self.n + (3.0 * self.cfg.rate) as u64);
    }
}

impl Simulator {
    /// A simulator for `cfg`.
    pub fn new(cfg: SimConfig) -> Result<Self, String> {
        if cfg.channels == 0 || cfg.channels > 1024 {
            return Err(format!(
                "The simulator takes 1 to 1024 channels, not {}.",
                cfg.channels
            ));
        }
        if !(cfg.rhythm_gain.is_finite() && (0.0..=100.0).contains(&cfg.rhythm_gain)) {
            return Err(format!(
                "The simulator's rhythm gain is 0 to 100, not {}.",
                cfg.rhythm_gain
            ));
        }
        if !(cfg.rate.is_finite() && (32.0..=20_000.0).contains(&cfg.rate)) {
            return Err(format!(
                "The simulator runs at 32 Hz to 20 kHz, not {} Hz.",
                cfg.rate
            ));
        }
        let mut rng = Rng::new(cfg.seed);
        let labels: Vec<String> = (0..cfg.channels)
            .map(|i| {
                LABELS_10_20
                    .get(i)
                    .map_or_else(|| format!("E{}", i + 1), |l| l.to_string())
            })
            .collect();
        let channels = labels
            .iter()
            .map(|l| {
                let lower = l.to_ascii_lowercase();
                let posterior = lower.starts_with('o') || lower.starts_with('p');
                let frontal = lower.starts_with("fp") || lower.starts_with('f');
                Channel {
                    pink: PinkFilter::new(cfg.rate),
                    alpha_hz: 9.5 + rng.unit(),
                    weights: (
                        if posterior { 1.0 } else { 0.5 },
                        if frontal || lower.starts_with('c') {
                            1.0
                        } else {
                            0.6
                        },
                        0.8 + 0.4 * rng.unit(),
                    ),
                    frontal: lower.starts_with("fp") || lower == "f7" || lower == "f8",
                    phases: [rng.unit(), rng.unit(), rng.unit()],
                }
            })
            .collect();
        let first_blink = (3.0 * cfg.rate) as u64;
        Ok(Self {
            cfg,
            channels,
            labels,
            rng_start: rng,
            rng,
            n: 0,
            blink: (u64::MAX, first_blink),
        })
    }

    /// Channel labels.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Sample rate in Hz.
    pub fn rate(&self) -> f32 {
        self.cfg.rate
    }

    /// Seconds of EEG generated so far.
    pub fn elapsed(&self) -> f64 {
        self.n as f64 / self.cfg.rate as f64
    }

    /// Writes the next sample (one value per channel) into `out`.
    pub fn next_sample(&mut self, out: &mut [f32]) {
        let t = self.elapsed();
        let r = self.cfg.script.amplitudes(t).scaled(self.cfg.rhythm_gain);
        if self.n >= self.blink.1 {
            self.blink = (
                self.n,
                self.n + ((3.0 + 5.0 * self.rng.unit()) * self.cfg.rate) as u64,
            );
        }
        let blink_len = (0.3 * self.cfg.rate) as u64;
        let blink =
            if self.cfg.blinks && self.n >= self.blink.0 && self.n - self.blink.0 < blink_len {
                100.0
                    * (std::f64::consts::PI * (self.n - self.blink.0) as f64 / blink_len as f64)
                        .libm_sin() as f32
            } else {
                0.0
            };
        let tau = std::f64::consts::TAU;
        let gain = self.cfg.script.background_gain(t);
        for (ch, o) in self.channels.iter_mut().zip(out.iter_mut()) {
            let osc = |f: f32, p: f32| ((tau * (f as f64 * t + p as f64)).libm_sin()) as f32;
            let background = 6.0 * gain * ch.pink.process(self.rng.bipolar());
            // Delta and SMR take their phases from theta's and beta's, so adding them left
            // the random streams (and the other scripts' samples) as they were.
            let extra = |amp: f32, f: f32, p: f32| if amp > 0.0 { amp * osc(f, p) } else { 0.0 };
            *o = background
                + r.alpha * ch.weights.0 * osc(ch.alpha_hz, ch.phases[0])
                + r.theta * ch.weights.1 * osc(6.0, ch.phases[1])
                + r.beta * ch.weights.2 * osc(20.0, ch.phases[2])
                + ch.weights.1 * extra(r.delta, 2.0, 0.37 + ch.phases[1])
                + ch.weights.1 * extra(r.smr, 13.5, 0.61 + ch.phases[2])
                + if ch.frontal { blink } else { 0.0 };
        }
        self.n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::bands::ALPHA;
    use crate::features::{Extractor, ExtractorConfig};

    #[test]
    fn calm_script_raises_alpha_and_is_deterministic() {
        let cfg = SimConfig {
            channels: 4,
            rate: 128.0,
            script: Script::Calm,
            seed: 3,
            blinks: false,
            rhythm_gain: 1.0,
        };
        let mut sim = Simulator::new(cfg.clone()).unwrap();
        let mut ex = Extractor::new(ExtractorConfig::new(128.0, sim.labels().to_vec())).unwrap();
        let mut s = vec![0.0; 4];
        let mut early = Vec::new();
        let mut late = Vec::new();
        for i in 0..(128 * 320) {
            sim.next_sample(&mut s);
            if let Some(f) = ex.push(&s, i as f64 / 128.0) {
                if f.time < 20.0 {
                    early.push(f.bands[ALPHA].abs);
                } else if f.time > 300.0 {
                    late.push(f.bands[ALPHA].abs);
                }
            }
        }
        let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
        assert!(
            mean(&late) > 5.0 * mean(&early),
            "{} vs {}",
            mean(&late),
            mean(&early)
        );
        let mut a = Simulator::new(cfg.clone()).unwrap();
        let mut b = Simulator::new(cfg).unwrap();
        let (mut x, mut y) = (vec![0.0; 4], vec![0.0; 4]);
        for _ in 0..1000 {
            a.next_sample(&mut x);
            b.next_sample(&mut y);
            assert_eq!(x, y);
        }
        assert_eq!(&a.labels()[..2], ["Fp1", "Fp2"]);
    }

    #[test]
    fn blinks_appear_on_frontal_channels_only() {
        let cfg = SimConfig {
            channels: 10,
            rate: 256.0,
            script: Script::Steady,
            seed: 5,
            blinks: true,
            rhythm_gain: 1.0,
        };
        let mut sim = Simulator::new(cfg).unwrap();
        let mut s = vec![0.0; 10];
        let mut peak = vec![0.0f32; 10];
        for _ in 0..(256 * 20) {
            sim.next_sample(&mut s);
            for (p, v) in peak.iter_mut().zip(&s) {
                *p = p.max(v.abs());
            }
        }
        assert!(peak[0] > 80.0 && peak[1] > 80.0, "{peak:?}");
        assert!(peak[8] < 80.0 && peak[9] < 80.0, "{peak:?}");
    }

    #[test]
    fn a_seek_gives_the_same_samples_for_the_same_time() {
        use crate::eeg::source::Generator;
        let cfg = SimConfig {
            channels: 2,
            rate: 128.0,
            ..SimConfig::default()
        };
        let take = |sim: &mut Simulator| -> Vec<f32> {
            let mut out = vec![0.0; 2];
            (0..256)
                .flat_map(|_| {
                    sim.next(&mut out);
                    out.clone()
                })
                .collect()
        };
        let mut a = Simulator::new(cfg.clone()).unwrap();
        let fresh = take(&mut a);
        let _ = take(&mut a);
        a.seek(0.0);
        assert_eq!(take(&mut a), fresh, "a seek to 0 is the start");
        a.seek(42.5);
        let there = take(&mut a);
        let mut b = Simulator::new(cfg).unwrap();
        b.seek(42.5);
        assert_eq!(take(&mut b), there, "the same place, whatever came before");
        assert_ne!(there, fresh);
    }
}
