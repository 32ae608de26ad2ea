//! A guided session running: which stage the listener is in, when it advances, and the
//! controls the engine uses meanwhile. Audio thread; allocation-free after construction.
//!
//! Lifecycle, on the engine's clock (the audio clock offline, so renders are deterministic):
//! 1. [`Conductor::on_frame`] for every scored EEG frame: a baseline stage records it; a
//!    condition (time in target within the stage, or the mean reward over a window) is
//!    checked, on the frame's own numbers, so the stage ends on the frame that meets it.
//! 2. [`Conductor::control_point`] at each of the synth's control points: the stage clock
//!    moves on; a fixed or maximum time ends the stage; the controls glide from where they
//!    were toward the current stage's sound (a field the stage does not set keeps the value
//!    of the last stage that did; fields no stage has set follow the host's parameters).
//! 3. A stage that ends leads to the next, or on a maximum time without success to its
//!    fallback; after the last, the session is complete and the last stage's sound holds.
//!    A baseline stage's end calibrates every program from what it recorded.

use super::baseline::StageBaseline;
use super::file::{StageKind, MAX_STAGES, MAX_VISITS};
use super::plan::{Plan, Rule};
use super::sound::{self, FIELDS, N_FIELDS};
use crate::bridge::{GuideMark, Outcome, GAP_S, MIN_BASELINE_EEG_S};
use crate::engine::{Controls, StageGuide};
use crate::features::FeatureFrame;
use crate::feedback::program::{CompiledProgram, ProgramKind};
use crate::feedback::FeedbackSnapshot;
use crate::synth::Modulation;

/// Frames per second the windows and baseline columns are sized for (the feature hop is
/// 1/64 s; room to spare).
const FRAMES_PER_S: f32 = 80.0;
/// Quality floor of a baseline stage's frames (the editor's calibration uses the same).
pub const BASELINE_MIN_QUALITY: f32 = 0.5;

/// The running session.
pub struct Conductor {
    /// The plan.
    plan: Plan,
    /// Programs in use: the plan's, recalibrated by a baseline stage.
    programs: crate::bridge::ProgramTable,
    /// The current stage.
    stage: usize,
    /// Entries so far.
    visit: u16,
    /// Entries per stage.
    visits: [u8; MAX_STAGES],
    /// Seconds in the stage.
    stage_s: f64,
    /// Seconds in target within the stage: each step between scored frames counts when the
    /// earlier frame was in target (the feedback engine's own accounting, kept here in f64
    /// so a long session's sum does not drift).
    in_target_s: f64,
    /// The last scored frame's time and in-target state.
    last_frame: Option<(f64, bool)>,
    /// Seconds of EEG (steps between frames, gaps left out) in the current baseline stage.
    baseline_eeg_s: f64,
    /// (audio time, reward) of the stage's recent frames, oldest first, as a ring.
    window: Vec<(f64, f32)>,
    /// Ring start and length.
    window_at: (usize, usize),
    /// Sum of the rewards in the window.
    window_sum: f64,
    /// A baseline stage's recording.
    baseline: StageBaseline,
    /// Field values when the stage began (the glide's start).
    from: [f32; N_FIELDS],
    /// Field values at the last control point.
    now: [f32; N_FIELDS],
    /// Where each field is going: the value of the last stage that set it.
    target: [f32; N_FIELDS],
    /// Which fields a stage so far has set (the others follow the host's parameters).
    owned: [bool; N_FIELDS],
    /// Whether `from` holds values yet (the first control point takes the live ones).
    started: bool,
    /// The modulation an integrate stage holds.
    held: Option<Modulation>,
    /// The modulation in force as the stage began (the feedback's glide starts there).
    modulation_from: Modulation,
    /// The program scoring uses (the last training stage's, else the host's).
    program: Option<ProgramKind>,
    /// Set when the engine must switch the feedback to [`Conductor::program`].
    program_changed: bool,
    /// How the previous stage ended.
    entered_after: Option<Outcome>,
    /// A condition met by a frame, applied at the next control point.
    pending: Option<Outcome>,
    /// Whether the last stage has ended.
    complete: bool,
}

