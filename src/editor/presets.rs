//! The Presets tab: browse, apply and save presets.

use nice_plug::prelude::ParamSetter;

use crate::preset;

use super::{palette, App};

impl App {
    /// Browse factory and user presets, apply, save as.
    pub(super) fn presets_tab(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
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
                        ui.label(e.preset.slot.name());
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
                    None => crate::paths::NO_PRESET_FOLDER.into(),
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
    pub(super) fn apply_preset(&mut self, p: &preset::Preset, setter: &ParamSetter) {
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
