//! A recording as a [`Generator`]: its frames in order, once or in a loop.

use std::sync::Arc;

use super::recording::Recording;
use super::source::Generator;

/// Plays a recording held in memory.
pub struct Playback {
    /// The whole recording.
    rec: Arc<Recording>,
    /// Next frame.
    next: usize,
    /// Start again at the end.
    looping: bool,
}

impl Playback {
    /// Plays `rec` from its start; with `looping`, endlessly.
    pub fn new(rec: Arc<Recording>, looping: bool) -> Self {
        Self {
            rec,
            next: 0,
            looping,
        }
    }
}

impl Generator for Playback {
    fn labels(&self) -> &[String] {
        &self.rec.labels
    }

    fn rate(&self) -> f32 {
        self.rec.sample_rate
    }

    fn next_sample(&mut self, out: &mut [f32]) -> bool {
        if self.next >= self.rec.frames() {
            if !self.looping || self.rec.frames() == 0 {
                return false;
            }
            self.next = 0;
        }
        out.copy_from_slice(self.rec.frame(self.next));
        self.next += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plays_frames_in_order_once_or_looping() {
        let rec = Arc::new(Recording {
            labels: vec!["A".into(), "B".into()],
            sample_rate: 10.0,
            samples: vec![1.0, 2.0, 3.0, 4.0],
            times: None,
        });
        let mut buf = [0.0; 2];
        let mut once = Playback::new(rec.clone(), false);
        assert!(once.next_sample(&mut buf) && buf == [1.0, 2.0]);
        assert!(once.next_sample(&mut buf) && buf == [3.0, 4.0]);
        assert!(!once.next_sample(&mut buf));
        let mut looped = Playback::new(rec, true);
        let got: Vec<f32> = (0..3)
            .flat_map(|_| {
                assert!(looped.next_sample(&mut buf));
                buf
            })
            .collect();
        assert_eq!(got, [1.0, 2.0, 3.0, 4.0, 1.0, 2.0]);
    }
}
