//! Tempo-aware entrainment ("Sync beat to tempo"): the beat rate moves to the nearest rate
//! related to the host's tempo, and the isochronic pulse sits on the bar grid.
//!
//! The rule: with the tempo at `bpm`, a quarter note lasts 60/bpm s. The beat rate becomes
//! the quarter-note rate times the multiple in [`MULTIPLES`] nearest to it in pitch (the
//! ratio closest to 1; a tie goes to the slower rate): one pulse per whole note, half, quarter,
//! eighth, eighth triplet, sixteenth, sixteenth triplet, 32nd, 32nd triplet, 64th, 64th
//! triplet or 128th. At 120 BPM an 8 Hz beat is one pulse per sixteenth note. A quantised rate
//! outside the beat range (0.5–40 Hz) moves to the nearest multiple inside it. Glide targets
//! (the program's band, the measured peak alpha) are quantised the same way, so a glide steps
//! from one related rate to the next.
//!
//! On the bar grid: pulse `k` of a bar starts at `k / multiple` quarter notes after the bar
//! line, so with music the pulses fall on the notes.

use crate::math::Portable;

/// The host's musical time, as the synth follows it between transport updates.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MusicalTime {
    /// Tempo, quarter notes per minute.
    pub bpm: f64,
    /// Quarter notes since the last bar line, at the next sample.
    pub beats_since_bar: f64,
    /// Quarter notes per bar (4 in 4/4, 3 in 3/4, 3 in 6/8).
    pub bar_beats: f64,
}

impl MusicalTime {
    /// Moves on by `samples` at `sample_rate`.
    pub fn advance(&mut self, samples: usize, sample_rate: f32) {
        self.beats_since_bar += samples as f64 * self.bpm / 60.0 / sample_rate as f64;
        if self.bar_beats > 0.0 {
            self.beats_since_bar = self.beats_since_bar.rem_euclid(self.bar_beats);
        }
    }
}

/// Largest phase correction per control point, turns: a pulse drifting off the grid is
/// pulled back gently (in under half a second at 48 kHz from the worst case), never jumped.
pub const MAX_NUDGE: f64 = 0.002;

/// The correction (turns) that moves a pulse at phase `now` toward `target`, at most
/// [`MAX_NUDGE`], the short way round.
pub fn nudge(now: f64, target: f64) -> f64 {
    let error = (target - now + 0.5).rem_euclid(1.0) - 0.5;
    error.clamp(-MAX_NUDGE, MAX_NUDGE)
}

/// Pulses per quarter note that count as related to the tempo.
pub const MULTIPLES: [f32; 12] = [
    0.25, 0.5, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0,
];

/// Slowest and fastest beat the synth plays, Hz.
pub const BEAT_RANGE: (f32, f32) = (0.5, 40.0);

/// The multiple (pulses per quarter note) for a beat of `hz` at `bpm`: the one nearest in
/// pitch whose rate lies in [`BEAT_RANGE`]. `None` without a usable tempo.
pub fn multiple_for(hz: f32, bpm: f64) -> Option<f32> {
    if !(bpm.is_finite() && bpm > 0.0 && hz.is_finite() && hz > 0.0) {
        return None;
    }
    let quarter_hz = (bpm / 60.0) as f32;
    let distance = |m: f32| (hz / (quarter_hz * m)).libm_ln().abs();
    MULTIPLES
        .iter()
        .copied()
        .filter(|&m| {
            let r = quarter_hz * m;
            r >= BEAT_RANGE.0 && r <= BEAT_RANGE.1
        })
        // `min_by` keeps the first of equals: the slower rate wins a tie.
        .min_by(|a, b| distance(*a).total_cmp(&distance(*b)))
}

/// The beat rate synced to `bpm` (Hz), or `hz` unchanged without a usable tempo.
pub fn synced_hz(hz: f32, bpm: f64) -> f32 {
    multiple_for(hz, bpm).map_or(hz, |m| (bpm / 60.0) as f32 * m)
}

/// Where the pulse should be, in turns `[0, 1)`, `beats_since_bar` quarter notes after the
/// last bar line, with `multiple` pulses per quarter note.
pub fn pulse_phase(beats_since_bar: f64, multiple: f32) -> f64 {
    (beats_since_bar * multiple as f64).rem_euclid(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beats_move_to_the_nearest_related_rate() {
        // 120 BPM: quarter notes at 2 Hz.
        assert_eq!(synced_hz(8.0, 120.0), 8.0, "sixteenths");
        assert_eq!(synced_hz(7.0, 120.0), 8.0);
        assert_eq!(
            synced_hz(10.0, 120.0),
            12.0,
            "sixteenth triplets (ratio 1.2 against 1.25)"
        );
        assert_eq!(synced_hz(4.5, 120.0), 4.0);
        assert_eq!(
            synced_hz(6.0, 90.0),
            6.0,
            "90 BPM: 1.5 Hz quarters, sixteenths"
        );
        // Nearest in pitch (ratio), not in hertz.
        assert_eq!(synced_hz(4.8, 120.0), 4.0, "ratio 1.2 against 1.25");
        assert_eq!(synced_hz(5.0, 120.0), 6.0, "ratio 1.25 against 1.2");
        // Out of range: the nearest multiple inside it.
        // 30 BPM: whole and half notes (0.125, 0.25 Hz) are below the range; quarters.
        assert_eq!(synced_hz(0.5, 30.0), 0.5);
        assert_eq!(synced_hz(0.1, 30.0), 0.5);
        // 200 BPM: 40 Hz is 12 pulses per quarter; 16 (53 Hz) is above the range.
        assert!((synced_hz(60.0, 200.0) - 40.0).abs() < 1e-3);
        // No tempo: unchanged.
        assert_eq!(synced_hz(7.3, 0.0), 7.3);
        assert_eq!(synced_hz(7.3, f64::NAN), 7.3);
    }

    #[test]
    fn pulses_sit_on_the_bar_grid() {
        assert_eq!(pulse_phase(0.0, 4.0), 0.0);
        assert_eq!(
            pulse_phase(0.25, 4.0),
            0.0,
            "the second sixteenth starts a pulse"
        );
        assert!((pulse_phase(0.125, 4.0) - 0.5).abs() < 1e-12);
        assert!((pulse_phase(1.0 / 3.0, 3.0) - 0.0).abs() < 1e-9);
        assert!(
            (pulse_phase(3.5, 0.25) - 0.875).abs() < 1e-12,
            "whole notes"
        );
    }

    #[test]
    fn a_pulse_off_the_grid_is_pulled_back_gently_the_short_way() {
        assert_eq!(nudge(0.3, 0.3), 0.0);
        assert!((nudge(0.3, 0.301) - 0.001).abs() < 1e-12);
        assert_eq!(nudge(0.3, 0.5), MAX_NUDGE);
        assert_eq!(nudge(0.95, 0.05), MAX_NUDGE, "across the wrap, forward");
        assert_eq!(nudge(0.05, 0.95), -MAX_NUDGE);
        let mut t = MusicalTime {
            bpm: 120.0,
            beats_since_bar: 3.5,
            bar_beats: 4.0,
        };
        t.advance(24_000, 48_000.0);
        assert!((t.beats_since_bar - 0.5).abs() < 1e-12, "a bar wraps");
    }
}
