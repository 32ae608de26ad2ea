//! Per-term scoring, scales and adaptive thresholds; the reward's smoothing, hysteresis and
//! dwell. Pure and allocation-free.

pub use super::listener::{learn_then_adapt, smoothing, to_scale, Domain, Normaliser, LEARN_S};
use super::program::{Direction, Term, TermBaseline};
use crate::math::Portable;

pub use super::success::{Levels, OFF_LEVEL, ON_LEVEL};

/// The graded reward spans the listener's target ± this many standard deviations: a reward
/// term's score goes 0 → 0.5 → 1 from 3.5σ on the wrong side, through the target, to 3.5σ
/// beyond it. Wide enough that estimator noise on steady EEG moves the sound little (the
/// steady-EEG figures of `bench loop`), narrow enough that real changes move it far.
pub const SPAN_SIGMA: f32 = 3.5;
/// Where adaptive inhibit limits sit: this many standard deviations beyond the listener's
/// mean, on the permitted side (85 % of a normal distribution is inside).
pub const INHIBIT_SIGMA: f32 = 1.04;
/// Time constant of the sustained reward that decides "in target", s (or the reward
/// smoothing, when that is longer). In-target is a judgement over seconds; the sound follows
/// the faster reward.
pub const SUSTAIN_TAU_S: f32 = 2.0;

/// Graded score of a term with margin `m` (standard deviations on the successful side of the
/// threshold; negative on the wrong side), and whether it is a success.
///
/// Rewards: `0.5 + m / (2·SPAN_SIGMA)`, clamped to 0..1 — proportional to the distance from
/// the target across the listener's range. Inhibits: 1 while satisfied, falling to 0 at
/// `SPAN_SIGMA` beyond. "Toward" terms take `m = −|distance|` and score `1 + m / SPAN_SIGMA`
/// (1 at the target, 0 `SPAN_SIGMA` deviations away); a success is within one deviation.
pub fn graded(direction: Direction, inhibit: bool, m: f32) -> (f32, bool) {
    let m = if m.is_finite() { m } else { -SPAN_SIGMA };
    if direction == Direction::Toward {
        return ((1.0 + m / SPAN_SIGMA).clamp(0.0, 1.0), m > -1.0);
    }
    if inhibit {
        ((1.0 + m.min(0.0) / SPAN_SIGMA).clamp(0.0, 1.0), m >= 0.0)
    } else {
        ((0.5 + m / (2.0 * SPAN_SIGMA)).clamp(0.0, 1.0), m > 0.0)
    }
}

/// The live state of one term.
#[derive(Clone, Debug, PartialEq)]
pub struct TermState {
    /// The raw value's range, for relative and z scales when the program carries no
    /// baseline (learned and adapted like `norm`).
    pub running: Normaliser,
    /// The listener's mean and spread of the term's value, in its domain.
    pub norm: Normaliser,
    /// The space values are normalised in.
    pub domain: Domain,
    /// Smallest spread the score divides by (the program's soft margin, in the domain): a
    /// listener whose value barely moves is not stretched over the whole range.
    pub floor: f32,
    /// Success when the value is above the threshold (reward "up", inhibit floor).
    pub above: bool,
    /// Whether this is an inhibit term.
    pub inhibit: bool,
    /// Adaptive target offset: standard deviations beyond the listener's mean toward
    /// success (0: the target is the listener's own running mean; inhibits sit
    /// [`INHIBIT_SIGMA`] on the permitted side). For "toward" terms, the natural log of how
    /// much tighter than one deviation the tolerance around the target is.
    pub offset: f32,
    /// Target parameter position the threshold last started from.
    pub position: f32,
    /// A saved threshold (term scale) to turn into an offset once the normaliser has data.
    pub pending: Option<f32>,
    /// The value in the term's scale at the last valid frame.
    pub value: f32,
    /// The threshold in use at the last valid frame (term scale).
    pub threshold: f32,
    /// Score at the last valid frame.
    pub score: f32,
    /// The score smoothed up to the loop time (see [`TermState::smooth`]).
    pub smoothed: f32,
    /// Success at the last valid frame.
    pub success: bool,
}

