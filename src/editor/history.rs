//! The scrolling history behind the editor's plot: a fixed-capacity ring of samples (time plus
//! a few series), so a long session never grows memory.

use std::collections::VecDeque;

/// Seconds of history kept (the plot shows 1–10 minutes of it).
pub const KEEP_S: f64 = 600.0;

/// A ring of `(time, values)` samples.
#[derive(Clone, Debug)]
pub struct History<const N: usize> {
    /// Samples, oldest first.
    samples: VecDeque<(f64, [f32; N])>,
    /// Most samples kept.
    capacity: usize,
}

impl<const N: usize> History<N> {
    /// A history holding up to `capacity` samples.
    pub fn new(capacity: usize) -> Self {
        Self {
            samples: VecDeque::with_capacity(capacity.min(1 << 16)),
            capacity: capacity.max(1),
        }
    }

    /// Adds a sample; a time earlier than the newest (a new session, a replayed file) starts
    /// the history again rather than drawing backwards.
    pub fn push(&mut self, time: f64, values: [f32; N]) {
        if self.samples.back().is_some_and(|(t, _)| time < *t) {
            self.samples.clear();
        }
        if self.samples.len() == self.capacity {
            self.samples.pop_front();
        }
        self.samples.push_back((time, values));
    }

    /// The samples of the last `seconds` (relative to the newest), oldest first.
    pub fn window(&self, seconds: f64) -> impl Iterator<Item = &(f64, [f32; N])> {
        let newest = self.samples.back().map_or(0.0, |(t, _)| *t);
        self.samples
            .iter()
            .skip_while(move |(t, _)| *t < newest - seconds)
    }

    /// Number of samples held.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether the history is empty.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// Time of the newest sample.
    pub fn newest(&self) -> Option<f64> {
        self.samples.back().map(|(t, _)| *t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_and_windows_by_time() {
        let mut h = History::<2>::new(100);
        for i in 0..250 {
            h.push(i as f64 * 0.5, [i as f32, 0.0]);
        }
        assert_eq!(h.len(), 100);
        assert_eq!(h.newest(), Some(124.5));
        let w: Vec<_> = h.window(10.0).collect();
        // 10 s at 2 samples/s: 21 samples from 114.5 to 124.5 inclusive.
        assert_eq!(w.len(), 21);
        assert_eq!(w[0].0, 114.5);
        assert_eq!(w.last().unwrap().1[0], 249.0);
        // Going back in time restarts.
        h.push(3.0, [1.0, 1.0]);
        assert_eq!(h.len(), 1);
    }
}
