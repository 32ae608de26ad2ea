//! The editor (nice-plug-egui): header with program, preset and source pickers and the session
//! button; the brain panel (band meters with draggable targets, reward, success, per-channel
//! quality, scrolling history); calibration; the mapping matrix; the sound controls; presets.
//!
//! It only reads what the worker and the audio thread publish (status and calibration cells,
//! the record queue) and writes through the host (parameters) or the documented channels
//! (worker commands, the setup cell, session commands). Opening or closing it never touches
//! the audio thread. The logic lives in small pure modules tested headless.

mod brain;
mod calibration;
mod header;
mod heart;
pub mod history;
pub mod journey;
mod mapping;
pub mod meter;
pub mod palette;
mod presets;
mod sound;
pub mod status;

use std::sync::Arc;

use egui::Rect;
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::ParamSetter;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp,
};

use crate::bridge::{EditorLink, FeedbackRecord};
use crate::feedback::program::Program;
use crate::feedback::reward::Normaliser;
use crate::feedback::{Condition, FeedbackSetup};
use crate::params::MelodiaSyncParams;
use crate::preset;
use history::History;
use meter::MeterScale;

pub use crate::params::DEFAULT_EDITOR_SIZE as DEFAULT_SIZE;

/// The editor's tabs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// Meters, reward, quality, history.
    Brain,
    /// Baseline recording and targets from it.
    Calibration,
    /// The source → destination matrix.
    Mapping,
    /// Layer levels, tone, entrainment.
    Sound,
    /// Browse, apply, save.
    Presets,
    /// Guided sessions: choose, start, stop, follow.
    Journey,
    /// The heart source, HR, RMSSD, coherence, and the breath pacer.
    Heart,
}

/// History series: reward, the seven relative band powers, then each term's target in use.
const SERIES: usize = 1 + 7 + crate::feedback::program::MAX_TERMS;
/// Time constant of the z meters' running mean and spread, s: the meters show the last
/// minute or so against itself (the feedback's own range adapts on the program's time).
const Z_METER_S: f32 = 60.0;

/// Per-window state of the editor (rebuilt when the window opens again).
pub struct App {
    /// The parameters.
    params: Arc<MelodiaSyncParams>,
    /// Threads' handles.
    link: Arc<EditorLink>,
    /// Window size state (shared with nice-plug-egui; saved in the params on resize).
    state: Arc<EguiEditorState>,
    /// The host context, once the window is built.
    gui: Option<GuiContext>,
    /// Current tab.
    tab: Tab,
    /// Meter scale.
    scale: MeterScale,
    /// History window in minutes.
    history_min: u32,
    /// Which bands the history plots.
    plotted: [bool; 7],
    /// Reward and bands over time.
    history: History<SERIES>,
    /// Newest record.
    last: Option<FeedbackRecord>,
    /// The EEG -> sound delay, averaged over about half a second of frames for reading.
    delay: crate::bridge::LoopDelay,
    /// Each band's range for the z meters (learned over a minute, then over [`Z_METER_S`]).
    z_stats: [Normaliser; 7],
    /// Calibration length and condition.
    calib_seconds: f32,
    /// Calibration condition.
    calib_condition: Condition,
    /// Preset library (refreshed on demand) and problems found.
    presets: Option<(Vec<preset::Entry>, Vec<String>)>,
    /// Name typed for "save as".
    save_name: String,
    /// Last message for the user (preset, calibration, source actions).
    message: String,
    /// Where each band meter was drawn in the last frame.
    meter_rects: [Rect; 7],
    /// The channels field.
    montage_text: String,
    /// The stream field (XDF recordings: which stream by name or source id).
    stream_text: String,
    /// Guided-session library (refreshed on demand) and problems found.
    guides: Option<(Vec<crate::guide::Listed>, Vec<String>)>,
    /// The heart source field.
    heart_text: String,
    /// The pacer envelope drawn last (to tell the inhale from the exhale).
    pacer_last: f32,
}

