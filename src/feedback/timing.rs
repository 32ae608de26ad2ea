//! Time-based feedback state: the fade to neutral when frames stop (and back when they
//! resume), the entrainment glide from the listener's peak alpha to the program's band, and
//! the breath pacer's glide from the listener's breathing rate to the pacer's.

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

/// How fast the pacer glides from the listener's breathing rate to its own, breaths per
/// minute per minute: from 14 to 6 a minute in four minutes, slow enough to follow without
/// effort (paced-breathing protocols slow the breath over minutes, Lehrer & Gevirtz 2014).
pub const PACER_GLIDE_PER_MIN: f32 = 2.0;
/// The fastest breathing rate a pacer glide starts from, breaths per minute.
pub const PACER_GLIDE_FROM_MAX: f32 = 20.0;

/// The breath pacer's glide: it starts at the listener's breathing rate (measured from the
/// heart's respiratory sinus arrhythmia) and moves to the pacer's rate at
/// [`PACER_GLIDE_PER_MIN`], then follows it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PacerGlide {
    /// The rate now, breaths per minute (0 = not started: the pacer plays its own rate).
    bpm: f64,
}

/// `x` moved toward `target` by at most `step`. In f64: a glide takes steps of about 1e-5
/// per control point, which f32 would round by up to a tenth of a step at these values.
fn approach(x: f64, target: f64, step: f64) -> f64 {
    x + (target - x).clamp(-step, step)
}

impl PacerGlide {
    /// Starts the glide from `frame`'s measured breathing rate, if not started and the
    /// heart's spectral values are valid.
    pub fn start(&mut self, frame: &FeatureFrame) {
        let measured = frame.heart.breath_rate_bpm;
        if self.bpm == 0.0 && frame.heart.spectral_valid && measured.is_finite() && measured > 0.0 {
            self.bpm = measured.clamp(crate::synth::PACER_RATE.0, PACER_GLIDE_FROM_MAX) as f64;
        }
    }

    /// Moves `dt` seconds toward `target` breaths per minute.
    pub fn advance(&mut self, dt: f32, target: f32) {
        if self.bpm > 0.0 {
            let step = PACER_GLIDE_PER_MIN as f64 / 60.0 * dt.max(0.0) as f64;
            self.bpm = approach(self.bpm, target as f64, step);
        }
    }

    /// The rate the pacer plays: the glide's once started, else `target`.
    pub fn rate(&self, target: f32) -> f32 {
        if self.bpm > 0.0 {
            self.bpm as f32
        } else {
            target
        }
    }
}

/// The entrainment glide: from the listener's peak alpha to the program's target band.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Glide {
    /// Current frequency in Hz (0 = not started).
    hz: f64,
}

impl Glide {
    /// The current frequency in Hz (0 = not started).
    pub fn hz(&self) -> f32 {
        self.hz as f32
    }

    /// Starts the glide from a frame, if not started.
    pub(super) fn start(&mut self, frame: &FeatureFrame, e: &program::Entrainment) {
        if self.hz > 0.0 || !frame.valid {
            return;
        }
        if !e.from_peak_alpha {
            self.hz = e.target_hz as f64;
        } else if frame.peak_alpha_confidence >= PEAK_CONFIDENCE && frame.peak_alpha_hz > 0.0 {
            self.hz = frame.peak_alpha_hz.clamp(0.5, 40.0) as f64;
        }
    }

    /// Moves toward the target at the program's rate.
    pub(super) fn advance(&mut self, dt: f32, e: &program::Entrainment) {
        if self.hz > 0.0 {
            let step = e.rate_hz_per_min as f64 / 60.0 * dt.max(0.0) as f64;
            self.hz = approach(self.hz, e.target_hz as f64, step);
        }
    }
}
