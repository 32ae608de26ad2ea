//! Every value that crosses a thread boundary, and the constructors of its handles: one place
//! to review what is shared and how.
//!
//! | from → to | what | how |
//! |---|---|---|
//! | EEG worker → audio | newest [`FeatureFrame`] | [`frame_channel`]: `ArrayQueue::force_push`, drained at block start |
//! | EEG worker → editor/CLI | frames and [`SourceStatus`] | a second [`frame_channel`]; status behind a mutex the audio thread never touches |
//! | editor/CLI → worker | [`WorkerCommand`] | [`command_channel`], read only by the worker |
//! | plugin → worker | stop | `AtomicBool` + join in `Drop` |

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_queue::ArrayQueue;

use crate::eeg::SourceSpec;
use crate::features::FeatureFrame;

/// Sending half of a bounded, lock-free queue. Never blocks: when the queue is full the oldest
/// item is dropped, because every consumer here wants the newest (frames, commands).
pub struct QueueSender<T> {
    /// The shared queue.
    queue: Arc<ArrayQueue<T>>,
}

impl<T> QueueSender<T> {
    /// Sends an item.
    pub fn push(&self, item: T) {
        self.queue.force_push(item);
    }
}

/// Receiving half of a bounded, lock-free queue; allocation-free, so the audio thread may use it.
pub struct QueueReceiver<T> {
    /// The shared queue.
    queue: Arc<ArrayQueue<T>>,
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
}

/// A queue holding up to `capacity` items (at least one).
pub fn queue<T>(capacity: usize) -> (QueueSender<T>, QueueReceiver<T>) {
    let queue = Arc::new(ArrayQueue::new(capacity.max(1)));
    (
        QueueSender {
            queue: queue.clone(),
        },
        QueueReceiver { queue },
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
}

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

#[cfg(test)]
mod tests {
    use super::*;

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