impl App {
    /// An editor app for these parameters and links.
    pub fn new(
        params: Arc<MelodiaSyncParams>,
        link: Arc<EditorLink>,
        state: Arc<EguiEditorState>,
    ) -> Self {
        Self {
            params,
            link,
            state,
            gui: None,
            tab: Tab::Brain,
            scale: MeterScale::Relative,
            history_min: 2,
            plotted: [false, true, true, true, false, false, false],
            history: History::new((history::KEEP_S * 64.0) as usize),
            last: None,
            delay: crate::bridge::LoopDelay::default(),
            z_stats: [Normaliser::default(); 7],
            calib_seconds: 60.0,
            calib_condition: Condition::EyesClosed,
            presets: None,
            save_name: String::new(),
            message: String::new(),
            meter_rects: [Rect::NOTHING; 7],
            montage_text: String::new(),
            stream_text: String::new(),
            guides: None,
            heart_text: String::new(),
            pacer_last: 0.0,
        }
    }

    /// Takes every record the audio thread sent since the last frame.
    pub fn drain(&mut self) {
        while let Some(r) = self.link.records.pop() {
            self.take(r);
        }
    }

    /// Adds one record to the meters and the history.
    pub fn take(&mut self, r: FeedbackRecord) {
        let dt = self.last.map_or(0.0, |l| {
            (r.audio_time - l.audio_time).clamp(0.0, 1.0) as f32
        });
        if r.frame.valid {
            let mut v = [0.0; SERIES];
            v[0] = r.feedback.reward;
            for b in 0..7 {
                v[b + 1] = r.frame.bands[b].rel;
                self.z_stats[b].push(r.frame.bands[b].rel, dt, Z_METER_S);
            }
            // The targets in use, so the plot shows them drifting with the listener's range.
            for (i, t) in r.feedback.thresholds.iter().enumerate() {
                v[1 + 7 + i] = if i < r.feedback.terms { *t } else { f32::NAN };
            }
            self.history.push(r.audio_time, v);
        }
        let a = if self.last.is_none() { 1.0 } else { 0.03 };
        self.delay.transport_s += (r.delay.transport_s - self.delay.transport_s) * a;
        self.delay.estimator_s += (r.delay.estimator_s - self.delay.estimator_s) * a;
        self.delay.smoothing_s += (r.delay.smoothing_s - self.delay.smoothing_s) * a;
        self.last = Some(r);
    }

    /// The newest record.
    pub fn last(&self) -> Option<&FeedbackRecord> {
        self.last.as_ref()
    }

    /// The history.
    pub fn history(&self) -> &History<SERIES> {
        &self.history
    }

    /// The program the current slot runs (the saved setup's, else the factory one).
    fn slot_program(&self) -> Program {
        self.params.setup.get().program(self.params.program.value())
    }

    /// Replaces the current slot's program in the saved setup (compiled and sent to audio).
    fn store_slot_program(&self, program: Program) {
        let slot = self.params.program.value();
        self.update_setup(|s| {
            s.programs.insert(slot, program);
        });
    }

    /// Reads something from the worker's handles, once the worker runs.
    fn read_worker<T>(
        &self,
        read: impl FnOnce(&crate::bridge::WorkerLink) -> Option<T>,
    ) -> Option<T> {
        self.link
            .worker
            .lock()
            .ok()
            .and_then(|w| w.as_ref().and_then(read))
    }

    /// Changes the saved setup; setting it compiles the programs and queues them for the audio
    /// thread (see `bridge::SetupCell`).
    fn update_setup(&self, change: impl FnOnce(&mut FeedbackSetup)) {
        use nice_plug::params::persist::PersistentField;
        let mut setup = self.params.setup.get();
        change(&mut setup);
        self.params.setup.set(setup);
    }

    /// Sets the position of target slot `slot` (see `MelodiaSyncParams::target_position`)
    /// through the host, as one gesture.
    fn set_target(&self, setter: &ParamSetter, slot: usize, normalized: f32) {
        let param = self.params.target_position(slot);
        setter.begin_set_parameter(param);
        setter.set_parameter_normalized(param, normalized);
        setter.end_set_parameter(param);
    }

    /// Sets a parameter by id to a normalised value through the host (presets, which name
    /// their parameters by id).
    fn set_by_id(&self, setter: &ParamSetter, id: &str, normalized: f32) {
        if let Some(ptr) = crate::params::param_by_id(&self.params, id) {
            // SAFETY: `ptr` points into `self.params`, alive for the editor's lifetime; the
            // host context is called on the GUI thread as nice-plug requires.
            unsafe {
                setter.raw_context.raw_begin_set_parameter(ptr);
                setter
                    .raw_context
                    .raw_set_parameter_normalized(ptr, normalized);
                setter.raw_context.raw_end_set_parameter(ptr);
            }
        }
    }
}

