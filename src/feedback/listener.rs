//! What the feedback knows of the listener: running statistics standing in for a baseline,
//! the scales a term's value is read in, and the listener normaliser that makes weak and
//! strong listeners look alike. Also the one exponential-smoothing coefficient.

use super::program::{TargetKind, Term, TermBaseline};
use crate::math::Portable;

/// Time constant of the running normaliser used when there is no baseline, seconds.
pub const RUNNING_TAU_S: f32 = 60.0;

/// A running mean and deviation (exponential, [`RUNNING_TAU_S`]) standing in for a baseline.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunningStats {
    /// Mean.
    pub mean: f32,
    /// Variance.
    pub var: f32,
    /// Whether a first value arrived.
    pub started: bool,
}

impl RunningStats {
    /// Adds `x`, `dt` seconds after the previous value.
    pub fn push(&mut self, x: f32, dt: f32) {
        if !x.is_finite() {
            return;
        }
        if !self.started {
            *self = Self {
                mean: x,
                var: 0.0,
                started: true,
            };
            return;
        }
        // Faster start: a minute-long average would otherwise sit on the first values.
        let a = smoothing(dt, RUNNING_TAU_S);
        let d = x - self.mean;
        self.mean += a * d;
        self.var = (1.0 - a) * (self.var + a * d * d);
    }

    /// As baseline numbers (median taken as the mean).
    pub fn as_baseline(&self) -> TermBaseline {
        let sd = self.var.max(0.0).sqrt();
        TermBaseline {
            mean: self.mean,
            std: sd,
            median: self.mean,
            low: self.mean - 1.04 * sd,
            high: self.mean + 1.04 * sd,
        }
    }
}

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

/// Time constant of the listener normaliser, s. It is a plain cumulative mean and variance
/// until then, so it has converged fully after this long (the "under 60 s").
pub const NORMALISER_TAU_S: f32 = 30.0;

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

/// The listener's running mean and spread of one term's value (in its [`Domain`]).
///
/// Exponential with [`NORMALISER_TAU_S`], but a plain cumulative average while less time than
/// that has passed, so it starts from the first frame and has converged after `τ`.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Normaliser {
    /// Mean.
    pub mean: f32,
    /// Variance.
    pub var: f32,
    /// Seconds of data seen (capped at `τ`).
    pub elapsed: f32,
}

impl Normaliser {
    /// A normaliser that starts converged at `mean` and `std` (from a calibration or a saved
    /// session).
    pub fn prior(mean: f32, std: f32) -> Self {
        Self {
            mean,
            var: std * std,
            elapsed: NORMALISER_TAU_S,
        }
    }

    /// Adds `w`, `dt` seconds after the previous value. Non-finite values are skipped.
    pub fn push(&mut self, w: f32, dt: f32) {
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
        self.elapsed = (self.elapsed + dt).min(NORMALISER_TAU_S);
        let a = (dt / self.elapsed).clamp(0.0, 1.0);
        let d = w - self.mean;
        self.mean += a * d;
        self.var = (1.0 - a) * (self.var + a * d * d);
    }

    /// The spread to scale by: the standard deviation, at least `floor`.
    pub fn spread(&self, floor: f32) -> f32 {
        self.var.max(0.0).sqrt().max(floor).max(1e-6)
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