impl Conductor {
    /// A session ready to run `plan` from its first stage (allocates its windows).
    pub fn new(plan: Plan) -> Self {
        let window_len = (super::file::MAX_WINDOW_S * FRAMES_PER_S) as usize;
        let baseline_frames = (plan.longest_baseline_s * FRAMES_PER_S).ceil() as usize;
        let baseline = StageBaseline::new(&plan.baseline_features, baseline_frames);
        let programs = plan.programs;
        let mut c = Self {
            plan,
            programs,
            stage: 0,
            visit: 0,
            visits: [0; MAX_STAGES],
            stage_s: 0.0,
            in_target_s: 0.0,
            last_frame: None,
            baseline_eeg_s: 0.0,
            window: vec![(0.0, 0.0); window_len.max(1)],
            window_at: (0, 0),
            window_sum: 0.0,
            baseline,
            from: [0.0; N_FIELDS],
            now: [0.0; N_FIELDS],
            target: [0.0; N_FIELDS],
            owned: [false; N_FIELDS],
            started: false,
            held: None,
            modulation_from: Modulation::NEUTRAL,
            program: None,
            program_changed: false,
            entered_after: None,
            pending: None,
            complete: false,
        };
        c.restart();
        c
    }

    /// Back to the first stage as new (allocation-free: a transport start on the audio
    /// thread).
    pub fn restart(&mut self) {
        self.programs = self.plan.programs;
        self.visit = 0;
        self.visits = [0; MAX_STAGES];
        self.last_frame = None;
        self.started = false;
        self.program = None;
        self.pending = None;
        self.complete = false;
        self.owned = [false; N_FIELDS];
        self.baseline.clear();
        self.enter(0, None, &Modulation::NEUTRAL);
    }

    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Where the session stands.
    pub fn mark(&self) -> GuideMark {
        let progress = match self.current().rule {
            Rule::InTarget { .. } => self.in_target_s as f32,
            Rule::MeanReward { .. } if self.window_at.1 > 0 => {
                (self.window_sum / self.window_at.1 as f64) as f32
            }
            _ => 0.0,
        };
        GuideMark {
            active: true,
            stage: self.stage as u8,
            visit: self.visit,
            stage_s: self.stage_s as f32,
            progress,
            entered_after: self.entered_after,
            complete: self.complete,
            baseline: self.current().kind == StageKind::Baseline,
            training: self.current().kind == StageKind::Train,
            condition: self.current().condition,
        }
    }

    /// The stage's plan.
    fn current(&self) -> &super::plan::StagePlan {
        &self.plan.stages[self.stage]
    }

    /// Starts stage `index` (`outcome`: how the last one ended).
    fn enter(&mut self, index: usize, outcome: Option<Outcome>, applied: &Modulation) {
        self.stage = index;
        self.visit = self.visit.saturating_add(1);
        self.visits[index] = self.visits[index].saturating_add(1);
        self.stage_s = 0.0;
        self.in_target_s = 0.0;
        // The stage's time in target starts with its own first frame.
        self.last_frame = None;
        self.baseline_eeg_s = 0.0;
        self.window_at = (0, 0);
        self.window_sum = 0.0;
        self.from = self.now;
        self.entered_after = outcome;
        let st = *self.current();
        for i in 0..N_FIELDS {
            if st.set[i] {
                self.owned[i] = true;
                self.target[i] = st.values[i];
            } else if st.release[i] {
                self.owned[i] = false;
            }
        }
        self.held = (st.kind == StageKind::Integrate).then_some(*applied);
        self.modulation_from = *applied;
        if st.kind == StageKind::Baseline {
            self.baseline.clear();
        }
        // A training stage starts its program afresh; other stages keep scoring the program
        // in force (integrate and return are judged against the targets just trained).
        let before = self.program;
        if let Some(p) = st.program {
            self.program = Some(p);
        }
        self.program_changed = st.kind == StageKind::Train || self.program != before;
    }

    /// Ends the stage with `outcome` and starts the next one (or completes the session).
    fn advance(&mut self, outcome: Outcome, applied: &Modulation) {
        let st = *self.current();
        if st.kind == StageKind::Baseline {
            self.baseline.finish();
            if self.baseline.frames() >= 2 && self.baseline_eeg_s >= MIN_BASELINE_EEG_S {
                for (p, raw) in self.programs.iter_mut().zip(&self.plan.raw_programs) {
                    *p = raw.calibrated(&self.baseline);
                }
            }
        }
        let wanted = match (outcome, st.fallback) {
            (Outcome::MaxTime, Some(f)) => Some(f),
            _ => st.next,
        };
        let next = self.next_open(wanted);
        if next >= self.plan.stages.len() {
            self.complete = true;
            self.entered_after = Some(outcome);
        } else {
            self.enter(next, Some(outcome), applied);
        }
    }

    /// The stage to enter: `wanted` unless it was entered [`MAX_VISITS`] times already, else
    /// the first stage after the current one (in file order) that was not; past the end when
    /// none is left.
    fn next_open(&self, wanted: Option<usize>) -> usize {
        let open = |i: usize| self.visits[i] < MAX_VISITS;
        match wanted.filter(|i| open(*i)) {
            Some(i) => i,
            None => (self.stage + 1..self.plan.stages.len())
                .find(|i| open(*i))
                .unwrap_or(usize::MAX),
        }
    }

