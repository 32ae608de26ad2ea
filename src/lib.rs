//! MelodiaSync: an EEG-guided sound-therapy instrument (CLAP, VST3, standalone, CLI).
//!
//! This file holds only the plugin type and its `process()` orchestration; the signal path is
//! [`engine::Engine`] (shared with the CLI), the DSP lives in [`synth`].
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod bridge;
mod clap_export;
pub mod editor;
pub mod eeg;
pub mod engine;
pub mod features;
pub mod feedback;
pub mod files;
pub mod guide;
pub mod loop_bench;
pub mod loudness;
pub mod math;
pub mod midi_out;
pub mod params;
pub mod paths;
pub mod preset;
pub mod queue;
pub mod render;
pub mod report;
pub mod session;
pub mod synth;
pub mod timeline;
pub mod transport;

use std::num::NonZeroU32;
use std::sync::Arc;

use nice_plug::prelude::*;

use std::sync::atomic::{AtomicUsize, Ordering};

use bridge::{
    EditorLink, FeedbackRecord, FrameConsumer, GuideAudio, GuideSwap, ProgramTable, QueueReceiver,
    QueueSender,
};
use eeg::worker::{AnalysisConfig, Worker};
use eeg::SourceSpec;
use engine::{Controls, EegOnTheClock, Engine, NoteAction, TimedNote};
use feedback::AdaptiveSnapshot;
use midi_out::{cc_values, CcSender};
use params::MelodiaSyncParams;
use session::{SessionOptions, SessionThread};
use timeline::{TimelineEeg, TimelineLink};

/// Frames scored on the audio clock per block whose CCs are sent (64 frames/s: 85 ms at 48 kHz
/// fills 6; more than 32 only in blocks over half a second).
const MAX_FRAMES_PER_BLOCK: usize = 32;

/// Numbers plugin instances, so each one's features outlet has its own LSL source id.
static INSTANCES: AtomicUsize = AtomicUsize::new(0);

/// The instrument.
pub struct MelodiaSync {
    /// Parameters shared with the host and the editor.
    params: Arc<MelodiaSyncParams>,
    /// The signal path.
    engine: Engine,
    /// The EEG worker, started at the first activation, with the source and montage it was
    /// last given; dropping it stops and joins the thread (on the main thread, never in
    /// `process()`).
    worker: Option<(
        Worker,
        SourceSpec,
        Vec<String>,
        eeg::heart_source::HeartSource,
    )>,
    /// Frames for the audio thread, drained at the start of each block.
    frames: Option<FrameConsumer>,
    /// The live heart's newest features from the worker (stamped into timeline frames).
    heart_features: Option<queue::QueueReceiver<features::heart::HeartFeatures>>,
    /// The timeline's inputs from the worker (a recording or the simulator).
    timeline_link: Option<TimelineLink>,
    /// The input the host transport plays on the audio clock, when the source has one.
    timeline: Option<Box<TimelineEeg>>,
    /// Tells the worker which band-power estimator the active program uses.
    estimator: Option<bridge::EstimatorSwitch>,
    /// Compiled programs from state loads and calibrations.
    programs: QueueReceiver<ProgramTable>,
    /// Adaptive states from project loads.
    adaptive_restores: QueueReceiver<AdaptiveSnapshot>,
    /// The last loaded adaptive state, applied at every block start until a frame has been
    /// scored: the same load's program table or program change may reach the engine a block
    /// later and reset it.
    loaded_adaptive: Option<AdaptiveSnapshot>,
    /// MIDI CC change tracking.
    cc: CcSender,
    /// Records for the session thread (LSL features outlet).
    records: Option<QueueSender<FeedbackRecord>>,
    /// The session thread (started at the first activation, joined in `Drop`).
    session: Option<SessionThread>,
    /// Seconds of audio rendered since activation.
    audio_time: f64,
    /// Whether the host renders offline (a bounce): relocks then rebuild at once.
    offline: bool,
    /// Session seconds when the worker's EEG was last scored (-inf: never).
    last_live_frame: f64,
    /// The adaptive thresholds the project was loaded with (or found at the first
    /// activation): what a relock restores, so a bounce does not depend on what played before.
    project_adaptive: Option<AdaptiveSnapshot>,
    /// What the editor reads and sends beyond the parameters.
    link: Arc<EditorLink>,
    /// Records for the editor's meters (sent only while it is open).
    editor_records: QueueSender<FeedbackRecord>,
    /// Guided sessions from the editor, and where replaced ones go.
    guide: GuideAudio,
}

