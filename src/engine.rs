//! The headless instrument core: one signal path shared by the plugin's `process()` and the
//! CLI's renders, so what the CLI renders is exactly what a DAW plays.
//!
//! It owns the synth, turns the current [`Controls`] into synth settings and modulation, and
//! splits each host block at note events so every note reaches the synth in order and at its
//! own position (the synth then acts on it at its next 32-sample control point). The feedback
//! engine moves on and the modulation is recomputed at those same control points, never per
//! host block, so the sound does not depend on the host's block size.

use crate::bridge::{FeedbackRecord, GuideMark, LoopDelay};
use crate::features::FeatureFrame;
use crate::feedback::program::{CompiledProgram, ProgramKind};
use crate::feedback::{Feedback, FeedbackKnobs, FeedbackSnapshot, PacerGlide};
use crate::synth::tempo::MusicalTime;
use crate::synth::{Modulation, Synth, SynthSettings, CONTROL_BLOCK};
use crate::transport::{Relock, TransportFollower, FADE_S};

/// Seed of the built-in soundscape: every instance and every render starts identical.
pub const DEFAULT_SEED: u64 = 0x4D45_4C4F;

/// Everything that steers one block: the user's settings, the Relaxation macro and the
/// feedback controls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Controls {
    /// Synth settings in physical units.
    pub settings: SynthSettings,
    /// Relaxation macro, 0 = tense/bright .. 1 = deep/warm.
    pub relaxation: f32,
    /// The neurofeedback program.
    pub program: ProgramKind,
    /// Feedback depth, targets, adaptation, smoothing, stale hold, glide.
    pub feedback: FeedbackKnobs,
}

impl Default for Controls {
    fn default() -> Self {
        Self {
            settings: SynthSettings::DEFAULT,
            relaxation: 0.5,
            program: ProgramKind::Calm,
            feedback: FeedbackKnobs::default(),
        }
    }
}

/// The entrainment rate in Hz the synth plays for `controls` and `modulation` (for outputs
/// and logs).
pub fn beat_hz(controls: &Controls, modulation: &Modulation) -> f32 {
    crate::synth::entrainment_hz(&controls.settings, modulation)
}

/// A note event for the instrument, decoupled from any plugin API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteAction {
    /// A key starts being held.
    On(u8),
    /// A key is released.
    Off(u8),
    /// Every key is released (choke, reset).
    AllOff,
}

/// A [`NoteAction`] at a sample offset inside the current block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimedNote {
    /// Offset in samples from the start of the block.
    pub offset: u32,
    /// What happens.
    pub action: NoteAction,
}

/// EEG that reaches the engine on the audio clock (a recording or the simulator on the
/// host's timeline): asked at each control point for the frames due by then.
pub trait AudioClockEeg {
    /// Feeds the input up to `offset` samples into the current block; each frame completed
    /// goes to `frame` with the input time it is due at (s).
    fn feed(&mut self, offset: usize, frame: &mut dyn FnMut(&FeatureFrame, f64));
}

/// What [`Engine::render_with_eeg`] needs for EEG on the audio clock.
pub struct EegOnTheClock<'a> {
    /// The input.
    pub input: &'a mut dyn AudioClockEeg,
    /// Session seconds at the block's start (the records' audio time).
    pub audio_time: f64,
    /// Where each scored frame's record goes.
    pub records: &'a mut dyn FnMut(FeedbackRecord),
}

/// What the engine drives of a guided session (`crate::guide::Conductor`), so the engine
/// does not depend on session files and presets. Audio thread: every call allocation-free.
pub trait StageGuide: Send {
    /// At a control point `dt` s after the last: the controls to use until the next, from the
    /// host's `live` ones and the modulation in force.
    fn control_point(&mut self, dt: f32, live: &Controls, applied: &Modulation) -> Controls;
    /// A scored frame and what the feedback made of it, at session time `time` s.
    fn on_frame(&mut self, frame: &FeatureFrame, snapshot: &FeedbackSnapshot, time: f64);
    /// The modulation the synth receives, given the one the feedback asks for (`live`): held
    /// by an integrate stage, glided from the last stage's at a stage change.
    fn modulation(&self, live: &Modulation) -> Modulation;
    /// The program to switch the feedback to, once after a stage change.
    fn take_program_change(&mut self) -> Option<CompiledProgram>;
    /// Where the session stands.
    fn mark(&self) -> GuideMark;
    /// Back to the first stage, as new (a transport start or jump, for a bounce that does
    /// not depend on what played before).
    fn restart(&mut self);
}

