//! A recording as a [`Generator`]: its frames in order, once or in a loop.

use std::sync::Arc;

use super::recording::Recording;
use super::source::Generator;

/// Plays a recording held in memory.
pub struct Playback {
    /// The whole recording.
    rec: Arc<Recording>,
    /// Playback time of each segment's first frame: segments follow each other, a gap in the
    /// recording stays a gap, and every break (a short loss at a damaged spot, a clock reset)
    /// lasts at least [`BREAK_S`].
    starts: Vec<f64>,
    /// Next frame.
    next: usize,
    /// Playback time added per completed loop.
    loop_offset: f64,
    /// Start again at the end.
    looping: bool,
}

/// The shortest gap a segment break plays as, s: just over the extractor's discontinuity, so
/// the analysis starts afresh at every break in the data, as it does when a live stream
/// stops, and no window mixes data from both sides (a recording's own gap may be shorter:
/// a few lost samples at a damaged spot, or none at a clock reset).
pub const BREAK_S: f64 = crate::features::extractor::DISCONTINUITY_S + 0.05;

/// Playback times of `rec`'s segments (see [`Playback`]).
fn segment_starts(rec: &Recording) -> Vec<f64> {
    let period = 1.0 / rec.sample_rate as f64;
    let mut starts = Vec::with_capacity(rec.segments.len());
    for (k, seg) in rec.segments.iter().enumerate() {
        let t = match k {
            0 => 0.0,
            _ => {
                let prev = rec.segments[k - 1];
                let len = (seg.start - prev.start) as f64 * period;
                let gap = (seg.time - (prev.time + len)).max(BREAK_S);
                starts[k - 1] + len + gap
            }
        };
        starts.push(t);
    }
    starts
}

impl Playback {
    /// Plays `rec` from its start; with `looping`, endlessly.
    pub fn new(rec: Arc<Recording>, looping: bool) -> Self {
        Self {
            starts: segment_starts(&rec),
            rec,
            next: 0,
            loop_offset: 0.0,
            looping,
        }
    }

    /// Playback time of frame `i` (without loops).
    fn time_of(&self, i: usize) -> f64 {
        let k = self.rec.segments.partition_point(|s| s.start <= i) - 1;
        self.starts[k] + (i - self.rec.segments[k].start) as f64 / self.rec.sample_rate as f64
    }
}

impl Playback {
    /// Playback time one pass lasts (the last frame's time plus a sample period; gaps and
    /// breaks included), s.
    pub fn length_s(&self) -> f64 {
        let frames = self.rec.frames();
        if frames == 0 {
            return 0.0;
        }
        self.time_of(frames - 1) + 1.0 / self.rec.sample_rate as f64
    }
}

impl Generator for Playback {
    fn seek(&mut self, t: f64) {
        let t = t.max(0.0);
        let length = self.length_s();
        let (loops, within) = if self.looping && length > 0.0 {
            let k = (t / length).floor();
            (k, t - k * length)
        } else {
            (0.0, t)
        };
        self.loop_offset = loops * length;
        // Playback times only grow: a binary search over frames.
        let (mut lo, mut hi) = (0, self.rec.frames());
        while lo < hi {
            let mid = (lo + hi) / 2;
            if self.time_of(mid) < within - 1e-9 {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.next = lo;
    }

    fn labels(&self) -> &[String] {
        &self.rec.labels
    }

    fn rate(&self) -> f32 {
        self.rec.sample_rate
    }

    fn next(&mut self, out: &mut [f32]) -> Option<f64> {
        let frames = self.rec.frames();
        if self.next >= frames {
            if !self.looping || frames == 0 {
                return None;
            }
            self.loop_offset += self.time_of(frames - 1) + 1.0 / self.rec.sample_rate as f64;
            self.next = 0;
        }
        out.copy_from_slice(self.rec.frame(self.next));
        let t = self.loop_offset + self.time_of(self.next);
        self.next += 1;
        Some(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plays_frames_in_order_once_or_looping() {
        let rec = Arc::new(Recording::continuous(
            vec!["A".into(), "B".into()],
            10.0,
            vec![1.0, 2.0, 3.0, 4.0],
        ));
        let mut buf = [0.0; 2];
        let mut once = Playback::new(rec.clone(), false);
        assert_eq!(once.next(&mut buf), Some(0.0));
        assert_eq!(buf, [1.0, 2.0]);
        assert_eq!(once.next(&mut buf), Some(0.1));
        assert_eq!(buf, [3.0, 4.0]);
        assert_eq!(once.next(&mut buf), None);
        let mut looped = Playback::new(rec, true);
        let mut times = Vec::new();
        let got: Vec<f32> = (0..3)
            .flat_map(|_| {
                times.push(looped.next(&mut buf).unwrap());
                buf
            })
            .collect();
        assert_eq!(got, [1.0, 2.0, 3.0, 4.0, 1.0, 2.0]);
        assert_eq!(times, [0.0, 0.1, 0.2]);
    }

    #[test]
    fn gaps_play_as_gaps_and_every_break_restarts_the_analysis() {
        use crate::eeg::recording::Segment;
        let mut rec = Recording::continuous(vec!["A".into()], 10.0, vec![0.0; 6]);
        rec.segments = vec![
            Segment {
                start: 0,
                time: 100.0,
            },
            Segment {
                start: 2,
                time: 105.0,
            },
            Segment {
                start: 4,
                time: 1.0,
            },
            Segment {
                start: 5,
                time: 1.2,
            },
        ];
        let mut p = Playback::new(Arc::new(rec), false);
        let mut buf = [0.0];
        let t: Vec<f64> = std::iter::from_fn(|| p.next(&mut buf)).collect();
        // A 5 s gap; a clock reset and a 0.1 s loss each play as BREAK_S.
        let want = [0.0, 0.1, 5.0, 5.1, 5.2 + BREAK_S, 5.3 + 2.0 * BREAK_S];
        assert!(
            t.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-9),
            "{t:?}"
        );
    }

    #[test]
    fn a_seek_lands_on_the_first_frame_at_or_after_its_time() {
        let rec = Arc::new(Recording::continuous(
            vec!["A".into()],
            10.0,
            (0..10).map(|i| i as f32).collect(),
        ));
        let mut buf = [0.0];
        let mut once = Playback::new(rec.clone(), false);
        once.seek(0.35);
        assert_eq!(once.next(&mut buf), Some(0.4));
        assert_eq!(buf, [4.0]);
        once.seek(5.0);
        assert_eq!(once.next(&mut buf), None, "past the end of a single play");
        let mut looped = Playback::new(rec, true);
        looped.seek(2.3);
        let t = looped.next(&mut buf).unwrap();
        assert!((t - 2.3).abs() < 1e-9, "{t}");
        assert_eq!(buf, [3.0], "second loop, frame 3");
    }
}