impl Default for MelodiaSync {
    fn default() -> Self {
        let (programs_tx, programs) = bridge::program_channel();
        let (restores_tx, adaptive_restores) = bridge::adaptive_restore_channel();
        let (link, editor_records, guide) = EditorLink::new();
        let params = MelodiaSyncParams::new(programs_tx, restores_tx);
        if let Some(spec) = standalone_source() {
            if let Ok(mut s) = params.source.write() {
                *s = spec;
            }
        }
        if let Some(spec) = standalone_heart() {
            if let Ok(mut s) = params.heart_source.write() {
                *s = spec;
            }
        }
        Self {
            params: Arc::new(params),
            link,
            editor_records,
            guide,
            // Re-prepared for the host's rate in `activate`.
            engine: Engine::new(48_000.0),
            worker: None,
            frames: None,
            heart_features: None,
            timeline_link: None,
            timeline: None,
            estimator: None,
            programs,
            adaptive_restores,
            loaded_adaptive: None,
            cc: CcSender::default(),
            records: None,
            session: None,
            audio_time: 0.0,
            offline: false,
            last_live_frame: f64::NEG_INFINITY,
            project_adaptive: None,
        }
    }
}

impl MelodiaSync {
    /// Starts the EEG worker, or points it at a changed source (after a state load).
    fn ensure_worker(&mut self) {
        let spec = self
            .params
            .source
            .read()
            .map(|s| s.clone())
            .unwrap_or_default();
        let montage = self
            .params
            .montage
            .read()
            .map(|m| m.clone())
            .unwrap_or_default();
        let heart = self
            .params
            .heart_source
            .read()
            .map(|h| h.clone())
            .unwrap_or_default();
        let analysis = AnalysisConfig {
            montage: montage.clone(),
            estimator: self.engine.feedback().program().estimator,
            ..AnalysisConfig::default()
        };
        match &mut self.worker {
            Some((worker, current, current_montage, current_heart)) => {
                if *current != spec {
                    worker.set_source(spec.clone());
                    *current = spec;
                }
                if *current_heart != heart {
                    worker.set_heart(heart.clone());
                    *current_heart = heart;
                }
                if *current_montage != montage {
                    worker.set_analysis(analysis);
                    *current_montage = montage;
                }
            }
            None => {
                // The timeline's first input, built here (reading a recording) so that a
                // bounce has it from its first block; the worker sends the later ones.
                self.timeline = render::EegInput::from_spec(&spec)
                    .and_then(|input| render::EegDrive::new(&input, &analysis).ok())
                    .map(|d| Box::new(TimelineEeg::new(d)));
                let (worker, frames, timeline) = Worker::spawn_for_audio(spec.clone(), analysis);
                self.frames = Some(frames);
                self.heart_features = Some(worker.heart_features());
                self.timeline_link = Some(timeline);
                self.estimator = Some(worker.estimator_switch());
                if let Ok(mut w) = self.link.worker.lock() {
                    *w = Some(worker.link());
                }
                if heart.is_on() {
                    worker.set_heart(heart.clone());
                }
                self.worker = Some((worker, spec, montage, heart));
            }
        }
    }
}

impl MelodiaSync {
    /// Runs the project's guided session, if it says one runs (at activation, so also after
    /// a state load): built here on the main thread, given to the engine directly (the audio
    /// thread is not running). A session that cannot start says why in the editor and the
    /// host's log; the sound goes on without it.
    fn start_saved_guide(&mut self) {
        while let Some(GuideSwap(pending)) = self.guide.swaps.pop() {
            drop(pending);
        }
        self.link.guide.drain();
        let (guide, names, status) = match guide::conductor_for(&self.params) {
            Ok(Some((c, names))) => {
                let status = format!("Running '{}'.", c.plan().name);
                (
                    Some(Box::new(c) as Box<dyn engine::StageGuide>),
                    names,
                    status,
                )
            }
            Ok(None) => (None, Vec::new(), String::new()),
            Err(e) => {
                nice_plug::nice_error!("{e}");
                (None, Vec::new(), e)
            }
        };
        drop(self.engine.set_guide(guide));
        if let Ok(s) = self.link.session.lock() {
            if let Some(tx) = s.as_ref() {
                tx.push(bridge::SessionCommand::Stages(names));
            }
        }
        if let Ok(mut st) = self.link.guide.status.lock() {
            *st = status;
        }
    }

