//! The neurofeedback engine: each [`FeatureFrame`] plus the user's program becomes a reward,
//! and the reward (and any feature) becomes synth [`Modulation`] through the mapping matrix.
//!
//! It runs inside the audio callback: everything here is `Copy`-sized state, no allocation,
//! no lock. Frames arrive at the EEG hop rate (64 per second); between frames the audio
//! thread calls [`Feedback::advance`] per block so time-based behaviour (stale-data fade,
//! entrainment glide) follows the audio clock, which makes offline renders deterministic.
//!
//! Scoring (see [`reward`]): each term's value is read against the listener's range — a mean
//! and spread learned over the first minute ([`reward::LEARN_S`], or taken from a
//! calibration), then adapted over the adaptation time ([`adaptation`], minutes), in an
//! amplitude domain where strong and weak listeners look alike (the square root of a power or
//! ratio, the square root of the odds of a share of power) — and scored in proportion to its
//! distance from the target across ±[`reward::SPAN_SIGMA`] deviations (0.5 at the target).
//! With adaptive targets the thresholds sit a controlled number of deviations beyond the
//! listener's mean, and the in-target bar is steered, on the same slow scale, so the share of
//! time "in target" meets the goal: the reported success rate is that share.
//!
//! Time scales, fastest first. Tenths of a second (the loop's latency budget, tested in
//! `tests/loop_latency.rs` and printed by `melodiasync bench loop`): the band estimator's group
//! delay (quadrature: 85–222 ms by band, alpha 133 ms; Welch: about half its 1 s window), the
//! frame hop (16 ms live), each term's smoothing (topping its filter delay up to the response
//! time, default 0.2 s), then the audio block and the synth's 60 ms control smoothing. Routes
//! take the reward as it is: nothing is smoothed twice. Seconds: "in target" judges the reward
//! sustained over about two seconds ([`reward::SUSTAIN_TAU_S`]) plus the program's dwell time;
//! stale data holds for the hold time (default 3 s), then fades to neutral over
//! [`FADE_OUT_S`] and back in over [`FADE_IN_S`]. Minutes: the listener's range, the in-target
//! bar and the success rate (the adaptation time), so a state reached and held is heard as
//! held (`tests/hold.rs`).

pub mod adaptation;
mod compiled;
pub mod factory;
mod knobs;
mod listener;
pub mod mapping;
pub mod program;
pub mod reward;
mod setup;
mod snapshot;
pub mod success;
mod timing;

use crate::math::Portable;
use mapping::{apply_routes, blend, RouteSource, MAX_ROUTES};
use program::{CompiledProgram, MAX_TERMS};
use reward::{smoothing, Levels, Normaliser, RewardState, TermState};
use success::SuccessBar;

use crate::features::FeatureFrame;
use crate::synth::Modulation;
pub use adaptation::Adaptation;
pub use knobs::{FeedbackKnobs, DEFAULT_SMOOTHING_S};
pub use setup::{Condition, FeedbackSetup};
pub use snapshot::{AdaptiveSnapshot, FeedbackSnapshot};
pub use timing::{Glide, PacerGlide, StaleGate, PACER_GLIDE_FROM_MAX, PACER_GLIDE_PER_MIN};

/// Seconds to fade from full feedback to neutral once data is stale.
pub const FADE_OUT_S: f32 = 8.0;
/// Seconds to fade back in when frames return.
pub const FADE_IN_S: f32 = 3.0;
/// Peak-alpha confidence needed before the entrainment glide trusts the measured peak.
const PEAK_CONFIDENCE: f32 = 0.3;
/// Time constant of the in-target glide (chimes come and go gently), seconds.
const IN_TARGET_TAU_S: f32 = 1.0;