/// Creates the editor.
pub fn create(params: Arc<MelodiaSyncParams>, link: Arc<EditorLink>) -> Option<EguiEditor<App>> {
    let (w, h) = params
        .editor_size
        .read()
        .map(|s| *s)
        .unwrap_or(DEFAULT_SIZE);
    let state = EguiEditorState::from_size(
        nice_plug::editor::dpi::LogicalSize::new(w.max(640) as f64, h.max(480) as f64),
        1.0,
    );
    let settings = EguiNiceSettings::new()
        .with_tile("MelodiaSync")
        .with_resize_hint(nice_plug::editor::ResizeHint {
            can_resize: true,
            ..Default::default()
        });
    let app = App::new(params, link, state.clone());
    create_egui_editor(state, Default::default(), settings, app)
}

impl NiceEguiApp for App {
    fn build(
        &mut self,
        egui_ctx: egui::Context,
        gui: GuiContext,
        frame: &mut nice_plug_egui::Frame,
    ) -> Result<(), nice_plug_egui::baseview::HandlerError> {
        let mut visuals = egui::Visuals::dark();
        visuals.panel_fill = palette::BG;
        visuals.window_fill = palette::PANEL;
        egui_ctx.set_visuals(visuals);
        // The size saved with the project (the window state itself is created before the
        // project loads): ask for it when the window opens.
        let saved = self.params.editor_size.read().map(|s| *s).ok();
        let current = self.state.logical_size();
        if let Some((w, h)) = saved {
            if (w as f32 - current.width).abs() > 1.0 || (h as f32 - current.height).abs() > 1.0 {
                let size = nice_plug_egui::baseview::dpi::LogicalSize::new(
                    w.max(640) as f64,
                    h.max(480) as f64,
                );
                let _ = frame.baseview_window().resize(size);
            }
        }
        self.attach(gui);
        Ok(())
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut nice_plug_egui::Frame) {
        self.draw(ui);
    }

    fn resized(&mut self, size: nice_plug_egui::baseview::WindowSize) {
        let s = size.logical;
        if let Ok(mut saved) = self.params.editor_size.write() {
            *saved = (s.width.round() as u32, s.height.round() as u32);
        }
    }

    fn editor_closed(&mut self) {
        self.link
            .open
            .store(false, std::sync::atomic::Ordering::Relaxed);
        self.gui = None;
    }
}

impl App {
    /// Connects the app to a host context (what `build` does when a window opens).
    pub fn attach(&mut self, gui: GuiContext) {
        self.gui = Some(gui);
        self.montage_text = self
            .params
            .montage
            .read()
            .map(|m| m.join(", "))
            .unwrap_or_default();
        self.stream_text = match self.params.source.read().map(|s| s.clone()) {
            Ok(crate::eeg::SourceSpec::File {
                stream: Some(s), ..
            }) => s,
            _ => String::new(),
        };
        self.link
            .open
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Shows tab `tab` (as clicking its name does).
    pub fn set_tab(&mut self, tab: Tab) {
        self.tab = tab;
    }

    /// Where each band meter was drawn in the last frame (pointer hit-testing, tests).
    pub fn meter_rects(&self) -> [Rect; 7] {
        self.meter_rects
    }

    /// Draws one frame: the window-independent part of `ui`, also driven headless in tests.
    pub fn draw(&mut self, ui: &mut egui::Ui) {
        self.drain();
        let Some(gui) = self.gui.clone() else {
            return;
        };
        let setter = gui.param_setter();
        egui::Panel::top("header").show(ui, |ui| self.header(ui, &setter));
        egui::CentralPanel::default().show(ui, |ui| match self.tab {
            Tab::Brain => self.brain(ui, &setter),
            Tab::Calibration => self.calibration(ui, &setter),
            Tab::Mapping => self.mapping(ui),
            Tab::Sound => self.sound(ui, &setter),
            Tab::Presets => self.presets_tab(ui, &setter),
            Tab::Journey => self.journey_tab(ui),
            Tab::Heart => self.heart_tab(ui, &setter),
        });
        // Meters move at the frame rate of the EEG: keep repainting while open.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(33));
    }
}

/// Where the editor's session logs go (see [`crate::paths::sessions`]).
pub fn sessions_dir() -> std::path::PathBuf {
    crate::paths::sessions()
}