    /// At a block start: takes a session the editor started or stopped; the replaced one
    /// goes back to be freed off the audio thread (it waits while that queue is full).
    fn take_guide_swap(&mut self) {
        if self.guide.retire.is_full() {
            return;
        }
        if let Some(GuideSwap(next)) = self.guide.swaps.pop() {
            let old = self.engine.set_guide(next);
            if old.is_some() {
                self.guide.retire.push(GuideSwap(old));
            }
        }
    }

    /// Sends a stage change as a MIDI program change on the CC channel: the stage's index,
    /// 127 when the session completes (a DAW can follow the journey).
    fn send_stage_change(&mut self, context: &mut impl ProcessContext<Self>) {
        let Some(offset) = self.engine.take_guide_change() else {
            return;
        };
        if !self.params.cc_out.value() {
            return;
        }
        let mark = self.engine.guide_mark();
        let channel = (self.params.cc_channel.value() - 1).clamp(0, 15) as u8;
        let program = if mark.complete {
            127
        } else {
            mark.stage.min(126)
        };
        let _ = context.try_send_event(NoteEvent::MidiProgramChange {
            timing: offset as u32,
            channel,
            program,
        });
    }

    /// Starts the session thread (features outlet) once.
    fn ensure_session(&mut self) {
        if self.session.is_some() {
            return;
        }
        let (tx, rx) = bridge::record_channel();
        let (cmd_tx, cmd_rx) = bridge::queue(8);
        if let Ok(mut s) = self.link.session.lock() {
            *s = Some(cmd_tx);
        }
        let n = INSTANCES.fetch_add(1, Ordering::Relaxed);
        let opts = SessionOptions {
            outlet_source_id: Some(format!("melodiasync-features-{}-{n}", std::process::id())),
            outlet_switch: Some({
                // The session thread reads the `lslout` parameter itself (an atomic).
                let params = self.params.clone();
                Arc::new(move || params.lsl_out.value())
            }),
            log: None,
            live_clock: true,
            commands: Some(cmd_rx),
            log_status: Some(self.link.session_status.clone()),
            stage_names: Vec::new(),
            // The daily baseline: a guided session's baseline stage becomes the project's
            // calibration, which the next session (and the programs now) start from.
            carry: Some({
                let params = self.params.clone();
                Box::new(move |b: Result<&session::CarriedBaseline, &str>| {
                    use nice_plug::params::persist::PersistentField;
                    if let Ok(b) = b {
                        let setup = b.applied_to(&params.setup.get());
                        params.setup.set(setup);
                    }
                })
            }),
        };
        self.session = Some(SessionThread::spawn(rx, opts));
        self.records = Some(tx);
    }

    /// Applies what the main thread sent since the last block: compiled programs (state load,
    /// calibration) and restored adaptive thresholds. Copies only.
    fn apply_setup(&mut self, controls: &Controls) {
        if let Some(table) = self.programs.latest() {
            self.engine.set_programs(table, &controls.feedback);
        }
        self.engine.sync_program(controls);
        if let Some(saved) = self.adaptive_restores.latest() {
            self.loaded_adaptive = Some(saved);
            self.project_adaptive = Some(saved);
        }
        if let Some(saved) = &self.loaded_adaptive {
            self.engine.feedback_mut().restore_adaptive(saved);
        }
    }

    /// Scores every waiting EEG frame from the worker (live, or a recording on the wall
    /// clock); every record goes out, the newest one's values also as MIDI CC.
    fn score_frames(&mut self, controls: &Controls, context: &mut impl ProcessContext<Self>) {
        let Some(frames) = self.frames.as_ref() else {
            return;
        };
        let mut newest = None;
        // Frames carry LSL times; the block applies them now.
        let now = eeg::local_clock();
        while let Some(frame) = frames.pop() {
            let record = self.engine.score(&frame, controls, now, self.audio_time);
            deliver(&self.records, &self.link, &self.editor_records, record);
            newest = Some(record);
        }
        if let Some(r) = newest {
            self.last_live_frame = self.audio_time;
            self.after_frames();
            self.send_ccs(&cc_values(&r.frame, &r.feedback), 0, context);
        }
    }