/// The feedback engine (one per plugin instance, owned by the audio thread).
#[derive(Clone, Debug)]
pub struct Feedback {
    /// The program in use.
    program: CompiledProgram,
    /// Per-term state.
    terms: [TermState; MAX_TERMS],
    /// Reward state.
    reward: RewardState,
    /// The range of each route source (z-score routes without a baseline).
    route_stats: [Normaliser; MAX_ROUTES],
    /// Smoothed normalised route sources.
    sources: [f32; MAX_ROUTES],
    /// In-target state gliding 0..1.
    in_target_glide: f32,
    /// Stale-data fade.
    stale: StaleGate,
    /// Entrainment glide.
    glide: Glide,
    /// Source time of the last valid frame.
    last_time: Option<f64>,
    /// Frames scored.
    frames: u64,
    /// Adaptive targets' in-target bar (the sustained reward's range and the trim).
    bar: SuccessBar,
    /// The levels in-target was judged by at the last frame (for the snapshot).
    levels: Levels,
    /// What the last frame lacked.
    missing: Missing,
    /// The adaptation time in force at the last frame, s (for the snapshot).
    adaptation_s: f32,
}

/// What a program could not use in a frame (for the status line and the session log).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Missing {
    /// It has EEG terms and the EEG was unusable (no stream, poor quality).
    pub eeg: bool,
    /// It has heart terms and the heart analysis was holding (no sensor, bad signal).
    pub heart: bool,
    /// No reward term was usable: the feedback held.
    pub held: bool,
}

impl Missing {
    /// The status sentence ("" when nothing is missing).
    pub fn sentence(self) -> &'static str {
        match (self.eeg, self.heart, self.held) {
            (false, false, _) => "",
            (true, true, _) => "No usable EEG or heart signal: the feedback holds.",
            (true, false, true) => "No usable EEG: the feedback holds.",
            (false, true, true) => "No usable heart signal: the feedback holds.",
            (true, false, false) => {
                "No usable EEG: the program follows the heart alone until it returns."
            }
            (false, true, false) => {
                "No heart signal: the program follows the EEG alone until it returns."
            }
        }
    }
}

impl Feedback {
    /// An engine running `program`.
    pub fn new(program: CompiledProgram) -> Self {
        let knobs = FeedbackKnobs::default();
        Self {
            terms: Self::fresh_terms(&program, &knobs),
            program,
            reward: RewardState::default(),
            route_stats: [Normaliser::default(); MAX_ROUTES],
            sources: [0.0; MAX_ROUTES],
            in_target_glide: 0.0,
            stale: StaleGate::default(),
            glide: Glide::default(),
            last_time: None,
            frames: 0,
            bar: SuccessBar::default(),
            levels: Levels::FIXED,
            missing: Missing::default(),
            adaptation_s: program.adaptation_s,
        }
    }

    /// The adaptation time in force, s (infinite: the range stays where it was learned).
    pub fn adaptation_s(&self, knobs: &FeedbackKnobs) -> f32 {
        knobs.adaptation.seconds(self.program.adaptation_s)
    }

    /// The success-rate goal in force.
    fn goal(program: &CompiledProgram, knobs: &FeedbackKnobs) -> f32 {
        knobs
            .success_rate
            .unwrap_or(program.success_rate)
            .clamp(0.05, 0.95)
    }

    /// Term states for a program.
    fn fresh_terms(program: &CompiledProgram, knobs: &FeedbackKnobs) -> [TermState; MAX_TERMS] {
        std::array::from_fn(|i| {
            let term = &program.terms[i];
            let mut st = TermState::new(term, knobs.positions[i], i >= program.rewards);
            if let Some(b) = &program.baseline[i] {
                // Calibration sets the listener's range from the baseline percentiles
                // (15th–85th: ±1.04 deviations of a normal distribution).
                let w = |raw: f32| st.domain.to(reward::to_scale(term.kind, raw, b));
                let sd = ((w(b.high) - w(b.low)) / 2.073).abs();
                st.norm = Normaliser::prior(w(b.median), sd);
                // Adaptive targets start where the calibration put them (its percentile),
                // then follow the listener's range from there.
                if term.direction != program::Direction::Toward {
                    st.offset = st.offset_for(term.threshold_at(knobs.positions[i]));
                }
            }
            st
        })
    }

    /// How long the program's slowest usable reward term lags the body in `frame`, s: its
    /// band estimator's group delay (a heart term's: half its window).
    pub fn estimator_delay_s(&self, frame: &FeatureFrame) -> f32 {
        (0..self.program.rewards.max(1))
            .filter(|i| self.usable(*i, frame))
            .map(|i| self.program.terms[i].feature.delay_s(frame))
            .fold(0.0, f32::max)
    }

