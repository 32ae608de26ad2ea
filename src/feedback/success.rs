//! Where "in target" starts and ends: the one definition of success, on the listener's range's
//! time scale.
//!
//! "In target" judges the sustained reward (about two seconds). With fixed targets it must
//! pass fixed levels ([`ON_LEVEL`], [`OFF_LEVEL`]). With adaptive targets the bar is the
//! listener's own, and where it sits is set on the slow scale: the sustained reward's mean and
//! spread are learned in the first minute and then follow it over a quarter of the adaptation
//! time ([`RANGE_SPEEDUP`]); the bar's centre is the normal quantile that the goal share of
//! that distribution lies above, and a slow trim on the share actually measured corrects what
//! the normal shape, the dwell and the hysteresis miss. A quick pacer ([`PACE_GAIN`]) only
//! evens out the flips of a steady listener (in and out of target at the goal rate rather than
//! in long random stretches); it can move the bar by [`PACE_LIMIT`] at most, so it can never
//! push a state held far above the listener's range out of target. The levels sit
//! [`HYSTERESIS`] either side of the bar, as the fixed ones do.

use super::listener::Normaliser;
use crate::math::Portable;

/// Smoothed reward above which the in-target state may start with fixed targets (after the
/// dwell time).
pub const ON_LEVEL: f32 = 0.6;
/// Smoothed reward below which the in-target state ends with fixed targets.
pub const OFF_LEVEL: f32 = 0.4;
/// Half the gap between the level in target starts above and the one it ends below (reward
/// units): wide enough that the flicker of steady EEG does not toggle it.
pub const HYSTERESIS: f32 = 0.5 * (ON_LEVEL - OFF_LEVEL);
/// The smallest deviation of the sustained reward the bar's quantile is built on.
pub const MIN_SD: f32 = 0.02;
/// How much faster the bar follows the sustained reward than the terms' ranges follow the
/// listener. The reward is already read against the listener's range, so the bar has only that
/// range's lag behind a drift to follow; over a quarter of the adaptation time (5 minutes for
/// the holding programs), a state held for two minutes still stands far above it.
pub const RANGE_SPEEDUP: f32 = 4.0;
/// How far the trim may move the bar, deviations.
pub const TRIM_LIMIT: f32 = 1.5;
/// How fast the trim corrects the share of time in target: deviations per [`RANGE_SPEEDUP`]th
/// of the adaptation time per unit of (in target − goal).
pub const TRIM_PACE: f32 = 2.0;
/// Where the bar's centre may sit, reward units: a sustained reward above
/// `CENTRE_LIMITS.1 + HYSTERESIS` (the listener more than two deviations beyond the middle of
/// their range) is always in target, one below `CENTRE_LIMITS.0 − HYSTERESIS` never is. The
/// bar finds the goal share inside these limits for any listener whose reward spreads about
/// its middle; a state held far above the range for longer than the bar takes to follow it
/// stays in target until the range itself has taken the state in.
pub const CENTRE_LIMITS: (f32, f32) = (0.3, 0.7);
/// How fast the pacer moves the bar: reward units per second per unit of (in target − goal).
pub const PACE_GAIN: f32 = 0.007;
/// How far the pacer may move the bar, reward units.
pub const PACE_LIMIT: f32 = 0.1;

/// The sustained-reward levels in-target starts above and ends below.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Levels {
    /// Start above this (after the dwell time).
    pub on: f32,
    /// End below this.
    pub off: f32,
}

impl Levels {
    /// The fixed levels (targets that do not adapt).
    pub const FIXED: Levels = Levels {
        on: ON_LEVEL,
        off: OFF_LEVEL,
    };
}

/// The adaptive in-target bar: the sustained reward's range, the trim and the pacer.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct SuccessBar {
    /// The sustained reward's mean and spread (learned, then followed over a quarter of the
    /// adaptation time).
    pub range: Normaliser,
    /// The slow correction of the share of time in target, deviations (+ = harder).
    pub trim: f32,
    /// The quick pacer of the flips, reward units (+ = harder).
    pub pace: f32,
}

impl SuccessBar {
    /// The levels for the success-rate `goal` (0..1): the fixed ones until a first reward
    /// arrived.
    pub fn levels(&self, goal: f32) -> Levels {
        if self.range.elapsed <= 0.0 {
            return Levels::FIXED;
        }
        let centre = self
            .free_centre(goal)
            .clamp(CENTRE_LIMITS.0, CENTRE_LIMITS.1);
        Levels {
            on: centre + HYSTERESIS,
            off: centre - HYSTERESIS,
        }
    }

    /// The bar's centre before the limits, reward units.
    fn free_centre(&self, goal: f32) -> f32 {
        let sd = self.range.std().max(MIN_SD);
        self.range.mean + sd * (normal_quantile(1.0 - goal) + self.trim) + self.pace
    }

