//! The header: program, preset and source pickers, stream status, the session button.

use std::sync::atomic::Ordering;

use egui::{Color32, Sense, Vec2};
use nice_plug::prelude::ParamSetter;

use super::status::{status_line, Light};
use crate::bridge::{SessionCommand, WorkerCommand};
use crate::eeg::sim::SimConfig;
use crate::eeg::{LslProp, SourceSpec};
use crate::feedback::program::ProgramKind;
use crate::preset;

use super::{palette, sessions_dir, App, Tab};

impl App {
    /// Program, preset and source pickers, status, session button, tabs.
    pub(super) fn header(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        ui.horizontal(|ui| {
            ui.heading("MelodiaSync");
            ui.separator();
            ui.label("Program");
            let current = self.params.program.value();
            egui::ComboBox::from_id_salt("program")
                .selected_text(current.name())
                .show_ui(ui, |ui| {
                    for kind in ProgramKind::ALL {
                        if ui.selectable_label(kind == current, kind.name()).clicked() {
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
            let last = self
                .link
                .session_status
                .lock()
                .ok()
                .and_then(|s| s.last_saved.clone());
            if let Some(log) = last.filter(|_| !recording) {
                if ui
                    .button("Report")
                    .on_hover_text("Draw the last saved session as a PNG and an SVG beside it")
                    .clicked()
                {
                    self.message = draw_report(&log);
                }
            }
        });
        ui.horizontal(|ui| {
            let status = self.read_worker(|w| w.status.lock().ok().map(|s| s.clone()));
            match status {
                Some(s) => {
                    let (l, line) = status_line(&s);
                    light(ui, l);
                    ui.label(line);
                    // What the source noticed (rate contradictions, namesakes, repairs):
                    // the first in full, the rest on hover.
                    if let Some(first) = s.warnings.first() {
                        ui.colored_label(palette::ORANGE, format!("Warning: {first}"))
                            .on_hover_text(s.warnings.join("\n"));
                    }
                    if self.link.offline_with_live_eeg.load(Ordering::Relaxed) {
                        ui.colored_label(palette::ORANGE, OFFLINE_LIVE);
                    }
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
            // A recording with several streams (XDF): which one, by name or source id.
            let mut source = self.params.source.read().map(|s| s.clone()).ok();
            if let Some(SourceSpec::File { stream, .. }) = source.as_mut() {
                ui.label("Stream");
                let edit = ui.add(
                    egui::TextEdit::singleline(&mut self.stream_text)
                        .hint_text("first EEG stream")
                        .desired_width(110.0),
                );
                let wanted = Some(self.stream_text.trim().to_string()).filter(|s| !s.is_empty());
                if edit.lost_focus()
                    && ui.input(|i| i.key_pressed(egui::Key::Enter))
                    && wanted != *stream
                {
                    *stream = wanted;
                    self.set_source(source.unwrap_or_default());
                }
            }
        });
        ui.horizontal(|ui| {
            for (tab, name) in [
                (Tab::Brain, "Brain"),
                (Tab::Calibration, "Calibration"),
                (Tab::Mapping, "Mapping"),
                (Tab::Sound, "Sound"),
                (Tab::Presets, "Presets"),
                (Tab::Journey, "Journey"),
                (Tab::Heart, "Heart"),
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
    pub(super) fn source_picker(&mut self, ui: &mut egui::Ui) {
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
                let found = self.read_worker(|w| w.streams.lock().ok().and_then(|s| s.clone()));
                for s in found.unwrap_or_default() {
                    let text = format!(
                        "LSL {} ({}, {} ch, {:.0} Hz, {})",
                        s.name, s.stream_type, s.channels, s.rate, s.host
                    );
                    if ui.selectable_label(false, text).clicked() {
                        chosen = Some(if s.source_id.is_empty() {
                            SourceSpec::lsl(LslProp::Name, s.name)
                        } else {
                            SourceSpec::lsl(LslProp::SourceId, s.source_id)
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
            // The worker listens for a second without blocking anyone.
            self.read_worker(|w| {
                w.commands.push(WorkerCommand::FindStreams);
                Some(())
            });
        }
        if let Some(spec) = chosen {
            self.set_source(spec);
        }
    }

    /// A compact preset picker for the header (the Presets tab has the full browser).
    pub(super) fn preset_picker(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
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
    pub(super) fn set_montage(&mut self) {
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
        // A recording reads the signals named (any kind, by label), so "EMG chin" can be
        // chosen too; the reader says which it used in the status.
        let mut source = self.params.source.read().map(|s| s.clone()).ok();
        if let Some(SourceSpec::File { channels, .. }) = source.as_mut() {
            if *channels != montage {
                *channels = montage.clone();
                self.set_source(source.unwrap_or_default());
            }
        }
        if let Ok(w) = self.link.worker.lock() {
            if let Some(w) = w.as_ref() {
                // The montage alone: the estimator stays the active program's.
                w.commands.push(WorkerCommand::SetMontage(montage.clone()));
            }
        }
        self.message = if montage.is_empty() {
            "Analysing every channel.".into()
        } else {
            format!("Analysing {}.", montage.join(", "))
        };
    }

    /// Saves the source choice and tells the worker.
    pub(super) fn set_source(&mut self, spec: SourceSpec) {
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
    pub(super) fn toggle_session(&mut self, recording: bool) {
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
        match new_log_path(None) {
            Ok(path) => tx.push(SessionCommand::Start(path)),
            Err(e) => self.message = e,
        }
    }
}

/// A new session log's path in the session folder (created if missing), named for now and
/// the guided session `guided`. Errors: a sentence.
pub(super) fn new_log_path(guided: Option<&str>) -> Result<std::path::PathBuf, String> {
    let dir = sessions_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("Cannot create '{}': {e}.", dir.display()))?;
    Ok(crate::session::new_log_path(&dir, guided))
}

/// A status light: a coloured dot and a word (never colour alone).
pub(super) fn light(ui: &mut egui::Ui, l: Light) {
    let (c, word) = match l {
        Light::Good => (palette::GREEN, "OK"),
        Light::Waiting => (palette::YELLOW, "wait"),
        Light::Bad => (palette::VERMILLION, "error"),
    };
    dot(ui, c);
    ui.colored_label(c, word);
}

/// A filled dot in the text line.
pub(super) fn dot(ui: &mut egui::Ui, c: Color32) {
    let (r, painter) = ui.allocate_painter(Vec2::splat(12.0), Sense::hover());
    painter.circle_filled(r.rect.center(), 5.0, c);
}

/// What the header says while the host bounces offline with a live source.
pub const OFFLINE_LIVE: &str = "Live EEG cannot be bounced faster than real time: the bounce \
     has no EEG. Record the session first (the features as MIDI CC automation with Send CCs \
     on, or the raw stream with LabRecorder) and bounce from that recording.";

/// Draws `log`'s report beside it (PNG, SVG and the plotted series, as `melodiasync report`
/// does); a sentence on where it went or what failed.
fn draw_report(log: &std::path::Path) -> String {
    let bands = ["theta", "alpha", "beta"].map(String::from);
    match crate::report::write_report(log, &bands, None) {
        Ok(files) => format!(
            "Report: '{}' (with its .svg and the plotted series as .csv).",
            files[0].display()
        ),
        Err(e) => e,
    }
}
