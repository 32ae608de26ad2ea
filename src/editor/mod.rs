//! The editor (nice-plug-egui): header with program, preset and source pickers and the session
//! button; the brain panel (band meters with draggable targets, reward, success, per-channel
//! quality, scrolling history); calibration; the mapping matrix; the sound controls; presets.
//!
//! It only reads what the worker and the audio thread publish (status and calibration cells,
//! the record queue) and writes through the host (parameters) or the documented channels
//! (worker commands, the setup cell, session commands). Opening or closing it never touches
//! the audio thread. The logic lives in small pure modules tested headless.

pub mod history;
pub mod meter;
pub mod palette;
pub mod status;

use std::sync::Arc;

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};
use nice_plug::context::gui::GuiContext;
use nice_plug::prelude::{Param, ParamSetter};
use nice_plug_egui::widgets::ParamSlider;
use nice_plug_egui::{
    create_egui_editor, EguiEditor, EguiEditorState, EguiNiceSettings, NiceEguiApp,
};

use crate::bridge::{CalibrationStatus, EditorLink, FeedbackRecord, SessionCommand, WorkerCommand};
use crate::eeg::sim::SimConfig;
use crate::eeg::{LslProp, SourceSpec};
use crate::features::bands::MAX_BANDS;
use crate::feedback::mapping::{Curve, Dest, RouteSource};
use crate::feedback::program::{CompiledProgram, Program, ProgramKind};
use crate::feedback::reward::RunningStats;
use crate::feedback::{Condition, FeedbackSetup};
use crate::params::MelodiaSyncParams;
use crate::preset;
use history::History;
use meter::{drag_to_position, meter_target, MeterScale, TARGET_PARAM_IDS};
use status::{status_line, Light};

/// Default editor size in logical pixels.
pub const DEFAULT_SIZE: (u32, u32) = (980, 680);
/// Standard band names, in band order.
const BAND_NAMES: [&str; 7] = ["delta", "theta", "alpha", "beta", "gamma", "SMR", "hi-beta"];

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
}

/// History series: reward, then the seven relative band powers.
const SERIES: usize = 8;

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
    /// Running statistics per band for the z meters.
    z_stats: [RunningStats; 7],
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
    /// LSL streams found by the last refresh (filled by a helper thread).
    streams: Arc<std::sync::Mutex<Option<Vec<crate::eeg::lsl::StreamRow>>>>,
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
            z_stats: [RunningStats::default(); 7],
            calib_seconds: 60.0,
            calib_condition: Condition::EyesClosed,
            presets: None,
            save_name: String::new(),
            message: String::new(),
            meter_rects: [Rect::NOTHING; 7],
            montage_text: String::new(),
            streams: Arc::default(),
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
                self.z_stats[b].push(r.frame.bands[b].rel, dt);
            }
            self.history.push(r.audio_time, v);
        }
        let a = if self.last.is_none() { 1.0 } else { 0.03 };
        self.delay.transport_s += (r.delay.transport_s - self.delay.transport_s) * a;
        self.delay.estimator_s += (r.delay.estimator_s - self.delay.estimator_s) * a;
        self.delay.smoothing_s += (r.delay.smoothing_s - self.delay.smoothing_s) * a;
        self.last = Some(r);
    }

    /// The EEG -> sound delay as displayed (averaged over recent frames).
    pub fn loop_delay(&self) -> crate::bridge::LoopDelay {
        self.delay
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
        let kind = self.params.program.value();
        self.params
            .setup
            .get()
            .programs
            .get(&kind)
            .cloned()
            .unwrap_or_else(|| Program::factory(kind))
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

    /// Sets a parameter by id to a normalised value through the host.
    fn set_by_id(&self, setter: &ParamSetter, id: &str, normalized: f32) {
        use nice_plug::prelude::Params;
        if let Some((_, ptr, _)) = self
            .params
            .param_map()
            .into_iter()
            .find(|(pid, _, _)| pid == id)
        {
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
        self.link
            .open
            .store(true, std::sync::atomic::Ordering::Relaxed);
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
        });
        // Meters move at the frame rate of the EEG: keep repainting while open.
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_millis(33));
    }
}

