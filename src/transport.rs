//! Transport-locked time: when the host's transport starts playing or jumps (a locate, a
//! loop), the instrument re-derives its time-dependent state from the song position, so
//! playing or bouncing from the same position gives the same samples.
//!
//! Two small pure units: [`TransportFollower`] decides, block by block, when the song
//! position is new (a start or a jump); [`Relock`] carries out the change without a click:
//! in real time the running sound fades out over [`FADE_S`], the state is rebuilt for the
//! position reached, and the new sound fades in over the same time; in an offline render
//! (a bounce) the state is rebuilt at the position itself and only fades in, so the bounce
//! does not depend on what played before it.

/// Seconds of each fade at a relock (5 ms: no click, too short to hear as a gap).
pub const FADE_S: f32 = 0.005;

/// A jump smaller than this many samples is host rounding, not a locate.
pub const JUMP_TOLERANCE: i64 = 16;

/// Follows the host's transport from block to block.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TransportFollower {
    /// The position the next block starts at if the transport keeps playing.
    expected: Option<i64>,
}

impl TransportFollower {
    /// Given the transport at a block's start (`playing`, song position in samples when the
    /// host gives one) and the block's length, returns the position to relock to when the
    /// transport has just started or jumped by more than [`JUMP_TOLERANCE`] samples.
    pub fn next(&mut self, playing: bool, position: Option<i64>, block: usize) -> Option<i64> {
        let Some(p) = position.filter(|_| playing) else {
            // Stopped (or no position): the synth runs freely; the next start relocks.
            self.expected = None;
            return None;
        };
        let jumped = self.expected.is_none_or(|e| (p - e).abs() > JUMP_TOLERANCE);
        self.expected = Some(p + block as i64);
        jumped.then_some(p)
    }
}

/// What the output gain does at a relock.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Relock {
    /// Nothing under way: gain 1.
    #[default]
    Idle,
    /// The old sound fades out; when `left` reaches 0 the state is rebuilt for `position`
    /// (the song position at that sample).
    FadingOut {
        /// Samples of fade left.
        left: usize,
        /// Song position of the sample after the fade.
        position: i64,
    },
    /// The new sound fades in; `done` of the fade's samples have played.
    FadingIn {
        /// Samples of fade already played.
        done: usize,
    },
}

impl Relock {
    /// Starts a relock at song `position`: with `fade_out` (real time) the old sound fades out
    /// first (over `fade` samples, less when a fade was under way) and the state is rebuilt
    /// for the position the fade ends at; without it (offline) the state is rebuilt at once:
    /// the caller does it when this returns true.
    pub fn start(&mut self, position: i64, fade: usize, fade_out: bool) -> bool {
        if !(fade_out && fade > 0) {
            *self = Relock::FadingIn { done: 0 };
            return true;
        }
        // A jump during a fade fades out from the gain reached: the gain never jumps up.
        let left = match *self {
            Relock::Idle => fade,
            Relock::FadingOut { left, .. } => left,
            Relock::FadingIn { done } => done.min(fade),
        };
        *self = Relock::FadingOut {
            left,
            position: position + left as i64,
        };
        false
    }

    /// Samples until the state must be rebuilt (within a fade-out), else `None`.
    pub fn until_rebuild(&self) -> Option<usize> {
        match *self {
            Relock::FadingOut { left, .. } => Some(left),
            _ => None,
        }
    }

    /// The fade-out has reached its end: the position to rebuild the state for; from here
    /// the new sound fades in.
    pub fn rebuild_now(&mut self) -> Option<i64> {
        match *self {
            Relock::FadingOut { left: 0, position } => {
                *self = Relock::FadingIn { done: 0 };
                Some(position)
            }
            _ => None,
        }
    }

    /// Applies the fade to `left`/`right` (one piece of output, rendered with no rebuild in
    /// it) and moves on by its length.
    pub fn apply(&mut self, fade: usize, left: &mut [f32], right: &mut [f32]) {
        let fade = fade.max(1) as f32;
        match self {
            Relock::Idle => {}
            Relock::FadingOut { left: rest, .. } => {
                for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                    let g = if *rest > 0 {
                        *rest -= 1;
                        *rest as f32 / fade
                    } else {
                        0.0
                    };
                    *l *= g;
                    *r *= g;
                }
            }
            Relock::FadingIn { done } => {
                for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                    let g = (*done as f32 / fade).min(1.0);
                    *done += 1;
                    *l *= g;
                    *r *= g;
                }
                if *done as f32 >= fade {
                    *self = Relock::Idle;
                }
            }
        }
    }
}

/// The seed of a unit's random streams after a relock at song `position` (samples): the
/// unit's own seed mixed with the position by SplitMix64's finaliser (Steele, Lea and Flood,
/// 2014), so every position starts its own deterministic stream.
pub fn seed_at(seed: u64, position: i64) -> u64 {
    let mut z = seed ^ (position as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_and_jumps_relock_and_steady_play_does_not() {
        let mut f = TransportFollower::default();
        assert_eq!(f.next(false, Some(0), 512), None, "stopped");
        assert_eq!(f.next(true, Some(1000), 512), Some(1000), "started");
        assert_eq!(f.next(true, Some(1512), 256), None, "playing on");
        assert_eq!(f.next(true, Some(1768 + 10), 256), None, "host rounding");
        assert_eq!(f.next(true, Some(48_000), 256), Some(48_000), "located");
        assert_eq!(f.next(true, Some(0), 256), Some(0), "looped back");
        assert_eq!(f.next(true, None, 256), None, "no position: free running");
        assert_eq!(
            f.next(true, Some(256), 256),
            Some(256),
            "position back: relock"
        );
    }

    #[test]
    fn a_realtime_relock_fades_out_rebuilds_then_fades_in() {
        let mut r = Relock::Idle;
        assert!(!r.start(1000, 4, true));
        assert_eq!(r.until_rebuild(), Some(4));
        let (mut l, mut rr) = ([1.0f32; 4], [1.0f32; 4]);
        r.apply(4, &mut l, &mut rr);
        assert_eq!(l, [0.75, 0.5, 0.25, 0.0]);
        assert_eq!(r.rebuild_now(), Some(1004));
        let (mut l, mut rr) = ([1.0f32; 6], [1.0f32; 6]);
        r.apply(4, &mut l, &mut rr);
        assert_eq!(l, [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]);
        assert_eq!(r, Relock::Idle);
        // A jump half way into a fade-in fades out from the gain reached.
        r.start(0, 4, false);
        r.apply(4, &mut [1.0; 2], &mut [1.0; 2]);
        assert!(!r.start(9000, 4, true));
        let (mut l, mut rr) = ([1.0f32; 2], [1.0f32; 2]);
        r.apply(4, &mut l, &mut rr);
        assert_eq!(l, [0.25, 0.0]);
        assert_eq!(r.rebuild_now(), Some(9002));
    }

    #[test]
    fn an_offline_relock_rebuilds_at_once_and_fades_in() {
        let mut r = Relock::Idle;
        assert!(r.start(500, 4, false));
        assert_eq!(r.until_rebuild(), None);
        let (mut l, mut rr) = ([1.0f32; 2], [1.0f32; 2]);
        r.apply(4, &mut l, &mut rr);
        assert_eq!(l, [0.0, 0.25]);
    }

    #[test]
    fn positions_seed_distinct_repeatable_streams() {
        assert_eq!(seed_at(7, 48_000), seed_at(7, 48_000));
        assert_ne!(seed_at(7, 48_000), seed_at(7, 48_001));
        assert_ne!(seed_at(7, 0), seed_at(8, 0));
    }
}
