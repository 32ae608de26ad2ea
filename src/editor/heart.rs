//! The Heart tab: the heart source picker and its status, HR, RMSSD and SDNN, a coherence
//! meter, the breathing rate, and the breath pacer's controls with a shape that grows on
//! the inhale and shrinks on the exhale, in step with the sound.

use nice_plug::prelude::{Param, ParamSetter};

use super::header::light;
use super::sound::slider_group;
use super::status::status_line;
use super::{palette, App};
use crate::bridge::WorkerCommand;
use crate::eeg::heart_source::{HeartSource, HeartStatus};
use crate::features::baseline::HeartFeature;
use crate::features::heart::{coherence_scale, HeartKind};

/// The pacer shape's radius (fraction of its largest) for the pacer envelope (0..1): it
/// never vanishes, so the exhale's end still shows where to start the inhale.
pub fn pacer_radius(level: f32) -> f32 {
    0.3 + 0.7 * level.clamp(0.0, 1.0)
}

/// The features as the panel prints them: `value unit`, or a dash when not valid.
fn shown(h: HeartFeature, st: &HeartStatus, unit: &str, digits: usize) -> String {
    if h.available(&st.features) {
        format!("{:.*}{unit}", digits, h.of(&st.features))
    } else {
        "–".into()
    }
}

impl App {
    /// The Heart tab.
    pub(super) fn heart_tab(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let st = self
            .read_worker(|w| w.heart.lock().ok().map(|s| s.clone()))
            .unwrap_or_default();
        ui.columns(2, |cols| {
            self.heart_source_picker(&mut cols[0]);
            heart_numbers(&mut cols[0], &st);
            self.pacer_panel(&mut cols[1], setter);
        });
    }

    /// ECG, PPG or RR; off, the simulator, an LSL stream or a recording; saved with the
    /// project and sent to the worker.
    fn heart_source_picker(&mut self, ui: &mut egui::Ui) {
        ui.label(egui::RichText::new("Heart source").strong());
        let current = self
            .params
            .heart_source
            .read()
            .map(|h| h.clone())
            .unwrap_or_default();
        if self.heart_text.is_empty() {
            self.heart_text = current.text();
        }
        let mut kind = current.kind;
        ui.horizontal(|ui| {
            for k in HeartKind::ALL {
                ui.selectable_value(&mut kind, k, k.name());
            }
        });
        ui.horizontal(|ui| {
            ui.add(
                egui::TextEdit::singleline(&mut self.heart_text)
                    .hint_text("off, sim, lsl, lsl:name=Polar H10, or a file")
                    .desired_width(220.0),
            );
            let apply = ui.button("Use").clicked();
            let off = ui.button("Off").clicked();
            if off {
                self.heart_text = "off".into();
            }
            if apply || off || kind != current.kind {
                match HeartSource::parse(&self.heart_text, kind) {
                    Ok(mut spec) => {
                        spec.channel = current.channel.clone();
                        self.message = if spec.is_on() {
                            format!("Heart: {} ({}).", spec.text(), kind.name())
                        } else {
                            "Heart input off.".into()
                        };
                        self.set_heart(spec);
                    }
                    // The current source stays as it was.
                    Err(e) => self.message = e,
                }
            }
        });
    }

    /// Saves the heart source choice and tells the worker.
    fn set_heart(&mut self, spec: HeartSource) {
        if let Ok(mut h) = self.params.heart_source.write() {
            *h = spec.clone();
        }
        if let Ok(w) = self.link.worker.lock() {
            if let Some(w) = w.as_ref() {
                w.commands.push(WorkerCommand::SetHeart(spec));
            }
        }
    }

    /// The pacer's switch, sliders and breathing shape.
    fn pacer_panel(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
        let p = self.params.clone();
        ui.label(egui::RichText::new("Breath pacer").strong());
        for b in [&p.pacer, &p.pacer_glide] {
            let mut v = b.value();
            if ui.checkbox(&mut v, b.name()).changed() {
                setter.begin_set_parameter(b);
                setter.set_parameter(b, v);
                setter.end_set_parameter(b);
            }
        }
        slider_group(
            ui,
            setter,
            "Pacer",
            &[&p.pacer_rate, &p.pacer_inhale, &p.pacer_level],
        );
        let pacer = self.link.pacer();
        let size = egui::vec2(ui.available_width().min(220.0), 160.0);
        let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
        let painter = ui.painter_at(rect);
        let max_r = 0.48 * rect.height();
        match pacer {
            Some((bpm, level)) => {
                painter.circle_filled(
                    rect.center(),
                    max_r * pacer_radius(level),
                    palette::SKY.gamma_multiply(0.35 + 0.5 * level),
                );
                painter.circle_stroke(
                    rect.center(),
                    max_r,
                    egui::Stroke::new(1.0, palette::SKY.gamma_multiply(0.5)),
                );
                ui.label(format!(
                    "{} · {bpm:.1} breaths a minute",
                    if level > 0.0 && self.pacer_rising(level) {
                        "breathe in"
                    } else {
                        "breathe out"
                    }
                ));
            }
            None => {
                ui.label("The pacer is off (its switch, or a program that uses it, turns it on).");
            }
        }
    }

    /// Whether the pacer's envelope is rising (the inhale), from the level drawn last.
    fn pacer_rising(&mut self, level: f32) -> bool {
        let rising = level >= self.pacer_last;
        self.pacer_last = level;
        rising
    }
}

/// Status light and sentence, then HR, RMSSD, SDNN, breathing rate and coherence.
fn heart_numbers(ui: &mut egui::Ui, st: &HeartStatus) {
    ui.add_space(6.0);
    if !st.on {
        ui.label("No heart input. Choose a Polar H10 (ECG or RR), a Muse or OpenBCI PPG stream, or the simulator.");
        return;
    }
    ui.horizontal(|ui| {
        let (l, line) = status_line(&st.source);
        light(ui, l);
        ui.label(line);
    });
    let why = st.features.issue.sentence();
    if !why.is_empty() {
        ui.colored_label(palette::YELLOW, why);
    }
    egui::Grid::new("heart-numbers").show(ui, |ui| {
        for (name, text) in [
            ("Heart rate", shown(HeartFeature::HrBpm, st, " bpm", 0)),
            ("RMSSD", shown(HeartFeature::RmssdMs, st, " ms", 1)),
            ("SDNN", shown(HeartFeature::SdnnMs, st, " ms", 1)),
            (
                "Breathing",
                shown(HeartFeature::BreathRateBpm, st, " /min", 1),
            ),
            ("HF power", shown(HeartFeature::HfMs2, st, " ms²", 0)),
        ] {
            ui.label(name);
            ui.label(egui::RichText::new(text).strong());
            ui.end_row();
        }
    });
    ui.add_space(6.0);
    ui.label("Coherence");
    let c = HeartFeature::Coherence;
    let fill = if c.available(&st.features) {
        coherence_scale(c.of(&st.features))
    } else {
        0.0
    };
    ui.add(
        egui::ProgressBar::new(fill)
            .text(shown(c, st, "", 2))
            .desired_width(220.0),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pacer_shape_never_vanishes() {
        assert!(pacer_radius(0.0) > 0.0);
        assert_eq!(pacer_radius(1.0), 1.0);
        assert_eq!(pacer_radius(7.0), 1.0);
    }
}
