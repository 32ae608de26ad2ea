//! The Sound tab: layer levels, tone and entrainment sliders.

use nice_plug::prelude::{Param, ParamSetter};
use nice_plug_egui::widgets::ParamSlider;

use super::App;

impl App {
    /// Layer levels, tone, entrainment, feedback controls.
    pub(super) fn sound(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
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
            cols[2].add(ParamSlider::for_param(&p.adaptation, setter));
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
}

/// A titled column of parameter sliders.
pub(super) fn slider_group(
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