/// The instrument core.
pub struct Engine {
    /// The synthesizer.
    synth: Synth,
    /// The neurofeedback engine.
    feedback: Feedback,
    /// Every factory program compiled (with the calibration, if any), so switching the program
    /// parameter in `process()` is a copy.
    programs: crate::bridge::ProgramTable,
    /// The modulation in force: computed at each control point (what the listener hears the
    /// feedback through; read by traces and meters).
    applied: Modulation,
    /// Control-grid phase of [`Engine::control_only`] (the synth keeps its own when it runs).
    silent_phase: usize,
    /// The host transport, block by block (see [`crate::transport`]).
    follower: TransportFollower,
    /// A relock under way.
    relock: Relock,
    /// The tempo last given to the synth (tempo sync).
    musical_bpm: Option<f64>,
    /// A guided session, when one runs: it sets the controls at each control point.
    guide: Option<Box<dyn StageGuide>>,
    /// The controls of the last control point (the guide's, or the host's).
    effective: Controls,
    /// Where in the current block the guided session's stage changed.
    guide_change: Option<usize>,
    /// The breath pacer's glide from the listener's breathing rate.
    pacer_glide: PacerGlide,
    /// The live heart's newest features, for frames that come without them.
    live_heart: crate::features::heart::HeartFeatures,
}

/// The breath pacer as it plays (for displays and logs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PacerState {
    /// Whether it plays (its parameter, or the program asks for it).
    pub on: bool,
    /// The rate it plays, breaths per minute (the glide's while one runs).
    pub bpm: f32,
    /// Phase in turns from the start of an inhale.
    pub phase: f64,
    /// Its envelope, 0 (end of the exhale) ..1 (top of the inhale).
    pub level: f32,
}

impl Engine {
    /// An engine at `sample_rate` (allocates: not for the audio thread).
    pub fn new(sample_rate: f32) -> Self {
        let programs = CompiledProgram::factory_table(None);
        Self {
            synth: Synth::new(sample_rate, DEFAULT_SEED),
            feedback: Feedback::new(programs[0]),
            programs,
            applied: Modulation::NEUTRAL,
            silent_phase: 0,
            follower: TransportFollower::default(),
            relock: Relock::Idle,
            musical_bpm: None,
            guide: None,
            effective: Controls::default(),
            guide_change: None,
            pacer_glide: PacerGlide::default(),
            live_heart: Default::default(),
        }
    }

    /// Starts a guided session (`Some`) or ends the running one (`None`); returns the one it
    /// replaces, for the caller to drop off the audio thread.
    pub fn set_guide(&mut self, guide: Option<Box<dyn StageGuide>>) -> Option<Box<dyn StageGuide>> {
        std::mem::replace(&mut self.guide, guide)
    }

    /// Restarts the guided session from its first stage (see [`StageGuide::restart`]).
    pub fn restart_guide(&mut self) {
        if let Some(g) = self.guide.as_mut() {
            g.restart();
        }
        self.guide_change = None;
    }

    /// The sample offset in the last rendered block where the guided session's stage
    /// changed (or it completed), once.
    pub fn take_guide_change(&mut self) -> Option<usize> {
        self.guide_change.take()
    }

    /// Where the guided session stands (inactive without one).
    pub fn guide_mark(&self) -> GuideMark {
        self.guide.as_ref().map(|g| g.mark()).unwrap_or_default()
    }

    /// Follows the host transport at a block's start: when it has just started or jumped, the
    /// synth's time-dependent state is rebuilt for the song position (see
    /// [`crate::transport`]): at once in an `offline` render, after a fade-out of the running
    /// sound in real time. `block` is the block's length in samples. The feedback engine
    /// keeps its state (a live session goes on across play and stop). Returns the position
    /// when it relocked.
    pub fn follow_transport(
        &mut self,
        playing: bool,
        position: Option<i64>,
        block: usize,
        offline: bool,
    ) -> Option<i64> {
        let p = self.follower.next(playing, position, block)?;
        if self.relock.start(p, self.fade_samples(), !offline) {
            self.synth.reset_at(p);
        }
        Some(p)
    }