    /// Whether live EEG from the worker was scored within the stale hold.
    fn live_eeg_flowing(&self) -> bool {
        self.audio_time - self.last_live_frame < self.params.stale_hold.value() as f64
    }

    /// After a block's frames were scored: from here the engine's adaptive state is the
    /// session's (published for the project).
    fn after_frames(&mut self) {
        // Scored with the loaded state (or it belonged to another program): from here the
        // engine's own state is the session's.
        self.loaded_adaptive = None;
        self.params
            .adaptive_state
            .publish(&self.engine.feedback().adaptive_snapshot());
    }

    /// Sends the CC values that changed, at sample `timing` of the block.
    fn send_ccs(
        &mut self,
        values: &[f32; midi_out::CC_COUNT],
        timing: u32,
        context: &mut impl ProcessContext<Self>,
    ) {
        if !self.params.cc_out.value() {
            return;
        }
        let channel = (self.params.cc_channel.value() - 1).clamp(0, 15) as u8;
        let base = self.params.cc_base.value().clamp(0, 127) as u8;
        self.cc.changes(values, |offset, value| {
            // A full host event buffer loses this CC; the next change sends again.
            let _ = context.try_send_event(NoteEvent::MidiCC {
                timing,
                channel,
                cc: base.saturating_add(offset).min(127),
                value,
            });
        });
    }

    /// Follows the transport with the timeline's input: true when it plays this block (the
    /// host plays and gives a position, and the source is a recording or the simulator).
    fn timeline_plays(&mut self, playing: bool, position: Option<i64>, relocked: bool) -> bool {
        if let Some(link) = &self.timeline_link {
            link.update(&mut self.timeline);
        }
        let Some(tl) = self.timeline.as_mut() else {
            return false;
        };
        match position.filter(|_| playing) {
            Some(p) => {
                let sr = self.engine.sample_rate();
                let start = self.params.eeg_start.value() as f64;
                // A new input (not yet running) seeks too.
                tl.start_block(p as f64 / sr as f64 - start, sr, relocked);
                true
            }
            None => {
                tl.stop();
                false
            }
        }
    }
}

/// The host's tempo and place in the bar, when it reports them (tempo sync).
fn musical_time(t: &Transport) -> Option<synth::tempo::MusicalTime> {
    let bpm = t.tempo.filter(|b| b.is_finite() && *b > 0.0)?;
    let beats = t.pos_beats()?;
    let bar_beats = match (t.time_sig_numerator, t.time_sig_denominator) {
        (Some(n), Some(d)) if n > 0 && d > 0 => n as f64 * 4.0 / d as f64,
        _ => 4.0,
    };
    let bar_start = t
        .bar_start_pos_beats()
        .unwrap_or_else(|| (beats / bar_beats).floor() * bar_beats);
    Some(synth::tempo::MusicalTime {
        bpm,
        beats_since_bar: (beats - bar_start).rem_euclid(bar_beats),
        bar_beats,
    })
}

/// Hands a scored record to the session thread and, while it is open, the editor.
fn deliver(
    records: &Option<QueueSender<FeedbackRecord>>,
    link: &EditorLink,
    editor: &QueueSender<FeedbackRecord>,
    record: FeedbackRecord,
) {
    if let Some(tx) = records {
        tx.push(record);
    }
    if link.is_open() {
        editor.push(record);
    }
}

/// The source the standalone app was started with (`melodiasync standalone --eeg sim|lsl:PROP=VALUE|FILE`
/// sets `MELODIASYNC_EEG`): an explicit choice, so nothing switches to simulated data silently.
fn standalone_source() -> Option<SourceSpec> {
    let v = std::env::var("MELODIASYNC_EEG").ok()?;
    if v.trim().is_empty() {
        return None;
    }
    v.parse().ok()
}

/// The heart source the standalone app was started with (`melodiasync standalone --heart
/// SOURCE --heart-type KIND` sets `MELODIASYNC_HEART`, checked there).
fn standalone_heart() -> Option<eeg::heart_source::HeartSource> {
    serde_json::from_str(&std::env::var("MELODIASYNC_HEART").ok()?).ok()
}

