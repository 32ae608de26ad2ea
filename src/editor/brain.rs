//! The Brain tab: band meters with draggable targets, reward and success, loop delay,
//! per-channel quality, the scrolling history.

use egui::{Align2, Color32, FontId, Pos2, Rect, Sense, Stroke, StrokeKind, Vec2};
use nice_plug::prelude::ParamSetter;

use super::meter::{drag_to_position, meter_target, MeterScale};
use super::status::Light;
use crate::bridge::FeedbackRecord;
use crate::feedback::program::CompiledProgram;

use super::header::{dot, light};
use super::{palette, App};
use crate::features::bands::STANDARD_BANDS;

impl App {
    /// Band meters with targets, reward, success, quality lights, history.
    pub(super) fn brain(&mut self, ui: &mut egui::Ui, setter: &ParamSetter) {
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
                let calibrated = compiled.baseline.iter().any(|b| b.is_some());
                ui.label(super::status::range_line(&fb, calibrated))
                    .on_hover_text(
                        "The listener's range: learned over the first minute (or taken from the \
                         calibration), then following the listener over the Adaptation time. \
                         The shaded band on a meter is that range, the line its target; the \
                         history shows the target drifting. Slower adaptation holds a calm \
                         state reached for minutes; faster follows drift and raises the bar \
                         as the listener improves.",
                    );
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
                // What the program lacks (EEG, heart), and whether it holds for it.
                let missing = fb.missing.sentence();
                if !missing.is_empty() {
                    ui.colored_label(palette::ORANGE, missing);
                } else if fb.held {
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
            for (b, name) in STANDARD_BANDS.iter().map(|s| s.label).enumerate() {
                ui.checkbox(&mut self.plotted[b], name);
            }
        });
        self.history_plot(ui, &compiled);
    }

    /// The compiled program of the current slot (for display; the audio thread has its own).
    pub(super) fn compiled_program(&self) -> CompiledProgram {
        self.params.setup.compiled()[self.params.program.value().index()]
    }

    /// One band meter; its target marker (if the program has one on this band) drags.
    pub(super) fn band_meter(
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
                // The listener's range (mean ± one deviation), shaded behind the target.
                if let Some(rec) = record.filter(|r| r.feedback.terms > t.term) {
                    let (lo, hi) = rec.feedback.ranges[t.term];
                    let y = |v: f32| bar.bottom() - self.scale.to_frac(v) * bar.height();
                    painter.rect_filled(
                        Rect::from_min_max(Pos2::new(r.left(), y(hi)), Pos2::new(r.right(), y(lo))),
                        0.0,
                        palette::RANGE,
                    );
                }
                let theta = record
                    .filter(|r| r.feedback.terms > t.term)
                    .map(|r| r.feedback.thresholds[t.term])
                    .unwrap_or_else(|| {
                        let pos = self.params.target_position(t.slot).value();
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
                        self.set_target(setter, t.slot, pos);
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
                STANDARD_BANDS[band as usize].label,
                FontId::proportional(12.0),
                palette::TEXT,
            );
        });
    }

    /// A labelled light per channel: clean or excluded.
    pub(super) fn quality_lights(&self, ui: &mut egui::Ui, record: Option<&FeedbackRecord>) {
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
    pub(super) fn history_plot(&self, ui: &mut egui::Ui, program: &CompiledProgram) {
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
        // Targets of relative-power terms as they drifted with the listener's range, dashed.
        for i in 0..program.rewards + program.inhibits {
            let t = &program.terms[i];
            let Some(b) = t
                .feature
                .band()
                .filter(|_| matches!(t.feature, crate::features::baseline::FeatureId::Rel(_)))
                .filter(|b| (*b as usize) < 7 && self.plotted[*b as usize])
            else {
                continue;
            };
            let pts: Vec<Pos2> = self
                .history
                .window(span)
                .map(|(time, v)| (time, v[1 + 7 + i]))
                .filter(|(_, theta)| theta.is_finite())
                .map(|(time, theta)| Pos2::new(x_of(*time), y_of(theta)))
                .collect();
            let dash = Stroke::new(1.0, palette::BANDS[b as usize]);
            // Every other 6 px of the line's length: dashed, however it bends.
            let mut along = 0.0f32;
            for pair in pts.windows(2) {
                if ((along / 6.0) as u32).is_multiple_of(2) {
                    painter.line_segment([pair[0], pair[1]], dash);
                }
                along += pair[0].distance(pair[1]);
            }
        }
        painter.rect_stroke(r, 3.0, Stroke::new(1.0, palette::DIM), StrokeKind::Inside);
        painter.text(
            r.left_top() + Vec2::new(6.0, 4.0),
            Align2::LEFT_TOP,
            "reward (white), relative band power and its target (dashed)",
            FontId::proportional(11.0),
            palette::DIM,
        );
    }
}