    /// The host's musical time at this block's start while the transport plays (tempo sync):
    /// taken when the transport starts or jumps, or the tempo changes; the synth follows it
    /// in between (so the pulse grid does not depend on the block size).
    pub fn follow_tempo(&mut self, time: Option<MusicalTime>, relocked: bool) {
        match (time, self.musical_bpm) {
            (None, _) => self.synth.set_musical_time(None),
            (Some(t), bpm) if relocked || bpm != Some(t.bpm) => {
                self.synth.set_musical_time(Some(t))
            }
            _ => {}
        }
        self.musical_bpm = time.map(|t| t.bpm);
    }

    /// Samples of each relock fade at the current rate.
    fn fade_samples(&self) -> usize {
        (FADE_S * self.synth.sample_rate()).round() as usize
    }

    /// Replaces the compiled programs (after a calibration or a state load). The running
    /// program is replaced too if it came from the table.
    pub fn set_programs(&mut self, programs: crate::bridge::ProgramTable, knobs: &FeedbackKnobs) {
        self.programs = programs;
        // A guided session scores with its own programs (calibrated by its baseline stage,
        // as the daily baseline that sends this table is): the running reward is kept.
        if self.guide.is_some() {
            return;
        }
        if let Some(kind) = self.feedback.program().kind {
            self.feedback.set_program(programs[kind.index()], knobs);
        }
    }

    /// The feedback engine (for snapshots and saved state).
    pub fn feedback(&self) -> &Feedback {
        &self.feedback
    }

    /// The feedback engine, mutably (restoring saved adaptive state).
    pub fn feedback_mut(&mut self) -> &mut Feedback {
        &mut self.feedback
    }

    /// Scores a new EEG frame applied at `now` (on the frames' clock: the LSL clock live, the
    /// audio clock offline) and returns everything the outputs need: the frame, what the
    /// feedback engine computed, the modulation it gives, and the EEG -> sound delay. The
    /// one scoring path of `process()` and the offline renderer.
    pub fn score(
        &mut self,
        frame: &FeatureFrame,
        controls: &Controls,
        now: f64,
        audio_time: f64,
    ) -> FeedbackRecord {
        // Frames from the host's timeline carry no heart: the live heart's go in.
        let stamped;
        let frame = if frame.heart.present() || !self.live_heart.present() {
            frame
        } else {
            stamped = FeatureFrame {
                heart: self.live_heart,
                ..*frame
            };
            &stamped
        };
        // A guided session's controls (its program, depth and targets) score the frame.
        let controls = &if self.guide.is_some() {
            self.effective
        } else {
            *controls
        };
        let feedback = self.feed(frame, controls);
        let settings = self.synth_settings(controls);
        if settings.pacer && controls.feedback.pacer_glide {
            self.pacer_glide.start(frame);
        }
        let modulation = self.modulation(controls);
        // What the synth receives (a guided session holds or glides it).
        let modulation = match self.guide.as_ref() {
            Some(g) => g.modulation(&modulation),
            None => modulation,
        };
        // The record shows the stage the frame was scored in; the frame may end it.
        let guide = self.guide_mark();
        if let Some(g) = self.guide.as_mut() {
            g.on_frame(frame, &feedback, audio_time);
        }
        FeedbackRecord {
            guide,
            frame: *frame,
            feedback,
            modulation,
            beat_hz: beat_hz(controls, &modulation),
            pacer_bpm: if settings.pacer {
                self.pacer_glide.rate(settings.pacer_rate)
            } else {
                0.0
            },
            audio_time,
            delay: {
                let estimator_s = self.feedback.estimator_delay_s(frame);
                LoopDelay {
                    transport_s: (now - frame.time).max(0.0) as f32,
                    estimator_s,
                    smoothing_s: (controls.feedback.smoothing_s - estimator_s).max(0.0),
                }
            },
        }
    }