/// A status light: a coloured dot and a word (never colour alone).
fn light(ui: &mut egui::Ui, l: Light) {
    let (c, word) = match l {
        Light::Good => (palette::GREEN, "OK"),
        Light::Waiting => (palette::YELLOW, "wait"),
        Light::Bad => (palette::VERMILLION, "error"),
    };
    dot(ui, c);
    ui.colored_label(c, word);
}

/// A filled dot in the text line.
fn dot(ui: &mut egui::Ui, c: Color32) {
    let (r, painter) = ui.allocate_painter(Vec2::splat(12.0), Sense::hover());
    painter.circle_filled(r.rect.center(), 5.0, c);
}

impl App {
    /// Program, preset and source pickers, status, session button, tabs.
    fn header(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        ui.horizontal(|ui| {
            ui.heading("MelodiaSync");
            ui.separator();
            ui.label("Program");
            let current = self.params.program.value();
            egui::ComboBox::from_id_salt("program")
                .selected_text(program_name(current))
                .show_ui(ui, |ui| {
                    for kind in ProgramKind::ALL {
                        if ui
                            .selectable_label(kind == current, program_name(kind))
                            .clicked()
                        {
                            setter.begin_set_parameter(&self.params.program);
                            setter.set_parameter(&self.params.program, kind);
                            setter.end_set_parameter(&self.params.program);
                        }
                    }
                });
            self.preset_picker(ui, setter);
            ui.separator();
            self.source_picker(ui);
            ui.separator();
            let recording = self
                .link
                .session_status
                .lock()
                .map(|s| s.recording.is_some())
                .unwrap_or(false);
            let label = if recording {
                "Stop session"
            } else {
                "Start session"
            };
            if ui.button(label).clicked() {
                self.toggle_session(recording);
            }
        });
        ui.horizontal(|ui| {
            let status = self.read_worker(|w| w.status.lock().ok().map(|s| s.clone()));
            match status {
                Some(s) => {
                    let (l, line) = status_line(&s);
                    light(ui, l);
                    ui.label(line);
                }
                None => {
                    light(ui, Light::Waiting);
                    ui.label("The EEG worker starts when the host activates the plugin.");
                }
            }
            ui.separator();
            ui.label("Channels");
            let edit = ui.add(
                egui::TextEdit::singleline(&mut self.montage_text)
                    .hint_text("all (or e.g. O1, O2, Pz)")
                    .desired_width(160.0),
            );
            if edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                self.set_montage();
            }
        });
        ui.horizontal(|ui| {
            for (tab, name) in [
                (Tab::Brain, "Brain"),
                (Tab::Calibration, "Calibration"),
                (Tab::Mapping, "Mapping"),
                (Tab::Sound, "Sound"),
                (Tab::Presets, "Presets"),
            ] {
                ui.selectable_value(&mut self.tab, tab, name);
            }
            if !self.message.is_empty() {
                ui.separator();
                ui.colored_label(palette::SKY, &self.message);
            }
        });
    }

    /// LSL streams found, the simulator, a file; the choice is saved with the project.
    fn source_picker(&mut self, ui: &mut egui::Ui) {
        let current = self
            .params
            .source
            .read()
            .map(|s| s.clone())
            .unwrap_or_default();
        let label = match &current {
            SourceSpec::Lsl { prop, value } => format!("LSL {}: {value}", prop.as_lsl()),
            SourceSpec::Simulator(_) => "Simulator".to_string(),
            SourceSpec::File { path, .. } => format!("File: {}", path.display()),
        };
        ui.label("Source");
        let mut chosen = None;
        egui::ComboBox::from_id_salt("source")
            .selected_text(label)
            .width(260.0)
            .show_ui(ui, |ui| {
                if ui
                    .selectable_label(false, "LSL: first stream of type EEG")
                    .clicked()
                {
                    chosen = Some(SourceSpec::default());
                }
                let found = self.streams.lock().ok().and_then(|s| s.clone());
                for (name, stype, ch, rate, host, id) in found.unwrap_or_default() {
                    let text = format!("LSL {name} ({stype}, {ch} ch, {rate:.0} Hz, {host})");
                    if ui.selectable_label(false, text).clicked() {
                        chosen = Some(if id.is_empty() {
                            SourceSpec::Lsl {
                                prop: LslProp::Name,
                                value: name,
                            }
                        } else {
                            SourceSpec::Lsl {
                                prop: LslProp::SourceId,
                                value: id,
                            }
                        });
                    }
                }
                if ui
                    .selectable_label(false, "Simulator (not a real brain signal)")
                    .clicked()
                {
                    chosen = Some(SourceSpec::Simulator(SimConfig::default()));
                }
            });
        if ui
            .button("Find streams")
            .on_hover_text("Look for LSL streams (1 s)")
            .clicked()
        {
            let out = self.streams.clone();
            // Resolving blocks for a second: never on the GUI thread.
            std::thread::spawn(move || {
                let found = crate::eeg::lsl::visible_streams(1.0);
                if let Ok(mut o) = out.lock() {
                    *o = Some(found);
                }
            });
        }
        if let Some(spec) = chosen {
            self.set_source(spec);
        }
    }

    /// A compact preset picker for the header (the Presets tab has the full browser).
    fn preset_picker(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        if self.presets.is_none() {
            self.presets = Some(preset::library(preset::user_dir().as_deref()));
        }
        let names: Vec<(String, preset::Preset)> = self
            .presets
            .as_ref()
            .map(|(e, _)| {
                e.iter()
                    .map(|e| (e.preset.name.clone(), e.preset.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let mut chosen = None;
        egui::ComboBox::from_id_salt("preset")
            .selected_text("Preset")
            .show_ui(ui, |ui| {
                for (name, p) in &names {
                    if ui.selectable_label(false, name).clicked() {
                        chosen = Some(p.clone());
                    }
                }
            });
        if let Some(p) = chosen {
            self.apply_preset(&p, setter);
        }
    }

    /// Parses the channels field, saves the montage with the project and tells the worker.
    fn set_montage(&mut self) {
        let montage: Vec<String> = self
            .montage_text
            .split([',', ' '])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect();
        if let Ok(mut m) = self.params.montage.write() {
            *m = montage.clone();
        }
        if let Ok(w) = self.link.worker.lock() {
            if let Some(w) = w.as_ref() {
                w.commands.push(WorkerCommand::SetAnalysis(
                    crate::eeg::worker::AnalysisConfig {
                        montage: montage.clone(),
                        ..Default::default()
                    },
                ));
            }
        }
        self.message = if montage.is_empty() {
            "Analysing every channel.".into()
        } else {
            format!("Analysing {}.", montage.join(", "))
        };
    }

    /// Saves the source choice and tells the worker.
    fn set_source(&mut self, spec: SourceSpec) {
        if let Ok(mut s) = self.params.source.write() {
            *s = spec.clone();
        }
        if let Ok(w) = self.link.worker.lock() {
            if let Some(w) = w.as_ref() {
                w.commands.push(WorkerCommand::SetSource(spec));
            }
        }
    }

    /// Starts or stops the session log.
    fn toggle_session(&mut self, recording: bool) {
        let Ok(tx) = self.link.session.lock() else {
            return;
        };
        let Some(tx) = tx.as_ref() else {
            self.message = "Sessions can be recorded once the host activates the plugin.".into();
            return;
        };
        if recording {
            tx.push(SessionCommand::Stop);
            return;
        }
        let dir = sessions_dir();
        if let Err(e) = std::fs::create_dir_all(&dir) {
            self.message = format!("Cannot create '{}': {e}.", dir.display());
            return;
        }
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        tx.push(SessionCommand::Start(
            dir.join(format!("session-{stamp}.csv")),
        ));
    }

    /// Band meters with targets, reward, success, quality lights, history.
    fn brain(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let compiled = self.compiled_program();
        ui.horizontal(|ui| {
            ui.label("Meters");
            for s in MeterScale::ALL {
                ui.selectable_value(&mut self.scale, s, s.label());
            }
        });
        let record = self.last;
        ui.horizontal(|ui| {
            // Band meters.
            for band in 0..7u8 {
                self.band_meter(ui, setter, &compiled, band, record.as_ref());
            }
            ui.separator();
            ui.vertical(|ui| {
                let fb = record.map(|r| r.feedback).unwrap_or_default();
                ui.label("Reward");
                ui.add(
                    egui::ProgressBar::new(fb.reward.clamp(0.0, 1.0))
                        .desired_width(200.0)
                        .fill(palette::GREEN)
                        .text(format!("{:.0} %", 100.0 * fb.reward)),
                );
                ui.horizontal(|ui| {
                    light(
                        ui,
                        if fb.in_target {
                            Light::Good
                        } else {
                            Light::Waiting
                        },
                    );
                    ui.label(if fb.in_target { "in target" } else { "not yet" });
                });
                ui.label(format!(
                    "success rate {:.0} % (time in target)",
                    100.0 * fb.success_rate
                ));
                if record.is_some() {
                    let d = self.delay;
                    ui.label(format!(
                        "EEG to sound {:.0} ms: band filter {:.0} + smoothing {:.0} + transport {:.0}",
                        1000.0 * d.total_s(),
                        1000.0 * d.estimator_s,
                        1000.0 * d.smoothing_s,
                        1000.0 * d.transport_s
                    ))
                    .on_hover_text(
                        "From the newest EEG sample to the audio block that carries it: the \
                         slowest band filter's group delay, the smoothing that tops it up to the \
                         Response time, and LSL transport, buffering and the audio block. Add your audio interface's output latency; hosts do not tell \
                         plugins what it is.",
                    );
                }
                ui.label(format!(
                    "time in target {:.0} s of {:.0} s",
                    fb.in_target_s, fb.valid_s
                ));
                if fb.held {
                    ui.colored_label(palette::ORANGE, "holding: signal quality too low");
                }
                if fb.engagement < 0.99 {
                    ui.colored_label(
                        palette::ORANGE,
                        format!("feedback at {:.0} % (no fresh EEG)", 100.0 * fb.engagement),
                    );
                }
                if fb.glide_hz > 0.0 {
                    ui.label(format!(
                        "entrainment {:.2} Hz",
                        record.map_or(0.0, |r| r.beat_hz)
                    ));
                }
                ui.separator();
                ui.label("Signal quality");
                self.quality_lights(ui, record.as_ref());
            });
        });
        ui.separator();
        ui.horizontal(|ui| {
            ui.label("History");
            for m in [1u32, 2, 5, 10] {
                ui.selectable_value(&mut self.history_min, m, format!("{m} min"));
            }
            ui.separator();
            for (b, name) in BAND_NAMES.iter().enumerate() {
                ui.checkbox(&mut self.plotted[b], *name);
            }
        });
        self.history_plot(ui, &compiled);
    }

    /// The compiled program of the current slot (for display; the audio thread has its own).
    fn compiled_program(&self) -> CompiledProgram {
        self.params.setup.compiled()[self.params.program.value().index()]
    }

    /// One band meter; its target marker (if the program has one on this band) drags.
    fn band_meter(
        &mut self,
        ui: &mut egui::Ui,
        setter: &ParamSetter,
        program: &CompiledProgram,
        band: u8,
        record: Option<&FeedbackRecord>,
    ) {
        let size = Vec2::new(44.0, 236.0);
        ui.vertical(|ui| {
            let (resp, painter) = ui.allocate_painter(size, Sense::click_and_drag());
            let full = resp.rect;
            self.meter_rects[band as usize] = full;
            // The bottom 16 px carry the band's name.
            let r = Rect::from_min_max(full.min, Pos2::new(full.max.x, full.max.y - 16.0));
            painter.rect_filled(r, 3.0, palette::PANEL);
            let bar = r.shrink2(Vec2::new(10.0, 4.0));
            if let Some(rec) = record {
                let v = self
                    .scale
                    .value(&rec.frame, band, &self.z_stats[band as usize]);
                let f = self.scale.to_frac(v);
                let top = bar.bottom() - f * bar.height();
                painter.rect_filled(
                    Rect::from_min_max(Pos2::new(bar.left(), top), bar.right_bottom()),
                    2.0,
                    palette::BANDS[band as usize],
                );
            }
            if let Some(t) = meter_target(program, band, self.scale) {
                let theta = record
                    .filter(|r| r.feedback.terms > t.term)
                    .map(|r| r.feedback.thresholds[t.term])
                    .unwrap_or_else(|| {
                        let pos = self.position_of(t.param_id);
                        program.terms[t.term].threshold_at(pos)
                    });
                let y = bar.bottom() - self.scale.to_frac(theta) * bar.height();
                let c = if t.inhibit {
                    palette::VERMILLION
                } else {
                    palette::TEXT
                };
                painter.line_segment(
                    [Pos2::new(r.left(), y), Pos2::new(r.right(), y)],
                    Stroke::new(3.0, c),
                );
                if resp.dragged() {
                    if let Some(p) = resp.interact_pointer_pos() {
                        let frac = (bar.bottom() - p.y) / bar.height();
                        let pos = drag_to_position(program, &t, self.scale, frac);
                        self.set_by_id(setter, t.param_id, pos);
                    }
                }
                resp.on_hover_text(if t.inhibit {
                    "Inhibit ceiling: drag to move"
                } else {
                    "Reward target: drag to move"
                });
            }
            painter.text(
                Pos2::new(r.center().x, r.bottom() + 2.0),
                Align2::CENTER_TOP,
                BAND_NAMES[band as usize],
                FontId::proportional(12.0),
                palette::TEXT,
            );
        });
    }

    /// The current normalised value of a target parameter.
    fn position_of(&self, id: &str) -> f32 {
        let i = TARGET_PARAM_IDS.iter().position(|p| *p == id).unwrap_or(0);
        if i < 3 {
            self.params.targets[i].position.value()
        } else {
            self.params.ceilings[i - 3].position.value()
        }
    }

    /// A labelled light per channel: clean or excluded.
    fn quality_lights(&self, ui: &mut egui::Ui, record: Option<&FeedbackRecord>) {
        let labels = self
            .read_worker(|w| w.status.lock().ok().map(|s| s.labels.clone()))
            .unwrap_or_default();
        if labels.is_empty() {
            ui.label("no channels yet");
            return;
        }
        ui.horizontal_wrapped(|ui| {
            for (i, l) in labels.iter().enumerate() {
                let bad = record.is_some_and(|r| r.frame.excluded.contains(i));
                // Colour plus wording: an excluded channel says so.
                let (c, text) = if bad {
                    (palette::VERMILLION, format!("{l} off"))
                } else {
                    (palette::SKY, l.clone())
                };
                dot(ui, c);
                ui.colored_label(c, text);
            }
        });
    }

    /// Reward and the chosen bands over the last minutes, targets dashed.
    fn history_plot(&self, ui: &mut egui::Ui, program: &CompiledProgram) {
        let width = ui.available_width().max(200.0);
        let (resp, painter) = ui.allocate_painter(Vec2::new(width, 160.0), Sense::hover());
        let r = resp.rect;
        painter.rect_filled(r, 3.0, palette::PANEL);
        let span = self.history_min as f64 * 60.0;
        let Some(newest) = self.history.newest() else {
            painter.text(
                r.center(),
                Align2::CENTER_CENTER,
                "waiting for EEG frames",
                FontId::proportional(14.0),
                palette::DIM,
            );
            return;
        };
        let x_of = |t: f64| r.right() - ((newest - t) / span) as f32 * r.width();
        let y_of = |v: f32| r.bottom() - v.clamp(0.0, 1.0) * r.height();
        let mut series: Vec<(usize, Color32)> = vec![(0, palette::TEXT)];
        for b in 0..7 {
            if self.plotted[b] {
                series.push((b + 1, palette::BANDS[b]));
            }
        }
        for (k, colour) in series {
            let pts: Vec<Pos2> = self
                .history
                .window(span)
                .map(|(t, v)| Pos2::new(x_of(*t), y_of(v[k])))
                .collect();
            if pts.len() > 1 {
                painter.line(pts, Stroke::new(if k == 0 { 2.0 } else { 1.2 }, colour));
            }
        }
        // Targets of relative-power terms, dashed across the plot.
        for i in 0..program.rewards + program.inhibits {
            let t = &program.terms[i];
            if let Some(b) = t
                .feature
                .band()
                .filter(|_| matches!(t.feature, crate::features::baseline::FeatureId::Rel(_)))
            {
                if (b as usize) < 7 && self.plotted[b as usize] {
                    let theta = self
                        .last
                        .filter(|r| r.feedback.terms > i)
                        .map_or(t.target, |r| r.feedback.thresholds[i]);
                    let y = y_of(theta);
                    let dash = Stroke::new(1.0, palette::BANDS[b as usize]);
                    let mut x = r.left();
                    while x < r.right() {
                        painter.line_segment(
                            [Pos2::new(x, y), Pos2::new((x + 6.0).min(r.right()), y)],
                            dash,
                        );
                        x += 12.0;
                    }
                }
            }
        }
        painter.rect_stroke(r, 3.0, Stroke::new(1.0, palette::DIM), StrokeKind::Inside);
        painter.text(
            r.left_top() + Vec2::new(6.0, 4.0),
            Align2::LEFT_TOP,
            "reward (white) and relative band power",
            FontId::proportional(11.0),
            palette::DIM,
        );
        let _ = MAX_BANDS;
    }

    /// Baseline recording, progress with time left, result and "apply as targets".
    fn calibration(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let status: CalibrationStatus = self
            .read_worker(|w| w.calibration.lock().ok().map(|c| c.clone()))
            .unwrap_or_default();
        ui.heading("Calibration");
        ui.label(
            "Record a resting baseline, then set every program's targets from its percentiles \
             (rewards up at the 60th, down at the 40th, toward at the median; inhibit ceilings \
             at the 85th).",
        );
        ui.horizontal(|ui| {
            ui.add(egui::Slider::new(&mut self.calib_seconds, 10.0..=300.0).text("seconds"));
            ui.selectable_value(&mut self.calib_condition, Condition::EyesOpen, "eyes open");
            ui.selectable_value(
                &mut self.calib_condition,
                Condition::EyesClosed,
                "eyes closed",
            );
            let worker = self.link.worker.lock().ok();
            let commands = worker
                .as_ref()
                .and_then(|w| w.as_ref().map(|w| w.commands.clone()));
            if status.running {
                if ui.button("Cancel").clicked() {
                    if let Some(c) = &commands {
                        c.push(WorkerCommand::CancelCalibration);
                    }
                }
            } else if ui.button("Start").clicked() {
                match &commands {
                    Some(c) => c.push(WorkerCommand::Calibrate {
                        seconds: self.calib_seconds,
                        condition: self.calib_condition,
                    }),
                    None => {
                        self.message =
                            "Calibration needs the EEG worker; activate the plugin first.".into()
                    }
                }
            }
        });
        if status.running || status.progress > 0.0 {
            let left = (1.0 - status.progress) * status.seconds;
            ui.add(egui::ProgressBar::new(status.progress).text(format!(
                "{:.0} % — about {left:.0} s left",
                100.0 * status.progress
            )));
        }
        if !status.message.is_empty() {
            ui.label(&status.message);
        }
        if let Some(stats) = &status.result {
            ui.separator();
            ui.label(format!("Baseline: {} clean frames.", stats.frames));
            for kind in ProgramKind::ALL {
                let mut p = Program::factory(kind);
                p.calibrate(stats);
                ui.label(format!(
                    "{}: {}",
                    program_name(kind),
                    p.describe_targets().join("; ")
                ));
            }
            if ui.button("Apply as targets").clicked() {
                self.update_setup(|s| {
                    s.baseline = Some(stats.clone());
                    s.condition = status.condition;
                });
                // Targets now sit at the calibrated values: put every target slider there.
                for id in TARGET_PARAM_IDS {
                    self.set_by_id(setter, id, 0.5);
                }
                self.message = "Targets set from the baseline.".into();
            }
        }
    }

    /// The current program's routes: source, destination, depth (sign = polarity), curve.
    fn mapping(&mut self, ui: &mut egui::Ui) {
        let mut program = self.slot_program();
        ui.heading(format!("Mapping — {}", program.name));
        let mut changed = false;
        ui.horizontal(|ui| {
            use crate::features::extractor::Estimator;
            ui.label("Band power");
            for (e, name, tip) in [
                (
                    Estimator::Quadrature,
                    "Quadrature (fast)",
                    "Band filters updated every sample: the sound answers within about 0.2 s.",
                ),
                (
                    Estimator::Welch,
                    "Welch (1 s window)",
                    "The analysis reference: steadier, but the sound lags about half a second.",
                ),
            ] {
                changed |= ui
                    .selectable_value(&mut program.estimator, e, name)
                    .on_hover_text(tip)
                    .changed();
            }
        });
        egui::Grid::new("routes").striped(true).show(ui, |ui| {
            ui.label("source");
            ui.label("destination");
            ui.label("depth (− inverts)");
            ui.label("curve");
            ui.end_row();
            for (i, r) in program.mapping.iter_mut().enumerate() {
                ui.label(route_source_name(&r.source));
                egui::ComboBox::from_id_salt(("dest", i))
                    .selected_text(format!("{:?}", r.dest))
                    .show_ui(ui, |ui| {
                        for d in Dest::ALL {
                            changed |= ui
                                .selectable_value(&mut r.dest, d, format!("{d:?}"))
                                .changed();
                        }
                    });
                let resp = ui.add(egui::Slider::new(&mut r.depth, -1.0..=1.0));
                changed |= resp.drag_stopped() || (resp.changed() && !resp.dragged());
                egui::ComboBox::from_id_salt(("curve", i))
                    .selected_text(format!("{:?}", r.curve))
                    .show_ui(ui, |ui| {
                        for c in [Curve::Linear, Curve::Smooth, Curve::Exp, Curve::Log] {
                            changed |= ui
                                .selectable_value(&mut r.curve, c, format!("{c:?}"))
                                .changed();
                        }
                    });
                ui.end_row();
            }
        });
        ui.horizontal(|ui| {
            if program.mapping.len() < crate::feedback::mapping::MAX_ROUTES
                && ui.button("Add route").clicked()
            {
                program.mapping.push(crate::feedback::mapping::Route {
                    source: RouteSource::Reward,
                    dest: Dest::Space,
                    depth: 0.5,
                    curve: Curve::Linear,
                });
                changed = true;
            }
            if !program.mapping.is_empty() && ui.button("Remove last").clicked() {
                program.mapping.pop();
                changed = true;
            }
            if ui.button("Factory mapping").clicked() {
                program.mapping = Program::factory(self.params.program.value()).mapping;
                changed = true;
            }
        });
        if changed {
            match program.validate() {
                Ok(()) => self.store_slot_program(program),
                Err(e) => self.message = e,
            }
        }
    }

    /// Layer levels, tone, entrainment, feedback controls.
    fn sound(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let p = self.params.clone();
        ui.columns(3, |cols| {
            slider_group(
                &mut cols[0],
                setter,
                "Layers",
                &[
                    &p.relaxation,
                    &p.drone_level,
                    &p.binaural_level,
                    &p.isochronic_level,
                    &p.noise_level,
                    &p.chime_level,
                    &p.output_db,
                ],
            );
            slider_group(
                &mut cols[1],
                setter,
                "Tone and space",
                &[
                    &p.tone,
                    &p.drift,
                    &p.reverb_mix,
                    &p.reverb_size,
                    &p.noise_colour,
                    &p.noise_cutoff_hz,
                    &p.surf_period,
                    &p.surf_depth,
                ],
            );
            slider_group(
                &mut cols[2],
                setter,
                "Entrainment and feedback",
                &[
                    &p.beat_hz,
                    &p.carrier_hz,
                    &p.pulse_tone_hz,
                    &p.feedback_depth,
                    &p.success_rate,
                    &p.reward_smoothing,
                    &p.stale_hold,
                ],
            );
            cols[2].add(ParamSlider::for_param(&p.root_note, setter));
            cols[2].add(ParamSlider::for_param(&p.chord, setter));
            for b in [&p.adaptive, &p.freeze, &p.glide, &p.cc_out, &p.lsl_out] {
                let mut v = b.value();
                if cols[2].checkbox(&mut v, b.name()).changed() {
                    setter.begin_set_parameter(b);
                    setter.set_parameter(b, v);
                    setter.end_set_parameter(b);
                }
            }
        });
    }

    /// Browse factory and user presets, apply, save as.
    fn presets_tab(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        if self.presets.is_none() {
            self.presets = Some(preset::library(preset::user_dir().as_deref()));
        }
        let (entries, problems) = self.presets.clone().unwrap_or_default();
        ui.horizontal(|ui| {
            ui.heading("Presets");
            if ui.button("Refresh").clicked() {
                self.presets = None;
            }
        });
        for p in &problems {
            ui.colored_label(palette::ORANGE, p);
        }
        let mut apply = None;
        egui::ScrollArea::vertical()
            .max_height(360.0)
            .show(ui, |ui| {
                egui::Grid::new("presets").striped(true).show(ui, |ui| {
                    for (i, e) in entries.iter().enumerate() {
                        ui.label(&e.preset.name);
                        ui.label(&e.preset.category);
                        ui.label(program_name(e.preset.slot));
                        ui.label(match e.origin {
                            preset::Origin::Factory => "factory",
                            preset::Origin::User(_) => "user",
                        });
                        if ui
                            .button("Apply")
                            .on_hover_text(&e.preset.description)
                            .clicked()
                        {
                            apply = Some(i);
                        }
                        ui.end_row();
                    }
                });
            });
        if let Some(i) = apply {
            let p = entries[i].preset.clone();
            self.apply_preset(&p, setter);
        }
        ui.separator();
        ui.horizontal(|ui| {
            ui.label("Save as");
            ui.text_edit_singleline(&mut self.save_name);
            if ui.button("Save").clicked() {
                let p = preset::Preset::capture(&self.save_name, &self.params, self.slot_program());
                self.message = match preset::user_dir() {
                    None => "There is no user preset folder (HOME is not set).".into(),
                    Some(dir) => match preset::save_user(&dir, &p, true) {
                        Ok(path) => format!("Saved '{}' to {}.", p.name, path.display()),
                        Err(e) => e,
                    },
                };
                self.presets = None;
            }
        });
        if let Some(d) = preset::user_dir() {
            ui.small(format!("User presets: {}", d.display()));
        }
    }

    /// Applies a preset through the host (parameters) and the setup cell (its program).
    fn apply_preset(&mut self, p: &preset::Preset, setter: &ParamSetter) {
        match preset::resolve_params(&p.params, &self.params) {
            Err(e) => self.message = format!("Preset '{}': {e}", p.name),
            Ok(values) => {
                setter.begin_set_parameter(&self.params.program);
                setter.set_parameter(&self.params.program, p.slot);
                setter.end_set_parameter(&self.params.program);
                for (id, n) in values {
                    self.set_by_id(setter, &id, n);
                }
                self.update_setup(|s| {
                    s.programs.insert(p.slot, p.program.clone());
                });
                self.message = format!("Applied '{}'.", p.name);
            }
        }
    }
}

/// A titled column of parameter sliders.
fn slider_group(
    ui: &mut egui::Ui,
    setter: &ParamSetter,
    title: &str,
    params: &[&nice_plug::prelude::FloatParam],
) {
    ui.label(egui::RichText::new(title).strong());
    for p in params {
        ui.horizontal(|ui| {
            ui.add_sized([120.0, 18.0], egui::Label::new(p.name()));
            ui.add(ParamSlider::for_param(*p, setter));
        });
    }
    ui.add_space(8.0);
}

/// A program's display name.
pub fn program_name(kind: ProgramKind) -> &'static str {
    <ProgramKind as nice_plug::prelude::Enum>::variants()[kind.index()]
}

/// A route source's label.
fn route_source_name(s: &RouteSource) -> String {
    match s {
        RouteSource::Reward => "reward".into(),
        RouteSource::InTarget => "in target".into(),
        RouteSource::Feature { id, .. } => id.label(),
        RouteSource::Z { id } => format!("z({})", id.label()),
    }
}

/// Where the editor's session logs go: `$MELODIASYNC_SESSION_DIR`, else
/// `~/MelodiaSync/sessions`.
pub fn sessions_dir() -> std::path::PathBuf {
    if let Some(d) = std::env::var_os("MELODIASYNC_SESSION_DIR") {
        return d.into();
    }
    std::env::var_os("HOME")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
        .join("MelodiaSync")
        .join("sessions")
}
