//! The source status as the editor shows it: a light and a sentence.

use crate::bridge::{SourceState, SourceStatus};

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

#[cfg(test)]
mod tests {
    use super::*;

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