    /// The synth settings `controls` give, with what the program and the pacer glide add:
    /// the pacer on when the program asks for it, at the glide's rate while one runs.
    fn synth_settings(&self, controls: &Controls) -> SynthSettings {
        let mut s = controls.settings;
        s.pacer |= self.feedback.program().pacer;
        if s.pacer {
            s.pacer_rate = self.pacer_glide.rate(s.pacer_rate);
        }
        s
    }

    /// Gives the live heart's newest features, which frames without a heart take (a plugin
    /// playing EEG from the host's timeline while a heart sensor streams). Real-time safe.
    pub fn set_live_heart(&mut self, heart: crate::features::heart::HeartFeatures) {
        self.live_heart = heart;
    }

    /// The breath pacer as it plays now.
    pub fn pacer(&self) -> PacerState {
        let s = self.synth_settings(&self.effective);
        let (phase, level) = self.synth.breath();
        PacerState {
            on: s.pacer,
            bpm: s.pacer_rate,
            phase,
            level,
        }
    }

    /// Follows the program parameter, then scores a new EEG frame; returns what the feedback
    /// engine computed. For callers without host blocks (tests, benchmarks); `process()` and
    /// the renderer sync once per block and use [`Engine::score`].
    pub fn push_frame(&mut self, frame: &FeatureFrame, controls: &Controls) -> FeedbackSnapshot {
        self.sync_program(controls);
        self.feed(frame, controls)
    }

    /// The feedback engine scores `frame`; what it computed.
    fn feed(&mut self, frame: &FeatureFrame, controls: &Controls) -> FeedbackSnapshot {
        self.feedback.on_frame(frame, &controls.feedback);
        self.feedback.snapshot()
    }

    /// Follows the program parameter: a change selects that slot's compiled program. Once per
    /// host block, before anything else in it (the controls are the block's); [`Engine::render`]
    /// and [`Engine::control_only`] call it too, for callers without host blocks, where it is
    /// a no-op after the block's own call.
    pub fn sync_program(&mut self, controls: &Controls) {
        // A guided session chooses the program itself.
        if self.guide.is_some() {
            return;
        }
        let current = self.feedback.program().kind;
        if current.is_some() && current != Some(controls.program) {
            self.feedback
                .set_program(self.programs[controls.program.index()], &controls.feedback);
        }
    }

    /// Chime strikes so far (for tests and meters).
    pub fn chime_strikes(&self) -> u64 {
        self.synth.chime_strikes()
    }

    /// The sample rate in Hz.
    pub fn sample_rate(&self) -> f32 {
        self.synth.sample_rate()
    }

    /// Prepares for a new sample rate (allocates: call from `initialize`).
    pub fn set_sample_rate(&mut self, sample_rate: f32) {
        self.synth.set_sample_rate(sample_rate);
    }

    /// Back to the initial state; real-time safe.
    pub fn reset(&mut self) {
        self.synth.reset();
        self.feedback.reset();
        self.follower = TransportFollower::default();
        self.relock = Relock::Idle;
    }

    /// Applies one note action now.
    pub fn apply(&mut self, action: NoteAction) {
        match action {
            NoteAction::On(k) => self.synth.note_on(k),
            NoteAction::Off(k) => self.synth.note_off(k),
            NoteAction::AllOff => self.synth.all_notes_off(),
        }
    }

    /// The modulation the synth receives: the Relaxation macro with the EEG feedback mixed in.
    pub fn modulation(&self, controls: &Controls) -> Modulation {
        let base = Modulation::from_relaxation(controls.relaxation);
        self.feedback
            .modulation(&base, controls.settings.beat_hz, &controls.feedback)
    }

    /// At a control point: moves the feedback engine on by one control block of audio and
    /// computes the modulation the synth uses until the next one.
    fn control_point(&mut self, controls: &Controls) {
        let dt = CONTROL_BLOCK as f32 / self.synth.sample_rate();
        self.effective = *controls;
        if let Some(g) = self.guide.as_mut() {
            self.effective = g.control_point(dt, controls, &self.applied);
            if let Some(program) = g.take_program_change() {
                self.feedback.set_program(program, &self.effective.feedback);
            }
        }
        let effective = self.effective;
        self.feedback.advance(dt, &effective.feedback);
        // The pacer glide runs while the pacer and its glide are on; otherwise it starts
        // afresh from the next measured breath.
        if self.synth_settings(&effective).pacer && effective.feedback.pacer_glide {
            self.pacer_glide.advance(dt, effective.settings.pacer_rate);
        } else {
            self.pacer_glide = PacerGlide::default();
        }
        let live = self.modulation(&effective);
        self.applied = match self.guide.as_ref() {
            Some(g) => g.modulation(&live),
            None => live,
        };
    }

