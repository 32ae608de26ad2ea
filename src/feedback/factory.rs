//! The factory programs: their one definition. `presets/<program>.json` are generated
//! from it (`tests/presets.rs` checks they agree). Targets are typical adult values for
//! relative band power over 1–45 Hz (eyes closed, resting); calibration replaces them with the
//! listener's.

use super::mapping::{Curve, Dest, Route, RouteSource};
use super::program::{Direction, Entrainment, Program, ProgramKind, TargetKind, Term};
use crate::features::bands::{ALPHA, BETA, DELTA, HIGH_BETA, SMR, THETA};
use crate::features::baseline::{FeatureId, HeartFeature};

/// A term with an absolute target in `range`.
fn term(
    feature: FeatureId,
    direction: Direction,
    target: f32,
    range: (f32, f32),
    width: f32,
    weight: f32,
) -> Term {
    Term {
        feature,
        direction,
        kind: TargetKind::Absolute,
        target,
        min: range.0,
        max: range.1,
        width,
        weight,
    }
}

/// A term on band `band`'s relative power (soft margin 0.05: five points of share).
pub(super) fn rel(
    band: usize,
    direction: Direction,
    target: f32,
    min: f32,
    max: f32,
    weight: f32,
) -> Term {
    term(
        FeatureId::Rel(band as u8),
        direction,
        target,
        (min, max),
        0.05,
        weight,
    )
}

/// Heart feature `h` as a term's feature.
fn heart(h: HeartFeature) -> FeatureId {
    FeatureId::Heart(h)
}

/// A route from `source` to `dest`.
fn route(source: RouteSource, dest: Dest, depth: f32) -> Route {
    Route {
        source,
        dest,
        depth,
        curve: Curve::Linear,
    }
}

