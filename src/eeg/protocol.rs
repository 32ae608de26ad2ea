//! The EEG worker's protocol: its commands, the status and calibration it reports, the
//! stream-search result, the estimator switch, and the handles an owner keeps.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use crate::eeg::SourceSpec;
use crate::features::baseline::BaselineStats;
use crate::feedback::Condition;
use crate::queue::{queue, QueueReceiver, QueueSender};

/// What the worker is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SourceState {
    /// Looking for a stream.
    #[default]
    Searching,
    /// Receiving samples.
    Connected,
    /// The stream stopped; still looking for it to come back.
    Lost,
    /// The source cannot be used; `message` says why and what to do.
    Error,
    /// The worker has stopped.
    Stopped,
}

/// The source's condition for the editor and the CLI.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceStatus {
    /// Current state.
    pub state: SourceState,
    /// A sentence for people.
    pub message: String,
    /// Stream name, type, host and source id (LSL), or a description of the source.
    pub name: String,
    /// Stream type.
    pub stream_type: String,
    /// Host name.
    pub host: String,
    /// LSL source id.
    pub source_id: String,
    /// Channel labels.
    pub labels: Vec<String>,
    /// Nominal rate in Hz.
    pub nominal_rate: f64,
    /// Measured rate over the last seconds, Hz.
    pub measured_rate: f64,
    /// Samples received since connecting.
    pub samples: u64,
    /// Local time now minus the newest sample's (corrected) timestamp, ms.
    pub lag_ms: f64,
    /// Gaps detected (timestamp jumps over 1.5 sample periods, or stream losses).
    pub dropouts: u64,
    /// LSL clock offset (remote → local), seconds.
    pub clock_offset: f64,
    /// Times the stream was reconnected.
    pub reconnects: u64,
    /// What the source noticed and the user should know, one sentence each: a declared rate
    /// the timestamps contradict, another stream with the same name, a recording's repairs.
    pub warnings: Vec<String>,
}

/// The shared status cell: written by the worker, read by the editor and CLI (never by the
/// audio thread, so a mutex is fine here).
pub type StatusCell = Arc<Mutex<SourceStatus>>;

/// Commands for the worker.
#[derive(Clone, Debug, PartialEq)]
pub enum WorkerCommand {
    /// Switch to another source (closes the current one on the worker thread).
    SetSource(SourceSpec),
    /// Record a baseline of `seconds` of clean frames (restarts one in progress).
    Calibrate {
        /// Length of the baseline.
        seconds: f32,
        /// The listener's state while recording.
        condition: Condition,
    },
    /// Abandon a calibration in progress.
    CancelCalibration,
    /// Look for LSL streams (results in [`WorkerLink::streams`] about a second later).
    FindStreams,
    /// Analyse with another window, hop, montage or band set (the extractor is rebuilt; a
    /// montage the stream lacks gets a status sentence).
    SetAnalysis(super::analysis::AnalysisConfig),
    /// Analyse these channels (by label; empty: all), keeping the rest of the analysis.
    SetMontage(Vec<String>),
    /// Switch the heart input (the heart worker's thread starts with the first one).
    SetHeart(super::heart_source::HeartSource),
}

/// A calibration's progress and result, for the editor and CLI.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CalibrationStatus {
    /// Recording now.
    pub running: bool,
    /// Share recorded, 0..1.
    pub progress: f32,
    /// Planned length in seconds.
    pub seconds: f32,
    /// Condition of the recording.
    pub condition: Option<Condition>,
    /// The finished baseline (kept until the next calibration starts).
    pub result: Option<BaselineStats>,
    /// A sentence about the state (done, cancelled, failed and why).
    pub message: String,
}

/// Written by the worker, read by the editor and CLI.
pub type CalibrationCell = Arc<Mutex<CalibrationStatus>>;

/// The heart side's status: written by the worker, read by the editor and CLI.
pub type HeartCell = Arc<Mutex<super::heart_source::HeartStatus>>;

/// The owner's side of the command queue.
pub type CommandSender = QueueSender<WorkerCommand>;
/// The worker's side of the command queue.
pub type CommandReceiver = QueueReceiver<WorkerCommand>;

/// A command queue (16 pending commands; more replace the oldest).
pub fn command_channel() -> (CommandSender, CommandReceiver) {
    queue(16)
}

/// Which band-power estimator the EEG worker runs: the plugin's audio thread stores the active
/// program's choice every block (an atomic store), and the worker rebuilds its extractor when
/// it changes.
#[derive(Clone, Debug)]
pub struct EstimatorSwitch(Arc<AtomicU8>);

impl EstimatorSwitch {
    /// A switch set to `e`.
    pub fn new(e: crate::features::extractor::Estimator) -> Self {
        let s = Self(Arc::new(AtomicU8::new(0)));
        s.set(e);
        s
    }

    /// Asks for `e` (real-time safe).
    pub fn set(&self, e: crate::features::extractor::Estimator) {
        use crate::features::extractor::Estimator;
        let v = match e {
            Estimator::Welch => 0,
            Estimator::Quadrature => 1,
        };
        self.0.store(v, Ordering::Relaxed);
    }

    /// The estimator asked for.
    pub fn get(&self) -> crate::features::extractor::Estimator {
        use crate::features::extractor::Estimator;
        match self.0.load(Ordering::Relaxed) {
            0 => Estimator::Welch,
            _ => Estimator::Quadrature,
        }
    }
}

/// Handles to a worker the editor uses (status, calibration, commands).
pub struct WorkerLink {
    /// Source status.
    pub status: StatusCell,
    /// Calibration progress and result.
    pub calibration: CalibrationCell,
    /// Commands to the worker.
    pub commands: CommandSender,
    /// The last stream search's result (`None` until one finished).
    pub streams: StreamsCell,
    /// The heart input's status and newest features.
    pub heart: HeartCell,
}

pub use super::discovery::StreamsCell;