    /// The program in use.
    pub fn program(&self) -> &CompiledProgram {
        &self.program
    }

    /// Switches program (allocation-free): scores restart, the stale fade and glide carry on
    /// so the sound does not jump.
    pub fn set_program(&mut self, program: CompiledProgram, knobs: &FeedbackKnobs) {
        self.program = program;
        self.terms = Self::fresh_terms(&program, knobs);
        self.reward = RewardState::default();
        self.bar = SuccessBar::default();
        self.levels = Levels::FIXED;
        self.adaptation_s = program.adaptation_s;
        self.route_stats = [Normaliser::default(); MAX_ROUTES];
        self.glide = Glide::default();
    }

    /// Forgets the session (scores, statistics, glide); keeps the program.
    pub fn reset(&mut self) {
        *self = Self::new(self.program);
    }

    /// Whether term `i` can be scored from `frame`: an EEG term needs a valid frame of the
    /// program's quality, a heart term a valid heart analysis (see
    /// [`crate::features::baseline::FeatureId::available`]).
    fn usable(&self, i: usize, frame: &FeatureFrame) -> bool {
        let id = self.program.terms[i].feature;
        id.available(frame) && (id.is_heart() || frame.quality >= self.program.min_quality)
    }

    /// What the program lacks in `frame`: which of its inputs (EEG, heart) it uses but cannot
    /// score now, and whether the whole frame is held for it.
    fn missing(&self, frame: &FeatureFrame) -> Missing {
        let p = &self.program;
        let mut m = Missing::default();
        for i in 0..p.rewards + p.inhibits {
            if !self.usable(i, frame) {
                if p.terms[i].feature.is_heart() {
                    m.heart = true;
                } else {
                    m.eeg = true;
                }
            }
        }
        m.held = (0..p.rewards).all(|i| !self.usable(i, frame));
        m
    }

    /// Scores one frame. Terms the frame cannot feed (invalid or poor-quality EEG, a heart
    /// analysis that is holding) sit out and keep their state; the reward comes from the
    /// rest. When no reward term is usable the frame holds everything (the reward does not
    /// follow artifacts) and does not count as fresh data.
    pub fn on_frame(&mut self, frame: &FeatureFrame, knobs: &FeedbackKnobs) {
        let p = self.program;
        if let Some(e) = &p.entrainment {
            self.glide.start(frame, e);
        }
        self.missing = self.missing(frame);
        if self.missing.held {
            self.reward.held = true;
            return;
        }
        let dt = self
            .last_time
            .map_or(0.0, |t| (frame.time - t).clamp(0.0, 1.0) as f32);
        self.last_time = Some(frame.time);
        self.stale.fresh();
        self.frames += 1;

        // Rewards: weighted mean of graded scores; inhibits pull it down as they are exceeded.
        // Each score is smoothed up to the response time, less what its band filter has
        // already spent, so every term answers after about the same loop time.
        let loop_s = knobs.smoothing_s.max(0.0);
        let tau = self.adaptation_s(knobs);
        self.adaptation_s = tau;
        let first = self.frames == 1;
        let (mut sum, mut level_sum, mut weights) = (0.0, 0.0, 0.0);
        for i in 0..p.rewards + p.inhibits {
            if !self.usable(i, frame) {
                continue;
            }
            let t = &p.terms[i];
            let raw = t.feature.of(frame);
            self.terms[i].update(
                t,
                p.baseline[i].as_ref(),
                raw,
                dt,
                knobs.positions[i],
                knobs.adaptive,
                knobs.freeze,
                tau,
            );
            let topping = (loop_s - t.feature.delay_s(frame)).max(0.0);
            self.terms[i].smooth(dt, topping, first);
            if i < p.rewards {
                sum += t.weight * self.terms[i].score;
                level_sum += t.weight * self.terms[i].smoothed;
                weights += t.weight;
            }
        }
        let (mut reward, mut level) = if weights > 0.0 {
            (sum / weights, level_sum / weights)
        } else {
            (0.0, 0.0)
        };
        for i in (p.rewards..p.rewards + p.inhibits).filter(|i| self.usable(*i, frame)) {
            let w = p.terms[i].weight;
            reward *= 1.0 - w * (1.0 - self.terms[i].score);
            level *= 1.0 - w * (1.0 - self.terms[i].smoothed);
        }
        let levels = self.levels(knobs);
        self.levels = levels;
        self.reward
            .update(reward, level, dt, loop_s, p.dwell_s, levels, tau);
        self.steer_share(knobs, dt, tau);

        // Route sources. The reward goes as it is (its terms are smoothed once, above);
        // features are smoothed up to the response time like the terms.
        for i in 0..p.route_count {
            let source = p.routes[i].source;
            let u = match source {
                // Follows the in-target glide on the audio clock (see `advance`).
                RouteSource::InTarget => continue,
                RouteSource::Reward => {
                    self.sources[i] = self.reward.level;
                    continue;
                }
                _ => self.route_value(i, frame, dt, tau),
            };
            let delay = source.feature().map_or(0.0, |id| id.delay_s(frame));
            let a = smoothing(dt, (loop_s - delay).max(0.0));
            self.sources[i] += if first {
                u - self.sources[i]
            } else {
                (u - self.sources[i]) * a
            };
        }
    }

