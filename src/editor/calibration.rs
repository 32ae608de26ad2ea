//! The Calibration tab: record a baseline, see and apply the targets it gives.

use nice_plug::prelude::ParamSetter;

use crate::bridge::{CalibrationStatus, WorkerCommand};
use crate::feedback::program::ProgramKind;
use crate::feedback::program::MAX_TERMS;
use crate::feedback::Condition;

use super::App;

impl App {
    /// Baseline recording, progress with time left, result and "apply as targets".
    pub(super) fn calibration(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
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
            // Each slot's own program (a preset's custom one too), as "Apply" compiles it.
            let setup = self.params.setup.get();
            for kind in ProgramKind::ALL {
                let mut p = setup.program(kind);
                p.calibrate(stats);
                ui.label(format!(
                    "{}: {}",
                    kind.name(),
                    p.describe_targets().join("; ")
                ));
            }
            if ui.button("Apply as targets").clicked() {
                self.update_setup(|s| {
                    s.baseline = Some(stats.clone());
                    s.condition = status.condition;
                });
                // Targets now sit at the calibrated values: put every target slider there.
                for slot in 0..MAX_TERMS {
                    self.set_target(setter, slot, 0.5);
                }
                self.message = "Targets set from the baseline.".into();
            }
        }
    }
}