    /// Takes one frame's sustained reward `sustained` and in-target state, `dt` seconds after
    /// the last; `tau` is the adaptation time, s. The trim waits for the range to be learned
    /// (the bar's first minute is the range and the pacer).
    pub fn update(&mut self, sustained: f32, in_target: bool, goal: f32, dt: f32, tau: f32) {
        let follow = tau / RANGE_SPEEDUP;
        let dt = dt.clamp(0.0, 1.0);
        self.range.push(sustained, dt, follow);
        let error = if in_target { 1.0 } else { 0.0 } - goal;
        // Anti-windup: a bar held at a limit does not store up corrections past it, which it
        // would have to unwind (out of target) once the listener's state came back.
        let centre = self.free_centre(goal);
        if (centre >= CENTRE_LIMITS.1 && error > 0.0) || (centre <= CENTRE_LIMITS.0 && error < 0.0)
        {
            return;
        }
        self.pace = (self.pace + PACE_GAIN * dt * error).clamp(-PACE_LIMIT, PACE_LIMIT);
        if self.range.learned(follow) >= 1.0 {
            self.trim =
                (self.trim + TRIM_PACE / follow * dt * error).clamp(-TRIM_LIMIT, TRIM_LIMIT);
        }
    }
}

/// The standard normal quantile of `p` (0 < p < 1), within 4.5e-4 (Abramowitz & Stegun
/// 26.2.23).
pub fn normal_quantile(p: f32) -> f32 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    let tail = |q: f32| {
        let t = (-2.0 * q.libm_ln()).sqrt();
        t - (2.515_517 + 0.802_853 * t + 0.010_328 * t * t)
            / (1.0 + 1.432_788 * t + 0.189_269 * t * t + 0.001_308 * t * t * t)
    };
    if p < 0.5 {
        -tail(p)
    } else {
        tail(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_quantiles_match_the_table() {
        // Φ⁻¹ from statistical tables.
        for (p, z) in [
            (0.5, 0.0),
            (0.6, 0.253_347),
            (0.4, -0.253_347),
            (0.8, 0.841_621),
            (0.95, 1.644_854),
            (0.05, -1.644_854),
        ] {
            assert!(
                (normal_quantile(p) - z).abs() < 5e-4,
                "{p}: {}",
                normal_quantile(p)
            );
        }
    }

    #[test]
    fn the_bar_lets_the_goal_share_of_a_steady_reward_through() {
        // A sustained reward that fluctuates about 0.5 (a first-order autoregression with a
        // one-second memory and a 0.05 spread): after learning, the share of time in target
        // approaches the goal with the levels this bar gives, and in target flips on the
        // reward's own fluctuations.
        let mut bar = SuccessBar::default();
        let mut rng = crate::synth::rng::Rng::new(4);
        let (mut y, mut in_target) = (0.0f32, false);
        let (mut on, mut total, mut flips) = (0.0f32, 0.0f32, 0);
        let dt = 1.0f32 / 64.0;
        let a = (-dt).exp();
        for i in 0..(600 * 64) {
            // A uniform draw on -1..1 has a deviation of 1/sqrt(3).
            y = a * y + (1.0 - a * a).sqrt() * 0.05 * 3f32.sqrt() * rng.bipolar();
            let x = 0.5 + y;
            let l = bar.levels(0.6);
            let was = in_target;
            in_target = if in_target { x >= l.off } else { x > l.on };
            bar.update(x, in_target, 0.6, dt, 1200.0);
            if i >= 120 * 64 {
                total += dt;
                on += if in_target { dt } else { 0.0 };
                flips += (was != in_target) as u32;
            }
        }
        let share = on / total;
        assert!((share - 0.6).abs() < 0.05, "{share}");
        // Paced: in and out at least every 20 s on average.
        assert!(flips >= 24, "{flips} flips in 8 minutes");
    }

    #[test]
    fn a_state_far_above_the_range_stays_in_target_for_minutes() {
        let mut bar = SuccessBar::default();
        let mut rng = crate::synth::rng::Rng::new(5);
        let dt = 1.0 / 64.0;
        for _ in 0..(60 * 64) {
            let x = 0.45 + 0.05 * rng.bipolar();
            bar.update(x, false, 0.6, dt, 1200.0);
        }
        // Two minutes at the top, in target throughout: the level it would leave below stays
        // well under the held state, though the pacer has risen as far as it may.
        let start = bar.levels(0.6);
        for _ in 0..(120 * 64) {
            bar.update(0.95, true, 0.6, dt, 1200.0);
        }
        let end = bar.levels(0.6);
        assert!(end.off < 0.75, "{start:?} -> {end:?}");
        // Fifteen more minutes while the reward eases from 0.95 to 0.65 as the listener's
        // range takes the state in: the bar, held at its limit, never asks for more than
        // CENTRE_LIMITS.1 + HYSTERESIS and stores up nothing to unwind.
        let steps = 900 * 64;
        for k in 0..steps {
            let x = 0.95 - 0.3 * k as f32 / steps as f32;
            let l = bar.levels(0.6);
            assert!(l.on <= CENTRE_LIMITS.1 + HYSTERESIS + 1e-6, "{l:?}");
            assert!(x >= l.off, "out of target at {x} with {l:?}");
            bar.update(x, true, 0.6, dt, 1200.0);
        }
        assert!(bar.trim < 1.0 && bar.pace <= PACE_LIMIT, "{bar:?}");
    }
}
