//! Band meters: what a meter shows (absolute dB, relative share, or z-score), the mapping
//! between values and the meter's height, and the target marker the user drags. Pure, so the
//! editor's logic is tested without a window.

use crate::features::baseline::FeatureId;
use crate::features::FeatureFrame;
use crate::feedback::program::{CompiledProgram, TargetKind, MAX_REWARDS};
use crate::feedback::reward::Normaliser;

/// What the band meters show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeterScale {
    /// Share of 1–45 Hz power, 0..1.
    Relative,
    /// Absolute power in dB re 1 µV², -20..40 dB.
    AbsoluteDb,
    /// Standard deviations from the baseline (or the running estimate), -3..3.
    Z,
}

impl MeterScale {
    /// Every scale, for the switch.
    pub const ALL: [MeterScale; 3] = [MeterScale::Relative, MeterScale::AbsoluteDb, MeterScale::Z];

    /// Label for the switch.
    pub fn label(self) -> &'static str {
        match self {
            MeterScale::Relative => "relative",
            MeterScale::AbsoluteDb => "absolute dB",
            MeterScale::Z => "z-score",
        }
    }

    /// The meter's range.
    pub fn range(self) -> (f32, f32) {
        match self {
            MeterScale::Relative => (0.0, 1.0),
            MeterScale::AbsoluteDb => (-20.0, 40.0),
            MeterScale::Z => (-3.0, 3.0),
        }
    }

    /// The feature this scale reads for `band`.
    pub fn feature(self, band: u8) -> FeatureId {
        match self {
            MeterScale::Relative | MeterScale::Z => FeatureId::Rel(band),
            MeterScale::AbsoluteDb => FeatureId::Db(band),
        }
    }

    /// Fraction of the meter's height for `value` (clamped).
    pub fn to_frac(self, value: f32) -> f32 {
        let (lo, hi) = self.range();
        if value.is_finite() {
            ((value - lo) / (hi - lo)).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// The value at a fraction of the meter's height.
    pub fn from_frac(self, frac: f32) -> f32 {
        let (lo, hi) = self.range();
        lo + (hi - lo) * frac.clamp(0.0, 1.0)
    }

    /// The value a meter shows for `band` of `frame` (`stats` for z-scores).
    pub fn value(self, frame: &FeatureFrame, band: u8, stats: &Normaliser) -> f32 {
        let x = self.feature(band).of(frame);
        match self {
            MeterScale::Z => {
                let sd = stats.std();
                if sd > 1e-9 {
                    (x - stats.mean) / sd
                } else {
                    0.0
                }
            }
            _ => x,
        }
    }
}

/// A target a meter can show and the user can drag: which term, and which parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeterTarget {
    /// Term index in the program (rewards first).
    pub term: usize,
    /// The target slot the drag sets (`MelodiaSyncParams::target_position`): reward
    /// targets 0..MAX_REWARDS, then inhibit ceilings.
    pub slot: usize,
    /// Whether the term is an inhibit.
    pub inhibit: bool,
}

/// The term of `program` a band meter in `scale` can show: one on the same feature with an
/// absolute target (a relative or z target has no fixed place on an absolute meter).
pub fn meter_target(program: &CompiledProgram, band: u8, scale: MeterScale) -> Option<MeterTarget> {
    if scale == MeterScale::Z {
        return None;
    }
    let want = scale.feature(band);
    (0..program.rewards + program.inhibits)
        .find(|&i| {
            program.terms[i].feature == want && program.terms[i].kind == TargetKind::Absolute
        })
        .map(|i| MeterTarget {
            term: i,
            slot: if i < program.rewards {
                i
            } else {
                MAX_REWARDS + i - program.rewards
            },
            inhibit: i >= program.rewards,
        })
}

/// The target parameter position (0..1) for a marker dragged to `frac` of a meter's height.
pub fn drag_to_position(
    program: &CompiledProgram,
    target: &MeterTarget,
    scale: MeterScale,
    frac: f32,
) -> f32 {
    let value = scale.from_frac(frac);
    program.terms[target.term].position_of(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::bands::{ALPHA, HIGH_BETA, THETA};
    use crate::feedback::program::ProgramKind;

    #[test]
    fn scale_maps_values_and_back() {
        for s in MeterScale::ALL {
            for f in [0.0, 0.25, 0.5, 1.0] {
                assert!((s.to_frac(s.from_frac(f)) - f).abs() < 1e-6);
            }
        }
        assert_eq!(MeterScale::Relative.to_frac(2.0), 1.0);
        assert_eq!(MeterScale::Relative.to_frac(f32::NAN), 0.0);
    }

    #[test]
    fn dragging_calms_alpha_target_sets_the_first_target_parameter() {
        let calm = CompiledProgram::factory(ProgramKind::Calm, None);
        let t = meter_target(&calm, ALPHA as u8, MeterScale::Relative).unwrap();
        assert_eq!((t.term, t.slot, t.inhibit), (0, 0, false));
        // The marker at the program's target (0.25 of the relative meter) is the 50 % position.
        assert!((drag_to_position(&calm, &t, MeterScale::Relative, 0.25) - 0.5).abs() < 1e-6);
        // At 0.6 (the range's top) it is 100 %; above is clamped.
        assert!((drag_to_position(&calm, &t, MeterScale::Relative, 0.6) - 1.0).abs() < 1e-6);
        assert_eq!(drag_to_position(&calm, &t, MeterScale::Relative, 0.9), 1.0);
        // The high-beta meter carries the inhibit ceiling.
        let hb = meter_target(&calm, HIGH_BETA as u8, MeterScale::Relative).unwrap();
        assert_eq!((hb.slot, hb.inhibit), (MAX_REWARDS, true));
        // No target on a band the program does not use, or on the z meter.
        assert!(meter_target(&calm, THETA as u8, MeterScale::Relative).is_none());
        assert!(meter_target(&calm, ALPHA as u8, MeterScale::Z).is_none());
        assert!(meter_target(&calm, ALPHA as u8, MeterScale::AbsoluteDb).is_none());
    }
}
