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

use crate::features::bands::{ALPHA, BETA, DELTA, GAMMA, HIGH_BETA, SMR, THETA};
use crate::features::FeatureFrame;
use crate::feedback::FeedbackSnapshot;

/// CCs sent per frame.
pub const CC_COUNT: usize = 11;

/// The CC values (0..1) for a scored frame.
pub fn cc_values(frame: &FeatureFrame, fb: &FeedbackSnapshot) -> [f32; CC_COUNT] {
    let rel = |b: usize| frame.bands[b].rel;
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
    v.map(|x| {
        if x.is_finite() {
            x.clamp(0.0, 1.0)
        } else {
            0.0
        }
    })
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
    /// Calls `send(cc_offset, value_0_to_1)` for each value whose 7-bit form changed.
    pub fn changes(&mut self, values: &[f32; CC_COUNT], mut send: impl FnMut(u8, f32)) {
        for (i, (&v, last)) in values.iter().zip(&mut self.last).enumerate() {
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
        assert_eq!(sent.len(), CC_COUNT);
        assert!(sent.contains(&(5, (0.4f32 * 127.0).round() / 127.0)));
        sent.clear();
        s.changes(&cc_values(&frame, &fb), |cc, v| sent.push((cc, v)));
        assert!(sent.is_empty());
        frame.bands[ALPHA].rel = 0.6;
        s.changes(&cc_values(&frame, &fb), |cc, v| sent.push((cc, v)));
        assert_eq!(sent, vec![(5, 76.0 / 127.0)]);
    }
}
