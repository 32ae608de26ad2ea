//! The Mapping tab: the program's routes (source, destination, depth, curve) and its
//! band-power estimator.

use crate::feedback::mapping::{Curve, Dest, RouteSource};
use crate::feedback::program::Program;

use super::App;

impl App {
    /// The current program's routes: source, destination, depth (sign = polarity), curve.
    pub(super) fn mapping(&mut self, ui: &mut egui::Ui) {
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
}

/// A route source's label.
pub(super) fn route_source_name(s: &RouteSource) -> String {
    match s {
        RouteSource::Reward => "reward".into(),
        RouteSource::InTarget => "in target".into(),
        RouteSource::Feature { id, .. } => id.label(),
        RouteSource::Z { id } => format!("z({})", id.label()),
    }
}
