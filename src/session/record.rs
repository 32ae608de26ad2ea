//! A feedback record as the numbers that leave the plugin: the outlet's channels and the
//! log's columns, in one order.

use crate::bridge::FeedbackRecord;
use crate::features::bands::{ALPHA, BETA, DELTA, GAMMA, HIGH_BETA, SMR, STANDARD_BANDS, THETA};
use crate::features::baseline::HeartFeature;

/// The seven standard bands by index and name, as they appear in outputs.
pub(super) const BANDS: [(usize, &str); 7] = {
    let mut bands = [(0, ""); 7];
    let mut i = 0;
    while i < bands.len() {
        bands[i] = (i, STANDARD_BANDS[i].feature);
        i += 1;
    }
    bands
};

/// Channel labels of the outlet and columns of the log (after its two time columns). The
/// heart's come last: NaN while its analysis is not valid (no heart input, a bad signal);
/// then the breath pacer's rate (0 while it is off).
pub const LABELS: [&str; 42] = [
    "reward",
    "reward_raw",
    "in_target",
    "success_rate",
    "engagement",
    "held",
    "quality",
    "delta_rel",
    "theta_rel",
    "alpha_rel",
    "beta_rel",
    "gamma_rel",
    "smr_rel",
    "high_beta_rel",
    "theta_beta",
    "alpha_theta",
    "engagement_index",
    "asymmetry",
    "peak_alpha_hz",
    "mod_warmth",
    "mod_density",
    "mod_swell",
    "mod_space",
    "mod_beat_shift",
    "mod_drone",
    "mod_binaural",
    "mod_isochronic",
    "mod_noise",
    "mod_chimes",
    "beat_hz",
    "loop_delay_ms",
    "stage_index",
    "in_target_level",
    "target_1",
    "target_2",
    "target_3",
    "hr_bpm",
    "rmssd_ms",
    "hf_ms2",
    "coherence",
    "breath_rate_bpm",
    "pacer_bpm",
];

/// Term `k`'s target in use (rewards first, then inhibit ceilings), NaN past the program's
/// terms.
fn target(fb: &crate::feedback::FeedbackSnapshot, k: usize) -> f32 {
    if k < fb.terms {
        fb.thresholds[k]
    } else {
        f32::NAN
    }
}

/// The record's values in [`LABELS`] order.
pub fn record_values(r: &FeedbackRecord) -> [f32; LABELS.len()] {
    let f = &r.frame;
    let fb = &r.feedback;
    let m = &r.modulation;
    let b = |i: usize| f.bands[i].rel;
    let flag = |x: bool| if x { 1.0 } else { 0.0 };
    [
        fb.reward,
        fb.raw_reward,
        flag(fb.in_target),
        fb.success_rate,
        fb.engagement,
        flag(fb.held),
        f.quality,
        b(DELTA),
        b(THETA),
        b(ALPHA),
        b(BETA),
        b(GAMMA),
        b(SMR),
        b(HIGH_BETA),
        f.theta_beta,
        f.alpha_theta,
        f.engagement,
        f.asymmetry,
        f.peak_alpha_or_nan(),
        m.warmth,
        m.density,
        m.swell,
        m.space,
        m.beat_shift,
        m.drone,
        m.binaural,
        m.isochronic,
        m.noise,
        m.chimes,
        r.beat_hz,
        1000.0 * r.delay.total_s(),
        // A guided session's stage (-1: none).
        if r.guide.active {
            r.guide.stage as f32
        } else {
            -1.0
        },
        // What "in target" asks of the sustained reward, and the first three terms' targets
        // (rewards, then inhibit ceilings) in their own scales (NaN past the program's terms).
        fb.in_target_level,
        target(fb, 0),
        target(fb, 1),
        target(fb, 2),
        heart(f, HeartFeature::HrBpm),
        heart(f, HeartFeature::RmssdMs),
        heart(f, HeartFeature::HfMs2),
        heart(f, HeartFeature::Coherence),
        heart(f, HeartFeature::BreathRateBpm),
        r.pacer_bpm,
    ]
}

/// Heart feature `h` of `frame`, NaN when its analysis is not valid.
fn heart(frame: &crate::features::FeatureFrame, h: HeartFeature) -> f32 {
    if h.available(&frame.heart) {
        h.of(&frame.heart)
    } else {
        f32::NAN
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn band_columns_are_the_standard_band_names() {
        // The log and outlet name bands as features do: `alpha_rel` from STANDARD_BANDS.
        let first = LABELS.iter().position(|l| *l == "delta_rel").unwrap();
        for (k, band) in crate::features::bands::STANDARD_BANDS.iter().enumerate() {
            assert_eq!(LABELS[first + k], format!("{}_rel", band.feature));
        }
    }
}
