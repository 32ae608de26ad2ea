//! The heart worker: a thread beside the EEG worker that owns the heart input
//! ([`HeartSide`]), so a heart sensor's search, loss or slow teardown never stalls the EEG
//! (dropping an LSL inlet blocks for about half a second inside liblsl).
//!
//! It hands the newest heart features to the EEG worker, which stamps them into every EEG
//! frame, and while no EEG frame has gone out for [`HEART_ONLY_AFTER_S`] it sends frames
//! carrying only the heart on the hop itself, to the same queues, so heart programs go on
//! without EEG. Lifecycle as the EEG worker's: commands switch the source without a
//! restart; dropping the [`HeartWorker`] stops and joins the thread.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use super::heart_source::{HeartSide, HeartSource};
use super::protocol::HeartCell;
use crate::features::heart::HeartFeatures;
use crate::features::FeatureFrame;
use crate::queue::{queue, FrameProducer, QueueReceiver, QueueSender, StopFlag};

/// With a heart input and no EEG frame for this long (s), frames carrying only the heart go
/// out on the hop: a few live hops' worth of patience, far below the feedback's stale hold.
pub const HEART_ONLY_AFTER_S: f64 = 0.25;

/// How often the heart worker publishes its features and status while nothing changes, s.
const PUBLISH_S: f64 = 0.02;

/// Local time of the EEG worker's last frame, shared as the bits of an `f64` (the heart
/// worker reads it to know when the heart must go out alone).
#[derive(Clone, Debug)]
pub struct LastEegFrame(Arc<AtomicU64>);

impl Default for LastEegFrame {
    fn default() -> Self {
        Self(Arc::new(AtomicU64::new(f64::NEG_INFINITY.to_bits())))
    }
}

impl LastEegFrame {
    /// Marks a frame sent at local time `t`.
    pub fn mark(&self, t: f64) {
        self.0.store(t.to_bits(), Ordering::Relaxed);
    }

    /// The local time of the last frame (-inf: none yet).
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

/// Where the heart worker's output goes: the EEG worker's frame queues (for heart-only
/// frames), and the newest features for the EEG worker to stamp.
pub struct HeartOutputs {
    /// The audio thread's frame queue.
    pub audio: FrameProducer,
    /// A monitor's frame queue, if any.
    pub monitor: Option<FrameProducer>,
    /// The newest heart features, for the EEG worker.
    pub features: QueueSender<HeartFeatures>,
    /// The newest heart features, for an audio thread that scores frames without them (a
    /// plugin playing EEG from the host's timeline).
    pub audio_features: QueueSender<HeartFeatures>,
    /// When the EEG worker last sent a frame.
    pub last_eeg: LastEegFrame,
    /// Seconds between heart-only frames (the EEG analysis's hop).
    pub hop_s: f64,
}

/// The handles the owner (the EEG worker's thread) keeps.
pub struct HeartWorker {
    /// The thread.
    handle: Option<JoinHandle<()>>,
    /// Stop request.
    stop: StopFlag,
    /// Source switches.
    commands: QueueSender<HeartSource>,
    /// Status and newest features.
    status: HeartCell,
}

impl HeartWorker {
    /// Starts the heart worker with no heart input, publishing its status to `status`.
    pub fn spawn(outputs: HeartOutputs, status: HeartCell) -> Self {
        let (commands, rx) = queue(8);
        let stop = StopFlag::default();
        let (thread_stop, thread_status) = (stop.clone(), status.clone());
        let handle = std::thread::Builder::new()
            .name("melodiasync-heart".into())
            .spawn(move || run(rx, thread_stop, thread_status, outputs))
            .expect("the OS refused to start the heart worker thread");
        Self {
            handle: Some(handle),
            stop,
            commands,
            status,
        }
    }

    /// The sender that switches the heart input (kept by editors and owners).
    pub fn commands(&self) -> QueueSender<HeartSource> {
        self.commands.clone()
    }

    /// The status cell.
    pub fn status(&self) -> HeartCell {
        self.status.clone()
    }
}

impl Drop for HeartWorker {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The heart worker loop.
fn run(commands: QueueReceiver<HeartSource>, stop: StopFlag, status: HeartCell, out: HeartOutputs) {
    let mut heart = HeartSide::open(&HeartSource::OFF);
    let mut seq = 0u64;
    let mut last_alone = f64::NEG_INFINITY;
    let mut published = f64::NEG_INFINITY;
    while !stop.is_stopped() {
        if let Some(spec) = commands.latest() {
            // The old inlet is dropped here, on this thread.
            heart = HeartSide::open(&spec);
            published = f64::NEG_INFINITY;
        }
        if !heart.is_on() {
            if published == f64::NEG_INFINITY {
                publish(&status, &out, &heart, super::local_clock());
                published = 0.0;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            continue;
        }
        heart.pump();
        let now = super::local_clock();
        if now - published >= PUBLISH_S {
            publish(&status, &out, &heart, now);
            published = now;
        }
        if now - out.last_eeg.get() >= HEART_ONLY_AFTER_S && now - last_alone >= out.hop_s {
            // No EEG: the heart alone, on the hop (EEG terms sit out of such frames).
            let frame = FeatureFrame {
                seq,
                time: now,
                heart: heart.features_at(now),
                ..FeatureFrame::default()
            };
            seq += 1;
            out.audio.push(frame);
            if let Some(m) = &out.monitor {
                m.push(frame);
            }
            last_alone = now;
        }
        // Sources wait a little for data themselves; an idle one does not spin.
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Hands the newest features to the EEG worker and the status to readers.
fn publish(status: &HeartCell, out: &HeartOutputs, heart: &HeartSide, now: f64) {
    let st = heart.status(now);
    out.features.push(st.features);
    out.audio_features.push(st.features);
    if let Ok(mut s) = status.lock() {
        *s = st;
    }
}
