//! What the audio thread reports per scored frame, the session thread's commands and status,
//! and the editor's link to the worker and session thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::eeg::protocol::WorkerLink;
use crate::features::FeatureFrame;
use crate::feedback::FeedbackSnapshot;
use crate::queue::{queue, QueueReceiver, QueueSender};
use crate::synth::Modulation;

/// One scored frame with everything the outputs need: the LSL features outlet and the
/// session log (both on the session thread, never the audio thread).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FeedbackRecord {
    /// The EEG frame.
    pub frame: FeatureFrame,
    /// What the feedback engine computed.
    pub feedback: FeedbackSnapshot,
    /// The modulation applied to the synth.
    pub modulation: Modulation,
    /// The entrainment rate in Hz actually playing.
    pub beat_hz: f32,
    /// The breath pacer's rate, breaths per minute (0: the pacer is off).
    pub pacer_bpm: f32,
    /// Seconds of audio rendered when the frame was scored.
    pub audio_time: f64,
    /// How long the EEG took to reach the sound through this frame.
    pub delay: LoopDelay,
    /// Where a guided session stood when the frame was scored (inactive without one).
    pub guide: GuideMark,
}

/// Why a guided session's stage ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Its fixed time passed.
    Time,
    /// Its condition was met.
    Success,
    /// Its maximum time passed without success.
    MaxTime,
}

/// A step between frames longer than this, s, is time without EEG: far longer than the
/// frame hop (1/64 s), shorter than the stale hold (3 s by default). Neither a session's nor a
/// stage's time in target counts it.
pub const GAP_S: f64 = 1.0;

/// Seconds of usable EEG a baseline needs before it calibrates anything (a baseline stage
/// lasts at least this long; with less, the targets are left as they were).
pub const MIN_BASELINE_EEG_S: f64 = 10.0;

/// Where a guided session stands (see `crate::guide`), as every record carries it.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct GuideMark {
    /// Whether a guided session runs.
    pub active: bool,
    /// The stage index.
    pub stage: u8,
    /// Stage entries so far (1 for the first stage): tells repeated visits apart.
    pub visit: u16,
    /// Seconds in the stage.
    pub stage_s: f32,
    /// How far the stage's condition has come: seconds in target, or the mean reward over
    /// its window (0 for fixed-time stages).
    pub progress: f32,
    /// How the previous stage ended (none for the first).
    pub entered_after: Option<Outcome>,
    /// Whether the last stage has ended.
    pub complete: bool,
    /// Whether the stage records a baseline (its frames become the daily baseline).
    pub baseline: bool,
    /// Whether the stage trains (its time in target is what the session works toward; other
    /// stages are scored too, but the sound does not follow the reward there).
    pub training: bool,
    /// The condition a baseline stage records in (none: not said).
    pub condition: Option<crate::feedback::Condition>,
}

/// The EEG -> sound delay of one frame, in parts.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LoopDelay {
    /// From the newest EEG sample in the frame (its clock-corrected LSL time) to the start of
    /// the audio block that applied it, s: transport, buffering, the frame hop, the block.
    pub transport_s: f32,
    /// The band estimator's group delay of the program's slowest reward term, s.
    pub estimator_s: f32,
    /// The smoothing that tops that term up to the response time, s (its time constant: a
    /// one-pole's delay).
    pub smoothing_s: f32,
}

impl LoopDelay {
    /// The whole delay, s (without the host's output latency, which plugins are not told).
    pub fn total_s(&self) -> f32 {
        self.transport_s + self.estimator_s + self.smoothing_s
    }
}

/// Audio thread → session thread (1024 records: 16 s at 64 frames/s).
pub fn record_channel() -> (QueueSender<FeedbackRecord>, QueueReceiver<FeedbackRecord>) {
    queue(1024)
}

/// Commands for the session thread's log (from the editor's session start/stop).
#[derive(Clone, Debug, PartialEq)]
pub enum SessionCommand {
    /// Start logging every frame to this CSV file (a summary JSON goes beside it at the stop).
    Start(std::path::PathBuf),
    /// Stop logging and write the summary.
    Stop,
    /// A guided session was started from the editor: log it here, unless a log is already
    /// being written, and close the log by itself when the session completes.
    StartGuided(std::path::PathBuf),
    /// The guided session was stopped: close its log (one started by `StartGuided` only).
    StopGuided,
    /// A guided session started: its stage names, for the log's `stage` column and the
    /// summary's stages (empty: none runs).
    Stages(Vec<String>),
}

