//! The mapping matrix: from feedback sources (reward, in-target, any feature or z-score) to
//! synth destinations, each route with a depth (its sign is the polarity) and a curve.
//!
//! Sources are normalised to 0..1 first. Offset destinations (warmth, density, swell, space,
//! beat shift) get `depth · curve(u)`: with no reward the sound is exactly what the user set,
//! and reward moves it by up to `depth`. Layer destinations multiply the layer's gain: a
//! positive depth fades the layer in with the source (`1 - depth·(1 - curve(u))`), a negative
//! one fades it out (`1 - |depth|·curve(u)`). The chime destination is a strike density.

use crate::features::baseline::FeatureId;
use crate::synth::Modulation;

/// Routes a program may have.
pub const MAX_ROUTES: usize = 8;

/// What a route reads.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum RouteSource {
    /// The smoothed reward, 0..1.
    Reward,
    /// The sustained-success state (hysteresis and dwell), gliding 0..1 over a second.
    InTarget,
    /// A feature mapped linearly from `lo` (0) to `hi` (1).
    Feature {
        /// The feature.
        id: FeatureId,
        /// Value that maps to 0.
        lo: f32,
        /// Value that maps to 1.
        hi: f32,
    },
    /// A feature's z-score (vs baseline, else a running estimate) mapped from -3 (0) to +3 (1).
    Z {
        /// The feature.
        id: FeatureId,
    },
}

impl RouteSource {
    /// The feature the source reads, if any.
    pub fn feature(&self) -> Option<FeatureId> {
        match *self {
            RouteSource::Feature { id, .. } | RouteSource::Z { id } => Some(id),
            _ => None,
        }
    }
}

/// Where a route writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dest {
    /// Warmer/darker (+) or brighter (-): drone filter, tilt, noise cutoff, reverb damping.
    Warmth,
    /// Fuller chord and more drift (+), sparser (-).
    Density,
    /// Deeper surf swells.
    Swell,
    /// Entrainment rate shift in octaves.
    BeatShift,
    /// More and longer reverb.
    Space,
    /// Drone layer level.
    DroneLevel,
    /// Binaural layer level.
    BinauralLevel,
    /// Isochronic layer level.
    IsochronicLevel,
    /// Noise layer level.
    NoiseLevel,
    /// Success chime density.
    Chimes,
}

impl Dest {
    /// Every destination (for the editor's matrix and the CSV log).
    pub const ALL: [Dest; 10] = [
        Dest::Warmth,
        Dest::Density,
        Dest::Swell,
        Dest::BeatShift,
        Dest::Space,
        Dest::DroneLevel,
        Dest::BinauralLevel,
        Dest::IsochronicLevel,
        Dest::NoiseLevel,
        Dest::Chimes,
    ];

    /// This destination's value in `m` (offsets, gain multipliers or chime density).
    pub fn of(self, m: &Modulation) -> f32 {
        match self {
            Dest::Warmth => m.warmth,
            Dest::Density => m.density,
            Dest::Swell => m.swell,
            Dest::BeatShift => m.beat_shift,
            Dest::Space => m.space,
            Dest::DroneLevel => m.drone,
            Dest::BinauralLevel => m.binaural,
            Dest::IsochronicLevel => m.isochronic,
            Dest::NoiseLevel => m.noise,
            Dest::Chimes => m.chimes,
        }
    }
}

/// The shape from a normalised source to its effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Curve {
    /// Straight.
    Linear,
    /// Smoothstep: gentle at both ends, for effects that should ease in and settle.
    Smooth,
    /// Square: little effect until the source is high (rewards only clear success).
    Exp,
    /// Square root: most of the effect early (encouraging from the first improvement).
    Log,
}

impl Curve {
    /// Applies the curve to `u` in 0..1.
    pub fn apply(self, u: f32) -> f32 {
        let u = if u.is_finite() {
            u.clamp(0.0, 1.0)
        } else {
            0.0
        };
        match self {
            Curve::Linear => u,
            Curve::Smooth => u * u * (3.0 - 2.0 * u),
            Curve::Exp => u * u,
            Curve::Log => u.sqrt(),
        }
    }
}

/// One cell of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Route {
    /// What it reads.
    pub source: RouteSource,
    /// Where it writes.
    pub dest: Dest,
    /// -1..1; the sign is the polarity.
    pub depth: f32,
    /// Shape.
    pub curve: Curve,
}

impl Route {
    /// An unused slot.
    pub const NONE: Self = Self {
        source: RouteSource::Reward,
        dest: Dest::Warmth,
        depth: 0.0,
        curve: Curve::Linear,
    };
}