impl TermState {
    /// A fresh state for `term` at target position `position`.
    pub fn new(term: &Term, position: f32, inhibit: bool) -> Self {
        let domain = Domain::of(term);
        let floor = 0.5 * (domain.to(term.target + term.width) - domain.to(term.target)).abs();
        // Rewards "up" and inhibit floors succeed above; rewards "down" and ceilings below.
        let above = term.direction != Direction::Down;
        Self {
            running: Normaliser::default(),
            norm: Normaliser::default(),
            domain,
            floor: if floor.is_finite() && floor > 0.0 {
                floor
            } else {
                0.05
            },
            above,
            inhibit,
            offset: if inhibit { -INHIBIT_SIGMA } else { 0.0 },
            position,
            pending: None,
            value: 0.0,
            threshold: term.threshold_at(position),
            score: 0.0,
            smoothed: 0.0,
            success: false,
        }
    }

    /// Smooths the latest score with time constant `tau` (`first`: start from it). Each term
    /// gets the smoothing its feature's estimator has not already done, so that every term
    /// reaches the reward after about the same loop time.
    pub fn smooth(&mut self, dt: f32, tau: f32, first: bool) {
        if first {
            self.smoothed = self.score;
        } else {
            self.smoothed += (self.score - self.smoothed) * smoothing(dt, tau);
        }
    }

    /// The listener's range in the term's scale: one deviation either side of the mean (the
    /// middle two thirds of what the listener has shown; low before high).
    pub fn range(&self) -> (f32, f32) {
        let sd = self.norm.std();
        let (a, b) = (
            self.domain.from(self.norm.mean - sd),
            self.domain.from(self.norm.mean + sd),
        );
        (a.min(b), a.max(b))
    }

    /// The threshold (term scale) the adaptive offset stands for now.
    fn adaptive_threshold(&self) -> f32 {
        let sd = self.norm.spread(self.floor);
        let sign = if self.above { 1.0 } else { -1.0 };
        self.domain.from(self.norm.mean + sign * self.offset * sd)
    }

    /// The offset that puts the threshold at `theta` (term scale).
    pub(super) fn offset_for(&self, theta: f32) -> f32 {
        let sd = self.norm.spread(self.floor);
        let sign = if self.above { 1.0 } else { -1.0 };
        sign * (self.domain.to(theta) - self.norm.mean) / sd
    }

    /// Scores raw feature value `raw` (`dt` seconds after the previous valid frame); `tau` is
    /// the adaptation time, s.
    ///
    /// The value joins the listener's range (unless `fixed`: a calibrated range without
    /// adaptive targets), which is learned over the first minute and then adapts over `tau`. With `adapt` the threshold sits `offset` deviations beyond the listener's
    /// mean (restarted from the target position whenever the position moves), unless
    /// `freeze` holds it where it is; otherwise it is the position's threshold. Toward-terms
    /// keep the position's target and adapt their tolerance instead.
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
        tau: f32,
    ) -> (f32, bool) {
        self.running.push(raw, dt, tau);
        let base = baseline
            .copied()
            .unwrap_or_else(|| self.running.as_baseline());
        let x = to_scale(term.kind, raw, &base);
        let w = self.domain.to(x);
        let fixed = baseline.is_some() && !adapt;
        if !fixed {
            self.norm.push(w, dt, tau);
        }
        let positioned = term.threshold_at(position);
        let adaptive = adapt && term.direction != Direction::Toward;
        if (position - self.position).abs() > 1e-4 {
            // The user (or automation) moved the target: it wins over adaptation.
            self.position = position;
            self.pending = None;
            self.threshold = positioned;
            if adaptive {
                self.offset = self.offset_for(positioned);
            }
        } else if let Some(theta) = self.pending.filter(|_| self.norm.elapsed >= 5.0) {
            self.offset = self.offset_for(theta);
            self.pending = None;
        }
        let theta = if !adaptive {
            positioned
        } else if freeze {
            self.threshold
        } else {
            self.adaptive_threshold()
        };
        let sd = self.norm.spread(self.floor);
        let d = (w - self.domain.to(theta)) / sd;
        let m = match term.direction {
            // Adaptive "toward" terms keep their target and tighten or widen the tolerance.
            Direction::Toward if adapt => -d.abs() * self.offset.libm_exp(),
            Direction::Toward => -d.abs(),
            _ if self.above => d,
            _ => -d,
        };
        let (s, ok) = graded(term.direction, self.inhibit, m);
        self.value = x;
        self.threshold = theta;
        self.score = s;
        self.success = ok;
        (s, ok)
    }
}