    /// A scored frame (`snapshot`: what the feedback engine computed for it; `time`: its
    /// audio time, s): recorded by a baseline stage, checked against a stage's condition.
    pub fn on_frame(&mut self, frame: &FeatureFrame, snapshot: &FeedbackSnapshot, time: f64) {
        // Each step between the stage's frames counts when the earlier frame was in target,
        // except a gap without EEG (as the session summary counts it).
        let step = self
            .last_frame
            .map(|(t, was_in)| ((time - t).max(0.0), was_in));
        if let Some((dt, was_in)) = step.filter(|s| s.0 <= GAP_S) {
            if was_in {
                self.in_target_s += dt;
            }
            if self.current().kind == StageKind::Baseline {
                self.baseline_eeg_s += dt;
            }
        }
        self.last_frame = Some((time, snapshot.in_target));
        if self.complete || self.pending.is_some() {
            return;
        }
        let st = *self.current();
        match st.kind {
            StageKind::Baseline => self.baseline.push(frame, BASELINE_MIN_QUALITY),
            StageKind::Train | StageKind::Integrate => {}
            _ => return,
        }
        match st.rule {
            Rule::InTarget { seconds, .. } => {
                if self.in_target_s >= seconds as f64 {
                    self.pending = Some(Outcome::Success);
                }
            }
            Rule::MeanReward { level, over, .. } => {
                self.push_reward(time, snapshot.reward, over);
                // A full window: the stage has run `over` seconds of frames.
                if self.stage_s + 1e-9 >= over as f64 && self.window_at.1 > 0 {
                    let mean = self.window_sum / self.window_at.1 as f64;
                    if mean >= level as f64 {
                        self.pending = Some(Outcome::Success);
                    }
                }
            }
            Rule::After(_) => {}
        }
    }

    /// Adds a frame's reward to the window and drops what is older than `over` s.
    fn push_reward(&mut self, time: f64, reward: f32, over: f32) {
        let cap = self.window.len();
        let (mut start, mut len) = self.window_at;
        if len == cap {
            self.window_sum -= self.window[start].1 as f64;
            start = (start + 1) % cap;
            len -= 1;
        }
        self.window[(start + len) % cap] = (time, reward);
        len += 1;
        self.window_sum += reward as f64;
        while len > 0 && self.window[start].0 <= time - over as f64 {
            self.window_sum -= self.window[start].1 as f64;
            start = (start + 1) % cap;
            len -= 1;
        }
        self.window_at = (start, len);
    }

    /// At a control point `dt` s after the last: moves the session on and returns the
    /// controls to use until the next (`live`: the host's; `applied`: the modulation in
    /// force, which an integrate stage entered now holds).
    pub fn control_point(&mut self, dt: f32, live: &Controls, applied: &Modulation) -> Controls {
        let live_values = sound::read(live);
        if !self.started {
            self.started = true;
            self.from = live_values;
            self.now = live_values;
        }
        if !self.complete {
            if let Some(outcome) = self.pending.take() {
                self.advance(outcome, applied);
            } else {
                self.stage_s += dt as f64;
                let st = *self.current();
                let max = st.rule.max_s() as f64;
                if self.stage_s + 1e-9 >= max {
                    let outcome = match st.rule {
                        Rule::After(_) => Outcome::Time,
                        _ => Outcome::MaxTime,
                    };
                    self.advance(outcome, applied);
                }
            }
        }
        let st = *self.current();
        let g = if st.glide_s > 0.0 {
            sound::ease(self.stage_s as f32 / st.glide_s)
        } else {
            1.0
        };
        for (i, f) in FIELDS.iter().enumerate() {
            let to = if self.owned[i] {
                self.target[i]
            } else {
                live_values[i]
            };
            self.now[i] = sound::glide(f.curve, self.from[i], to, g);
        }
        let mut out = *live;
        sound::write(&mut out, &self.now);
        if let Some(p) = self.program {
            out.program = p;
        }
        // Targets move only where a training stage asks for it: elsewhere they stay the
        // calibrated ones, so the report's targets and the time in target mean the same.
        out.feedback.adaptive = st.kind == StageKind::Train && st.adaptive;
        out
    }

    /// The modulation the synth receives, given the feedback's (`live`): an integrate stage
    /// holds the one in force as it began; at any other stage change the feedback's effect
    /// glides from the old stage's to the new one's over the stage's glide (a new program's
    /// reward starts afresh, and its routes differ).
    pub fn modulation(&self, live: &Modulation) -> Modulation {
        if let Some(held) = self.held.filter(|_| !self.complete) {
            return held;
        }
        let glide = self.current().glide_s;
        if glide <= 0.0 || self.stage_s >= glide as f64 {
            return *live;
        }
        self.modulation_from
            .toward(*live, sound::ease(self.stage_s as f32 / glide))
    }

