//! What main and audio threads share about the feedback setup: the persisted setup with its
//! compiled programs, and the adaptive state saved with the project.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::RwLock;

use crate::feedback::program::{CompiledProgram, ProgramKind, MAX_TERMS};
use crate::feedback::reward::Normaliser;
use crate::feedback::{AdaptiveSnapshot, FeedbackSetup};
use crate::queue::{queue, QueueReceiver, QueueSender};

/// The compiled factory programs, as one value.
pub type ProgramTable = [CompiledProgram; crate::feedback::program::ProgramKind::COUNT];

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
    /// The in-target bar's trim as f32 bits.
    bar: AtomicU32,
    /// The sustained reward's range the bar stands on (mean, variance, elapsed).
    success: [AtomicU32; 3],
}

/// Stores a range (mean, variance, elapsed) as f32 bits.
fn store_range(cells: &[AtomicU32; 3], r: &Normaliser) {
    for (cell, v) in cells.iter().zip([r.mean, r.var, r.elapsed]) {
        cell.store(v.to_bits(), Ordering::Relaxed);
    }
}

/// Loads a range stored by [`store_range`].
fn load_range(cells: &[AtomicU32; 3]) -> Normaliser {
    let v = |k: usize| f32::from_bits(cells[k].load(Ordering::Relaxed));
    Normaliser {
        mean: v(0),
        var: v(1),
        elapsed: v(2),
    }
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
            success: Default::default(),
        }
    }

    /// Publishes the audio thread's thresholds (lock-free, allocation-free).
    pub fn publish(&self, s: &AdaptiveSnapshot) {
        let program = s.program.map_or(0, |k| k.index() as u32 + 1);
        self.program.store(program, Ordering::Relaxed);
        self.terms.store(s.terms as u32, Ordering::Relaxed);
        self.bar.store(s.bar.to_bits(), Ordering::Relaxed);
        store_range(&self.success, &s.success);
        for i in 0..MAX_TERMS {
            self.thresholds[i].store(s.thresholds[i].to_bits(), Ordering::Relaxed);
            self.positions[i].store(s.positions[i].to_bits(), Ordering::Relaxed);
            self.offsets[i].store(s.offsets[i].to_bits(), Ordering::Relaxed);
            store_range(&self.norms[i], &s.norms[i]);
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
            norms: std::array::from_fn(|i| load_range(&self.norms[i])),
            bar: f32::from_bits(self.bar.load(Ordering::Relaxed)),
            success: load_range(&self.success),
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
}
