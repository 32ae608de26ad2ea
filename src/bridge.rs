//! Every value that crosses a thread boundary, and the constructors of its handles: one place
//! to review what is shared and how.
//!
//! | from → to | what | how |
//! |---|---|---|
//! | EEG worker → audio | newest [`FeatureFrame`] | [`frame_channel`]: `ArrayQueue::force_push`, drained at block start |
//! | EEG worker → editor/CLI | frames and [`SourceStatus`] | a second [`frame_channel`]; status behind a mutex the audio thread never touches |
//! | editor/CLI → worker | [`WorkerCommand`] | [`command_channel`], read only by the worker |
//! | plugin → worker | stop | `AtomicBool` + join in `Drop` |
//! | main/editor → audio | compiled programs after a calibration or state load | [`SetupCell`]: its `set` compiles, then a queue |
//! | audio → main | adaptive thresholds, for the project save | [`AdaptiveCell::publish`]: atomics |
//! | main → audio | adaptive thresholds from a project load | [`AdaptiveCell`]'s `set`: a queue the audio thread drains ([`adaptive_restore_channel`]) |
//! | audio → session thread | [`FeedbackRecord`] per scored frame | [`record_channel`] |

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use crossbeam_queue::ArrayQueue;

use crate::eeg::SourceSpec;
use crate::features::baseline::BaselineStats;
use crate::features::FeatureFrame;
use crate::feedback::program::{CompiledProgram, ProgramKind, MAX_TERMS};
use crate::feedback::{AdaptiveSnapshot, Condition, FeedbackSetup, FeedbackSnapshot};
use crate::synth::Modulation;

/// Sending half of a bounded, lock-free queue. Never blocks: when the queue is full the oldest
/// item is dropped, because every consumer here wants the newest (frames, commands).
pub struct QueueSender<T> {
    /// The shared queue.
    queue: Arc<ArrayQueue<T>>,
    /// Items dropped because the queue was full.
    dropped: Arc<AtomicU64>,
}

impl<T> QueueSender<T> {
    /// Sends an item (real-time safe; a full queue loses its oldest item, and counts it).
    pub fn push(&self, item: T) {
        if self.queue.force_push(item).is_some() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Sends an item, waiting while the queue is full: for producers that may block (offline
    /// renders), never for the audio thread.
    pub fn push_waiting(&self, mut item: T) {
        while let Err(back) = self.queue.push(item) {
            item = back;
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
}

impl<T> Clone for QueueSender<T> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
            dropped: self.dropped.clone(),
        }
    }
}

/// Receiving half of a bounded, lock-free queue; allocation-free, so the audio thread may use it.
pub struct QueueReceiver<T> {
    /// The shared queue.
    queue: Arc<ArrayQueue<T>>,
    /// Items the sender dropped.
    dropped: Arc<AtomicU64>,
}

impl<T> QueueReceiver<T> {
    /// Takes every waiting item and returns the newest, if any.
    pub fn latest(&self) -> Option<T> {
        let mut newest = None;
        while let Some(item) = self.queue.pop() {
            newest = Some(item);
        }
        newest
    }

    /// Takes the oldest waiting item (for consumers that want every one, like the CLI).
    pub fn pop(&self) -> Option<T> {
        self.queue.pop()
    }

