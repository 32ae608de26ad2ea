//! The EEG worker: one thread per plugin instance (or CLI run) that owns the source, feeds
//! the feature extractor, and publishes frames and status. Beside it runs the heart worker
//! ([`HeartWorker`]): every EEG frame carries the newest heart features, and while no EEG
//! frame comes (no EEG stream, a lost one) the heart worker sends frames with only the heart
//! on the hop, so heart programs go on.
//!
//! Lifecycle: [`Worker::spawn`] starts it; [`Worker::set_source`] switches sources without a
//! restart (the old source is dropped on the worker thread, so liblsl's slow teardown never
//! blocks the caller); dropping the [`Worker`] sets the stop flag and joins the thread.

use std::thread::JoinHandle;

use super::discovery::StreamSearch;
use super::heart_source::{HeartSource, HeartStatus};
use super::heart_worker::{HeartOutputs, HeartWorker, LastEegFrame};
use super::protocol::{
    command_channel, CalibrationCell, CalibrationStatus, CommandReceiver, CommandSender,
    EstimatorSwitch, HeartCell, SourceState, SourceStatus, StatusCell, StreamsCell, WorkerCommand,
    WorkerLink,
};
use super::source::open_live;
use super::SourceSpec;
use crate::features::baseline::BaselineRecorder;
use crate::features::heart::HeartFeatures;
use crate::feedback::Condition;
use crate::queue::{frame_channel, FrameConsumer, FrameProducer, StopFlag};
use crate::queue::{queue, QueueReceiver};
use crate::timeline::{timeline_channel, TimelineFeed, TimelineLink};

pub use super::analysis::{extractor_for, AnalysisConfig};
use crate::features::Extractor;

/// Frames below this quality are left out of a baseline (artifacts are not the listener).
pub const CALIBRATION_MIN_QUALITY: f32 = 0.5;

/// Updates the calibration cell (never poisoned in practice; a poisoned one is skipped).
fn set_calibration(cell: &CalibrationCell, f: impl FnOnce(&mut CalibrationStatus)) {
    if let Ok(mut c) = cell.lock() {
        f(&mut c);
    }
}

/// The handles a worker's owner keeps.
pub struct Worker {
    /// The thread.
    handle: Option<JoinHandle<()>>,
    /// Stop request.
    stop: StopFlag,
    /// Commands to the worker.
    commands: CommandSender,
    /// Latest status.
    status: StatusCell,
    /// Calibration progress and result.
    calibration: CalibrationCell,
    /// The estimator the owner wants (followed on the next pass).
    estimator: EstimatorSwitch,
    /// The last stream search's result.
    streams: StreamsCell,
    /// The heart worker's status (the thread starts with the first heart input).
    heart: HeartCell,
    /// The newest heart features, for the audio thread.
    heart_features: QueueReceiver<HeartFeatures>,
}

/// The frame consumers a new worker hands out.
pub struct WorkerOutputs {
    /// For the audio thread: every frame, popped and scored at block start.
    pub audio: FrameConsumer,
    /// For the editor or CLI: every frame (up to 256 buffered).
    pub monitor: FrameConsumer,
}

impl Worker {
    /// Starts a worker on `spec` with `analysis`, with both frame consumers.
    pub fn spawn(spec: SourceSpec, analysis: AnalysisConfig) -> (Self, WorkerOutputs) {
        let (mon_tx, mon_rx) = frame_channel(256);
        let (worker, audio) = Self::start(spec, analysis, Some(mon_tx), None);
        let outputs = WorkerOutputs {
            audio,
            monitor: mon_rx,
        };
        (worker, outputs)
    }

    /// Starts a worker that feeds only the audio thread's consumer (the plugin: its editor
    /// reads records, not frames).
    /// It also builds the input the host's timeline plays on the audio clock when the source
    /// is a recording or the simulator (see [`crate::timeline`]), and sends it on the link.
    pub fn spawn_for_audio(
        spec: SourceSpec,
        analysis: AnalysisConfig,
    ) -> (Self, FrameConsumer, TimelineLink) {
        let (feed, link) = timeline_channel();
        let (worker, frames) = Self::start(spec, analysis, None, Some(feed));
        (worker, frames, link)
    }