    /// The levels "in target" starts above and ends below: fixed, or with adaptive targets
    /// the listener's own ([`success`]).
    fn levels(&self, knobs: &FeedbackKnobs) -> Levels {
        if knobs.adaptive {
            self.bar.levels(Self::goal(&self.program, knobs))
        } else {
            Levels::FIXED
        }
    }

    /// Adaptive targets: the in-target bar learns the sustained reward's range and, once it is
    /// learned, trims itself toward the goal share over the adaptation time `tau`
    /// ([`SuccessBar::update`]). It moves only the bar the sustained reward
    /// must clear, never the graded reward the sound follows, so the control loop cannot
    /// flatten what the listener hears; frozen targets hold it.
    fn steer_share(&mut self, knobs: &FeedbackKnobs, dt: f32, tau: f32) {
        if !knobs.adaptive || knobs.freeze {
            return;
        }
        let goal = Self::goal(&self.program, knobs);
        self.bar
            .update(self.reward.sustained, self.reward.in_target, goal, dt, tau);
    }

    /// Route `i`'s source for `frame`, normalised to 0..1.
    fn route_value(&mut self, i: usize, frame: &FeatureFrame, dt: f32, tau: f32) -> f32 {
        let r = self.program.routes[i];
        match r.source {
            RouteSource::Reward => self.reward.level,
            RouteSource::InTarget => self.in_target_glide,
            RouteSource::Feature { id, lo, hi } => (id.of(frame) - lo) / (hi - lo),
            RouteSource::Z { id } => {
                let x = id.of(frame);
                self.route_stats[i].push(x, dt, tau);
                let base = self.program.route_baseline[i]
                    .unwrap_or_else(|| self.route_stats[i].as_baseline());
                let z = reward::to_scale(program::TargetKind::Z, x, &base);
                (z + 3.0) / 6.0
            }
        }
        .clamp(0.0, 1.0)
    }

    /// Moves time-based state on by `dt` seconds of audio.
    pub fn advance(&mut self, dt: f32, knobs: &FeedbackKnobs) {
        self.stale.advance(dt, knobs.hold_s.max(0.0));
        let target = if self.reward.in_target { 1.0 } else { 0.0 };
        self.in_target_glide += (target - self.in_target_glide) * smoothing(dt, IN_TARGET_TAU_S);
        for i in 0..self.program.route_count {
            if self.program.routes[i].source == RouteSource::InTarget {
                self.sources[i] = self.in_target_glide;
            }
        }
        if let Some(e) = &self.program.entrainment {
            self.glide.advance(dt, e);
        }
    }

    /// The modulation for the synth: `base` (the Relaxation macro) with the feedback mixed in
    /// by depth × the stale fade, and the entrainment glide if on.
    pub fn modulation(
        &self,
        base: &Modulation,
        user_beat_hz: f32,
        knobs: &FeedbackKnobs,
    ) -> Modulation {
        let n = self.program.route_count;
        let fb = apply_routes(&self.program.routes[..n], &self.sources[..n]);
        let amount = knobs.depth.clamp(0.0, 1.0) * self.stale.weight;
        let mut m = blend(base, &fb, amount);
        if knobs.glide && self.glide.hz() > 0.0 && user_beat_hz > 0.0 {
            // Interpolated in pitch (log frequency): the glide and its fade sound even.
            let ratio = (self.glide.hz() / user_beat_hz).libm_log2();
            m.beat_hz = user_beat_hz * (ratio * amount).libm_exp2();
        }
        m.sanitized()
    }

