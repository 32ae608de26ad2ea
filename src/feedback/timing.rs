//! Time-based feedback state: the fade to neutral when frames stop (and back when they
//! resume), and the entrainment glide from the listener's peak alpha to the program's band.

use super::program;
use super::{FADE_IN_S, FADE_OUT_S, PEAK_CONFIDENCE};
use crate::features::FeatureFrame;

/// Fade between feedback and neutral when frames stop and start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StaleGate {
    /// Seconds since the last usable frame.
    pub since: f32,
    /// 0 (neutral) ..1 (full feedback).
    pub weight: f32,
}

impl Default for StaleGate {
    fn default() -> Self {
        // No frame yet: neutral until data arrives, then fade in.
        Self {
            since: f32::INFINITY,
            weight: 0.0,
        }
    }
}

impl StaleGate {
    /// A usable frame arrived.
    pub fn fresh(&mut self) {
        self.since = 0.0;
    }

    /// `dt` seconds pass: after `hold_s` without data fade out, otherwise fade in; both at
    /// constant rates so the sound never jumps.
    pub fn advance(&mut self, dt: f32, hold_s: f32) {
        self.since += dt;
        if self.since > hold_s {
            self.weight = (self.weight - dt / FADE_OUT_S).max(0.0);
        } else {
            self.weight = (self.weight + dt / FADE_IN_S).min(1.0);
        }
    }
}

/// The entrainment glide: from the listener's peak alpha to the program's target band.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Glide {
    /// Current frequency in Hz (0 = not started).
    pub hz: f32,
}

impl Glide {
    /// Starts the glide from a frame, if not started.
    pub(super) fn start(&mut self, frame: &FeatureFrame, e: &program::Entrainment) {
        if self.hz > 0.0 || !frame.valid {
            return;
        }
        if !e.from_peak_alpha {
            self.hz = e.target_hz;
        } else if frame.peak_alpha_confidence >= PEAK_CONFIDENCE && frame.peak_alpha_hz > 0.0 {
            self.hz = frame.peak_alpha_hz.clamp(0.5, 40.0);
        }
    }

    /// Moves toward the target at the program's rate.
    pub(super) fn advance(&mut self, dt: f32, e: &program::Entrainment) {
        if self.hz > 0.0 {
            let step = e.rate_hz_per_min / 60.0 * dt;
            let d = e.target_hz - self.hz;
            self.hz += d.clamp(-step, step);
        }
    }
}
