//! The headless instrument core: one signal path shared by the plugin's `process()` and the
//! CLI's renders, so what the CLI renders is exactly what a DAW plays.
//!
//! It owns the synth, turns the current [`Controls`] into synth settings and modulation, and
//! splits each host block at note events so every note reaches the synth in order and at its
//! own position (the synth then acts on it at its next 32-sample control point).

use crate::synth::{Modulation, Synth, SynthSettings};

/// Seed of the built-in soundscape: every instance and every render starts identical.
pub const DEFAULT_SEED: u64 = 0x4D45_4C4F;

/// Everything that steers one block: the user's settings plus the Relaxation macro.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Controls {
    /// Synth settings in physical units.
    pub settings: SynthSettings,
    /// Relaxation macro, 0 = tense/bright .. 1 = deep/warm.
    pub relaxation: f32,
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

/// The instrument core.
pub struct Engine {
    /// The synthesizer.
    synth: Synth,
}

impl Engine {
    /// An engine at `sample_rate` (allocates: not for the audio thread).
    pub fn new(sample_rate: f32) -> Self {
        Self {
            synth: Synth::new(sample_rate, DEFAULT_SEED),
        }
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
    }

    /// Applies one note action now.
    pub fn apply(&mut self, action: NoteAction) {
        match action {
            NoteAction::On(k) => self.synth.note_on(k),
            NoteAction::Off(k) => self.synth.note_off(k),
            NoteAction::AllOff => self.synth.all_notes_off(),
        }
    }

    /// The modulation the synth receives for `controls`. Later stages (EEG feedback) combine
    /// into this one value.
    pub fn modulation(controls: &Controls) -> Modulation {
        Modulation::from_relaxation(controls.relaxation)
    }

    /// Renders one block, applying each note at its sample offset. `next_event` yields events
    /// in time order (as hosts deliver them); events past the block end apply at its end.
    pub fn render(
        &mut self,
        controls: &Controls,
        mut next_event: impl FnMut() -> Option<TimedNote>,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let len = left.len().min(right.len());
        let modulation = Self::modulation(controls);
        let mut pending = next_event();
        let mut pos = 0;
        while pos < len {
            while let Some(ev) = pending.filter(|e| e.offset as usize <= pos) {
                self.apply(ev.action);
                pending = next_event();
            }
            let end = pending.map_or(len, |e| (e.offset as usize).min(len));
            self.synth.process(
                &controls.settings,
                &modulation,
                &mut left[pos..end],
                &mut right[pos..end],
            );
            pos = end;
        }
        // Events at or beyond the end still take effect (before the next block).
        while let Some(ev) = pending {
            self.apply(ev.action);
            pending = next_event();
        }
    }
}