    /// The program to switch the feedback to, once after each stage change.
    pub fn take_program_change(&mut self) -> Option<CompiledProgram> {
        if !std::mem::take(&mut self.program_changed) {
            return None;
        }
        self.program.map(|p| self.programs[p.index()])
    }
}

impl StageGuide for Conductor {
    fn control_point(&mut self, dt: f32, live: &Controls, applied: &Modulation) -> Controls {
        Conductor::control_point(self, dt, live, applied)
    }

    fn on_frame(&mut self, frame: &FeatureFrame, snapshot: &FeedbackSnapshot, time: f64) {
        Conductor::on_frame(self, frame, snapshot, time)
    }

    fn modulation(&self, live: &Modulation) -> Modulation {
        Conductor::modulation(self, live)
    }

    fn take_program_change(&mut self) -> Option<CompiledProgram> {
        Conductor::take_program_change(self)
    }

    fn mark(&self) -> GuideMark {
        Conductor::mark(self)
    }

    fn restart(&mut self) {
        Conductor::restart(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feedback::FeedbackSetup;
    use crate::guide::sound::field_index;

    fn two_stages() -> Conductor {
        let s = crate::guide::parse(
            br#"{"format": 1, "name": "G", "stages": [
              {"name": "A", "kind": "settle", "advance": {"after_s": 1}},
              {"name": "B", "kind": "settle", "glide_s": 4,
               "sound": {"params": {"drone": 0.2, "beat": 4.0, "chord": "Minor 9"}},
               "advance": {"after_s": 10}}]}"#,
            "g",
        )
        .unwrap();
        let (presets, _) = crate::preset::library(None);
        Conductor::new(crate::guide::compile(&s, &FeedbackSetup::default(), &presets).unwrap())
    }

    #[test]
    fn stage_sounds_glide_on_their_curves() {
        let mut c = two_stages();
        let live = Controls::default();
        let dt = 0.001;
        let at = |c: &mut Conductor, seconds: f64| {
            let mut out = live;
            let steps = (seconds / dt as f64).round() as usize;
            for _ in 0..steps {
                out = c.control_point(dt, &live, &Modulation::NEUTRAL);
            }
            out
        };
        // Stage A (1 s), then 2 s into B's 4 s glide: halfway.
        let mid = at(&mut c, 3.0);
        assert_eq!(c.mark().stage, 1);
        let d = live.settings;
        let drone = mid.settings.drone_level;
        assert!(
            (drone - (d.drone_level + 0.2) / 2.0).abs() < 2e-3,
            "{drone}"
        );
        // Frequencies glide in pitch: the geometric mean at half way.
        let beat = mid.settings.beat_hz;
        assert!((beat - (d.beat_hz * 4.0).sqrt()).abs() < 0.02, "{beat}");
        // Choices switch half way.
        let chord = FIELDS[field_index("chord").unwrap()].get;
        assert_ne!(chord(&mid), chord(&live));
        // The end of the glide: the stage's values exactly.
        let end = at(&mut c, 2.5);
        assert_eq!(end.settings.drone_level, 0.2);
        assert_eq!(end.settings.beat_hz, 4.0);
        // Settle stages: no feedback.
        assert_eq!(end.feedback.depth, 0.0);
    }

    #[test]
    fn an_integrate_stage_holds_the_modulation_it_began_with() {
        let s = crate::guide::parse(
            br#"{"format": 1, "name": "I", "stages": [
              {"name": "T", "kind": "train", "program": "calm", "advance": {"after_s": 1}},
              {"name": "H", "kind": "integrate", "advance": {"after_s": 5}}]}"#,
            "i",
        )
        .unwrap();
        let (presets, _) = crate::preset::library(None);
        let mut c =
            Conductor::new(crate::guide::compile(&s, &FeedbackSetup::default(), &presets).unwrap());
        let live = Controls::default();
        let warm = Modulation::from_relaxation(0.9);
        for _ in 0..1001 {
            c.control_point(0.001, &live, &warm);
        }
        assert_eq!(c.mark().stage, 1);
        // The feedback asks for something else now; the stage holds what was in force.
        let other = Modulation::from_relaxation(0.1);
        assert_eq!(c.modulation(&other), warm);
        // Training stages glide the feedback's effect from the previous stage's.
        assert_eq!(c.program, Some(ProgramKind::Calm));
    }
}