impl Program {
    /// The factory definition of `kind`. Targets are typical adult values for relative band
    /// power over 1–45 Hz (eyes closed, resting); calibration replaces them with the listener's.
    pub fn factory(kind: ProgramKind) -> Self {
        use Dest::*;
        use Direction::*;
        use RouteSource::{InTarget, Reward};
        let base = |name: &str, description: &str| Program {
            name: name.into(),
            description: description.into(),
            channels: Vec::new(),
            rewards: Vec::new(),
            inhibits: Vec::new(),
            min_quality: 0.5,
            dwell_s: 2.0,
            success_rate: 0.6,
            adaptation_s: super::adaptation::HOLDING_S,
            mapping: Vec::new(),
            entrainment: None,
            estimator: crate::features::extractor::Estimator::live(),
            pacer: false,
        };
        match kind {
            ProgramKind::Calm => Program {
                rewards: vec![rel(ALPHA, Up, 0.25, 0.05, 0.6, 1.0)],
                inhibits: vec![rel(HIGH_BETA, Down, 0.12, 0.03, 0.4, 0.7)],
                mapping: vec![
                    route(Reward, Warmth, 0.8),
                    route(Reward, Space, 0.6),
                    route(Reward, Swell, 0.5),
                    route(Reward, IsochronicLevel, -0.5),
                    route(InTarget, Chimes, 0.8),
                ],
                entrainment: Some(Entrainment {
                    target_hz: 8.0,
                    from_peak_alpha: true,
                    rate_hz_per_min: 0.5,
                }),
                ..base(
                    "Calm",
                    "Rewards alpha (8-13 Hz) and holds back high beta (20-30 Hz): the sound \
                     warms, opens and chimes as the listener settles.",
                )
            },
            ProgramKind::DeepRest => Program {
                rewards: vec![
                    term(FeatureId::AlphaTheta, Down, 1.0, (0.3, 3.0), 0.2, 1.0),
                    rel(THETA, Up, 0.2, 0.05, 0.5, 0.6),
                ],
                inhibits: vec![rel(HIGH_BETA, Down, 0.12, 0.03, 0.4, 0.5)],
                dwell_s: 3.0,
                mapping: vec![
                    route(Reward, Warmth, 1.0),
                    route(Reward, Space, 0.8),
                    route(Reward, Density, -0.5),
                    route(Reward, BinauralLevel, 0.6),
                    route(InTarget, Chimes, 0.5),
                ],
                entrainment: Some(Entrainment {
                    target_hz: 6.0,
                    from_peak_alpha: true,
                    rate_hz_per_min: 0.6,
                }),
                ..base(
                    "Deep rest",
                    "Alpha/theta crossover: rewards theta rising to meet and pass alpha, the \
                     classic deep-relaxation protocol. The sound deepens and slows.",
                )
            },
            ProgramKind::SmrFocus => Program {
                rewards: vec![rel(SMR, Up, 0.08, 0.02, 0.25, 1.0)],
                inhibits: vec![
                    rel(THETA, Down, 0.25, 0.05, 0.6, 0.6),
                    rel(HIGH_BETA, Down, 0.12, 0.03, 0.4, 0.6),
                ],
                dwell_s: 1.0,
                // Shaping: the bar rises with the trainee over minutes (see `adaptation`).
                adaptation_s: super::adaptation::SHAPING_S,
                mapping: vec![
                    route(Reward, Warmth, -0.5),
                    route(Reward, Density, 0.6),
                    route(Reward, NoiseLevel, 0.7),
                    route(InTarget, Chimes, 0.9),
                ],
                entrainment: Some(Entrainment {
                    target_hz: 13.5,
                    from_peak_alpha: true,
                    rate_hz_per_min: 1.0,
                }),
                ..base(
                    "SMR focus",
                    "Rewards the sensorimotor rhythm (12-15 Hz) and holds back theta and high \
                     beta: calm, alert focus. The sound clears and brightens. Trains by \
                     shaping: the bar follows the trainee over about 3 minutes.",
                )
            },
            ProgramKind::CoolDown => Program {
                rewards: vec![rel(HIGH_BETA, Down, 0.10, 0.02, 0.35, 1.0)],
                mapping: vec![
                    route(Reward, Warmth, 0.7),
                    route(Reward, Swell, 0.7),
                    route(Reward, Space, 0.4),
                    route(InTarget, Chimes, 0.6),
                ],
                entrainment: Some(Entrainment {
                    target_hz: 10.0,
                    from_peak_alpha: false,
                    rate_hz_per_min: 1.0,
                }),
                ..base(
                    "Cool-down",
                    "Rewards high-beta (20-30 Hz) relative power going down: winding down after \
                     stress. The surf deepens and the tone softens.",
                )
            },
            ProgramKind::Balance => Program {
                channels: vec!["F3".into(), "F4".into()],
                rewards: vec![term(
                    FeatureId::Asymmetry,
                    Toward,
                    0.1,
                    (-0.5, 0.5),
                    0.15,
                    1.0,
                )],
                mapping: vec![
                    route(Reward, Warmth, 0.6),
                    route(Reward, Density, 0.5),
                    route(InTarget, Chimes, 0.7),
                ],
                ..base(
                    "Balance",
                    "Frontal alpha asymmetry (ln F4 alpha - ln F3 alpha) toward a target; \
                     slightly positive is the usual goal. Needs F3 and F4.",
                )
            },
            ProgramKind::SleepOnset => Program {
                rewards: vec![
                    rel(THETA, Up, 0.22, 0.05, 0.5, 1.0),
                    rel(DELTA, Up, 0.35, 0.1, 0.7, 0.7),
                    rel(BETA, Down, 0.12, 0.03, 0.35, 0.7),
                ],
                dwell_s: 4.0,
                success_rate: 0.5,
                mapping: vec![
                    route(Reward, Warmth, 1.0),
                    route(Reward, Space, 1.0),
                    route(Reward, IsochronicLevel, -1.0),
                    route(Reward, DroneLevel, -0.3),
                    route(Reward, BeatShift, -0.3),
                    route(InTarget, Chimes, 0.3),
                ],
                entrainment: Some(Entrainment {
                    target_hz: 4.0,
                    from_peak_alpha: true,
                    rate_hz_per_min: 0.5,
                }),
                ..base(
                    "Sleep onset",
                    "Rewards theta and delta rising and beta falling, as at the edge of sleep. \
                     The sound darkens, widens and the pulse fades away.",
                )
            },
            // Coherence (McCraty et al. 2009) peaks when breathing meets the baroreflex's
            // resonance near 6 per minute (Lehrer & Gevirtz 2014). HF share is not rewarded:
            // breathing at 0.1 Hz moves the heart's rhythm into the LF band, so HF share falls
            // exactly when resonance breathing works; RMSSD rises with it instead.
            ProgramKind::ResonanceBreathing => Program {
                rewards: vec![
                    term(
                        heart(HeartFeature::Coherence),
                        Up,
                        1.0,
                        (0.1, 10.0),
                        0.3,
                        1.0,
                    ),
                    term(
                        heart(HeartFeature::RmssdMs),
                        Up,
                        40.0,
                        (5.0, 150.0),
                        5.0,
                        0.6,
                    ),
                ],
                dwell_s: 5.0,
                pacer: true,
                mapping: vec![
                    route(Reward, Warmth, 0.7),
                    route(Reward, Space, 0.6),
                    route(Reward, Swell, 0.6),
                    route(InTarget, Chimes, 0.6),
                ],
                ..base(
                    "Resonance breathing",
                    "Rewards heart coherence and RMSSD while the breath pacer leads the \
                     breathing to about 6 a minute: the sound warms and opens as the heart's \
                     rhythm settles into the breath. Needs a heart sensor (ECG, PPG or RR \
                     intervals).",
                )
            },
            ProgramKind::CalmBodyAndMind => Program {
                rewards: vec![
                    rel(ALPHA, Up, 0.25, 0.05, 0.6, 1.0),
                    term(
                        heart(HeartFeature::RmssdMs),
                        Up,
                        40.0,
                        (5.0, 150.0),
                        5.0,
                        0.8,
                    ),
                ],
                inhibits: vec![rel(HIGH_BETA, Down, 0.12, 0.03, 0.4, 0.5)],
                dwell_s: 3.0,
                mapping: vec![
                    route(Reward, Warmth, 0.8),
                    route(Reward, Space, 0.6),
                    route(Reward, Swell, 0.5),
                    route(InTarget, Chimes, 0.7),
                ],
                entrainment: Some(Entrainment {
                    target_hz: 8.0,
                    from_peak_alpha: true,
                    rate_hz_per_min: 0.5,
                }),
                ..base(
                    "Calm body and mind",
                    "Rewards EEG alpha (8-13 Hz) and the heart's RMSSD together and holds \
                     back high beta. Works with EEG only, a heart sensor only, or both.",
                )
            },
        }
    }
}