/// The session log's state, for the editor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionLogStatus {
    /// The log being written, if a session is running.
    pub recording: Option<std::path::PathBuf>,
    /// A sentence about the last start/stop (where it went, or what failed).
    pub message: String,
    /// The last log saved (the editor's Report button draws it).
    pub last_saved: Option<std::path::PathBuf>,
}

/// Everything the editor reads or sends beyond the parameters, created with the plugin (the
/// worker and session thread start later, at activation, and register here).
pub struct EditorLink {
    /// The worker, once started.
    pub worker: Mutex<Option<WorkerLink>>,
    /// Scored frames from the audio thread (while the editor is open).
    pub records: QueueReceiver<FeedbackRecord>,
    /// Session log commands, once the session thread runs.
    pub session: Mutex<Option<QueueSender<SessionCommand>>>,
    /// Session log state.
    pub session_status: Arc<Mutex<SessionLogStatus>>,
    /// Whether an editor is open (the audio thread only sends records then).
    pub open: AtomicBool,
    /// Set by the audio thread while the host bounces offline with a live source (live EEG
    /// cannot be bounced faster than real time).
    pub offline_with_live_eeg: AtomicBool,
    /// Guided sessions to and from the audio thread.
    pub guide: GuideLink,
    /// The breath pacer as the audio thread last played it: its rate (breaths a minute, 0
    /// when off) and envelope (0..1), as `f32` bits.
    pacer: [std::sync::atomic::AtomicU32; 2],
}

impl EditorLink {
    /// A link, the audio thread's sending side of its record queue (512 records: 8 s at 64
    /// frames/s) and its side of the guided-session hand-over.
    pub fn new() -> (Arc<Self>, QueueSender<FeedbackRecord>, GuideAudio) {
        let (tx, rx) = queue(512);
        let (guide, guide_audio) = guide_channel();
        (
            Arc::new(Self {
                worker: Mutex::new(None),
                records: rx,
                session: Mutex::new(None),
                session_status: Arc::default(),
                open: AtomicBool::new(false),
                offline_with_live_eeg: AtomicBool::new(false),
                guide,
                pacer: Default::default(),
            }),
            tx,
            guide_audio,
        )
    }

    /// The audio thread publishes the pacer (`None`: off). Real-time safe.
    pub fn set_pacer(&self, pacer: Option<(f32, f32)>) {
        let (bpm, level) = pacer.unwrap_or((0.0, 0.0));
        self.pacer[0].store(bpm.to_bits(), Ordering::Relaxed);
        self.pacer[1].store(level.to_bits(), Ordering::Relaxed);
    }

    /// The breath pacer's rate and envelope as last played (`None`: off).
    pub fn pacer(&self) -> Option<(f32, f32)> {
        let bpm = f32::from_bits(self.pacer[0].load(Ordering::Relaxed));
        let level = f32::from_bits(self.pacer[1].load(Ordering::Relaxed));
        (bpm > 0.0).then_some((bpm, level))
    }

    /// Whether an editor is open.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }
}

/// A guided session for the audio thread to run (`None`: stop the running one).
pub struct GuideSwap(pub Option<Box<dyn crate::engine::StageGuide>>);

/// The editor's (main thread's) side of guided sessions: sessions go to the audio thread,
/// the ones it replaced come back to be dropped here, never on the audio thread.
pub struct GuideLink {
    /// To the audio thread.
    to_audio: QueueSender<GuideSwap>,
    /// Replaced sessions, from the audio thread.
    retired: QueueReceiver<GuideSwap>,
    /// A sentence about the last start or stop (or why it failed).
    pub status: Mutex<String>,
}

impl GuideLink {
    /// Sends a session to start (`Some`) or the stop (`None`), after dropping what the audio
    /// thread handed back.
    pub fn send(&self, swap: GuideSwap) {
        self.drain();
        self.to_audio.push(swap);
    }

    /// Drops the sessions the audio thread replaced.
    pub fn drain(&self) {
        while self.retired.pop().is_some() {}
    }
}

/// The audio thread's side of guided sessions.
pub struct GuideAudio {
    /// Sessions to start or stop (drained at block start).
    pub swaps: QueueReceiver<GuideSwap>,
    /// Where a replaced session goes (the audio thread never frees one).
    pub retire: QueueSender<GuideSwap>,
}

/// The two sides of the guided-session hand-over.
pub fn guide_channel() -> (GuideLink, GuideAudio) {
    let (to_audio, swaps) = queue(4);
    let (retire, retired) = queue(4);
    (
        GuideLink {
            to_audio,
            retired,
            status: Mutex::default(),
        },
        GuideAudio { swaps, retire },
    )
}