/// Reward smoothing, the sustained level and its hysteresis + dwell "in target" state, and
/// success accounting.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RewardState {
    /// Reward 0..1 as the sound follows it: the terms' smoothed scores combined.
    pub level: f32,
    /// The reward over the last two seconds or so ([`SUSTAIN_TAU_S`]): what "in target" judges.
    pub sustained: f32,
    /// Unsmoothed reward of the last valid frame.
    pub raw: f32,
    /// Sustained success (hysteresis + dwell).
    pub in_target: bool,
    /// Seconds the sustained reward has been above [`ON_LEVEL`] while not yet in target.
    pub dwell: f32,
    /// The share of time in target: of all the time so far, until the adaptation time has
    /// passed, then over about the adaptation time (an exponential average). The one
    /// definition of success, on the same slow scale as the listener's range; adaptive
    /// targets steer it toward the goal.
    pub success_rate: f32,
    /// Seconds of valid (not held) feedback.
    pub valid_s: f32,
    /// Seconds spent in target.
    pub in_target_s: f32,
    /// Whether the last frame was held for poor quality.
    pub held: bool,
}

impl RewardState {
    /// Feeds one valid frame's raw reward and the reward the sound follows (`level`, from
    /// the terms' smoothed scores), `dt` seconds after the last. `loop_s` is the response
    /// time; the sustained reward enters "in target" above `levels.on` (after `dwell_s`) and
    /// leaves below `levels.off`; `tau` is the adaptation time the success rate averages
    /// over, s.
    #[allow(clippy::too_many_arguments)]
    pub fn update(
        &mut self,
        raw: f32,
        level: f32,
        dt: f32,
        loop_s: f32,
        dwell_s: f32,
        levels: Levels,
        tau: f32,
    ) {
        let dt = dt.clamp(0.0, 1.0);
        let first = self.valid_s == 0.0 && dt == 0.0;
        self.raw = raw;
        self.level = level;
        if first {
            self.sustained = raw;
        } else {
            self.sustained += (raw - self.sustained) * smoothing(dt, loop_s.max(SUSTAIN_TAU_S));
        }
        self.valid_s += dt;
        if self.in_target {
            self.in_target_s += dt;
            if self.sustained < levels.off {
                self.in_target = false;
                self.dwell = 0.0;
            }
        } else if self.sustained > levels.on {
            self.dwell += dt;
            if self.dwell >= dwell_s {
                self.in_target = true;
            }
        } else {
            self.dwell = 0.0;
        }
        let s = if self.in_target { 1.0 } else { 0.0 };
        if first {
            self.success_rate = 0.0;
        }
        self.success_rate += (s - self.success_rate) * learn_then_adapt(dt, self.valid_s, tau, tau);
        self.held = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graded_scores_cross_half_at_the_target_and_span_the_listener_range() {
        let s = SPAN_SIGMA;
        assert_eq!(graded(Direction::Up, false, 0.0), (0.5, false));
        assert_eq!(graded(Direction::Up, false, s), (1.0, true));
        assert_eq!(graded(Direction::Up, false, -s), (0.0, false));
        assert!((graded(Direction::Up, false, s / 2.0).0 - 0.75).abs() < 1e-6);
        // Inhibits: whole while satisfied, gone SPAN_SIGMA beyond.
        assert_eq!(graded(Direction::Down, true, 0.5), (1.0, true));
        assert!((graded(Direction::Down, true, -s / 2.0).0 - 0.5).abs() < 1e-6);
        assert_eq!(graded(Direction::Down, true, -2.0 * s), (0.0, false));
        assert_eq!(graded(Direction::Toward, false, 0.0), (1.0, true));
        assert!(!graded(Direction::Toward, false, -1.5).1);
    }

    #[test]
    fn the_range_is_the_first_minute_then_adapts_over_the_adaptation_time() {
        let mut n = Normaliser::default();
        let mut rng = crate::synth::rng::Rng::new(9);
        let tau = 600.0;
        // The first minute of a uniform value on [4, 8) at 64 frames/s: mean 6, sd 2/sqrt(3),
        // every value weighted alike.
        let (mut sum, mut sum2, mut k) = (0.0f64, 0.0f64, 0.0f64);
        for _ in 0..(60 * 64) {
            let x = 6.0 + 2.0 * rng.bipolar();
            n.push(x, 1.0 / 64.0, tau);
            sum += x as f64;
            sum2 += (x as f64).powi(2);
            k += 1.0;
        }
        let (mean, sd) = (sum / k, (sum2 / k - (sum / k).powi(2)).sqrt());
        assert!((n.mean as f64 - mean).abs() < 1e-3, "{} vs {mean}", n.mean);
        assert!((n.std() as f64 - sd).abs() < 1e-3, "{} vs {sd}", n.std());
        assert!((n.std() - 1.1547).abs() < 0.06, "{}", n.std());
        assert_eq!(n.learned(tau), 1.0);
        assert_eq!(n.spread(5.0), 5.0);
        // Then a held value 3 deviations up: after one adaptation time the mean has moved
        // 1 - 1/e of the way, as an exponential average with that time constant does.
        let held = 6.0 + 3.0 * 1.1547;
        let before = n.mean;
        for _ in 0..(600 * 64) {
            n.push(held, 1.0 / 64.0, tau);
        }
        let moved = (n.mean - before) / (held - before);
        assert!((moved - (1.0 - (-1.0f32).exp())).abs() < 0.01, "{moved}");
        // Off: learned, then held.
        let mut fixed = Normaliser::prior(1.0, 0.5);
        for _ in 0..1000 {
            fixed.push(9.0, 1.0 / 64.0, f32::INFINITY);
        }
        assert_eq!((fixed.mean, fixed.std()), (1.0, 0.5));
    }

    #[test]
    fn domains_invert() {
        for d in [Domain::Linear, Domain::Amplitude, Domain::AmplitudeOdds] {
            for x in [0.01f32, 0.25, 0.5, 0.9] {
                assert!((d.from(d.to(x)) - x).abs() < 1e-5, "{d:?} {x}");
            }
        }
    }

    #[test]
    fn hysteresis_needs_dwell_and_releases_below_the_off_level() {
        let mut r = RewardState::default();
        let mut entered_at = None;
        for i in 0..200 {
            let x = if i == 0 { 0.0 } else { 1.0 };
            r.update(
                x,
                x,
                if i == 0 { 0.0 } else { 0.05 },
                0.1,
                2.0,
                Levels::FIXED,
                60.0,
            );
            if r.in_target && entered_at.is_none() {
                entered_at = Some(i as f32 * 0.05);
            }
        }
        let t = entered_at.expect("never entered");
        // The sustained level (2 s) passes 0.6 at 2·ln(2.5) = 1.83 s, plus the 2 s dwell.
        assert!((t - 3.83).abs() < 0.1, "entered at {t}");
        // A dip to 0.5 (between the levels) does not leave.
        for _ in 0..100 {
            r.update(0.5, 0.5, 0.05, 0.1, 2.0, Levels::FIXED, 60.0);
        }
        assert!(r.in_target);
        for _ in 0..100 {
            r.update(0.0, 0.0, 0.05, 0.1, 2.0, Levels::FIXED, 60.0);
        }
        assert!(!r.in_target);
        assert!(r.in_target_s > 5.0 && r.in_target_s < r.valid_s);
        // The reported success rate is the share of all the time so far in target (less
        // than the adaptation time has passed).
        let share = r.in_target_s / r.valid_s;
        assert!(
            (r.success_rate - share).abs() < 0.01,
            "{} vs {share}",
            r.success_rate
        );
    }
}
