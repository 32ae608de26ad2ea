//! Per-term scoring, scales and adaptive thresholds; the reward's smoothing, hysteresis and
//! dwell. Pure and allocation-free.

use super::program::{Direction, TargetKind, Term, TermBaseline};
use crate::features::baseline::AdaptiveThreshold;

/// Time constant of the running normaliser used when there is no baseline, seconds.
pub const RUNNING_TAU_S: f32 = 60.0;
/// Smoothed reward above which the in-target state may start (after the dwell time).
pub const ON_LEVEL: f32 = 0.6;
/// Smoothed reward below which the in-target state ends.
pub const OFF_LEVEL: f32 = 0.4;
/// Success rate inhibits aim for under adaptive targets: they should bite on clear excursions
/// only (15 % of the time), whatever the reward terms aim for.
pub const INHIBIT_SATISFIED_RATE: f32 = 0.85;

/// A running mean and deviation (exponential, [`RUNNING_TAU_S`]) standing in for a baseline.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RunningStats {
    /// Mean.
    pub mean: f32,
    /// Variance.
    pub var: f32,
    /// Whether a first value arrived.
    pub started: bool,
}

impl RunningStats {
    /// Adds `x`, `dt` seconds after the previous value.
    pub fn push(&mut self, x: f32, dt: f32) {
        if !x.is_finite() {
            return;
        }
        if !self.started {
            *self = Self {
                mean: x,
                var: 0.0,
                started: true,
            };
            return;
        }
        // Faster start: a minute-long average would otherwise sit on the first values.
        let a = (1.0 - (-dt.max(0.0) / RUNNING_TAU_S).exp()).max(0.0);
        let d = x - self.mean;
        self.mean += a * d;
        self.var = (1.0 - a) * (self.var + a * d * d);
    }

    /// As baseline numbers (median taken as the mean).
    pub fn as_baseline(&self) -> TermBaseline {
        TermBaseline {
            mean: self.mean,
            std: self.var.max(0.0).sqrt(),
            median: self.mean,
        }
    }
}

/// `x` in the scale `kind`, against `base`.
pub fn to_scale(kind: TargetKind, x: f32, base: &TermBaseline) -> f32 {
    match kind {
        TargetKind::Absolute => x,
        TargetKind::Relative => {
            if base.median.abs() > 1e-12 {
                x / base.median
            } else {
                1.0
            }
        }
        TargetKind::Z => {
            if base.std > 1e-12 {
                (x - base.mean) / base.std
            } else {
                0.0
            }
        }
    }
}

/// How well value `x` meets threshold `theta`: a score 0..1 that crosses 0.5 at the threshold
/// and saturates `width` beyond it (smoothstep), and whether it is a success.
pub fn score(direction: Direction, x: f32, theta: f32, width: f32) -> (f32, bool) {
    let w = width.max(1e-9);
    let margin = match direction {
        Direction::Up => (x - theta) / w,
        Direction::Down => (theta - x) / w,
        // Full score at the target, zero at `width` away.
        Direction::Toward => 1.0 - 2.0 * (x - theta).abs() / w,
    };
    let u = (0.5 + 0.5 * margin).clamp(0.0, 1.0);
    (u * u * (3.0 - 2.0 * u), margin > 0.0)
}

/// The live state of one term.
#[derive(Clone, Debug, PartialEq)]
pub struct TermState {
    /// Running statistics (used when the program carries no baseline).
    pub running: RunningStats,
    /// Adaptive threshold (in the term's scale).
    pub adaptive: AdaptiveThreshold,
    /// Target parameter position the adaptive threshold last started from.
    pub position: f32,
    /// The value in the term's scale at the last valid frame.
    pub value: f32,
    /// The threshold in use at the last valid frame.
    pub threshold: f32,
    /// Score at the last valid frame.
    pub score: f32,
    /// Success at the last valid frame.
    pub success: bool,
}

impl TermState {
    /// A fresh state for `term` at target position `position`.
    pub fn new(term: &Term, position: f32, inhibit: bool, success_rate: f32) -> Self {
        let theta = term.threshold_at(position);
        let rate = if inhibit {
            INHIBIT_SATISFIED_RATE
        } else {
            success_rate
        };
        // Speed limit: the whole target range in about two minutes.
        let max_speed = ((term.max - term.min).abs() / 120.0).max(1e-6);
        Self {
            running: RunningStats::default(),
            adaptive: AdaptiveThreshold::new(
                theta,
                rate,
                term.direction != Direction::Down,
                max_speed,
            ),
            position,
            value: 0.0,
            threshold: theta,
            score: 0.0,
            success: false,
        }
    }

