//! The editor's logic driven headless through a real `egui::Context`: records from the audio
//! side fill the meters and the history, and dragging the alpha meter's target marker sets the
//! "Reward target 1" parameter to the position the marker stands for. The host side is a small
//! GUI context that applies parameter changes exactly as a host does (normalised values on the
//! real parameter objects).

use std::sync::{Arc, Mutex};

use egui::{Event, PointerButton, Pos2, RawInput, Rect, Vec2};
use melodiasync::bridge::{EditorLink, FeedbackRecord};
use melodiasync::editor::meter::{drag_to_position, meter_target, MeterScale};
use melodiasync::editor::App;
use melodiasync::features::bands::ALPHA;
use melodiasync::feedback::program::{CompiledProgram, ProgramKind};
use melodiasync::params::MelodiaSyncParams;
use nice_plug::context::gui::{GuiContext, GuiContextInner};
use nice_plug::context::PluginApi;
use nice_plug::params::internals::ParamPtr;
use nice_plug::plugin::PluginState;
use nice_plug_egui::EguiEditorState;

/// The host side of parameter changes: applies them to the parameter objects and records the
/// begin/set/end protocol.
struct Host {
    /// Calls as (kind, normalised value).
    log: Mutex<Vec<(&'static str, f32)>>,
}

impl GuiContextInner for Host {
    fn plugin_api(&self) -> PluginApi {
        PluginApi::Clap
    }
    unsafe fn raw_begin_set_parameter(&self, _param: ParamPtr) {
        self.log.lock().unwrap().push(("begin", 0.0));
    }
    unsafe fn raw_set_parameter_normalized(&self, param: ParamPtr, normalized: f32) {
        // SAFETY: the pointer comes from the editor's live parameter object.
        unsafe {
            param._internal_set_normalized_value(normalized);
        }
        self.log.lock().unwrap().push(("set", normalized));
    }
    unsafe fn raw_end_set_parameter(&self, _param: ParamPtr) {
        self.log.lock().unwrap().push(("end", 0.0));
    }
    fn get_state(&self) -> PluginState {
        unimplemented!("the editor does not read the whole state")
    }
    fn set_state(&self, _state: PluginState) {
        unimplemented!("the editor does not replace the whole state")
    }
    fn request_restart(&self) {}
}

fn frame_input(events: Vec<Event>, t: f64) -> RawInput {
    RawInput {
        screen_rect: Some(Rect::from_min_size(Pos2::ZERO, Vec2::new(980.0, 680.0))),
        time: Some(t),
        events,
        ..Default::default()
    }
}

#[test]
fn meters_history_and_target_dragging() {
    let params = Arc::new(MelodiaSyncParams::default());
    let (link, audio_side, _guide) = EditorLink::new();
    let state =
        EguiEditorState::from_size(nice_plug::editor::dpi::LogicalSize::new(980.0, 680.0), 1.0);
    let mut app = App::new(params.clone(), link.clone(), state);
    let host = Arc::new(Host {
        log: Mutex::new(Vec::new()),
    });
    app.attach(GuiContext::new(host.clone()));
    assert!(link.is_open());

    // Ten seconds of frames from the "audio thread": alpha at 30 %.
    for i in 0..320 {
        let mut r = FeedbackRecord {
            audio_time: i as f64 / 32.0,
            ..Default::default()
        };
        r.frame.valid = true;
        r.frame.quality = 1.0;
        r.frame.bands[ALPHA].rel = 0.3;
        r.feedback.reward = 0.7;
        audio_side.push(r);
    }
    let ctx = egui::Context::default();
    let mut t = 0.0;
    let mut run = |app: &mut App, events: Vec<Event>| {
        t += 1.0 / 30.0;
        ctx.run_ui(frame_input(events, t), |ui| app.draw(ui))
            .drop_without_applying_deltas();
    };
    run(&mut app, vec![]);
    // Every record reached the history; the newest is shown.
    assert_eq!(app.history().len(), 320);
    assert_eq!(app.last().unwrap().frame.bands[ALPHA].rel, 0.3);
    let meter = app.meter_rects()[ALPHA];
    assert!(meter.height() > 100.0, "alpha meter not drawn: {meter:?}");

    // Drag the alpha target marker (Calm's reward target) to 40 % of the meter's bar height.
    let bar_top = meter.top() + 4.0;
    let bar_bottom = meter.bottom() - 16.0 - 4.0;
    let calm = CompiledProgram::factory(ProgramKind::Calm, None);
    let target = meter_target(&calm, ALPHA as u8, MeterScale::Relative).unwrap();
    let start_y = bar_bottom - 0.25 * (bar_bottom - bar_top);
    let end_y = bar_bottom - 0.40 * (bar_bottom - bar_top);
    let x = meter.center().x;
    run(&mut app, vec![Event::PointerMoved(Pos2::new(x, start_y))]);
    run(
        &mut app,
        vec![Event::PointerButton {
            pos: Pos2::new(x, start_y),
            button: PointerButton::Primary,
            pressed: true,
            modifiers: Default::default(),
        }],
    );
    for k in 1..=10 {
        let y = start_y + (end_y - start_y) * k as f32 / 10.0;
        run(&mut app, vec![Event::PointerMoved(Pos2::new(x, y))]);
    }
    run(
        &mut app,
        vec![Event::PointerButton {
            pos: Pos2::new(x, end_y),
            button: PointerButton::Primary,
            pressed: false,
            modifiers: Default::default(),
        }],
    );
    let want = drag_to_position(&calm, &target, MeterScale::Relative, 0.40);
    let got = params.targets[0].position.value();
    assert!(
        (got - want).abs() < 0.01,
        "target 1 at {got}, expected {want}"
    );
    // 0.40 relative alpha is above Calm's 0.25 target: the position moved above 50 %.
    assert!(got > 0.6);
    // The host saw the begin/set/end protocol.
    let log = host.log.lock().unwrap();
    assert!(log.iter().any(|(k, _)| *k == "begin") && log.iter().any(|(k, _)| *k == "end"));
    // The other targets were not touched.
    assert_eq!(params.targets[1].position.value(), 0.5);
    assert_eq!(params.ceilings[0].position.value(), 0.5);
}

/// Every piece of text the frame drew.
fn drawn_text(out: &egui::FullOutput) -> String {
    let mut text = String::new();
    for s in &out.shapes {
        collect_text(&s.shape, &mut text);
    }
    text
}

fn collect_text(shape: &egui::Shape, text: &mut String) {
    match shape {
        egui::Shape::Text(t) => {
            text.push_str(t.galley.text());
            text.push('\n');
        }
        egui::Shape::Vec(v) => v.iter().for_each(|s| collect_text(s, text)),
        _ => {}
    }
}

#[test]
fn the_heart_tab_shows_the_heart_the_pacer_and_what_holds() {
    use melodiasync::eeg::heart_source::HeartStatus;
    use melodiasync::features::heart::{HeartFeatures, HeartIssue, HeartKind};
    let params = Arc::new(MelodiaSyncParams::default());
    let (link, _audio_side, _guide) = EditorLink::new();
    // The worker's side, as a running worker publishes it: a connected ECG at 66 bpm.
    let heart = Arc::new(Mutex::new(HeartStatus {
        on: true,
        kind: HeartKind::Ecg,
        source: melodiasync::bridge::SourceStatus {
            state: melodiasync::bridge::SourceState::Connected,
            name: "Polar H10".into(),
            labels: vec!["ECG".into()],
            nominal_rate: 130.0,
            ..Default::default()
        },
        features: HeartFeatures {
            valid: true,
            hr_valid: true,
            spectral_valid: true,
            hr_bpm: 66.4,
            rmssd_ms: 42.25,
            sdnn_ms: 51.0,
            coherence: 3.5,
            breath_rate_bpm: 6.1,
            ..Default::default()
        },
        beats: 120,
    }));
    let (commands, _rx) = melodiasync::eeg::protocol::command_channel();
    *link.worker.lock().unwrap() = Some(melodiasync::bridge::WorkerLink {
        status: Default::default(),
        calibration: Default::default(),
        commands,
        streams: Default::default(),
        heart: heart.clone(),
    });
    link.set_pacer(Some((6.0, 0.8)));
    let state =
        EguiEditorState::from_size(nice_plug::editor::dpi::LogicalSize::new(980.0, 680.0), 1.0);
    let mut app = App::new(params, link.clone(), state);
    app.attach(GuiContext::new(Arc::new(Host {
        log: Mutex::new(Vec::new()),
    })));
    app.set_tab(melodiasync::editor::Tab::Heart);
    let ctx = egui::Context::default();
    let mut frame = |t: f64| {
        let out = ctx.run_ui(frame_input(vec![], t), |ui| app.draw(ui));
        let text = drawn_text(&out);
        out.drop_without_applying_deltas();
        text
    };
    let text = frame(0.0);
    for want in [
        "Polar H10",
        "66 bpm",
        "42.2 ms",
        "6.1 /min",
        "3.50",
        "Breath pacer",
        "6.0 breaths a minute",
    ] {
        assert!(text.contains(want), "'{want}' not in:\n{text}");
    }
    // The signal goes bad: the numbers go, the reason shows.
    {
        let mut h = heart.lock().unwrap();
        h.features = HeartFeatures {
            issue: HeartIssue::Flat,
            ..Default::default()
        };
    }
    link.set_pacer(None);
    let text = frame(0.1);
    assert!(text.contains(HeartIssue::Flat.sentence()), "{text}");
    assert!(!text.contains("66 bpm"));
    assert!(text.contains("The pacer is off"), "{text}");
}
