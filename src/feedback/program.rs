//! Neurofeedback programs: what to reward, what to inhibit, how the sound answers.
//!
//! A [`Program`] is plain serialisable data (presets ship it as JSON). Before it reaches the
//! audio thread it is validated and compiled into a [`CompiledProgram`], a fixed-size `Copy`
//! value, so switching programs in `process()` never allocates.

use nice_plug::prelude::Enum;

use super::mapping::{Route, RouteSource, MAX_ROUTES};
use crate::features::baseline::{BaselineSource, FeatureId};
use crate::features::extractor::Estimator;

/// Reward terms a program may have (each has an automatable target).
pub const MAX_REWARDS: usize = 3;
/// Inhibit terms a program may have (each has an automatable ceiling).
pub const MAX_INHIBITS: usize = 2;
/// All terms.
pub const MAX_TERMS: usize = MAX_REWARDS + MAX_INHIBITS;

/// The factory programs.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Enum,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ProgramKind {
    /// Alpha up, high-beta inhibited: settle into calm wakefulness.
    #[id = "calm"]
    #[name = "Calm"]
    Calm,
    /// Alpha/theta crossover: theta rises past alpha, the classic deep-relaxation protocol.
    #[id = "deep-rest"]
    #[name = "Deep rest"]
    DeepRest,
    /// SMR (12–15 Hz) up, theta and high beta inhibited: calm focus.
    #[id = "smr-focus"]
    #[name = "SMR focus"]
    SmrFocus,
    /// High-beta relative power down: wind down after stress.
    #[id = "cool-down"]
    #[name = "Cool-down"]
    CoolDown,
    /// Frontal alpha asymmetry toward a target.
    #[id = "balance"]
    #[name = "Balance"]
    Balance,
    /// Theta and delta up, beta down: drifting toward sleep.
    #[id = "sleep-onset"]
    #[name = "Sleep onset"]
    SleepOnset,
    /// Heart coherence and RMSSD up while breathing at about 6 per minute (needs a heart
    /// input).
    #[id = "resonance-breathing"]
    #[name = "Resonance breathing"]
    ResonanceBreathing,
    /// EEG alpha and RMSSD up together, high beta held back (EEG, heart, or both).
    #[id = "calm-body-and-mind"]
    #[name = "Calm body and mind"]
    CalmBodyAndMind,
}

impl ProgramKind {
    /// How many factory programs there are.
    pub const COUNT: usize = 8;

    /// Every factory program, in parameter order (new ones are added at the end, so saved
    /// projects keep their program).
    pub const ALL: [ProgramKind; Self::COUNT] = [
        ProgramKind::Calm,
        ProgramKind::DeepRest,
        ProgramKind::SmrFocus,
        ProgramKind::CoolDown,
        ProgramKind::Balance,
        ProgramKind::SleepOnset,
        ProgramKind::ResonanceBreathing,
        ProgramKind::CalmBodyAndMind,
    ];

    /// Position in [`ProgramKind::ALL`].
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }

    /// Parses a program name as the CLI takes it (`calm`, `deep-rest`, `smr-focus`, ...).
    pub fn parse(name: &str) -> Result<Self, String> {
        let key = name.trim().to_ascii_lowercase().replace([' ', '_'], "-");
        Self::ALL
            .into_iter()
            .find(|k| k.id() == key)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.id()).collect();
                format!(
                    "'{name}' is not a program; choose one of {}.",
                    names.join(", ")
                )
            })
    }

    /// The name people see ("Deep rest"): the program parameter's display text.
    pub fn name(self) -> &'static str {
        Self::variants()[self.index()]
    }

    /// The stable id (as in presets and the CLI).
    pub fn id(self) -> &'static str {
        match self {
            ProgramKind::Calm => "calm",
            ProgramKind::DeepRest => "deep-rest",
            ProgramKind::SmrFocus => "smr-focus",
            ProgramKind::CoolDown => "cool-down",
            ProgramKind::Balance => "balance",
            ProgramKind::SleepOnset => "sleep-onset",
            ProgramKind::ResonanceBreathing => "resonance-breathing",
            ProgramKind::CalmBodyAndMind => "calm-body-and-mind",
        }
    }
}

/// Which way a term wants its feature to go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Satisfied above the target (rewards) or: an inhibit satisfied below its ceiling uses
    /// `Down`.
    Up,
    /// Satisfied below the target.
    Down,
    /// Satisfied within `width` of the target.
    Toward,
}