    /// Scores raw feature value `raw` (`dt` seconds after the previous valid frame).
    ///
    /// With `adapt` the threshold follows the adaptive tracker (started from the target
    /// position, restarted whenever the position moves), unless `freeze`; otherwise it is the
    /// position's threshold. Toward-terms never adapt (there is no "harder" side).
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        term: &Term,
        baseline: Option<&TermBaseline>,
        raw: f32,
        dt: f32,
        position: f32,
        adapt: bool,
        freeze: bool,
    ) -> (f32, bool) {
        self.running.push(raw, dt);
        let base = baseline
            .copied()
            .unwrap_or_else(|| self.running.as_baseline());
        let x = to_scale(term.kind, raw, &base);
        let positioned = term.threshold_at(position);
        if (position - self.position).abs() > 1e-4 {
            // The user (or automation) moved the target: it wins over adaptation.
            self.position = position;
            self.adaptive.threshold = positioned;
        }
        let theta = if adapt && term.direction != Direction::Toward {
            self.adaptive.frozen = freeze;
            self.adaptive.update(x, dt);
            self.adaptive.threshold
        } else {
            self.adaptive.threshold = positioned;
            positioned
        };
        let (s, ok) = score(term.direction, x, theta, term.width);
        self.value = x;
        self.threshold = theta;
        self.score = s;
        self.success = ok;
        (s, ok)
    }
}

/// Reward smoothing, the hysteresis + dwell "in target" state, and success accounting.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RewardState {
    /// Smoothed reward 0..1.
    pub level: f32,
    /// Unsmoothed reward of the last valid frame.
    pub raw: f32,
    /// Sustained success (hysteresis + dwell).
    pub in_target: bool,
    /// Seconds the reward has been above [`ON_LEVEL`] while not yet in target.
    pub dwell: f32,
    /// Recent success rate (share of valid frames where every term succeeded, 30 s average).
    pub success_rate: f32,
    /// Seconds of valid (not held) feedback.
    pub valid_s: f32,
    /// Seconds spent in target.
    pub in_target_s: f32,
    /// Whether the last frame was held for poor quality.
    pub held: bool,
}

impl RewardState {
    /// Feeds one valid frame's raw reward and binary success, `dt` seconds after the last.
    pub fn update(&mut self, raw: f32, success: bool, dt: f32, smoothing_s: f32, dwell_s: f32) {
        let dt = dt.clamp(0.0, 1.0);
        let a = if smoothing_s > 1e-3 {
            1.0 - (-dt / smoothing_s).exp()
        } else {
            1.0
        };
        self.raw = raw;
        self.level += (raw - self.level) * a;
        let s = if success { 1.0 } else { 0.0 };
        if self.valid_s == 0.0 {
            self.success_rate = s;
        }
        self.success_rate += (s - self.success_rate) * (1.0 - (-dt / 30.0).exp());
        self.valid_s += dt;
        if self.in_target {
            self.in_target_s += dt;
            if self.level < OFF_LEVEL {
                self.in_target = false;
                self.dwell = 0.0;
            }
        } else if self.level > ON_LEVEL {
            self.dwell += dt;
            if self.dwell >= dwell_s {
                self.in_target = true;
            }
        } else {
            self.dwell = 0.0;
        }
        self.held = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_crosses_half_at_the_threshold() {
        for d in [Direction::Up, Direction::Down] {
            let (s, _) = score(d, 1.0, 1.0, 0.2);
            assert!((s - 0.5).abs() < 1e-6);
        }
        assert_eq!(score(Direction::Up, 1.3, 1.0, 0.2), (1.0, true));
        assert_eq!(score(Direction::Up, 0.7, 1.0, 0.2), (0.0, false));
        assert_eq!(score(Direction::Down, 0.7, 1.0, 0.2), (1.0, true));
        assert_eq!(score(Direction::Toward, 0.1, 0.1, 0.2), (1.0, true));
        assert!(!score(Direction::Toward, 0.25, 0.1, 0.2).1);
    }

    #[test]
    fn hysteresis_needs_dwell_and_releases_below_the_off_level() {
        let mut r = RewardState::default();
        // High reward: enters only after the dwell time (2 s) once the level passes 0.6.
        let mut entered_at = None;
        for i in 0..200 {
            r.update(1.0, true, 0.05, 0.5, 2.0);
            if r.in_target && entered_at.is_none() {
                entered_at = Some(i as f32 * 0.05);
            }
        }
        let t = entered_at.expect("never entered");
        // Level passes 0.6 at 0.5·ln(2.5) = 0.46 s, plus 2 s dwell.
        assert!((t - 2.46).abs() < 0.1, "entered at {t}");
        // A dip to 0.5 (between the levels) does not leave.
        for _ in 0..100 {
            r.update(0.5, false, 0.05, 0.5, 2.0);
        }
        assert!(r.in_target);
        for _ in 0..100 {
            r.update(0.0, false, 0.05, 0.5, 2.0);
        }
        assert!(!r.in_target);
        assert!(r.in_target_s > 5.0 && r.in_target_s < r.valid_s);
    }

    #[test]
    fn running_stats_follow_a_stationary_signal() {
        let mut s = RunningStats::default();
        let mut rng = crate::synth::rng::Rng::new(5);
        for _ in 0..20_000 {
            s.push(3.0 + 2.0 * rng.bipolar(), 1.0 / 32.0);
        }
        // Uniform on [1, 5): mean 3, std 2/sqrt(3).
        assert!((s.mean - 3.0).abs() < 0.15, "{}", s.mean);
        let sd = s.var.sqrt();
        assert!((sd - 1.1547).abs() < 0.1, "{sd}");
    }
}