/// Converts a host note event into an engine note action (other events are not for the synth).
fn note_action<S>(event: &NoteEvent<S>) -> Option<TimedNote> {
    let (offset, action) = match *event {
        NoteEvent::NoteOn { timing, key, .. } => (timing, NoteAction::On(key.number()?)),
        NoteEvent::NoteOff { timing, key, .. } => match key.number() {
            Some(k) => (timing, NoteAction::Off(k)),
            None => (timing, NoteAction::AllOff),
        },
        NoteEvent::Choke { timing, key, .. } => match key.number() {
            Some(k) => (timing, NoteAction::Off(k)),
            None => (timing, NoteAction::AllOff),
        },
        _ => return None,
    };
    Some(TimedNote { offset, action })
}

impl Plugin for MelodiaSync {
    const NAME: &'static str = "MelodiaSync";
    const VENDOR: &'static str = "MelodiaSync";
    const URL: &'static str = "https://melodiasync.invalid";
    const EMAIL: &'static str = "hello@melodiasync.invalid";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");

    const AUDIO_IO_LAYOUTS: &'static [AudioIOLayout] = &[AudioIOLayout {
        main_output_channels: NonZeroU32::new(2),
        ..AudioIOLayout::const_default()
    }];

    const MIDI_INPUT: MidiConfig = MidiConfig::Basic;
    // Features and reward go out as CCs (see `midi_out.rs`).
    const MIDI_OUTPUT: MidiConfig = MidiConfig::MidiCCs;
    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = nice_plug_egui::EguiEditor<editor::App>;
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn editor(&mut self, _async_executor: AsyncExecutor<Self>) -> Option<Self::Editor> {
        editor::create(self.params.clone(), self.link.clone())
    }

    fn filter_state(state: &mut PluginState) {
        params::migrate_state(state);
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.engine.set_sample_rate(buffer_config.sample_rate);
        self.offline = buffer_config.process_mode == ProcessMode::Offline;
        // The saved setup's programs (compiled when it was set, off the audio thread); tables
        // queued by earlier state loads are the same setup, so they are dropped here rather
        // than replacing (and resetting) the restored engine in the first block.
        while self.programs.pop().is_some() {}
        let controls = self.params.controls();
        self.engine
            .set_programs(self.params.setup.compiled(), &controls.feedback);
        self.engine.sync_program(&controls);
        // A load before activation is in the cell already; its queued copy is the same.
        while self.adaptive_restores.pop().is_some() {}
        let adaptive = self.params.adaptive_state.load();
        self.engine.feedback_mut().restore_adaptive(&adaptive);
        self.project_adaptive.get_or_insert(adaptive);
        self.ensure_worker();
        self.ensure_session();
        self.start_saved_guide();
        true
    }

    fn reset(&mut self) {
        self.engine.reset();
        self.cc.reset();
        // A reset forgets the session; saved adaptive thresholds still apply.
        self.engine
            .feedback_mut()
            .restore_adaptive(&self.params.adaptive_state.load());
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        let controls = self.params.controls();
        self.take_guide_swap();
        self.apply_setup(&controls);
        if let Some(switch) = &self.estimator {
            switch.set(self.engine.feedback().program().estimator);
        }
        let samples = buffer.samples();
        // Transport-locked time: a start or a jump rebuilds the synth for the song position.
        let transport = context.transport();
        let (playing, position) = (transport.playing, transport.pos_samples());
        let relocked = self
            .engine
            .follow_transport(playing, position, samples, self.offline);
        let musical = musical_time(transport).filter(|_| playing);
        self.engine.follow_tempo(musical, relocked.is_some());
        let on_timeline = self.timeline_plays(playing, position, relocked.is_some());
        if relocked.is_some() && (on_timeline || !self.live_eeg_flowing()) {
            // The feedback is re-derived too when its EEG comes from the timeline or there is
            // none: a bounce then does not depend on what played before it. With live EEG the
            // session goes on across play and stop.
            let adaptive = self
                .project_adaptive
                .unwrap_or_else(|| self.params.adaptive_state.load());
            self.engine.feedback_mut().reset();
            self.engine.feedback_mut().restore_adaptive(&adaptive);
            // A guided session starts again where playback starts: a bounce from the start
            // runs the whole journey, the same each time.
            self.engine.restart_guide();
        }
        // Live EEG cannot be bounced faster than real time: the editor says so.
        self.link.offline_with_live_eeg.store(
            self.offline && playing && self.timeline.is_none(),
            Ordering::Relaxed,
        );
        if let Some(h) = self.heart_features.as_ref().and_then(|rx| rx.latest()) {
            self.engine.set_live_heart(h);
        }
        if on_timeline {
            // The worker's wall-clock frames of the same input are not used meanwhile.
            if let Some(f) = &self.frames {
                while f.pop().is_some() {}
            }
        } else {
            // EEG frames first: lock-free, allocation-free.
            self.score_frames(&controls, context);
        }
        let channels = buffer.as_slice();
        let (left, rest) = channels.split_at_mut(1);
        let (left, right) = (&mut *left[0], &mut *rest[0]);
        // Frames scored on the audio clock: their CC values and sample offsets (each frame
        // sends its changes where it was scored, so the CCs do not depend on the block size).
        let mut scored = [(0u32, [0.0f32; midi_out::CC_COUNT]); MAX_FRAMES_PER_BLOCK];
        let mut count = 0;
        {
            let (records, link, editor) = (&self.records, &self.link, &self.editor_records);
            let (block_start, sr) = (self.audio_time, self.engine.sample_rate() as f64);
            let mut sink = |r: FeedbackRecord| {
                deliver(records, link, editor, r);
                let offset = ((r.audio_time - block_start) * sr).round().max(0.0) as u32;
                // A block longer than the table keeps its newest frames' values.
                let slot = count.min(MAX_FRAMES_PER_BLOCK - 1);
                scored[slot] = (offset, cc_values(&r.frame, &r.feedback));
                count = slot + 1;
            };
            let eeg = match self.timeline.as_deref_mut() {
                Some(tl) if on_timeline => Some(EegOnTheClock {
                    input: tl,
                    audio_time: self.audio_time,
                    records: &mut sink,
                }),
                _ => None,
            };
            self.engine.render_with_eeg(
                &controls,
                || loop {
                    match context.next_event() {
                        None => return None,
                        Some(ev) => {
                            if let Some(n) = note_action(&ev) {
                                return Some(n);
                            }
                        }
                    }
                },
                left,
                right,
                eeg,
            );
        }
        if count > 0 {
            self.after_frames();
            for (timing, values) in &scored[..count] {
                self.send_ccs(values, *timing, context);
            }
        }
        self.send_stage_change(context);
        let pacer = self.engine.pacer();
        self.link
            .set_pacer(pacer.on.then_some((pacer.bpm, pacer.level)));
        self.audio_time += samples as f64 / self.engine.sample_rate() as f64;
        // A free-running soundscape: the host must keep calling process() without notes.
        ProcessStatus::KeepAlive
    }
}

