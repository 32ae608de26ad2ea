//! The Journey tab: choose a guided session, start and stop it, and follow it as a timeline
//! (its stages, where the listener is, the time in the stage, what it takes to advance).

use crate::bridge::{GuideMark, GuideSwap, Outcome, SessionCommand};
use crate::guide::{self, GuidedSession, StageKind};

use super::{palette, App};

/// What it takes for `stage` to end, and how far it has come (`mark`: where the session is).
pub fn advance_text(stage: &guide::file::Stage, mark: &GuideMark) -> String {
    let a = &stage.advance;
    let t = mark.stage_s;
    match (a.after_s, a.in_target_s, a.mean_reward) {
        (Some(after), _, _) => format!(
            "ends after {after:.0} s ({:.0} s to go)",
            (after - t).max(0.0)
        ),
        (_, Some(x), _) => format!(
            "advances after {x:.0} s in target: {:.0} s so far (at most {:.0} s, {:.0} s to go)",
            mark.progress,
            a.max_s.unwrap_or(0.0),
            (a.max_s.unwrap_or(0.0) - t).max(0.0)
        ),
        (_, _, Some(y)) => format!(
            "advances when the mean reward over {:.0} s reaches {y:.2}: {:.2} now (at most {:.0} \
             s, {:.0} s to go)",
            a.over_s.unwrap_or(0.0),
            mark.progress,
            a.max_s.unwrap_or(0.0),
            (a.max_s.unwrap_or(0.0) - t).max(0.0)
        ),
        _ => String::new(),
    }
}

/// The sentence for where the session stands.
pub fn where_text(session: &GuidedSession, mark: &GuideMark) -> String {
    if mark.complete {
        return format!(
            "'{}' is complete; the last stage's sound holds.",
            session.name
        );
    }
    let i = mark.stage as usize;
    let Some(st) = session.stages.get(i) else {
        return String::new();
    };
    let how = match mark.entered_after {
        Some(Outcome::Success) => " (the last stage succeeded)",
        Some(Outcome::MaxTime) => " (the last stage reached its maximum time)",
        _ => "",
    };
    format!(
        "Stage {} of {}, '{}' ({}), {:.0} s in{how}; {}.",
        i + 1,
        session.stages.len(),
        st.name,
        st.kind.id(),
        mark.stage_s,
        advance_text(st, mark)
    )
}

impl App {
    /// The session the project has chosen, if any (parsed from its saved JSON).
    fn chosen_session(&self) -> (Option<GuidedSession>, bool) {
        let choice = self
            .params
            .guided
            .read()
            .map(|c| c.clone())
            .unwrap_or_default();
        let session = choice
            .session
            .and_then(|v| guide::parse(v.to_string().as_bytes(), "in the project").ok());
        (session, choice.running)
    }

    /// Chooses, starts and stops a guided session; its timeline.
    pub(super) fn journey_tab(&mut self, ui: &mut egui::Ui) {
        if self.guides.is_none() {
            self.guides = Some(guide::library(guide::user_dir().as_deref()));
        }
        let (list, problems) = self.guides.clone().unwrap_or_default();
        let (chosen, running) = self.chosen_session();
        ui.horizontal(|ui| {
            ui.heading("Guided session");
            let current = chosen
                .as_ref()
                .map_or("choose…".to_string(), |s| s.name.clone());
            egui::ComboBox::from_id_salt("guided-session")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for l in &list {
                        let picked = ui
                            .selectable_label(
                                chosen.as_ref().is_some_and(|c| c.name == l.session.name),
                                &l.session.name,
                            )
                            .on_hover_text(&l.session.description)
                            .clicked();
                        if picked && !running {
                            if let Ok(mut c) = self.params.guided.write() {
                                c.session = serde_json::to_value(&l.session).ok();
                            }
                        }
                    }
                });
            if ui.button("Refresh").clicked() {
                self.guides = None;
            }
            let label = if running { "Stop" } else { "Start" };
            if ui
                .add_enabled(chosen.is_some(), egui::Button::new(label))
                .clicked()
            {
                self.set_guide_running(!running);
            }
        });
        for p in &problems {
            ui.colored_label(palette::ORANGE, p);
        }
        let status = self
            .link
            .guide
            .status
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default();
        if !status.is_empty() {
            ui.colored_label(palette::SKY, status);
        }
        let Some(session) = chosen else {
            ui.label("Choose a session: its stages advance when the listener gets there.");
            return;
        };
        ui.label(&session.description);
        let mark = self.last.map(|r| r.guide).filter(|m| m.active && running);
        timeline(ui, &session, mark.as_ref());
        match &mark {
            Some(m) => {
                ui.label(where_text(&session, m));
            }
            None if running => {
                ui.label("Starting: the timeline follows once EEG frames arrive.");
            }
            None => {
                ui.label("Not running. Start it here; it runs with the project until stopped.");
            }
        }
    }

    /// Starts (the chosen session, from its first stage) or stops the guided session.
    fn set_guide_running(&mut self, run: bool) {
        if let Ok(mut c) = self.params.guided.write() {
            c.running = run;
        }
        let mut name = None;
        let (swap, names, status) = if run {
            match guide::conductor_for(&self.params) {
                Ok(Some((c, names))) => {
                    name = Some(c.plan().name.clone());
                    let status = format!("Running '{}'.", c.plan().name);
                    (
                        Some(Box::new(c) as Box<dyn crate::engine::StageGuide>),
                        names,
                        status,
                    )
                }
                Ok(None) => (None, Vec::new(), String::new()),
                Err(e) => {
                    if let Ok(mut c) = self.params.guided.write() {
                        c.running = false;
                    }
                    (None, Vec::new(), e)
                }
            }
        } else {
            (None, Vec::new(), "Stopped.".to_string())
        };
        // Every guided session is logged to the session folder (unless a log already runs),
        // the log closed by itself when the session completes or is stopped.
        let log = match (run, &name) {
            (true, Some(n)) => match super::header::new_log_path(Some(n)) {
                Ok(path) => Some(SessionCommand::StartGuided(path)),
                Err(e) => {
                    self.message = e;
                    None
                }
            },
            _ => Some(SessionCommand::StopGuided),
        };
        self.link.guide.send(GuideSwap(swap));
        if let Ok(s) = self.link.session.lock() {
            if let Some(tx) = s.as_ref() {
                tx.push(SessionCommand::Stages(names));
                if let Some(cmd) = log {
                    tx.push(cmd);
                }
            }
        }
        if let Ok(mut st) = self.link.guide.status.lock() {
            *st = status;
        }
    }
}

