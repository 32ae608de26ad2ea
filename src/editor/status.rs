//! The source status as the editor shows it: a light and a sentence; where the feedback's
//! range of the listener stands.

use crate::bridge::{SourceState, SourceStatus};
use crate::feedback::adaptation::describe_s;
use crate::feedback::reward::LEARN_S;
use crate::feedback::FeedbackSnapshot;

/// The status light.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Light {
    /// Receiving.
    Good,
    /// Searching or lost (still trying).
    Waiting,
    /// Cannot be used, or stopped.
    Bad,
}

/// The light and one line for `s`: what is connected and how it is doing, or the worker's
/// sentence when there is no stream.
pub fn status_line(s: &SourceStatus) -> (Light, String) {
    match s.state {
        SourceState::Connected => {
            let mut line = format!(
                "{} · {} ch · {:.0} Hz",
                if s.name.is_empty() { "stream" } else { &s.name },
                s.labels.len(),
                if s.measured_rate > 0.0 {
                    s.measured_rate
                } else {
                    s.nominal_rate
                }
            );
            if s.lag_ms > 0.0 {
                line.push_str(&format!(" · lag {:.0} ms", s.lag_ms));
            }
            if s.dropouts > 0 {
                line.push_str(&format!(" · {} dropouts", s.dropouts));
            }
            if !s.host.is_empty() {
                line.push_str(&format!(" · {}", s.host));
            }
            (Light::Good, line)
        }
        SourceState::Searching | SourceState::Lost => (Light::Waiting, s.message.clone()),
        SourceState::Error | SourceState::Stopped => (Light::Bad, s.message.clone()),
    }
}

/// One line on the listener's range: learning in the first minute, then adapting over the
/// adaptation time (or fixed), and whether it came from a calibration (`calibrated`).
pub fn range_line(fb: &FeedbackSnapshot, calibrated: bool) -> String {
    let tau = fb.adaptation_s;
    let after = if tau.is_finite() {
        format!("adapts over {}", describe_s(tau))
    } else {
        "then stays fixed".into()
    };
    if fb.frames == 0 {
        format!("Range: learned in the first minute, {after}")
    } else if fb.learned < 1.0 {
        format!(
            "Range: learning the listener ({:.0} of {:.0} s), {after}",
            fb.learned * LEARN_S.min(tau),
            LEARN_S.min(tau)
        )
    } else if calibrated {
        format!("Range: from the calibration, {after}")
    } else {
        format!("Range: learned, {after}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_lines_say_learning_adapting_and_fixed() {
        let mut fb = FeedbackSnapshot {
            adaptation_s: 1200.0,
            frames: 10,
            learned: 0.5,
            ..Default::default()
        };
        assert_eq!(
            range_line(&fb, false),
            "Range: learning the listener (30 of 60 s), adapts over 20 min"
        );
        fb.learned = 1.0;
        assert_eq!(range_line(&fb, false), "Range: learned, adapts over 20 min");
        assert_eq!(
            range_line(&fb, true),
            "Range: from the calibration, adapts over 20 min"
        );
        fb.adaptation_s = f32::INFINITY;
        assert_eq!(range_line(&fb, false), "Range: learned, then stays fixed");
    }

    #[test]
    fn connected_lost_and_error_lines() {
        let mut s = SourceStatus {
            state: SourceState::Connected,
            name: "OpenBCI".into(),
            labels: vec!["O1".into(), "O2".into()],
            nominal_rate: 250.0,
            measured_rate: 249.6,
            lag_ms: 12.4,
            dropouts: 2,
            ..Default::default()
        };
        assert_eq!(
            status_line(&s),
            (
                Light::Good,
                "OpenBCI · 2 ch · 250 Hz · lag 12 ms · 2 dropouts".into()
            )
        );
        s.state = SourceState::Lost;
        s.message = "The stream 'OpenBCI' stopped; waiting for it to come back.".into();
        assert_eq!(status_line(&s).0, Light::Waiting);
        assert!(status_line(&s).1.contains("waiting"));
        s.state = SourceState::Error;
        assert_eq!(status_line(&s).0, Light::Bad);
    }
}