impl ClapPlugin for MelodiaSync {
    fn remote_controls(&self, context: &mut impl RemoteControlsContext) {
        params::remote::pages(&self.params, context);
    }

    const CLAP_ID: &'static str = "com.melodiasync.melodiasync";
    const CLAP_DESCRIPTION: Option<&'static str> =
        Some("EEG-guided relaxation instrument: drones, binaural and isochronic beats, surf");
    const CLAP_MANUAL_URL: Option<&'static str> = None;
    const CLAP_SUPPORT_URL: Option<&'static str> = None;
    const CLAP_FEATURES: &'static [ClapFeature] = &[
        ClapFeature::Instrument,
        ClapFeature::Synthesizer,
        ClapFeature::Stereo,
        // CLAP reserves un-namespaced feature names for its standard list; "ambient" is not on it.
        ClapFeature::Custom("melodiasync:ambient"),
    ];
}

impl Vst3Plugin for MelodiaSync {
    const VST3_CLASS_ID: [u8; 16] = *b"MelodiaSyncInstr";
    const VST3_SUBCATEGORIES: &'static [Vst3SubCategory] =
        &[Vst3SubCategory::Instrument, Vst3SubCategory::Synth];
}

// The CLAP entry is `clap_export`'s: nice-plug's plugin factory plus preset discovery.
nice_export_vst3!(MelodiaSync);