/// The scale a target is expressed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    /// The feature's own units (µV², share of power, ratio, Hz).
    Absolute,
    /// A multiple of the baseline median (1.2 = 20 % above the baseline). Without a baseline,
    /// of a running median estimate over the last minute.
    Relative,
    /// Standard deviations from the baseline mean. Without a baseline, from a running mean
    /// and deviation over the last minute.
    Z,
}

/// One reward or inhibit term.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Term {
    /// The feature it watches.
    pub feature: FeatureId,
    /// Which side of the target is success.
    pub direction: Direction,
    /// The scale of `target`, `min`, `max` and `width`.
    pub kind: TargetKind,
    /// The target (the automatable target parameter's 50 % position).
    pub target: f32,
    /// The target parameter's 0 % position.
    pub min: f32,
    /// The target parameter's 100 % position.
    pub max: f32,
    /// Soft margin: the term's score goes from 0 to 1 across `target ± width`.
    pub width: f32,
    /// Weight among rewards, or how strongly an inhibit pulls the reward down (0..1).
    pub weight: f32,
}

impl Term {
    /// The threshold for a target parameter position `pos` (0..1, 0.5 = `target`).
    pub fn threshold_at(&self, pos: f32) -> f32 {
        let p = if pos.is_finite() {
            pos.clamp(0.0, 1.0)
        } else {
            0.5
        };
        if p <= 0.5 {
            self.min + (self.target - self.min) * (p / 0.5)
        } else {
            self.target + (self.max - self.target) * ((p - 0.5) / 0.5)
        }
    }

    /// The parameter position (0..1) whose threshold is `value` (the inverse of
    /// [`Term::threshold_at`]), clamped to the range.
    pub fn position_of(&self, value: f32) -> f32 {
        let lo = self.min.min(self.target);
        let hi = self.max.max(self.target);
        let v = value.clamp(lo, hi);
        if (v <= self.target && self.min <= self.target)
            || (v >= self.target && self.min > self.target)
        {
            let span = self.target - self.min;
            if span.abs() < 1e-12 {
                0.5
            } else {
                0.5 * (v - self.min) / span
            }
        } else {
            let span = self.max - self.target;
            if span.abs() < 1e-12 {
                0.5
            } else {
                0.5 + 0.5 * (v - self.target) / span
            }
        }
    }
}

/// Starting the entrainment beat where the listener is and gliding it to the program's band.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Entrainment {
    /// Where the beat ends, Hz.
    pub target_hz: f32,
    /// Start at the listener's measured peak alpha frequency (else at the target).
    pub from_peak_alpha: bool,
    /// Glide speed in Hz per minute (rate-limited so the change is never noticed as a jump).
    pub rate_hz_per_min: f32,
}

/// A neurofeedback program (serialisable; presets carry it).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Program {
    /// Display name.
    pub name: String,
    /// One or two sentences for the practitioner.
    pub description: String,
    /// Montage channels by label (empty: every channel of the stream).
    #[serde(default)]
    pub channels: Vec<String>,
    /// What is rewarded (1..=3 terms).
    pub rewards: Vec<Term>,
    /// What is inhibited (0..=2 terms).
    #[serde(default)]
    pub inhibits: Vec<Term>,
    /// Frames whose quality (share of clean channels) is below this hold instead of rewarding.
    pub min_quality: f32,
    /// Seconds the reward must stay high before the "in target" state (and the chimes) starts.
    pub dwell_s: f32,
    /// The success rate adaptive targets aim for, 0..1.
    pub success_rate: f32,
    /// How fast the listener's range follows the listener once learned, s: the Adaptation
    /// parameter's "Program" choice (see [`super::adaptation`]; programs saved before it
    /// hold states, [`super::adaptation::HOLDING_S`]).
    #[serde(default = "Program::holding_s")]
    pub adaptation_s: f32,
    /// How the sound answers (up to 8 routes).
    pub mapping: Vec<Route>,
    /// The entrainment glide, if the program uses one.
    #[serde(default)]
    pub entrainment: Option<Entrainment>,
    /// How band powers are estimated for this program: the low-latency quadrature filters
    /// (the default) or the Welch window (slower, the analysis reference).
    #[serde(default = "Estimator::live")]
    pub estimator: Estimator,
    /// The breath pacer plays while this program runs (as if its parameter were on).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pacer: bool,
}

impl Program {
    /// For serde's default: the holding adaptation time.
    fn holding_s() -> f32 {
        super::adaptation::HOLDING_S
    }

