//! Lock-free queues and the stop flag: the primitives every thread hand-off uses.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_queue::ArrayQueue;

use crate::features::FeatureFrame;

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

    /// Whether the queue is full (a sender that must not lose an item checks first).
    pub fn is_full(&self) -> bool {
        self.queue.is_full()
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

impl<T> Clone for QueueReceiver<T> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
            dropped: self.dropped.clone(),
        }
    }
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

    /// Whether no item is waiting.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
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