    fn start(
        spec: SourceSpec,
        analysis: AnalysisConfig,
        mon_tx: Option<FrameProducer>,
        timeline: Option<TimelineFeed>,
    ) -> (Self, FrameConsumer) {
        let (audio_tx, audio_rx) = frame_channel(32);
        let (cmd_tx, cmd_rx) = command_channel();
        let stop = StopFlag::default();
        let status = StatusCell::default();
        let calibration = CalibrationCell::default();
        let estimator = EstimatorSwitch::new(analysis.estimator);
        let streams = StreamsCell::default();
        let heart = HeartCell::default();
        let thread_heart = heart.clone();
        let (audio_heart_tx, heart_features) = queue(4);
        let thread_streams = streams.clone();
        let thread_stop = stop.clone();
        let thread_status = status.clone();
        let thread_calibration = calibration.clone();
        let thread_estimator = estimator.clone();
        let handle = std::thread::Builder::new()
            .name("melodiasync-eeg".into())
            .spawn(move || {
                run(
                    spec,
                    analysis,
                    cmd_rx,
                    thread_stop,
                    (
                        thread_status,
                        thread_calibration,
                        thread_estimator,
                        thread_streams,
                    ),
                    (thread_heart, audio_heart_tx),
                    WorkerOutputsTx {
                        audio: audio_tx,
                        monitor: mon_tx,
                        timeline,
                    },
                )
            })
            .expect("the OS refused to start the EEG worker thread");
        (
            Self {
                handle: Some(handle),
                stop,
                commands: cmd_tx,
                status,
                calibration,
                estimator,
                streams,
                heart,
                heart_features,
            },
            audio_rx,
        )
    }

    /// Switches to another source.
    pub fn set_source(&self, spec: SourceSpec) {
        self.commands.push(WorkerCommand::SetSource(spec));
    }

    /// Switches the heart input (off by default; the heart worker's thread starts with the
    /// first one).
    pub fn set_heart(&self, spec: HeartSource) {
        self.commands.push(WorkerCommand::SetHeart(spec));
    }

    /// The newest heart features as the heart worker publishes them (lock-free: for the
    /// audio thread, which stamps them into frames that come without them).
    pub fn heart_features(&self) -> QueueReceiver<HeartFeatures> {
        self.heart_features.clone()
    }

