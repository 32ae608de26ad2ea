//! The user's feedback controls, read from the automatable parameters each block.

use super::program::MAX_TERMS;

/// Default response time, s: each term's band filter delay plus its own smoothing add up to
/// this (every 100 ms of delay weakens neurofeedback; less makes steady EEG flicker).
pub const DEFAULT_SMOOTHING_S: f32 = 0.2;

/// The user's feedback controls (automatable parameters), read each block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FeedbackKnobs {
    /// Master feedback depth 0..1 (0: the EEG does not touch the sound).
    pub depth: f32,
    /// Target positions 0..1 (0.5 = the program's target): rewards first, then inhibits.
    pub positions: [f32; MAX_TERMS],
    /// Adaptive targets on.
    pub adaptive: bool,
    /// Adaptive targets frozen where they are.
    pub freeze: bool,
    /// Success rate adaptive targets aim for, 0..1 (`None`: the program's).
    pub success_rate: Option<f32>,
    /// How fast the listener's range follows the listener once learned (the program's own
    /// time by default).
    pub adaptation: super::Adaptation,
    /// Response time, s: how long each term takes to reach the sound — its band filter's
    /// group delay topped up by smoothing (none when the filter alone takes longer).
    pub smoothing_s: f32,
    /// Seconds without a usable frame before the sound glides to neutral.
    pub hold_s: f32,
    /// Entrainment glide on.
    pub glide: bool,
    /// The breath pacer starts at the listener's measured breathing rate and glides to its
    /// own (see [`super::PacerGlide`]).
    pub pacer_glide: bool,
}

impl Default for FeedbackKnobs {
    fn default() -> Self {
        Self {
            depth: 1.0,
            positions: [0.5; MAX_TERMS],
            adaptive: false,
            freeze: false,
            success_rate: None,
            adaptation: super::Adaptation::Program,
            smoothing_s: DEFAULT_SMOOTHING_S,
            hold_s: 3.0,
            glide: true,
            pacer_glide: false,
        }
    }
}
