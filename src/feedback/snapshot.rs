//! What the feedback engine reports: the per-frame snapshot (meters, MIDI CC, the LSL outlet,
//! the session log) and the adaptive thresholds saved with the project.

use super::program::{self, MAX_TERMS};
use super::reward::Normaliser;

/// What the feedback engine computed, for meters, MIDI CC, the LSL outlet and the session log.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FeedbackSnapshot {
    /// Reward 0..1 as the sound follows it (after the reward smoothing).
    pub reward: f32,
    /// Raw reward of the last valid frame.
    pub raw_reward: f32,
    /// The reward sustained over about two seconds, which decides "in target".
    pub sustained: f32,
    /// Sustained success.
    pub in_target: bool,
    /// Recent share of time in target, 0..1 (the success rate adaptive targets steer).
    pub success_rate: f32,
    /// Seconds of valid feedback so far.
    pub valid_s: f32,
    /// Seconds in target so far.
    pub in_target_s: f32,
    /// Whether the last frame was held (poor quality).
    pub held: bool,
    /// How much of the feedback reaches the sound, 0..1 (falls to 0 when data is stale).
    pub engagement: f32,
    /// Each term's value in its scale.
    pub values: [f32; MAX_TERMS],
    /// Each term's target in use (the graded score's midpoint; inhibits: their limit). With
    /// adaptive targets it drifts with the listener's range.
    pub thresholds: [f32; MAX_TERMS],
    /// Each term's listener range in its scale (mean ± one deviation, low first): where the
    /// listener has been, learned in the first minute, then adapting.
    pub ranges: [(f32, f32); MAX_TERMS],
    /// How much of the learning minute the reward terms have had, 0..1 (1: learned, or
    /// taken from a calibration).
    pub learned: f32,
    /// The adaptation time in force, s (infinite: the range stays where it was learned).
    pub adaptation_s: f32,
    /// The level the sustained reward must pass to enter "in target" (fixed, or with adaptive
    /// targets the listener's own bar).
    pub in_target_level: f32,
    /// Terms in use (rewards then inhibits).
    pub terms: usize,
    /// Current entrainment glide frequency in Hz (0 = not started).
    pub glide_hz: f32,
    /// Frames scored.
    pub frames: u64,
    /// What the program lacked in the last frame (EEG, heart), and whether it held for it.
    pub missing: super::Missing,
}

/// Adaptive thresholds as saved with the project.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdaptiveSnapshot {
    /// The program they belong to (`None`: a custom program).
    pub program: Option<program::ProgramKind>,
    /// Thresholds per term.
    pub thresholds: [f32; MAX_TERMS],
    /// Target positions they started from.
    pub positions: [f32; MAX_TERMS],
    /// Terms stored.
    pub terms: usize,
    /// Threshold offsets in listener deviations (absent in projects saved before the
    /// listener normaliser; the thresholds are converted then).
    #[serde(default)]
    pub offsets: [f32; MAX_TERMS],
    /// The listener normaliser per term.
    #[serde(default)]
    pub norms: [Normaliser; MAX_TERMS],
    /// The in-target bar's trim, deviations of the sustained reward (projects saved before the
    /// adaptive bar hold a shift in reward units here; it is read as a trim).
    #[serde(default)]
    pub bar: f32,
    /// The sustained reward's range the in-target bar stands on.
    #[serde(default)]
    pub success: Normaliser,
}