    /// Items lost because the queue was full.
    pub fn overflowed(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// A queue holding up to `capacity` items (at least one).
pub fn queue<T>(capacity: usize) -> (QueueSender<T>, QueueReceiver<T>) {
    let queue = Arc::new(ArrayQueue::new(capacity.max(1)));
    let dropped = Arc::new(AtomicU64::new(0));
    (
        QueueSender {
            queue: queue.clone(),
            dropped: dropped.clone(),
        },
        QueueReceiver { queue, dropped },
    )
}

/// The EEG worker's side of a frame queue.
pub type FrameProducer = QueueSender<FeatureFrame>;
/// The audio thread's (or editor's) side of a frame queue.
pub type FrameConsumer = QueueReceiver<FeatureFrame>;

/// A frame queue holding up to `capacity` frames.
pub fn frame_channel(capacity: usize) -> (FrameProducer, FrameConsumer) {
    queue(capacity)
}

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
    SetAnalysis(crate::eeg::worker::AnalysisConfig),
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

/// The owner's side of the command queue.
pub type CommandSender = QueueSender<WorkerCommand>;
/// The worker's side of the command queue.
pub type CommandReceiver = QueueReceiver<WorkerCommand>;

/// A command queue (16 pending commands; more replace the oldest).
pub fn command_channel() -> (CommandSender, CommandReceiver) {
    queue(16)
}

/// A stop flag shared between the owner and the worker.
#[derive(Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// Asks the worker to stop.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether a stop was asked.
    pub fn is_stopped(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// The compiled factory programs, as one value.
pub type ProgramTable = [CompiledProgram; 6];

/// The saved feedback setup. Setting it (state load, calibration applied) compiles the
/// programs on the caller's thread and queues them for the audio thread, which only copies.
pub struct SetupCell {
    /// The setup as saved, and its programs compiled (once per change, not per reader).
    value: RwLock<(FeedbackSetup, ProgramTable)>,
    /// To the audio thread.
    programs: QueueSender<ProgramTable>,
}

impl SetupCell {
    /// A cell sending compiled programs to `programs`.
    pub fn new(programs: QueueSender<ProgramTable>) -> Self {
        let setup = FeedbackSetup::default();
        let table = setup.compile();
        Self {
            value: RwLock::new((setup, table)),
            programs,
        }
    }

    /// A copy of the setup.
    pub fn get(&self) -> FeedbackSetup {
        self.value.read().map(|v| v.0.clone()).unwrap_or_default()
    }

    /// The setup's programs, compiled when it was set.
    pub fn compiled(&self) -> ProgramTable {
        match self.value.read() {
            Ok(v) => v.1,
            Err(_) => FeedbackSetup::default().compile(),
        }
    }
}

impl<'a> nice_plug::params::persist::PersistentField<'a, FeedbackSetup> for SetupCell {
    fn set(&self, new_value: FeedbackSetup) {
        let table = new_value.compile();
        self.programs.push(table);
        if let Ok(mut v) = self.value.write() {
            *v = (new_value, table);
        }
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&FeedbackSetup) -> R,
    {
        match self.value.read() {
            Ok(v) => f(&v.0),
            Err(_) => f(&FeedbackSetup::default()),
        }
    }
}

/// A queue of compiled program tables (by value, about 4 KB each: the audio thread copies
/// them out and never frees anything).
pub fn program_channel() -> (QueueSender<ProgramTable>, QueueReceiver<ProgramTable>) {
    queue(2)
}

/// A queue of adaptive states loaded with a project, for the audio thread to restore.
pub fn adaptive_restore_channel() -> (
    QueueSender<AdaptiveSnapshot>,
    QueueReceiver<AdaptiveSnapshot>,
) {
    queue(2)
}

/// Adaptive thresholds saved with the project, on two one-way paths so neither can overwrite
/// the other: the audio thread publishes its state after each frame (read by the host's state
/// save), and a state load sends the loaded state to the audio thread through a queue
/// (restored at the next block start). A load is therefore never lost to a publish that lands
/// between it and the audio thread's next block.
pub struct AdaptiveCell {
    /// Loaded states, to the audio thread.
    restore: QueueSender<AdaptiveSnapshot>,
    /// Program index + 1 (0 = custom/none).
    program: AtomicU32,
    /// Terms stored.
    terms: AtomicU32,
    /// Thresholds as f32 bits.
    thresholds: [AtomicU32; MAX_TERMS],
    /// Positions as f32 bits.
    positions: [AtomicU32; MAX_TERMS],
    /// Threshold offsets as f32 bits.
    offsets: [AtomicU32; MAX_TERMS],
    /// Listener normaliser per term (mean, variance, elapsed) as f32 bits.
    norms: [[AtomicU32; 3]; MAX_TERMS],
    /// The in-target bar as f32 bits.
    bar: AtomicU32,
}

impl Default for AdaptiveCell {
    /// A cell whose loads go nowhere (the CLI and tests without an audio thread).
    fn default() -> Self {
        Self::new(adaptive_restore_channel().0)
    }
}

impl AdaptiveCell {
    /// A cell that sends loaded states to `restore` (the audio thread's receiver).
    pub fn new(restore: QueueSender<AdaptiveSnapshot>) -> Self {
        Self {
            restore,
            program: AtomicU32::default(),
            terms: AtomicU32::default(),
            thresholds: Default::default(),
            positions: Default::default(),
            offsets: Default::default(),
            norms: Default::default(),
            bar: AtomicU32::default(),
        }
    }

    /// Publishes the audio thread's thresholds (lock-free, allocation-free).
    pub fn publish(&self, s: &AdaptiveSnapshot) {
        let program = s.program.map_or(0, |k| k.index() as u32 + 1);
        self.program.store(program, Ordering::Relaxed);
        self.terms.store(s.terms as u32, Ordering::Relaxed);
        self.bar.store(s.bar.to_bits(), Ordering::Relaxed);
        for i in 0..MAX_TERMS {
            self.thresholds[i].store(s.thresholds[i].to_bits(), Ordering::Relaxed);
            self.positions[i].store(s.positions[i].to_bits(), Ordering::Relaxed);
            self.offsets[i].store(s.offsets[i].to_bits(), Ordering::Relaxed);
            let n = &s.norms[i];
            for (cell, v) in self.norms[i].iter().zip([n.mean, n.var, n.elapsed]) {
                cell.store(v.to_bits(), Ordering::Relaxed);
            }
        }
    }

    /// The stored thresholds.
    pub fn load(&self) -> AdaptiveSnapshot {
        let program = self.program.load(Ordering::Relaxed) as usize;
        AdaptiveSnapshot {
            program: program
                .checked_sub(1)
                .and_then(|i| ProgramKind::ALL.get(i).copied()),
            terms: (self.terms.load(Ordering::Relaxed) as usize).min(MAX_TERMS),
            thresholds: std::array::from_fn(|i| {
                f32::from_bits(self.thresholds[i].load(Ordering::Relaxed))
            }),
            positions: std::array::from_fn(|i| {
                f32::from_bits(self.positions[i].load(Ordering::Relaxed))
            }),
            offsets: std::array::from_fn(|i| {
                f32::from_bits(self.offsets[i].load(Ordering::Relaxed))
            }),
            norms: std::array::from_fn(|i| {
                let v = |k: usize| f32::from_bits(self.norms[i][k].load(Ordering::Relaxed));
                crate::feedback::reward::Normaliser {
                    mean: v(0),
                    var: v(1),
                    elapsed: v(2),
                }
            }),
            bar: f32::from_bits(self.bar.load(Ordering::Relaxed)),
        }
    }
}

impl<'a> nice_plug::params::persist::PersistentField<'a, AdaptiveSnapshot> for AdaptiveCell {
    /// A state load: saved again as it is until the audio thread publishes, and sent to the
    /// audio thread to restore.
    fn set(&self, new_value: AdaptiveSnapshot) {
        self.publish(&new_value);
        self.restore.push(new_value);
    }

    fn map<F, R>(&self, f: F) -> R
    where
        F: Fn(&AdaptiveSnapshot) -> R,
    {
        f(&self.load())
    }
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
    /// Seconds of audio rendered when the frame was scored.
    pub audio_time: f64,
    /// How long the EEG took to reach the sound through this frame.
    pub delay: LoopDelay,
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
}

/// The session log's state, for the editor.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SessionLogStatus {
    /// The log being written, if a session is running.
    pub recording: Option<std::path::PathBuf>,
    /// A sentence about the last start/stop (where it went, or what failed).
    pub message: String,
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
}

/// LSL streams the worker found, as rows of `eeg::lsl::StreamRow`.
pub type StreamsCell = Arc<Mutex<Option<Vec<crate::eeg::lsl::StreamRow>>>>;

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
}

impl EditorLink {
    /// A link and the audio thread's sending side of its record queue (512 records: 16 s).
    pub fn new() -> (Arc<Self>, QueueSender<FeedbackRecord>) {
        let (tx, rx) = queue(512);
        (
            Arc::new(Self {
                worker: Mutex::new(None),
                records: rx,
                session: Mutex::new(None),
                session_status: Arc::default(),
                open: AtomicBool::new(false),
            }),
            tx,
        )
    }