    /// Runs the control path alone for `len` samples (no synth): the feedback engine moves on
    /// at each control point exactly as [`Engine::render`] would move it. For long loop
    /// measurements; the result is the modulation in force at the end.
    pub fn control_only(&mut self, controls: &Controls, len: usize) -> Modulation {
        self.sync_program(controls);
        let mut left = len;
        while left > 0 {
            if self.silent_phase == 0 {
                self.control_point(controls);
            }
            let n = left.min(CONTROL_BLOCK - self.silent_phase);
            self.silent_phase = (self.silent_phase + n) % CONTROL_BLOCK;
            left -= n;
        }
        self.applied
    }

    /// The modulation in force (computed at the last control point).
    pub fn applied(&self) -> Modulation {
        self.applied
    }

    /// Renders one block, applying each note at its sample offset. `next_event` yields events
    /// in time order (as hosts deliver them); events past the block end apply at its end.
    pub fn render(
        &mut self,
        controls: &Controls,
        next_event: impl FnMut() -> Option<TimedNote>,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        self.render_with_eeg(controls, next_event, left, right, None);
    }

    /// [`Engine::render`] with EEG on the audio clock: at every control point `eeg` feeds its
    /// input up to that sample and each frame completed is scored there and handed to
    /// `records` (the frame's due time is its clock; the block starts `audio_time` seconds
    /// into the session).
    pub fn render_with_eeg(
        &mut self,
        controls: &Controls,
        mut next_event: impl FnMut() -> Option<TimedNote>,
        left: &mut [f32],
        right: &mut [f32],
        mut eeg: Option<EegOnTheClock<'_>>,
    ) {
        self.sync_program(controls);
        let len = left.len().min(right.len());
        let fade = self.fade_samples();
        let mut pending = next_event();
        let mut pos = 0;
        while pos < len {
            // A relock's fade-out has ended: the state for the position reached.
            if let Some(p) = self.relock.rebuild_now() {
                self.synth.reset_at(p);
            }
            // The feedback engine moves on at the synth's control points only, so the sound
            // is the same for any host block size.
            let phase = self.synth.grid_phase();
            if phase == 0 {
                if let Some(e) = eeg.as_mut() {
                    let at = e.audio_time + pos as f64 / self.synth.sample_rate() as f64;
                    let records = &mut *e.records;
                    e.input.feed(pos, &mut |frame, due| {
                        records(self.score(frame, controls, due, at));
                    });
                }
                let before = self.guide_mark();
                self.control_point(controls);
                let after = self.guide_mark();
                if (after.visit, after.complete) != (before.visit, before.complete) {
                    self.guide_change = Some(pos);
                }
            }
            let chunk_end = (pos + CONTROL_BLOCK - phase).min(len);
            // A rebuild restarts the control grid: the chunk ends there.
            let chunk_end = self
                .relock
                .until_rebuild()
                .map_or(chunk_end, |n| chunk_end.min(pos + n));
            while pos < chunk_end {
                while let Some(ev) = pending.filter(|e| e.offset as usize <= pos) {
                    self.apply(ev.action);
                    pending = next_event();
                }
                let end = pending.map_or(chunk_end, |e| (e.offset as usize).min(chunk_end));
                let modulation = self.applied;
                let settings = self.synth_settings(if self.guide.is_some() {
                    &self.effective
                } else {
                    controls
                });
                self.synth.process(
                    &settings,
                    &modulation,
                    &mut left[pos..end],
                    &mut right[pos..end],
                );
                self.relock
                    .apply(fade, &mut left[pos..end], &mut right[pos..end]);
                pos = end;
            }
        }
        // Events at or beyond the end still take effect (before the next block).
        while let Some(ev) = pending {
            self.apply(ev.action);
            pending = next_event();
        }
    }
}