    /// A copy of the heart side's status.
    pub fn heart_status(&self) -> HeartStatus {
        self.heart.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The switch that picks the band-power estimator (the plugin's audio thread sets it from
    /// the active program).
    pub fn estimator_switch(&self) -> EstimatorSwitch {
        self.estimator.clone()
    }

    /// Changes the analysis (montage, window, hop, bands) without restarting the source.
    pub fn set_analysis(&self, analysis: AnalysisConfig) {
        self.commands.push(WorkerCommand::SetAnalysis(analysis));
    }

    /// A copy of the current status.
    pub fn status(&self) -> SourceStatus {
        self.status.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Starts recording a baseline of `seconds` of clean frames from the current source.
    pub fn calibrate(&self, seconds: f32, condition: Condition) {
        self.commands
            .push(WorkerCommand::Calibrate { seconds, condition });
    }

    /// Abandons a calibration in progress.
    pub fn cancel_calibration(&self) {
        self.commands.push(WorkerCommand::CancelCalibration);
    }

    /// Starts an LSL stream search; [`Worker::streams`] has the result about
    /// [`super::discovery::SEARCH_S`] later. The source keeps streaming meanwhile.
    pub fn find_streams(&self) {
        self.commands.push(WorkerCommand::FindStreams);
    }

    /// The last stream search's result (`None` until one has finished).
    pub fn streams(&self) -> Option<Vec<super::discovery::StreamRow>> {
        self.streams.lock().ok().and_then(|s| s.clone())
    }

    /// Handles for the editor: the same status and calibration cells, and a command sender.
    pub fn link(&self) -> WorkerLink {
        WorkerLink {
            status: self.status.clone(),
            calibration: self.calibration.clone(),
            commands: self.commands.clone(),
            streams: self.streams.clone(),
            heart: self.heart.clone(),
        }
    }

    /// A copy of the calibration's progress and result.
    pub fn calibration(&self) -> CalibrationStatus {
        self.calibration
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// Where the worker's results go.
struct WorkerOutputsTx {
    /// Every frame, for the audio thread.
    audio: FrameProducer,
    /// Every frame, for a monitor (CLI), if any.
    monitor: Option<FrameProducer>,
    /// The timeline's inputs, for a plugin's audio thread.
    timeline: Option<TimelineFeed>,
}

/// The worker loop.
fn run(
    spec: SourceSpec,
    mut analysis: AnalysisConfig,
    commands: CommandReceiver,
    stop: StopFlag,
    (shared, calibration, estimator, streams): (
        StatusCell,
        CalibrationCell,
        EstimatorSwitch,
        StreamsCell,
    ),
    (heart_cell, audio_heart): (HeartCell, crate::queue::QueueSender<HeartFeatures>),
    WorkerOutputsTx {
        audio,
        monitor,
        timeline,
    }: WorkerOutputsTx,
) {
    let (mut source, mut status) = open_live(&spec);
    // The timeline's input follows the source and the analysis. The owner builds the first
    // one itself (for the same source and analysis), so a bounce has it from its first block;
    // this thread sends a new one whenever either changes.
    let mut spec = spec;
    let mut timeline_basis = (spec.clone(), analysis.clone());
    let mut send_timeline = |spec: &SourceSpec, analysis: &AnalysisConfig| {
        if let Some(t) = &timeline {
            if timeline_basis.0 != *spec || timeline_basis.1 != *analysis {
                timeline_basis = (spec.clone(), analysis.clone());
                t.send(spec, analysis);
            }
        }
    };
    let mut extractor: Option<Extractor> = None;
    let mut recorder: Option<(BaselineRecorder, Condition, f32)> = None;
    // The calibration progress last published.
    let mut shown_progress = 0.0f32;
    // Whether the current error is the montage's (cleared by an analysis that fits).
    let mut montage_error = false;
    let mut frames_per_s = 1.0 / analysis.hop_s.max(1e-3);
    let mut published = std::time::Instant::now();
    // The last stream search (its own thread; waited for only when the worker stops).
    let mut search: Option<StreamSearch> = None;
    // The last error sentence written to the host's log.
    let mut said = String::new();
    // The heart worker (started with the first heart input), the newest features it sent
    // (stamped into every frame), and when the last EEG frame went out (it sends heart-only
    // frames while that is old).
    let mut heart_worker: Option<(HeartWorker, QueueReceiver<HeartFeatures>)> = None;
    let mut heart = HeartFeatures::default();
    let last_eeg = LastEegFrame::default();
    while !stop.is_stopped() {
        while let Some(cmd) = commands.pop() {
            match cmd {
                WorkerCommand::SetSource(new) => {
                    // The old source (and any liblsl inlet) is dropped here, on this thread.
                    spec = new;
                    (source, status) = open_live(&spec);
                    extractor = None;
                    montage_error = false;
                    send_timeline(&spec, &analysis);
                }
                WorkerCommand::SetHeart(spec) => {
                    if heart_worker.is_none() && spec.is_on() {
                        let (tx, rx) = queue(4);
                        let outputs = HeartOutputs {
                            audio: audio.clone(),
                            monitor: monitor.clone(),
                            features: tx,
                            audio_features: audio_heart.clone(),
                            last_eeg: last_eeg.clone(),
                            hop_s: analysis.hop_s as f64,
                        };
                        heart_worker = Some((HeartWorker::spawn(outputs, heart_cell.clone()), rx));
                    }
                    if let Some((w, _)) = &heart_worker {
                        w.commands().push(spec);
                    }
                }
                WorkerCommand::SetMontage(montage) => {
                    analysis.montage = montage;
                    // Rebuilt for the current stream on the next pass.
                    extractor = None;
                    send_timeline(&spec, &analysis);
                }
                WorkerCommand::SetAnalysis(new) => {
                    estimator.set(new.estimator);
                    analysis = new;
                    frames_per_s = 1.0 / analysis.hop_s.max(1e-3);
                    // Rebuilt for the current stream on the next pass.
                    extractor = None;
                    send_timeline(&spec, &analysis);
                }
                WorkerCommand::Calibrate { seconds, condition } => {
                    let seconds = if seconds.is_finite() {
                        seconds.clamp(5.0, 600.0)
                    } else {
                        60.0
                    };
                    shown_progress = 0.0;
                    recorder = Some((
                        BaselineRecorder::new(seconds, frames_per_s),
                        condition,
                        seconds,
                    ));
                    set_calibration(&calibration, |c| {
                        *c = CalibrationStatus {
                            running: true,
                            seconds,
                            condition: Some(condition),
                            message: format!("Recording a {seconds:.0} s baseline."),
                            ..CalibrationStatus::default()
                        }
                    });
                }
                WorkerCommand::CancelCalibration => {
                    if recorder.take().is_some() {
                        set_calibration(&calibration, |c| {
                            c.running = false;
                            c.message = "Calibration cancelled; the targets are unchanged.".into();
                        });
                    }
                }
                // A search already under way answers this request too.
                WorkerCommand::FindStreams if search.as_ref().is_some_and(|s| !s.is_finished()) => {
                }
                WorkerCommand::FindStreams => match StreamSearch::start(streams.clone()) {
                    Ok(s) => search = Some(s),
                    Err(msg) => {
                        // An empty list and the reason in the status line.
                        if let Ok(mut rows) = streams.lock() {
                            *rows = Some(Vec::new());
                        }
                        status.message = msg;
                    }
                },
            }
        }
        let wanted = estimator.get();
        if wanted != analysis.estimator {
            // The active program changed estimators: rebuilt on this pass.
            analysis.estimator = wanted;
            extractor = None;
            send_timeline(&spec, &analysis);
        }
        if let Some(t) = &timeline {
            t.collect();
        }
        // (Re)build the extractor when the stream's layout is new or changed.
        if let Some((labels, rate)) = source.layout() {
            let fits = extractor
                .as_ref()
                .is_some_and(|e| e.config().labels == labels && e.config().sample_rate == rate);
            if !fits {
                extractor = match extractor_for(labels, rate, &analysis) {
                    Ok(e) => {
                        if montage_error {
                            // The new analysis fits the stream again.
                            montage_error = false;
                            status.state = SourceState::Connected;
                            status.message = format!(
                                "Analysing {} of the stream's {} channels.",
                                e.config().montage.len(),
                                labels.len()
                            );
                        }
                        Some(e)
                    }
                    Err(msg) => {
                        montage_error = true;
                        status.state = SourceState::Error;
                        status.message = msg;
                        None
                    }
                };
            }
        }
        if let Some(h) = heart_worker.as_ref().and_then(|(_, rx)| rx.latest()) {
            heart = h;
        }
        let before = status.state;
        let mut eeg_frames = 0u32;
        let mut sink = |sample: &[f32], time: f64| {
            if let Some(ex) = extractor.as_mut() {
                if let Some(mut frame) = ex.push(sample, time) {
                    frame.heart = heart;
                    eeg_frames += 1;
                    audio.push(frame);
                    if let Some(m) = &monitor {
                        m.push(frame);
                    }
                    if let Some((rec, _, _)) = recorder.as_mut() {
                        rec.push(&frame, CALIBRATION_MIN_QUALITY);
                    }
                }
            }
        };
        source.pump(&mut status, &mut sink);
        if eeg_frames > 0 {
            // The heart worker sends heart-only frames while this stays old.
            last_eeg.mark(super::local_clock());
        }
        if let Some((rec, condition, seconds)) = &recorder {
            let progress = rec.progress();
            if rec.is_full() {
                let result = rec.finish();
                let (condition, seconds) = (*condition, *seconds);
                recorder = None;
                set_calibration(&calibration, |c| {
                    c.running = false;
                    c.progress = 1.0;
                    c.message = if result.is_some() {
                        format!("Baseline recorded: {seconds:.0} s, {condition:?}.")
                    } else {
                        "The baseline had too few clean frames; check the electrodes and try again."
                            .into()
                    };
                    c.result = result;
                });
            } else if progress - shown_progress >= 0.01 {
                // Published in 1 % steps: readers poll, there is no need to lock per sample.
                shown_progress = progress;
                set_calibration(&calibration, |c| c.progress = progress);
            }
        }
        if status.state == SourceState::Lost && before == SourceState::Connected {
            // The next connection starts a fresh window: no frame mixes two sessions.
            if let Some(ex) = extractor.as_mut() {
                ex.reset();
            }
        }
        if before != status.state || published.elapsed().as_millis() >= 50 {
            if let Ok(mut s) = shared.lock() {
                *s = status.clone();
            }
            published = std::time::Instant::now();
        }
        // In a plugin, an error also goes to the host's log (stderr), once per sentence: a
        // headless host (a render farm, a batch bounce) shows no editor.
        if timeline.is_some() && status.state == SourceState::Error && said != status.message {
            eprintln!("MelodiaSync: {}", status.message);
            said.clone_from(&status.message);
        }
    }
    // A plugin may be unloaded once the worker is gone: no search thread may outlive it.
    if let Some(s) = search {
        s.wait();
    }
    if let Ok(mut s) = shared.lock() {
        s.state = SourceState::Stopped;
        s.message = "The EEG worker has stopped.".into();
    }
}