    /// What the engine computed, for display and outputs.
    pub fn snapshot(&self) -> FeedbackSnapshot {
        let p = &self.program;
        let n = p.rewards + p.inhibits;
        let mut values = [0.0; MAX_TERMS];
        let mut thresholds = [0.0; MAX_TERMS];
        let mut ranges = [(0.0, 0.0); MAX_TERMS];
        for i in 0..n {
            values[i] = self.terms[i].value;
            thresholds[i] = self.terms[i].threshold;
            ranges[i] = self.terms[i].range();
        }
        let learned = (0..p.rewards)
            .map(|i| &self.terms[i].norm)
            .filter(|n| n.elapsed > 0.0)
            .map(|n| n.learned(self.adaptation_s))
            .fold(None, |lo: Option<f32>, x| {
                Some(lo.map_or(x, |lo| lo.min(x)))
            })
            .unwrap_or(0.0);
        FeedbackSnapshot {
            reward: self.reward.level,
            raw_reward: self.reward.raw,
            sustained: self.reward.sustained,
            in_target_level: self.levels.on,
            in_target: self.reward.in_target,
            success_rate: self.reward.success_rate,
            valid_s: self.reward.valid_s,
            in_target_s: self.reward.in_target_s,
            held: self.reward.held,
            engagement: self.stale.weight,
            values,
            thresholds,
            ranges,
            learned,
            adaptation_s: self.adaptation_s,
            terms: n,
            glide_hz: self.glide.hz(),
            frames: self.frames,
            missing: self.missing,
        }
    }

    /// The adaptive thresholds, for saving with the project.
    pub fn adaptive_snapshot(&self) -> AdaptiveSnapshot {
        let n = self.program.rewards + self.program.inhibits;
        let used = |i: usize, x: f32| if i < n { x } else { 0.0 };
        AdaptiveSnapshot {
            program: self.program.kind,
            thresholds: std::array::from_fn(|i| used(i, self.terms[i].threshold)),
            positions: std::array::from_fn(|i| used(i, self.terms[i].position)),
            terms: n,
            offsets: std::array::from_fn(|i| used(i, self.terms[i].offset)),
            norms: std::array::from_fn(|i| {
                if i < n {
                    self.terms[i].norm
                } else {
                    Normaliser::default()
                }
            }),
            bar: self.bar.trim,
            success: self.bar.range,
        }
    }

    /// Restores saved adaptive thresholds (ignored if the term count differs: a different
    /// program was saved).
    pub fn restore_adaptive(&mut self, saved: &AdaptiveSnapshot) {
        let n = self.program.rewards + self.program.inhibits;
        if saved.terms != n || saved.program != self.program.kind {
            return;
        }
        let usable = |r: &Normaliser| r.elapsed > 0.0 && r.mean.is_finite() && r.var.is_finite();
        for i in 0..n {
            let st = &mut self.terms[i];
            if !(saved.thresholds[i].is_finite() && saved.positions[i].is_finite()) {
                continue;
            }
            st.position = saved.positions[i];
            st.threshold = saved.thresholds[i];
            let norm = saved.norms[i];
            if usable(&norm) {
                self.bar = SuccessBar {
                    // Saved before the bar learned the sustained reward: it learns it again.
                    range: if usable(&saved.success) {
                        saved.success
                    } else {
                        Normaliser::default()
                    },
                    trim: if saved.bar.is_finite() {
                        saved.bar.clamp(-success::TRIM_LIMIT, success::TRIM_LIMIT)
                    } else {
                        0.0
                    },
                    // The pacer starts afresh: it only evens out the flips.
                    pace: 0.0,
                };
                // The session continues where it stopped: the listener's range and offset.
                st.norm = norm;
                if saved.offsets[i].is_finite() {
                    st.offset = saved.offsets[i];
                }
            } else {
                // Saved before the normaliser: the threshold becomes an offset once the
                // listener's range is known.
                st.pending = Some(saved.thresholds[i]);
            }
        }
    }
}