    /// Whether an editor is open.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The interleaving that lost loads when the cell was one set of atomics plus a
    /// generation counter: the host loads a project mid-block, then the block's frame
    /// publishes the engine's own state. The next block must still restore the load.
    #[test]
    fn a_load_between_blocks_is_not_lost_to_the_audio_threads_publish() {
        use nice_plug::params::persist::PersistentField;
        let snapshot = |bar: f32| AdaptiveSnapshot {
            program: Some(ProgramKind::Calm),
            terms: 2,
            thresholds: [bar; MAX_TERMS],
            bar,
            ..AdaptiveSnapshot::default()
        };
        let (own, loaded) = (snapshot(0.1), snapshot(0.3));
        let (tx, rx) = adaptive_restore_channel();
        let cell = AdaptiveCell::new(tx);
        // Block 1 starts: nothing to restore.
        assert!(rx.latest().is_none());
        cell.set(loaded);
        // A save right after the load returns the loaded state.
        assert_eq!(cell.map(|s| *s), loaded);
        cell.publish(&own);
        // Block 2 starts: the load arrives although the cell now holds the engine's state.
        assert_eq!(rx.latest(), Some(loaded));
        assert_eq!(cell.load(), own);
        assert!(rx.latest().is_none());
    }

    #[test]
    fn frames_cross_threads_and_the_newest_wins() {
        let (tx, rx) = frame_channel(4);
        let h = std::thread::spawn(move || {
            for seq in 0..1000u64 {
                tx.push(FeatureFrame {
                    seq,
                    ..Default::default()
                });
            }
        });
        h.join().unwrap();
        // Capacity 4: the last four remain, and `latest` returns the newest.
        assert_eq!(rx.latest().map(|f| f.seq), Some(999));
        assert_eq!(rx.latest(), None);
    }
}