/// The stages as boxes along a line, each as wide as its longest time, the current one lit
/// with its progress.
fn timeline(ui: &mut egui::Ui, session: &GuidedSession, mark: Option<&GuideMark>) {
    let width = ui.available_width().max(200.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 64.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let lengths: Vec<f32> = session
        .stages
        .iter()
        .map(|s| {
            s.advance
                .after_s
                .or(s.advance.max_s)
                .unwrap_or(1.0)
                .max(1.0)
        })
        .collect();
    let total: f32 = lengths.iter().sum();
    let mut x = rect.left();
    for (i, (st, len)) in session.stages.iter().zip(&lengths).enumerate() {
        let w = width * len / total;
        let r =
            egui::Rect::from_min_size(egui::pos2(x, rect.top() + 8.0), egui::vec2(w - 2.0, 40.0));
        let here = mark.is_some_and(|m| !m.complete && m.stage as usize == i);
        let colour = match st.kind {
            StageKind::Settle => palette::PURPLE,
            StageKind::Baseline => palette::YELLOW,
            StageKind::Train => palette::GREEN,
            StageKind::Integrate => palette::BLUE,
            StageKind::Return => palette::ORANGE,
        };
        let fill = if here {
            colour
        } else {
            colour.gamma_multiply(0.35)
        };
        painter.rect_filled(r, 3.0, fill);
        if let Some(m) = mark.filter(|_| here) {
            // How far into its longest time.
            let f = (m.stage_s / len).clamp(0.0, 1.0);
            let px = r.left() + f * r.width();
            painter.line_segment(
                [
                    egui::pos2(px, r.top() - 4.0),
                    egui::pos2(px, r.bottom() + 4.0),
                ],
                egui::Stroke::new(2.0, palette::TEXT),
            );
        }
        painter.text(
            r.left_top() + egui::vec2(4.0, 4.0),
            egui::Align2::LEFT_TOP,
            &st.name,
            egui::FontId::proportional(12.0),
            if here { palette::BG } else { palette::TEXT },
        );
        painter.text(
            r.left_bottom() + egui::vec2(4.0, -4.0),
            egui::Align2::LEFT_BOTTOM,
            st.kind.id(),
            egui::FontId::proportional(10.0),
            if here { palette::BG } else { palette::DIM },
        );
        x += w;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeline_says_what_it_takes_to_advance() {
        let (list, _) = guide::library(None);
        let s = &guide::find(&list, "Focus reset").unwrap().session;
        let mark = GuideMark {
            active: true,
            stage: 2,
            visit: 3,
            stage_s: 100.0,
            progress: 42.0,
            entered_after: Some(Outcome::Time),
            complete: false,
            baseline: false,
            training: true,
            condition: None,
        };
        let text = where_text(s, &mark);
        assert!(
            text.starts_with("Stage 3 of 4, 'SMR' (train), 100 s in;"),
            "{text}"
        );
        assert!(
            text.contains("150 s in target: 42 s so far (at most 420 s, 320 s to go)"),
            "{text}"
        );
        let first = GuideMark {
            stage: 0,
            stage_s: 5.0,
            progress: 0.0,
            entered_after: None,
            ..mark
        };
        assert!(where_text(s, &first).contains("ends after 45 s (40 s to go)"));
        let done = GuideMark {
            complete: true,
            ..mark
        };
        assert!(where_text(s, &done).contains("complete"));
    }
}