    /// The program's targets for people, one entry per term: `reward alpha_rel Up 0.250`,
    /// `inhibit high_beta_rel below 0.120` (what `calibrate` prints and the editor shows
    /// after a baseline).
    pub fn describe_targets(&self) -> Vec<String> {
        let rewards = self.rewards.iter().map(|t| {
            format!(
                "reward {} {:?} {:.3}",
                t.feature.label(),
                t.direction,
                t.target
            )
        });
        let inhibits = self
            .inhibits
            .iter()
            .map(|t| format!("inhibit {} below {:.3}", t.feature.label(), t.target));
        rewards.chain(inhibits).collect()
    }

    /// Checks the program against the limits the audio thread relies on; the error is one
    /// sentence naming the field.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.name;
        if self.rewards.is_empty() || self.rewards.len() > MAX_REWARDS {
            return Err(format!(
                "Program '{name}': 'rewards' must have 1 to {MAX_REWARDS} terms, not {}.",
                self.rewards.len()
            ));
        }
        if self.inhibits.len() > MAX_INHIBITS {
            return Err(format!(
                "Program '{name}': 'inhibits' may have at most {MAX_INHIBITS} terms, not {}.",
                self.inhibits.len()
            ));
        }
        if self.mapping.len() > MAX_ROUTES {
            return Err(format!(
                "Program '{name}': 'mapping' may have at most {MAX_ROUTES} routes, not {}.",
                self.mapping.len()
            ));
        }
        let terms = self.rewards.iter().map(|t| ("rewards", t));
        for (i, (field, t)) in terms
            .chain(self.inhibits.iter().map(|t| ("inhibits", t)))
            .enumerate()
        {
            let nums = [t.target, t.min, t.max, t.width, t.weight];
            if nums.iter().any(|x| !x.is_finite() || x.abs() > 1e9) {
                return Err(format!(
                    "Program '{name}': {field} term {} has a number that is not finite or is \
                     out of range.",
                    i + 1
                ));
            }
            if !(t.min <= t.target && t.target <= t.max) {
                return Err(format!(
                    "Program '{name}': {field} term {} has min {}, target {} and max {}; the \
                     target must lie between min and max.",
                    i + 1,
                    t.min,
                    t.target,
                    t.max
                ));
            }
            if t.width <= 0.0 {
                return Err(format!(
                    "Program '{name}': {field} term {} needs a 'width' above 0.",
                    i + 1
                ));
            }
            if !(0.0..=1.0).contains(&t.weight) {
                return Err(format!(
                    "Program '{name}': {field} term {} has weight {}; use 0 to 1.",
                    i + 1,
                    t.weight
                ));
            }
        }
        for (field, v, lo, hi) in [
            ("min_quality", self.min_quality, 0.0, 1.0),
            ("dwell_s", self.dwell_s, 0.0, 60.0),
            ("success_rate", self.success_rate, 0.05, 0.95),
            (
                "adaptation_s",
                self.adaptation_s,
                super::adaptation::PROGRAM_RANGE_S.0,
                super::adaptation::PROGRAM_RANGE_S.1,
            ),
        ] {
            if !v.is_finite() || v < lo || v > hi {
                return Err(format!(
                    "Program '{name}': '{field}' is {v}; it must be between {lo} and {hi}."
                ));
            }
        }
        for (i, r) in self.mapping.iter().enumerate() {
            if !r.depth.is_finite() || r.depth.abs() > 1.0 {
                return Err(format!(
                    "Program '{name}': mapping route {} has depth {}; use -1 to 1.",
                    i + 1,
                    r.depth
                ));
            }
            if let RouteSource::Feature { lo, hi, .. } = r.source {
                if !(lo.is_finite() && hi.is_finite()) || (hi - lo).abs() < 1e-12 {
                    return Err(format!(
                        "Program '{name}': mapping route {} needs a feature range with lo != hi.",
                        i + 1
                    ));
                }
            }
        }
        if let Some(e) = &self.entrainment {
            if !(0.5..=40.0).contains(&e.target_hz) || !(0.0..=60.0).contains(&e.rate_hz_per_min) {
                return Err(format!(
                    "Program '{name}': the entrainment target must be 0.5-40 Hz and the glide \
                     0-60 Hz per minute."
                ));
            }
        }
        Ok(())
    }

    /// Sets every term's target from the baseline's percentiles (see [`Term::calibrate`]).
    pub fn calibrate(&mut self, baseline: &impl BaselineSource) {
        for t in self.rewards.iter_mut() {
            t.calibrate(false, baseline);
        }
        for t in self.inhibits.iter_mut() {
            t.calibrate(true, baseline);
        }
    }
}

