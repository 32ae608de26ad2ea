//! MelodiaSync: an EEG-guided sound-therapy instrument (CLAP, VST3, standalone, CLI).
//!
//! This file holds only the plugin type and its `process()` orchestration; the signal path is
//! [`engine::Engine`] (shared with the CLI), the DSP lives in [`synth`].
#![deny(missing_docs)]
#![deny(unsafe_op_in_unsafe_fn)]

pub mod bridge;
pub mod eeg;
pub mod engine;
pub mod features;
pub mod loudness;
pub mod params;
pub mod render;
pub mod synth;

use std::num::NonZeroU32;
use std::sync::Arc;

use nice_plug::prelude::*;

use bridge::FrameConsumer;
use eeg::worker::{AnalysisConfig, Worker};
use eeg::SourceSpec;
use engine::{Engine, NoteAction, TimedNote};
use features::FeatureFrame;
use params::MelodiaSyncParams;

/// The instrument.
pub struct MelodiaSync {
    /// Parameters shared with the host and the editor.
    params: Arc<MelodiaSyncParams>,
    /// The signal path.
    engine: Engine,
    /// The EEG worker, started at the first activation; dropping it stops and joins the thread
    /// (on the main thread, never in `process()`).
    worker: Option<(Worker, SourceSpec)>,
    /// Frames for the audio thread, drained at the start of each block.
    frames: Option<FrameConsumer>,
    /// The newest frame seen by the audio thread (the feedback engine consumes it).
    latest_frame: Option<FeatureFrame>,
}

impl Default for MelodiaSync {
    fn default() -> Self {
        Self {
            params: Arc::new(MelodiaSyncParams::default()),
            // Re-prepared for the host's rate in `initialize`.
            engine: Engine::new(48_000.0),
            worker: None,
            frames: None,
            latest_frame: None,
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
        match &mut self.worker {
            Some((worker, current)) if *current != spec => {
                worker.set_source(spec.clone());
                *current = spec;
            }
            Some(_) => {}
            None => {
                let (worker, outputs) = Worker::spawn(spec.clone(), AnalysisConfig::default());
                self.frames = Some(outputs.audio);
                self.worker = Some((worker, spec));
            }
        }
    }
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
    const SAMPLE_ACCURATE_AUTOMATION: bool = false;

    type Editor = ();
    type SysExMessage = ();
    type BackgroundTask = ();

    fn params(&self) -> Arc<dyn Params> {
        self.params.clone()
    }

    fn activate(
        &mut self,
        _audio_io_layout: &AudioIOLayout,
        buffer_config: &BufferConfig,
        _context: &mut impl ActivateContext<Self>,
    ) -> bool {
        self.engine.set_sample_rate(buffer_config.sample_rate);
        self.ensure_worker();
        true
    }

    fn reset(&mut self) {
        self.engine.reset();
    }

    fn process(
        &mut self,
        buffer: &mut Buffer,
        _aux: &mut AuxiliaryBuffers,
        context: &mut impl ProcessContext<Self>,
    ) -> ProcessStatus {
        // Drain the EEG frames first: lock-free, allocation-free, newest wins.
        if let Some(frame) = self.frames.as_ref().and_then(FrameConsumer::latest) {
            self.latest_frame = Some(frame);
        }
        let controls = self.params.controls();
        let channels = buffer.as_slice();
        let (left, rest) = channels.split_at_mut(1);
        let (left, right) = (&mut *left[0], &mut *rest[0]);
        self.engine.render(
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
        );
        // A free-running soundscape: the host must keep calling process() without notes.
        ProcessStatus::KeepAlive
    }
}

impl ClapPlugin for MelodiaSync {
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

nice_export_clap!(MelodiaSync);
nice_export_vst3!(MelodiaSync);
