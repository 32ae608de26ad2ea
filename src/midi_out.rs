//! Features and reward as MIDI CC output, so a DAW records EEG-shaped automation and can route
//! it to other plugins. Pure: the plugin sends what [`CcSender::changes`] returns.
//!
//! CC layout, from the "First CC" parameter `b` (default 20; 20–31 are undefined in the MIDI
//! spec, so nothing else listens there by default):
//!
//! | CC | value (0..127 ↔ 0..1) |
//! |---|---|
//! | b+0 | reward (smoothed) |
//! | b+1 | in target (0 or 127) |
//! | b+2 | recent success rate |
//! | b+3..b+9 | relative power of delta, theta, alpha, beta, gamma, SMR, high beta |
//! | b+10 | signal quality (share of clean channels) |
//! | b+11 | heart rate, 40–160 bpm |
//! | b+12 | RMSSD, 0–150 ms |
//! | b+13 | coherence, on the editor's logarithmic meter ([`coherence_scale`]) |
//! | b+14 | breathing rate from RSA, 0–30 per minute |
//!
//! A heart value that is not valid (no heart input, a bad signal) is not sent: its lane holds
//! the last one instead of dropping to a made-up zero.

use crate::features::bands::{ALPHA, BETA, DELTA, GAMMA, HIGH_BETA, SMR, THETA};
use crate::features::baseline::HeartFeature;
use crate::features::heart::coherence_scale;
use crate::features::FeatureFrame;
use crate::feedback::FeedbackSnapshot;

/// CCs sent per frame.
pub const CC_COUNT: usize = 15;

/// The heart's CC ranges: (feature, value at 0, value at 127).
const HEART_CCS: [(HeartFeature, f32, f32); 3] = [
    (HeartFeature::HrBpm, 40.0, 160.0),
    (HeartFeature::RmssdMs, 0.0, 150.0),
    (HeartFeature::BreathRateBpm, 0.0, 30.0),
];

/// The CC values (0..1) for a scored frame; NaN for a heart value that is not valid (not
/// sent: see [`CcSender::changes`]).
pub fn cc_values(frame: &FeatureFrame, fb: &FeedbackSnapshot) -> [f32; CC_COUNT] {
    let rel = |b: usize| frame.bands[b].rel;
    let h = &frame.heart;
    let heart = |(f, lo, hi): (HeartFeature, f32, f32)| {
        if f.available(h) {
            ((f.of(h) - lo) / (hi - lo)).clamp(0.0, 1.0)
        } else {
            f32::NAN
        }
    };
    let coherence = if HeartFeature::Coherence.available(h) {
        coherence_scale(h.coherence)
    } else {
        f32::NAN
    };
    let v = [
        fb.reward,
        if fb.in_target { 1.0 } else { 0.0 },
        fb.success_rate,
        rel(DELTA),
        rel(THETA),
        rel(ALPHA),
        rel(BETA),
        rel(GAMMA),
        rel(SMR),
        rel(HIGH_BETA),
        frame.quality,
    ];
    let eeg = v.map(|x| {
        if x.is_finite() {
            x.clamp(0.0, 1.0)
        } else {
            0.0
        }
    });
    let mut out = [0.0; CC_COUNT];
    out[..eeg.len()].copy_from_slice(&eeg);
    out[eeg.len()..].copy_from_slice(&[
        heart(HEART_CCS[0]),
        heart(HEART_CCS[1]),
        coherence,
        heart(HEART_CCS[2]),
    ]);
    out
}

/// Remembers what was sent, so only changes go out (a DAW lane of 32 identical events per
/// second helps nobody).
#[derive(Clone, Copy, Debug)]
pub struct CcSender {
    /// Last 7-bit value sent per CC (-1: nothing yet).
    last: [i16; CC_COUNT],
}

impl Default for CcSender {
    fn default() -> Self {
        Self {
            last: [-1; CC_COUNT],
        }
    }
}

impl CcSender {
    /// Calls `send(cc_offset, value_0_to_1)` for each value whose 7-bit form changed; a NaN
    /// value (no valid heart value) sends nothing and keeps the last.
    pub fn changes(&mut self, values: &[f32; CC_COUNT], mut send: impl FnMut(u8, f32)) {
        for (i, (&v, last)) in values.iter().zip(&mut self.last).enumerate() {
            if v.is_nan() {
                continue;
            }
            let q = (v * 127.0).round() as i16;
            if q != *last {
                *last = q;
                send(i as u8, q as f32 / 127.0);
            }
        }
    }

    /// Forgets what was sent (after a reset the next frame sends everything).
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_changes_are_sent() {
        let mut frame = FeatureFrame::default();
        frame.bands[ALPHA].rel = 0.4;
        frame.quality = 1.0;
        let fb = FeedbackSnapshot {
            reward: 0.5,
            ..Default::default()
        };
        let mut s = CcSender::default();
        let mut sent = Vec::new();
        s.changes(&cc_values(&frame, &fb), |cc, v| sent.push((cc, v)));
        // No heart input: its four CCs are not sent.
        assert_eq!(sent.len(), CC_COUNT - 4);
        assert!(sent.contains(&(5, (0.4f32 * 127.0).round() / 127.0)));
        sent.clear();
        s.changes(&cc_values(&frame, &fb), |cc, v| sent.push((cc, v)));
        assert!(sent.is_empty());
        frame.bands[ALPHA].rel = 0.6;
        s.changes(&cc_values(&frame, &fb), |cc, v| sent.push((cc, v)));
        assert_eq!(sent, vec![(5, 76.0 / 127.0)]);
    }

    #[test]
    fn heart_ccs_scale_their_ranges_and_hold_while_not_valid() {
        let mut frame = FeatureFrame::default();
        frame.heart.hr_valid = true;
        frame.heart.valid = true;
        frame.heart.spectral_valid = true;
        frame.heart.hr_bpm = 100.0;
        frame.heart.rmssd_ms = 75.0;
        frame.heart.coherence = 1.6;
        frame.heart.breath_rate_bpm = 6.0;
        let fb = FeedbackSnapshot::default();
        let v = cc_values(&frame, &fb);
        assert_eq!(&v[11..], &[0.5, 0.5, coherence_scale(1.6), 0.2]);
        let mut s = CcSender::default();
        let mut sent = Vec::new();
        s.changes(&v, |cc, v| sent.push((cc, v)));
        assert!(sent.contains(&(11, 64.0 / 127.0)));
        // The signal goes bad: the heart lanes hold (nothing sent for them).
        sent.clear();
        frame.heart = Default::default();
        s.changes(&cc_values(&frame, &fb), |cc, v| sent.push((cc, v)));
        assert!(sent.iter().all(|(cc, _)| *cc < 11), "{sent:?}");
    }
}