impl Term {
    /// Sets the target from the baseline's percentile for its direction (see
    /// [`CALIBRATION_PERCENTILES`]), expressed in the term's own scale; the range widens if
    /// the new target falls outside it. A feature the baseline lacks (non-finite) leaves the
    /// term as it was. Allocation-free (a guided session calibrates on the audio thread).
    pub fn calibrate(&mut self, inhibit: bool, baseline: &impl BaselineSource) {
        let p = calibration_percentile(self.direction, inhibit);
        let raw = baseline.percentile(self.feature, p);
        let median = baseline.percentile(self.feature, 50.0);
        let value = match self.kind {
            TargetKind::Absolute => raw,
            TargetKind::Relative if median.abs() > 1e-12 => raw / median,
            TargetKind::Relative => 1.0,
            TargetKind::Z => baseline.z(self.feature, raw),
        };
        if value.is_finite() {
            self.target = value;
            self.min = self.min.min(value);
            self.max = self.max.max(value);
        }
    }
}

/// Percentiles of the baseline that calibration sets targets at: a reward that asks for "more"
/// starts at the 60th percentile (reached 40 % of the baseline time: hard enough to mean
/// something, easy enough to find), "less" at the 40th, "toward" at the median; an inhibit
/// ceiling at the 85th percentile (only clear excursions are held back), a floor at the 15th.
pub const CALIBRATION_PERCENTILES: [(&str, f32); 5] = [
    ("reward up", 60.0),
    ("reward down", 40.0),
    ("reward toward", 50.0),
    ("inhibit ceiling", 85.0),
    ("inhibit floor", 15.0),
];

/// The calibration percentile for a term.
pub fn calibration_percentile(direction: Direction, inhibit: bool) -> f32 {
    let i = match (inhibit, direction) {
        (false, Direction::Up) => 0,
        (false, Direction::Down) => 1,
        (_, Direction::Toward) => 2,
        (true, Direction::Down) => 3,
        (true, Direction::Up) => 4,
    };
    CALIBRATION_PERCENTILES[i].1
}

pub use super::compiled::{CompiledProgram, TermBaseline};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::bands::ALPHA;
    use crate::feedback::factory::rel;

    #[test]
    fn every_factory_program_is_valid_and_serialises() {
        for kind in ProgramKind::ALL {
            let p = Program::factory(kind);
            p.validate().unwrap();
            let json = serde_json::to_string(&p).unwrap();
            let back: Program = serde_json::from_str(&json).unwrap();
            assert_eq!(back, p);
            assert_eq!(ProgramKind::parse(kind.id()), Ok(kind));
            for t in p.rewards.iter().chain(&p.inhibits) {
                assert!(t.min <= t.target && t.target <= t.max, "{kind:?} {t:?}");
            }
        }
        assert!(ProgramKind::parse("nap").unwrap_err().contains("calm"));
    }

    #[test]
    fn target_positions_invert() {
        let t = rel(ALPHA, Direction::Up, 0.25, 0.05, 0.6, 1.0);
        assert_eq!(t.threshold_at(0.5), 0.25);
        assert_eq!(t.threshold_at(0.0), 0.05);
        assert!((t.threshold_at(1.0) - 0.6).abs() < 1e-6);
        for p in [0.0, 0.1, 0.3, 0.5, 0.7, 0.95, 1.0] {
            let back = t.position_of(t.threshold_at(p));
            assert!((back - p).abs() < 1e-5, "{p} -> {back}");
        }
    }

    #[test]
    fn validation_names_the_field() {
        let mut p = Program::factory(ProgramKind::Calm);
        p.rewards[0].width = 0.0;
        assert!(p.validate().unwrap_err().contains("width"));
        let mut p = Program::factory(ProgramKind::Calm);
        p.success_rate = f32::NAN;
        assert!(p.validate().unwrap_err().contains("success_rate"));
        let mut p = Program::factory(ProgramKind::Calm);
        p.rewards.clear();
        assert!(p.validate().unwrap_err().contains("rewards"));
        let mut p = Program::factory(ProgramKind::Calm);
        (p.rewards[0].min, p.rewards[0].max) = (3.0, 0.3);
        assert!(p.validate().unwrap_err().contains("between min and max"));
    }
}
