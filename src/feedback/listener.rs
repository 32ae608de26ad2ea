//! What the feedback knows of the listener: the listener's range (learned in the first minute,
//! then adapted over minutes), the scales a term's value is read in, and the domains that make
//! weak and strong listeners look alike. Also the one exponential-smoothing coefficient.

use super::program::{TargetKind, Term, TermBaseline};
use crate::math::Portable;

/// `x` in the scale `kind`, against `base`.
pub fn to_scale(kind: TargetKind, x: f32, base: &TermBaseline) -> f32 {
    match kind {
        TargetKind::Absolute => x,
        TargetKind::Relative => {
            if base.median.abs() > 1e-12 {
                x / base.median
            } else {
                1.0
            }
        }
        TargetKind::Z => {
            if base.std > 1e-12 {
                (x - base.mean) / base.std
            } else {
                0.0
            }
        }
    }
}

/// How long the listener's range is learned at the start, s: the first minute's values are
/// averaged with equal weight (a cumulative mean and variance), so the range stands on a whole
/// minute of the listener however the minute went. After that the range adapts on the
/// [adaptation time](super::Adaptation), minutes (issue 27: learn fast, then adapt slowly).
pub const LEARN_S: f32 = 60.0;

/// The weight of a value `dt` seconds after the previous one in an average that has seen
/// `elapsed` seconds (this value included): cumulative (`dt / elapsed`) while `elapsed` is
/// below `horizon`, then exponential with time constant `tau` (0 for an infinite `tau`: the
/// average holds). The one learn-then-adapt rule of the listener's range, the success rate and
/// the share controller's pace.
pub fn learn_then_adapt(dt: f32, elapsed: f32, horizon: f32, tau: f32) -> f32 {
    if elapsed < horizon {
        (dt / elapsed.max(1e-6)).clamp(0.0, 1.0)
    } else if tau.is_finite() {
        smoothing(dt, tau)
    } else {
        0.0
    }
}

/// The space a term's values are normalised in before scoring.
///
/// Powers and ratios of powers are scored as amplitudes (square roots): an amplitude step
/// up and the same step down then take equally long to show, and a wandering rhythm maps
/// onto the sound nearly linearly for weak and strong listeners alike (the normaliser then
/// divides out the listener's scale).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Domain {
    /// As they are (z-scores, dB, asymmetry — already logarithmic or standardised —, Hz).
    Linear,
    /// Square root: powers, ratios of powers, multiples of a baseline.
    Amplitude,
    /// Square root of the odds `p / (1 − p)` of a share of power `p`: the amplitude of the
    /// band relative to the rest of the spectrum.
    AmplitudeOdds,
}

impl Domain {
    /// The domain for `term`'s scale and feature.
    pub fn of(term: &Term) -> Self {
        use crate::features::baseline::FeatureId::*;
        use crate::features::baseline::HeartFeature as H;
        match term.kind {
            TargetKind::Z => Domain::Linear,
            TargetKind::Relative => Domain::Amplitude,
            TargetKind::Absolute => match term.feature {
                Rel(_) | Heart(H::HfShare) => Domain::AmplitudeOdds,
                Abs(_) | ThetaBeta | AlphaTheta | Engagement => Domain::Amplitude,
                // Heart powers and ratios of power; RMSSD and SDNN are already amplitudes.
                Heart(H::LfMs2 | H::HfMs2 | H::LfHf | H::Coherence) => Domain::Amplitude,
                Db(_) | Asymmetry | PeakAlpha => Domain::Linear,
                Heart(H::HrBpm | H::RmssdMs | H::SdnnMs | H::BreathRateBpm) => Domain::Linear,
            },
        }
    }

    /// `x` in this domain (finite for any finite `x`).
    pub fn to(self, x: f32) -> f32 {
        match self {
            Domain::Linear => x,
            Domain::Amplitude => x.max(0.0).sqrt(),
            Domain::AmplitudeOdds => {
                let p = x.clamp(0.0, 1.0 - 1e-6);
                (p / (1.0 - p)).sqrt()
            }
        }
    }

    /// Back from this domain.
    pub fn from(self, w: f32) -> f32 {
        let sq = w.max(0.0) * w.max(0.0);
        match self {
            Domain::Linear => w,
            Domain::Amplitude => sq,
            Domain::AmplitudeOdds => sq / (1.0 + sq),
        }
    }
}

/// The listener's range of one value: its mean and spread, learned, then adapted slowly.
///
/// Two time scales (issue 27): for the first [`LEARN_S`] seconds (or the adaptation time, if
/// shorter) every value counts equally, so the range is known after a minute; after that the
/// mean and variance are exponential averages with the adaptation time constant (minutes), so
/// the range follows a drift across a session (drowsiness, drying electrodes) but a state held
/// for a few minutes stays a departure from it, and is heard as held. A calibration or a saved
/// session starts it learned ([`Normaliser::prior`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Normaliser {
    /// Mean.
    pub mean: f32,
    /// Variance.
    pub var: f32,
    /// Seconds of data seen while learning (capped at the learning time; [`LEARN_S`] once
    /// learned).
    pub elapsed: f32,
}

impl Normaliser {
    /// A range that starts learned at `mean` and `std` (from a calibration or a saved
    /// session).
    pub fn prior(mean: f32, std: f32) -> Self {
        Self {
            mean,
            var: std * std,
            elapsed: LEARN_S,
        }
    }

    /// Adds `w`, `dt` seconds (clamped to 0..1) after the previous value; `tau` is the
    /// adaptation time constant, s (infinite: learn, then hold). Non-finite values are
    /// skipped.
    pub fn push(&mut self, w: f32, dt: f32, tau: f32) {
        if !w.is_finite() {
            return;
        }
        let dt = dt.clamp(0.0, 1.0);
        if self.elapsed <= 0.0 {
            *self = Self {
                mean: w,
                var: 0.0,
                elapsed: dt.max(1e-3),
            };
            return;
        }
        let horizon = LEARN_S.min(tau);
        if self.elapsed < horizon {
            self.elapsed = (self.elapsed + dt).min(horizon);
        }
        let a = learn_then_adapt(dt, self.elapsed, horizon, tau);
        let d = w - self.mean;
        self.mean += a * d;
        self.var = (1.0 - a) * (self.var + a * d * d);
    }

    /// How much of the learning time has passed with adaptation time `tau`, 0..1 (1: the
    /// range is learned and adapts from here on).
    pub fn learned(&self, tau: f32) -> f32 {
        (self.elapsed / LEARN_S.min(tau)).clamp(0.0, 1.0)
    }

    /// The standard deviation.
    pub fn std(&self) -> f32 {
        self.var.max(0.0).sqrt()
    }

    /// The spread to scale by: the standard deviation, at least `floor`.
    pub fn spread(&self, floor: f32) -> f32 {
        self.std().max(floor).max(1e-6)
    }

    /// As baseline numbers (for relative and z scales without a calibration; the median
    /// taken as the mean, the 15th and 85th percentiles as ±1.04 deviations).
    pub fn as_baseline(&self) -> TermBaseline {
        let sd = self.std();
        TermBaseline {
            mean: self.mean,
            std: sd,
            median: self.mean,
            low: self.mean - 1.04 * sd,
            high: self.mean + 1.04 * sd,
        }
    }
}

/// One-pole smoothing coefficient for a step of `dt` with time constant `tau` (1 when `tau`
/// is about zero: no smoothing).
pub fn smoothing(dt: f32, tau: f32) -> f32 {
    if tau > 1e-3 {
        1.0 - (-dt.max(0.0) / tau).libm_exp()
    } else {
        1.0
    }
}