/// The modulation the routes ask for, before depth and staleness scale it.
///
/// Equal to [`Modulation::NEUTRAL`] when every source is 0 and no route fades a layer in.
pub fn apply_routes(routes: &[Route], sources: &[f32]) -> Modulation {
    let mut m = Modulation::NEUTRAL;
    for (r, &u) in routes.iter().zip(sources) {
        let c = r.curve.apply(u);
        let d = r.depth;
        let gain = || {
            if d >= 0.0 {
                1.0 - d * (1.0 - c)
            } else {
                1.0 + d * c
            }
        };
        match r.dest {
            Dest::Warmth => m.warmth += d * c,
            Dest::Density => m.density += d * c,
            Dest::Swell => m.swell += d * c,
            Dest::BeatShift => m.beat_shift += d * c,
            Dest::Space => m.space += d * c,
            Dest::DroneLevel => m.drone *= gain(),
            Dest::BinauralLevel => m.binaural *= gain(),
            Dest::IsochronicLevel => m.isochronic *= gain(),
            Dest::NoiseLevel => m.noise *= gain(),
            Dest::Chimes => m.chimes += d.max(0.0) * c,
        }
    }
    m.sanitized()
}

/// `base` with `fb` mixed in at `amount` (0 = only `base`, 1 = all of `fb`): offsets add,
/// gains multiply, chimes scale. Every path from the feedback engine to the synth goes
/// through here, so "depth" and "stale" fade the same way.
pub fn blend(base: &Modulation, fb: &Modulation, amount: f32) -> Modulation {
    let a = if amount.is_finite() {
        amount.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let gain = |g: f32| 1.0 + (g - 1.0) * a;
    Modulation {
        warmth: base.warmth + fb.warmth * a,
        density: base.density + fb.density * a,
        swell: base.swell + fb.swell * a,
        beat_shift: base.beat_shift + fb.beat_shift * a,
        space: base.space + fb.space * a,
        drone: base.drone * gain(fb.drone),
        binaural: base.binaural * gain(fb.binaural),
        isochronic: base.isochronic * gain(fb.isochronic),
        noise: base.noise * gain(fb.noise),
        chimes: base.chimes + fb.chimes * a,
        beat_hz: base.beat_hz,
    }
    .sanitized()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(dest: Dest, depth: f32) -> Route {
        Route {
            source: RouteSource::Reward,
            dest,
            depth,
            curve: Curve::Linear,
        }
    }

    #[test]
    fn zero_sources_leave_the_sound_alone() {
        let routes = [r(Dest::Warmth, 0.8), r(Dest::IsochronicLevel, -0.5)];
        assert_eq!(apply_routes(&routes, &[0.0, 0.0]), Modulation::NEUTRAL);
    }

    #[test]
    fn depth_and_polarity() {
        let routes = [
            r(Dest::Warmth, 0.8),
            r(Dest::Space, -0.4),
            r(Dest::IsochronicLevel, -0.5),
            r(Dest::NoiseLevel, 0.6),
            r(Dest::Chimes, 1.0),
        ];
        let m = apply_routes(&routes, &[1.0; 5]);
        assert!((m.warmth - 0.8).abs() < 1e-6);
        assert!((m.space + 0.4).abs() < 1e-6);
        assert!((m.isochronic - 0.5).abs() < 1e-6);
        assert!((m.noise - 1.0).abs() < 1e-6);
        assert!((m.chimes - 1.0).abs() < 1e-6);
        let half = apply_routes(&routes, &[0.5; 5]);
        assert!((half.warmth - 0.4).abs() < 1e-6);
        assert!((half.noise - 0.7).abs() < 1e-6);
    }

    #[test]
    fn curves_are_monotonic_and_pinned() {
        for c in [Curve::Linear, Curve::Smooth, Curve::Exp, Curve::Log] {
            assert_eq!(c.apply(0.0), 0.0);
            assert_eq!(c.apply(1.0), 1.0);
            assert_eq!(c.apply(f32::NAN), 0.0);
            let mut prev = 0.0;
            for i in 1..=100 {
                let y = c.apply(i as f32 / 100.0);
                assert!(y >= prev);
                prev = y;
            }
        }
    }

    #[test]
    fn blend_fades_between_base_and_feedback() {
        let base = Modulation::from_relaxation(0.7);
        let fb = apply_routes(
            &[r(Dest::Warmth, 1.0), r(Dest::DroneLevel, 1.0)],
            &[0.5, 0.0],
        );
        assert_eq!(blend(&base, &fb, 0.0), base.sanitized());
        let full = blend(&base, &fb, 1.0);
        assert!((full.warmth - (base.warmth + 0.5)).abs() < 1e-6);
        assert!(full.drone.abs() < 1e-6);
        let half = blend(&base, &fb, 0.5);
        assert!((half.drone - 0.5).abs() < 1e-6);
    }
}
